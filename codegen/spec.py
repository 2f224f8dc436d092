"""Reading an OpenAPI 3.0 document into what the templates need.

Everything here is plain data: names, type expressions for ``icasdk.schemas``,
type hints and doc text. The templates only arrange it.
"""

from __future__ import annotations

import dataclasses
import json
import keyword
import pathlib
import re
import typing

from codegen.pyexpr import Call, Literal, Node, literal
from icasdk.schemas import attribute_name, snake_case

PACKAGE = "icasdk"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def load(path: pathlib.Path) -> dict:
    """The document at ``path``, JSON or YAML."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)

    import yaml  # a development dependency, needed only for YAML documents

    return yaml.safe_load(text)


def pascal_case(name: str) -> str:
    """``project data update batch`` -> ``ProjectDataUpdateBatch``."""
    words = re.split(r"[^0-9A-Za-z]+", name)
    text = "".join(word[:1].upper() + word[1:] for word in words if word)
    if not text or text[0].isdigit():
        text = f"Schema{text}"
    return text


def module_name(name: str) -> str:
    """A Python module name for a schema, tag or path."""
    text = snake_case(name)
    return f"{text}_" if keyword.iskeyword(text) else text


def one_line(text: typing.Optional[str]) -> str:
    """Description text collapsed to one line."""
    if not text:
        return ""
    return re.sub(r"\s+", " ", text).strip()


@dataclasses.dataclass
class TypeInfo:
    """How one schema appears in generated code."""

    expression: Node
    """A Python expression building the ``icasdk.schemas`` type."""
    hint: str
    """The Python type of the attribute value."""
    notes: str = ""
    """Constraints in words, for the docs."""
    json_type: str = ""
    """The JSON type in words, for the docs."""
    model: str = ""
    """The referenced model class, if this is a reference."""


@dataclasses.dataclass
class FieldInfo:
    name: str
    attribute: str
    type: TypeInfo
    required: bool
    nullable: bool
    description: str

    @property
    def hint(self) -> str:
        if self.required and not self.nullable:
            return self.type.hint
        return f"typing.Optional[{self.type.hint}]"


@dataclasses.dataclass
class ModelInfo:
    name: str
    module: str
    description: str
    fields: typing.List[FieldInfo]
    nullable: bool
    additional: Node
    """The expression of the extra-properties type, or ``None``."""
    notes: str = ""


@dataclasses.dataclass
class AliasInfo:
    """A component schema that is not an object: a named type."""

    name: str
    module: str
    description: str
    type: TypeInfo


class Resolver:
    """Turns schemas into type expressions, collecting inline object models.

    ``owner`` names the module being written: references to other component
    schemas become lazy ``schemas.Ref``; inline objects with properties become
    extra model classes of that module.
    """

    def __init__(self, document: dict, module: str, prefix: str) -> None:
        self.document = document
        self.module = module
        self.prefix = prefix
        self.inline_models: typing.List[ModelInfo] = []
        self.models_used: typing.Set[typing.Tuple[str, str]] = set()

    def schema_type(self, schema: dict, context: str) -> TypeInfo:
        if "$ref" in schema:
            return self._reference(schema["$ref"])

        nullable = bool(schema.get("nullable"))
        composed = [k for k in ("oneOf", "anyOf", "allOf") if k in schema]
        kind = schema.get("type")
        if composed or kind is None:
            note = f"{'/'.join(composed)} is not checked" if composed else ""
            return TypeInfo(Call("schemas.Any"), "typing.Any", note, "any")
        if kind == "string":
            return self._string(schema, nullable)
        if kind in ("integer", "number"):
            return self._number(schema, kind, nullable)
        if kind == "boolean":
            call = Call("schemas.Boolean", **({"nullable": "True"} if nullable else {}))
            return TypeInfo(call, "bool", "", "boolean")
        if kind == "array":
            return self._array(schema, context, nullable)
        return self._object(schema, context, nullable)

    def _reference(self, ref: str) -> TypeInfo:
        name = ref.rsplit("/", 1)[-1]
        target = self.document["components"]["schemas"][name]
        module = f"{PACKAGE}.model.{module_name(name)}"
        self.models_used.add((module, name))
        hint = name if _is_model(target) else "typing.Any"
        expression = Call("schemas.Ref", literal(module), literal(name))
        return TypeInfo(
            expression, hint, "", "object" if _is_model(target) else "", name
        )

    def _string(self, schema: dict, nullable: bool) -> TypeInfo:
        call, notes = Call("schemas.String"), []
        fmt = schema.get("format")
        if fmt:
            call.keyword("format", literal(fmt))
            notes.append(f"format {fmt}")
        if "enum" in schema:
            values = tuple(v for v in schema["enum"] if v is not None)
            call.keyword("enum", Literal(values))
            notes.append("one of " + ", ".join(values))
        for key, argument in (("minLength", "min_length"), ("maxLength", "max_length")):
            if key in schema:
                call.keyword(argument, literal(schema[key]))
        if "minLength" in schema or "maxLength" in schema:
            low, high = schema.get("minLength", 0), schema.get("maxLength", "")
            notes.append(f"length {low}..{high}")
        if "pattern" in schema:
            call.keyword("pattern", literal(schema["pattern"]))
            notes.append(f"pattern {schema['pattern']}")
        if nullable:
            call.keyword("nullable", "True")
        hint = {
            "date-time": "datetime.datetime",
            "date": "datetime.date",
            "uuid": "uuid.UUID",
            "binary": "bytes",
        }.get(fmt or "", "str")
        return TypeInfo(call, hint, "; ".join(notes), "string")

    def _number(self, schema: dict, kind: str, nullable: bool) -> TypeInfo:
        name, hint = ("Integer", "int") if kind == "integer" else ("Number", "float")
        call, notes = Call(f"schemas.{name}"), []
        if schema.get("format"):
            call.keyword("format", literal(schema["format"]))
            notes.append(f"format {schema['format']}")
        for key in ("minimum", "maximum"):
            if key in schema:
                call.keyword(key, literal(schema[key]))
                notes.append(f"{key} {schema[key]}")
        if kind == "integer" and "enum" in schema:
            call.keyword("enum", Literal(schema["enum"]))
        if nullable:
            call.keyword("nullable", "True")
        return TypeInfo(call, hint, "; ".join(notes), kind)

    def _array(self, schema: dict, context: str, nullable: bool) -> TypeInfo:
        items = self.schema_type(schema.get("items") or {}, f"{context}Item")
        call = Call("schemas.Array", items.expression)
        for key, argument in (("minItems", "min_items"), ("maxItems", "max_items")):
            if key in schema:
                call.keyword(argument, literal(schema[key]))
        if nullable:
            call.keyword("nullable", "True")
        hint = f"typing.Tuple[{items.hint}, ...]"
        notes = f"items: {items.notes}" if items.notes else ""
        json_type = f"array of {items.model or items.json_type}"
        return TypeInfo(call, hint, notes, json_type, items.model)

    def _object(self, schema: dict, context: str, nullable: bool) -> TypeInfo:
        if schema.get("properties"):
            name = f"{self.prefix}{context}"
            self.inline_models.append(self.model(name, schema))
            call = Call("schemas.Ref", literal(self.module), literal(name))
            return TypeInfo(call, name, "", "object", name)

        values = schema.get("additionalProperties", True)
        if values is True or values is False or values == {}:
            value_type = TypeInfo(Call("schemas.Any"), "typing.Any", "", "any")
        else:
            value_type = self.schema_type(values, f"{context}Value")
        call = Call("schemas.Map", value_type.expression)
        if nullable:
            call.keyword("nullable", "True")
        hint = f"typing.Mapping[str, {value_type.hint}]"
        json_type = f"map of {value_type.model or value_type.json_type}"
        return TypeInfo(call, hint, "", json_type)

    def model(self, name: str, schema: dict) -> ModelInfo:
        required = set(schema.get("required") or ())
        fields, taken = [], set()
        for spec_name, prop in (schema.get("properties") or {}).items():
            attribute = attribute_name(spec_name, taken)
            taken.add(attribute)
            info = self.schema_type(prop, pascal_case(spec_name))
            nullable = bool(prop.get("nullable")) or (
                "$ref" in prop and self._ref_nullable(prop["$ref"])
            )
            description = one_line(prop.get("description"))
            fields.append(
                FieldInfo(
                    spec_name,
                    attribute,
                    info,
                    spec_name in required,
                    nullable,
                    description,
                )
            )

        additional = schema.get("additionalProperties", True)
        additional_expression: Node
        if additional is False:
            additional_expression = "None"
        elif additional is True or additional == {}:
            additional_expression = ""
        else:
            additional_expression = self.schema_type(
                additional, f"{name}Value"
            ).expression
        composed = [k for k in ("oneOf", "anyOf", "allOf") if k in schema]
        notes = f"Its {'/'.join(composed)} is not checked yet." if composed else ""
        return ModelInfo(
            name=name,
            module=self.module,
            description=one_line(schema.get("description")),
            fields=fields,
            nullable=bool(schema.get("nullable")),
            additional=additional_expression,
            notes=notes,
        )

    def _ref_nullable(self, ref: str) -> bool:
        name = ref.rsplit("/", 1)[-1]
        return bool(self.document["components"]["schemas"][name].get("nullable"))


def _is_model(schema: dict) -> bool:
    """Component schemas that become model classes: objects and compositions."""
    if "$ref" in schema:
        return False
    return schema.get("type", "object") == "object" or any(
        key in schema for key in ("oneOf", "anyOf", "allOf")
    )


def component_modules(document: dict) -> typing.List[dict]:
    """One entry per component schema: its module and what it declares."""
    modules = []
    for name, schema in (document.get("components", {}).get("schemas") or {}).items():
        module = f"{PACKAGE}.model.{module_name(name)}"
        resolver = Resolver(document, module, name)
        if _is_model(schema):
            main: typing.Union[ModelInfo, AliasInfo] = resolver.model(name, schema)
        else:
            info = resolver.schema_type(schema, name)
            main = AliasInfo(name, module, one_line(schema.get("description")), info)
        modules.append(
            {
                "name": name,
                "module": module,
                "file": module_name(name),
                "main": main,
                "inline": resolver.inline_models,
                "uses": sorted(m for m in resolver.models_used if m[0] != module),
            }
        )
    return modules


@dataclasses.dataclass
class ParameterInfo:
    name: str
    location: str
    type: TypeInfo
    required: bool
    description: str
    explode: bool
    schema: dict = dataclasses.field(default_factory=dict)
    """The parameter's schema as written, for examples."""

    @property
    def key_hint(self) -> str:
        """The TypedDict value type: what the user may pass."""
        hint = self.type.hint
        if hint.startswith("typing.Tuple["):
            return f"typing.Sequence[{hint[len('typing.Tuple[') : -len(', ...]')]}]"
        if hint == "uuid.UUID":
            return "typing.Union[str, uuid.UUID]"
        if self.location == "query" and hint == "str":
            return "typing.Union[str, int]"
        return hint


