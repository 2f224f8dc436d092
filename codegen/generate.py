"""Write icasdk's generated modules and docs from an OpenAPI 3.0 document.

    python -m codegen [--spec FILE] [--out DIR]

Output goes under ``DIR`` (the repository root by default): ``icasdk/model``,
``icasdk/models``, ``icasdk/paths``, ``icasdk/apis`` and ``docs/``. The same
document always gives the same bytes. Generated folders are emptied first, so
nothing stale survives a regeneration.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import textwrap
import typing

import jinja2

from codegen import examples, spec
from codegen.pyexpr import WIDTH, Call, Literal, literal, render

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "icasdk" / "spec" / "ica-data-update-batch.openapi.json"
GENERATED_DIRS = ("icasdk/model", "icasdk/models", "icasdk/paths", "icasdk/apis")
GENERATED_DOCS = ("docs/models", "docs/apis", "docs/README.md")


def field_line(field: spec.FieldInfo) -> str:
    call = Call(f"{field.attribute}: {field.hint} = schemas.field")
    call.args += [("", literal(field.name)), ("", field.type.expression)]
    if field.required:
        call.keyword("required", "True")
    return render(call, 4)


def parameter_call(parameter: spec.ParameterInfo) -> str:
    call = Call("Parameter", literal(parameter.name), literal(parameter.location))
    call.args.append(("", parameter.type.expression))
    if parameter.required:
        call.keyword("required", "True")
    if parameter.location == "query" and not parameter.explode:
        call.keyword("explode", "False")
    return render(call, 8)


def import_line(module: str, name: str, indent: int = 0) -> str:
    """``from module import name``, parenthesized when too long for a line."""
    pad = " " * indent
    line = f"{pad}from {module} import {name}"
    if len(line) <= WIDTH:
        return line
    return f"{pad}from {module} import (\n{pad}    {name},\n{pad})"


def wrap_hint(head: str, hints: typing.Sequence[str], indent: int, tail: str) -> str:
    """``head: Union[a, b]tail``, one hint a line when too long."""
    pad = " " * indent
    if len(hints) == 1:
        return f"{pad}{head}{hints[0]}{tail}"
    line = f"{pad}{head}typing.Union[{', '.join(hints)}]{tail}"
    if len(line) <= WIDTH:
        return line
    inner = "".join(f"{pad}    {hint},\n" for hint in hints)
    return f"{pad}{head}typing.Union[\n{inner}{pad}]{tail}"


def wrap_text(text: str, indent: int) -> str:
    """Docstring text wrapped to the line width at ``indent``, quotes escaped."""
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if text.endswith('"'):
        text = text[:-1] + '\\"'
    lines = textwrap.wrap(
        text, WIDTH - indent - 6, break_on_hyphens=False, break_long_words=False
    )
    return f"\n{' ' * indent}".join(lines)


def type_doc(info: spec.TypeInfo) -> str:
    """A type for a docs table, linking models."""
    if info.model and info.json_type == "object":
        return f"[**{info.model}**](../models/{info.model}.md)"
    if info.model:
        prefix = info.json_type.replace(info.model, "")
        return f"{prefix}[**{info.model}**](../models/{info.model}.md)"
    return info.json_type or "any"


def notes_doc(field: spec.FieldInfo) -> str:
    notes = [field.type.notes] if field.type.notes else []
    if field.nullable:
        notes.append("nullable")
    return "; ".join(notes)


def _imports(
    hints: typing.Iterable[str], uses_typing: bool, third_party: typing.Sequence[str] = ()
) -> str:
    """The import block (standard library, then third party) the hints need."""
    text = " ".join(hints)
    standard = [
        f"import {module}"
        for module in ("datetime", "functools", "typing", "uuid")
        if f"{module}." in text or (module == "typing" and uses_typing)
    ]
    groups = [lines for lines in (standard, list(third_party)) if lines]
    return "\n\n".join("\n".join(lines) for lines in groups)


class Generator:
    """Renders every file for one document into ``out``."""

    def __init__(self, document: dict, out: pathlib.Path, source: str) -> None:
        self.document = document
        self.out = out
        self.source = source
        loader = jinja2.FileSystemLoader(
            str(pathlib.Path(__file__).parent / "templates")
        )
        self.env = jinja2.Environment(
            loader=loader,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
            autoescape=False,
        )
        self.env.globals.update(
            field_line=field_line,
            parameter_call=parameter_call,
            type_doc=type_doc,
            notes_doc=notes_doc,
            render=render,
            literal=literal,
            Literal=Literal,
            wrap_text=wrap_text,
            import_line=import_line,
            wrap_hint=wrap_hint,
            source=source,
            package=spec.PACKAGE,
        )
        self.env.policies["json.dumps_kwargs"] = {
            "sort_keys": True,
            "ensure_ascii": False,
        }

    def write(self, relative: str, template: str, **context: object) -> None:
        text = self.env.get_template(template).render(**context)
        text = "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"
        text = re.sub(r"\n{4,}", "\n\n\n", text)
        target = self.out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))

    def run(self) -> None:
        for relative in (*GENERATED_DIRS, *GENERATED_DOCS):
            path = self.out / relative
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()

        modules = spec.component_modules(self.document)
        operations = spec.operations(self.document)
        self.write_models(modules)
        self.write_operations(operations)
        self.write_docs(modules, operations)

    def write_models(self, modules: typing.List[dict]) -> None:
        doc = "One module per component schema of the definition."
        self.write("icasdk/model/__init__.py", "package_init.py.j2", doc=doc)
        for module in modules:
            main = module["main"]
            alias = isinstance(main, spec.AliasInfo)
            models = module["inline"] + ([] if alias else [main])
            hints = [f.hint for m in models for f in m.fields]
            hints += [main.type.hint] if alias else []
            self.write(
                f"icasdk/model/{module['file']}.py",
                "model.py.j2",
                main=main,
                alias=alias,
                models=models,
                uses=module["uses"],
                imports=_imports(hints, bool(module["uses"])),
            )
        by_module = sorted(modules, key=lambda m: m["module"])
        self.write("icasdk/models/__init__.py", "models_init.py.j2", modules=by_module)

    def write_operations(self, operations: typing.List[spec.OperationInfo]) -> None:
        self.write(
            "icasdk/paths/__init__.py",
            "package_init.py.j2",
            doc="One package per path.",
        )
        self.write("icasdk/apis/__init__.py", "package_init.py.j2", doc="API classes.")
        self.write(
            "icasdk/apis/tags/__init__.py",
            "package_init.py.j2",
            doc="One API class per tag.",
        )
        self.write(
            "icasdk/apis/paths/__init__.py",
            "package_init.py.j2",
            doc="One API class per path.",
        )
        by_path: typing.Dict[str, typing.List[spec.OperationInfo]] = {}
        by_tag: typing.Dict[str, typing.List[spec.OperationInfo]] = {}
        for op in operations:
            by_path.setdefault(op.path_module, []).append(op)
            by_tag.setdefault(op.tag, []).append(op)
            hints = [p.key_hint for p in op.parameters] + [op.body_hint]
            hints += ["functools."] if op.waiter else []
            hints += [r.body_hint for r in op.responses]
            hints += [f.hint for m in op.inline_models for f in m.fields]
            self.write(
                f"icasdk/paths/{op.path_module}/{op.method}.py",
                "operation.py.j2",
                op=op,
                models=op.inline_models,
                uses=op.uses,
                imports=_imports(hints, True),
            )

        for path_module, ops in by_path.items():
            doc = f"The operations on {ops[0].path}."
            self.write(
                f"icasdk/paths/{path_module}/__init__.py", "package_init.py.j2", doc=doc
            )
            self.write(
                f"icasdk/apis/paths/{path_module}.py",
                "path_api.py.j2",
                class_name=spec.pascal_case(path_module),
                path=ops[0].path,
                ops=ops,
            )
        for tag, ops in by_tag.items():
            self.write(
                f"icasdk/apis/tags/{spec.module_name(tag)}_api.py",
                "tag_api.py.j2",
                class_name=f"{spec.pascal_case(tag)}Api",
                tag=tag,
                ops=ops,
            )

    def write_docs(self, modules, operations) -> None:
        models = [m["main"] for m in modules if isinstance(m["main"], spec.ModelInfo)]
        models += [inline for m in modules for inline in m["inline"]]
        for model in models:
            self.write(f"docs/models/{model.name}.md", "model.md.j2", model=model)

        servers = self.document.get("servers") or [{"url": "/"}]
        tags = []
        for tag in dict.fromkeys(op.tag for op in operations):
            ops = [op for op in operations if op.tag == tag]
            class_name = f"{spec.pascal_case(tag)}Api"
            module = f"{spec.module_name(tag)}_api"
            samples = {
                op.operation_id: examples.example(self.document, op, module, class_name)
                for op in ops
            }
            self.write(
                f"docs/apis/tags/{class_name}.md",
                "tag_api.md.j2",
                ops=ops,
                class_name=class_name,
                module=module,
                server=servers[0]["url"],
                examples=samples,
            )
            tags.append({"class_name": class_name, "ops": ops})
        title = (self.document.get("info") or {}).get("title", "API")
        self.write(
            "docs/README.md", "docs_readme.md.j2", tags=tags, models=models, title=title
        )


def main(argv: typing.Optional[typing.Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--spec", type=pathlib.Path, default=DEFAULT_SPEC)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT)
    args = parser.parse_args(argv)

    document = spec.load(args.spec)
    Generator(document, args.out, args.spec.name).run()
    return 0
