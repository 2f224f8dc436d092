"""Example scripts for the API docs: complete, importable, and runnable once the
placeholders (credentials, ids) are replaced with real values."""

from __future__ import annotations

import json
import typing

from codegen import spec
from icasdk.schemas import attribute_name

EXAMPLE_UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
EXAMPLE_DATE_TIME = "2026-01-01T00:00:00Z"
MAX_DEPTH = 4


class _Body:
    """Builds a body example as model constructor calls, noting their imports."""

    def __init__(self, document: dict) -> None:
        self.schemas = document.get("components", {}).get("schemas") or {}
        self.imports: typing.Dict[str, str] = {}

    def value(self, schema: dict, name: str, indent: int, depth: int) -> str:
        if "$ref" in schema:
            target_name = schema["$ref"].rsplit("/", 1)[-1]
            return self.model(target_name, self.schemas[target_name], indent, depth)
        kind = schema.get("type")
        if kind == "array":
            item = self.value(schema.get("items") or {}, name, indent + 4, depth)
            pad = " " * (indent + 4)
            return f"[\n{pad}{item},\n{' ' * indent}]"
        if kind == "object" and schema.get("properties"):
            return "{}"
        return json.dumps(_scalar(schema, name))

    def model(self, name: str, schema: dict, indent: int, depth: int) -> str:
        module = f"{spec.PACKAGE}.model.{spec.module_name(name)}"
        self.imports[name] = module
        required = set(schema.get("required") or ())
        pad = " " * (indent + 4)
        lines = []
        for prop_name, prop in (schema.get("properties") or {}).items():
            shown = prop_name in required or (
                depth < MAX_DEPTH and ("$ref" in prop or prop.get("type") == "array")
            )
            if not shown:
                continue
            value = self.value(prop, prop_name, indent + 4, depth + 1)
            lines.append(f"{pad}{attribute_name(prop_name)}={value},\n")
        return f"{name}(\n{''.join(lines)}{' ' * indent})"


def _scalar(schema: dict, name: str) -> object:
    if schema.get("enum"):
        return schema["enum"][0]
    fmt = schema.get("format")
    kind = schema.get("type")
    if fmt == "uuid":
        return EXAMPLE_UUID
    if fmt == "date-time":
        return EXAMPLE_DATE_TIME
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    return f"{name}_example"


def example(
    document: dict, op: spec.OperationInfo, module: str, class_name: str
) -> str:
    """A complete script calling ``op`` through the tag API class."""
    body = _Body(document)
    lines = [
        "import icasdk",
        f"from {spec.PACKAGE}.apis.tags import {module}",
        "from pprint import pprint",
        "",
        "# The host defaults to https://ica.illumina.com/ica/rest; give another",
        "# full URL to reach another region or a local emulator.",
        'configuration = icasdk.Configuration(host="https://ica.illumina.com/ica/rest")',
    ]
    if "ApiKeyAuth" in op.security:
        lines.append('configuration.api_key["ApiKeyAuth"] = "YOUR_API_KEY"')
    if "JwtAuth" in op.security:
        lines.append(
            '# or a JWT: icasdk.Configuration(access_token="YOUR_BEARER_TOKEN")'
        )
    lines += [
        "",
        "with icasdk.ApiClient(configuration) as api_client:",
        f"    api_instance = {module}.{class_name}(api_client)",
    ]
    arguments = []
    for location in ("path", "query", "header"):
        params = op.params_in(location)
        if not params:
            continue
        lines.append(f"    {location}_params = {{")
        for param in params:
            value = json.dumps(_scalar(_param_schema(param), param.name))
            if param.type.json_type.startswith("array"):
                value = f"[{value}]"
            comment = "" if param.required else "# optional: "
            lines.append(f'        {comment}"{param.name}": {value},')
        lines.append("    }")
        arguments.append(f"{location}_params={location}_params")
    if op.body:
        schema_ref = _body_schema(document, op)
        if schema_ref is not None:
            name, schema = schema_ref
            lines.append(f"    body = {body.model(name, schema, 4, 1)}")
        else:
            lines.append("    body = {}")
        arguments.insert(0, "body=body")
    call = f"        api_response = api_instance.{op.function}({', '.join(arguments)})"
    if len(call) > 88:
        inner = "".join(f"            {argument},\n" for argument in arguments)
        call = f"        api_response = api_instance.{op.function}(\n{inner}        )"
    lines += [
        "    try:",
        call,
        "        pprint(api_response.body)",
        "    except icasdk.ApiException as error:",
        f'        print("{op.function} failed: %s" % error)',
    ]
    imports = [
        f"from {module_} import {name}"
        for name, module_ in sorted(body.imports.items())
    ]
    return "\n".join(lines[:2] + imports + lines[2:])


def _param_schema(param: spec.ParameterInfo) -> dict:
    """The parameter's schema (its items' for arrays), for example values."""
    return param.schema.get("items") or param.schema


def _body_schema(
    document: dict, op: spec.OperationInfo
) -> typing.Optional[typing.Tuple[str, dict]]:
    ref = op.body[0][1].model
    schemas = document.get("components", {}).get("schemas") or {}
    if ref and ref in schemas:
        return ref, schemas[ref]
    return None