@dataclasses.dataclass
class ResponseInfo:
    status: str
    class_name: str
    description: str
    content: typing.List[typing.Tuple[str, TypeInfo]]
    headers: typing.List[ParameterInfo]

    @property
    def body_hint(self) -> str:
        hints = sorted({info.hint for _, info in self.content})
        if not hints:
            return "schemas.Unset"
        return hints[0] if len(hints) == 1 else f"typing.Union[{', '.join(hints)}]"


@dataclasses.dataclass
class PagerInfo:
    """A list operation that pages: it gets an ``iter_<name>`` method."""

    method: str
    item_hint: str
    item_use: typing.Optional[typing.Tuple[str, str]]


@dataclasses.dataclass
class WaiterInfo:
    """A read of a resource with a job: it gets a ``wait_for_<name>`` method."""

    method: str
    items_module: str
    """The module of the resource's items list, for counts per status."""
    statuses: typing.List[str]


@dataclasses.dataclass
class OperationInfo:
    operation_id: str
    method: str
    path: str
    path_module: str
    summary: str
    description: str
    tag: str
    function: str
    mixin: str
    parameters: typing.List[ParameterInfo]
    body: typing.List[typing.Tuple[str, TypeInfo]]
    body_required: bool
    responses: typing.List[ResponseInfo]
    security: typing.List[str]
    inline_models: typing.List[ModelInfo]
    uses: typing.List[typing.Tuple[str, str]]
    pager: typing.Optional[PagerInfo] = None
    waiter: typing.Optional[WaiterInfo] = None

    def params_in(self, location: str) -> typing.List[ParameterInfo]:
        return [p for p in self.parameters if p.location == location]

    @property
    def success(self) -> typing.List[ResponseInfo]:
        return [r for r in self.responses if r.status.startswith("2")]

    @property
    def body_hints(self) -> typing.List[str]:
        hints = sorted({info.hint for _, info in self.body})
        if any(info.model for _, info in self.body):
            hints.append("typing.Mapping[str, typing.Any]")
        return hints

    @property
    def body_hint(self) -> str:
        hints = self.body_hints
        return hints[0] if len(hints) == 1 else f"typing.Union[{', '.join(hints)}]"

    @property
    def accept(self) -> typing.List[str]:
        """Response content types in document order, each once."""
        seen: typing.List[str] = []
        for response in self.responses:
            seen += [ct for ct, _ in response.content if ct not in seen]
        return seen


