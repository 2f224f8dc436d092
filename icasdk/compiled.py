"""Response builders compiled per model: the fast path for what servers send.

A generic walker costs a few method calls per value; a 10,000-item page has
hundreds of thousands of values. So, the first time a model reads a response,
this module writes one Python function for it from its field declarations
(like ``dataclasses`` writes ``__init__``): each field checked inline with the
cheapest test that proves it valid, nested models built by their own compiled
functions. Anything the inline test does not accept is handed to the field's
``Type.convert``, the one authoritative check, which records the mismatch
with its path. The fast path only ever says "valid" for values the generic
path would accept too; the property tests compare the two.

Requests do not come here: users build few, small values, and the generic
path gives them the friendlier handling (Python objects, typo detection).
"""

from __future__ import annotations

import threading
import typing

from icasdk import schemas

_Builder = typing.Callable[[dict, tuple, list], "schemas.Model"]
_ATTRIBUTE = "_compiled_builder"
_LOCK = threading.RLock()
_COMPILING: typing.Set[type] = set()
"""Models whose builder is being written (a cycle meets them again)."""


def builder_for(model: typing.Type[schemas.Model]) -> _Builder:
    """The compiled response builder of ``model``, made on first use.

    Nested models are compiled first, so compiled code can call theirs
    directly. A model met again while it is being compiled (a cycle in the
    definition) gets a stand-in that waits for the real builder.
    """
    built = model.__dict__.get(_ATTRIBUTE)
    if built is not None:
        return built

    with _LOCK:
        if _ATTRIBUTE in model.__dict__:
            return model.__dict__[_ATTRIBUTE]

        def stand_in(data: dict, path: tuple, errors: list):
            # Reached by another thread while this one compiles: the lock
            # waits for the real builder (compiling holds it throughout).
            with _LOCK:
                built = model.__dict__.get(_ATTRIBUTE)
            if built is None or built is stand_in:
                built = builder_for(model)
            return built(data, path, errors)

        setattr(model, _ATTRIBUTE, stand_in)
        _COMPILING.add(model)
        try:
            built = _compile(model)
        except BaseException:
            delattr(model, _ATTRIBUTE)
            raise
        finally:
            _COMPILING.discard(model)
        setattr(model, _ATTRIBUTE, built)
        return built


class _Source:
    """Collects lines of the function and the objects its code refers to."""

    def __init__(self) -> None:
        self.lines: typing.List[str] = []
        self.names: typing.Dict[str, object] = {}

    def constant(self, value: object, stem: str) -> str:
        name = f"{stem}{len(self.names)}"
        self.names[name] = value
        return name

    def add(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)


def _compile(model: typing.Type[schemas.Model]) -> _Builder:
    src = _Source()
    cls = src.constant(model, "CLS")
    src.add(0, "def build(data, path, errors):")
    src.add(1, f"obj = NEW({cls})")
    src.add(1, "UPDATE(obj, data)")
    src.add(1, "present = 0")
    for name, field in model.__fields__.items():
        _field(src, name, field)
    src.add(1, "if present != len(data):")
    src.add(2, f"EXTRAS({cls}, obj, data, path, errors)")
    src.add(1, "return obj")

    namespace: typing.Dict[str, object] = {
        "NEW": dict.__new__,
        "UPDATE": dict.update,
        "SET": dict.__setitem__,
        "MISSING": _MISSING,
        "EXTRAS": _extras,
        "missing": _missing,
        **src.names,
    }
    code = "\n".join(src.lines)
    exec(
        compile(code, f"<icasdk response builder for {model.__name__}>", "exec"),
        namespace,
    )
    return namespace["build"]  # type: ignore[return-value]


def _field(src: _Source, name: str, field: schemas.Field) -> None:
    key = repr(name)
    kind = src.constant(field.type, "T")
    src.add(1, f"v = data.get({key}, MISSING)")
    src.add(1, "if v is MISSING:")
    if field.required:
        src.add(2, f"errors.append(missing(path, {key}))")
    else:
        src.add(2, "pass")
    src.add(1, "else:")
    src.add(2, "present += 1")
    _check(src, 2, field.type, key, kind)