def path_modules(document: dict) -> typing.Dict[str, str]:
    """Each path template -> a unique module name (``api_projects_project_id``)."""
    names: typing.Dict[str, str] = {}
    taken: typing.Set[str] = set()
    for path in document.get("paths") or {}:
        name = module_name(path)
        base, counter = name, 2
        while name in taken:
            name, counter = f"{base}_{counter}", counter + 1
        taken.add(name)
        names[path] = name
    return names


def operations(document: dict) -> typing.List[OperationInfo]:
    """Every operation of the document, in document order."""
    security_default = [next(iter(s)) for s in document.get("security") or [] if s]
    modules = path_modules(document)
    result = []
    for path, item in (document.get("paths") or {}).items():
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            result.append(
                _operation(
                    document,
                    path,
                    modules[path],
                    method,
                    operation,
                    shared,
                    security_default,
                )
            )
    for op in result:
        op.pager = _pager(document, op)
        if op.pager is not None and op.pager.item_use is not None:
            op.uses = sorted({*op.uses, op.pager.item_use})
    for op in result:
        op.waiter = _waiter(document, op, result)
    return result


def _success_schema(document: dict, op: OperationInfo) -> typing.Optional[dict]:
    """The component schema of a GET's 200 body, if it is a reference."""
    if op.method != "get":
        return None
    for response in op.responses:
        if response.status == "200":
            for _, info in response.content:
                if info.model:
                    return document["components"]["schemas"].get(info.model)
    return None


def _resource_name(function: str) -> str:
    return function[len("get_") :] if function.startswith("get_") else function


def _pager(document: dict, op: OperationInfo) -> typing.Optional[PagerInfo]:
    """Paging lists: a page token or offset parameter, and a body with items."""
    query = {p.name for p in op.params_in("query")}
    schema = _success_schema(document, op)
    if schema is None or not query & {"pageToken", "pageOffset"}:
        return None
    properties = schema.get("properties") or {}
    items = properties.get("items") or {}
    if items.get("type") != "array":
        return None
    if not {"nextPageToken", "totalItemCount"} & set(properties):
        return None

    method = f"iter_{_resource_name(op.function)}"
    name = (items.get("items") or {}).get("$ref", "").rsplit("/", 1)[-1]
    if not name:
        return PagerInfo(method, "typing.Any", None)
    return PagerInfo(method, name, (f"{PACKAGE}.model.{module_name(name)}", name))


def _waiter(document, op: OperationInfo, operations) -> typing.Optional[WaiterInfo]:
    """Reads of a resource with a job, whose items list filters by status."""
    schema = _success_schema(document, op)
    if schema is None or "job" not in (schema.get("properties") or {}):
        return None
    items = next(
        (o for o in operations if o.pager is not None and o.path == f"{op.path}/items"),
        None,
    )
    if items is None:
        return None
    status = next((p for p in items.params_in("query") if p.name == "status"), None)
    if status is None:
        return None

    enum = (status.schema.get("items") or {}).get("enum") or []
    module = f"{PACKAGE}.paths.{items.path_module}.{items.method}"
    return WaiterInfo(f"wait_for_{_resource_name(op.function)}", module, list(enum))