def _check(
    src: _Source, indent: int, kind: schemas.Type, key: str, kind_name: str
) -> None:
    """Code that accepts ``v`` when valid, else hands it to the generic check."""
    slow = f"SET(obj, {key}, {kind_name}.convert(v, (*path, {key}), errors, False))"
    test = _inline_test(src, kind)
    if test is not None:
        src.add(indent, f"if not ({test}):")
        src.add(indent + 1, slow)
        return

    if isinstance(kind, schemas.Ref):
        kind = kind.resolved
    if isinstance(kind, schemas.ModelType):
        build = _nested_builder(src, kind.model)
        src.add(indent, "if v.__class__ is dict:")
        src.add(indent + 1, f"SET(obj, {key}, {build}(v, (*path, {key}), errors))")
        src.add(indent, "elif v is not None:" if kind.nullable else "else:")
        src.add(indent + 1, slow)
        return

    if isinstance(kind, schemas.Array):
        _array(src, indent, kind, key, slow)
        return

    src.add(indent, slow)


def _array(src: _Source, indent: int, kind: schemas.Array, key: str, slow: str) -> None:
    items = kind.items
    if isinstance(items, schemas.Ref):
        items = items.resolved
    constrained = kind.min_items is not None or kind.max_items is not None
    item_test = _inline_test(src, items, "x")
    if constrained or (item_test is None and not isinstance(items, schemas.ModelType)):
        src.add(indent, slow)
        return

    src.add(indent, "if v.__class__ is list:")
    if item_test is not None:
        src.add(indent + 1, "for x in v:")
        src.add(indent + 2, f"if not ({item_test}):")
        src.add(indent + 3, slow)
        src.add(indent + 3, "break")
        src.add(indent + 1, "else:")
        src.add(indent + 2, f"SET(obj, {key}, tuple(v))")
    else:
        build = _nested_builder(src, items.model)
        convert = src.constant(items, "T")
        src.add(indent + 1, f"p = (*path, {key})")
        src.add(
            indent + 1,
            f"SET(obj, {key}, tuple([{build}(x, (*p, i), errors) if x.__class__ is dict "
            f"else {convert}.convert(x, (*p, i), errors, False) for i, x in enumerate(v)]))",
        )
    src.add(indent, "elif v is not None:" if kind.nullable else "else:")
    src.add(indent + 1, slow)


def _inline_test(
    src: _Source, kind: schemas.Type, name: str = "v"
) -> typing.Optional[str]:
    """A Python expression true only for valid values of ``kind``, or None."""
    none_ok = f"{name} is None or " if kind.nullable else ""
    if isinstance(kind, schemas.String):
        if kind.min_length or kind.max_length is not None or kind.pattern is not None:
            return None
        if kind.enum is not None:
            values = src.constant(frozenset(kind.enum), "E")
            return f"{none_ok}({name}.__class__ is str and {name} in {values})"
        if kind.format == "uuid":
            match = src.constant(schemas.is_uuid, "U")
            return f"{none_ok}({name}.__class__ is str and {match}({name}))"
        if kind.format == "date-time":
            check = src.constant(schemas.is_date_time, "D")
            return f"{none_ok}({name}.__class__ is str and {check}({name}))"
        if kind.format in (None, "byte", "password", "email", "binary"):
            return f"{none_ok}{name}.__class__ is str"
        return None
    if isinstance(kind, schemas.Integer) and kind.enum is None:
        return f"{none_ok}({name}.__class__ is int and {kind.low} <= {name} <= {kind.high})"
    if isinstance(kind, schemas.Boolean):
        return f"{none_ok}{name}.__class__ is bool"
    return None


def _nested_builder(src: _Source, model: typing.Type[schemas.Model]) -> str:
    """An expression calling ``model``'s builder, compiled now if need be.

    The compiled function itself when it is ready; inside a cycle of models
    still being compiled, a lookup of the class attribute at call time.
    """
    with _LOCK:
        built = builder_for(model)
        compiling = model in _COMPILING
    if not compiling:
        return src.constant(built, "B")
    name = src.constant(model, "M")
    return f"{name}.{_ATTRIBUTE}"


_MISSING = object()


def _missing(path: tuple, name: str) -> schemas.SchemaError:
    return schemas.SchemaError((*path, name), "required property is missing", True)


def _extras(model, obj, data, path, errors) -> None:
    """Keys the model does not declare: checked as its extra-properties type."""
    additional = model.__additional__
    for key, value in data.items():
        if key in model.__fields__:
            continue
        if additional is not None:
            value = additional.convert(value, (*path, key), errors, False)
        dict.__setitem__(obj, key, value)