def _operation(
    document, path, path_module, method, operation, shared, security_default
):
    operation_id = operation.get("operationId") or f"{method}_{path_module}"
    module = f"{PACKAGE}.paths.{path_module}.{method}"
    resolver = Resolver(document, module, "")
    declared = {
        (p["name"], p["in"]): p for p in [*shared, *(operation.get("parameters") or [])]
    }
    parameters = []
    for parameter in declared.values():
        info = resolver.schema_type(
            parameter.get("schema") or {}, pascal_case(parameter["name"])
        )
        parameters.append(
            ParameterInfo(
                name=parameter["name"],
                location=parameter["in"],
                type=info,
                required=bool(parameter.get("required")) or parameter["in"] == "path",
                description=one_line(parameter.get("description")),
                explode=parameter.get(
                    "explode", parameter.get("style", "form") == "form"
                ),
                schema=parameter.get("schema") or {},
            )
        )

    request_body = operation.get("requestBody") or {}
    body = [
        (content_type, resolver.schema_type(media.get("schema") or {}, "RequestBody"))
        for content_type, media in (request_body.get("content") or {}).items()
    ]
    responses = []
    for status, response in (operation.get("responses") or {}).items():
        status = str(status)
        suffix = "Default" if status == "default" else status
        content = [
            (
                content_type,
                resolver.schema_type(media.get("schema") or {}, f"Response{suffix}"),
            )
            for content_type, media in (response.get("content") or {}).items()
        ]
        headers = [
            ParameterInfo(
                name,
                "header",
                resolver.schema_type(header.get("schema") or {}, pascal_case(name)),
                bool(header.get("required")),
                one_line(header.get("description")),
                False,
            )
            for name, header in (response.get("headers") or {}).items()
        ]
        description = one_line(response.get("description"))
        responses.append(
            ResponseInfo(
                status, f"ApiResponseFor{suffix}", description, content, headers
            )
        )

    security = operation.get("security")
    names = (
        security_default if security is None else [next(iter(s)) for s in security if s]
    )
    function = snake_case(operation_id)
    return OperationInfo(
        operation_id=operation_id,
        method=method,
        path=path,
        path_module=path_module,
        summary=one_line(operation.get("summary")),
        description=one_line(operation.get("description")),
        tag=(operation.get("tags") or ["default"])[0],
        function=function,
        mixin=f"{pascal_case(operation_id)}Operation",
        parameters=parameters,
        body=body,
        body_required=bool(request_body.get("required")),
        responses=responses,
        security=names,
        inline_models=resolver.inline_models,
        uses=sorted(resolver.models_used),
    )
