"""Response builders compiled per model: the fast path for what servers send.

A generic walker costs a few method calls per value; a 10,000-item page has
hundreds of thousands of values. So, the first time a model reads a response,
this module writes one Python function for it from its field declarations
(like ``dataclasses`` writes ``__init__``): each field checked inline with the
cheapest test that proves it valid, and small nested models built inline too,
so that an item with a few nested objects costs one call, not one per object.
Anything an inline test does not accept is handed to the field's
``Type.convert``, the one authoritative check, which records the mismatch
with its path. The fast path only ever says "valid" for values the generic
path would accept too; the property tests compare the two.

Paths are built only when a mismatch is recorded: the code carries the
parts it would need (the caller's path, an array index, the keys inlined so
far) and joins them on the slow branch alone.

A builder writes its checked values (nested models, tuples for arrays) back
into the dicts it is given before copying each into its model: a store into
a dict costs far less than one into a model, which must go around the
model's immutability. So builders own their input: ``schemas.from_response``
hands them the client's freshly parsed documents, and a copy of anything else.

Requests do not come here: users build few, small values, and the generic
path gives them the friendlier handling (Python objects, typo detection).
"""

from __future__ import annotations

import threading
import typing

_Builder = typing.Callable[..., "schemas.Model"]
_LOCK = threading.RLock()
_COMPILING: typing.Set[typing.Tuple[type, str]] = set()
"""(model, variant attribute) pairs being written (a cycle meets them again)."""

_INLINE_DEPTH = 3
"""How many levels of nested models one function builds inline.

Deeper models, and a model met again inside itself, get a call to their own
function instead: the code stays small and a recursive definition finite.
"""


class _Variant(typing.NamedTuple):
    """One calling convention of the compiled builders."""

    attribute: str
    parameters: str
    path: str
    """The expression parts that make up the built value's path."""


PLAIN = _Variant("_compiled_builder", "data, path, errors", "*path")
"""``build(data, path, errors)``: a value at ``path``."""
ARRAY_ITEM = _Variant(
    "_compiled_item_builder", "data, base, index, errors", "*base, index"
)
"""``build(data, base, index, errors)``: item ``index`` of the array at
``base``, so that an array of 10,000 models builds no path per item."""


def builder_for(
    model: typing.Type[schemas.Model], variant: _Variant = PLAIN
) -> _Builder:
    """The compiled response builder of ``model``, made on first use.

    A model met again while it is being compiled (a cycle in the definition)
    gets a stand-in that waits for the real builder.
    """
    built = model.__dict__.get(variant.attribute)
    if built is not None:
        return built

    with _LOCK:
        if variant.attribute in model.__dict__:
            return model.__dict__[variant.attribute]

        def stand_in(*arguments):
            # Reached by another thread while this one compiles: the lock
            # waits for the real builder (compiling holds it throughout).
            with _LOCK:
                built = model.__dict__.get(variant.attribute)
            if built is None or built is stand_in:
                built = builder_for(model, variant)
            return built(*arguments)

        setattr(model, variant.attribute, stand_in)
        _COMPILING.add((model, variant.attribute))
        try:
            built = _compile(model, variant)
        except BaseException:
            delattr(model, variant.attribute)
            raise
        finally:
            _COMPILING.discard((model, variant.attribute))
        setattr(model, variant.attribute, built)
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


class _Place(typing.NamedTuple):
    """Where generated code stands: one model being built, at some depth."""

    indent: int
    level: int
    """Nesting depth; names the level's variables (``o1``, ``v1``, ...)."""
    data: str
    """The variable holding the parsed dict of this model."""
    path: typing.Tuple[str, ...]
    """Expression parts of this model's path, joined only on the slow branch."""
    chain: typing.Tuple[type, ...]
    """The models being built inline around this one, outermost first."""

    @property
    def obj(self) -> str:
        return f"o{self.level}"

    @property
    def value(self) -> str:
        return f"v{self.level}"

    def path_of(self, *keys: str) -> str:
        return "(" + ", ".join((*self.path, *keys)) + ",)"


def _compile(model: typing.Type[schemas.Model], variant: _Variant) -> _Builder:
    src = _Source()
    src.add(0, f"def build({variant.parameters}):")
    _model(src, model, _Place(1, 0, "data", (variant.path,), (model,)))
    src.add(1, "return o0")

    namespace: typing.Dict[str, object] = {
        "NEW": dict.__new__,
        "UPDATE": dict.update,
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


def _model(src: _Source, model: typing.Type[schemas.Model], at: _Place) -> None:
    """Code that leaves the model built from ``at.data`` in ``at.obj``.

    Checked values that change (nested models, arrays as tuples) are written
    back into the parsed dict, a cheap store, and the model is made from the
    dict at the end with one copy.
    """
    cls = src.constant(model, "CLS")
    absent = f"a{at.level}"
    src.add(at.indent, f"{absent} = 0")
    for name, field in model.__fields__.items():
        key = repr(name)
        # Counting the absent fields, not the present ones, keeps the common
        # case (every field sent) to no counting at all.
        when_missing = [f"{absent} += 1"]
        if field.required:
            when_missing.append(f"errors.append(missing({at.path_of()}, {key}))")
        src.add(at.indent, f"{at.value} = {at.data}.get({key}, MISSING)")
        _check(src, at, field.type, key, when_missing)
    # Keys beyond the declared ones are the server's additions: kept, and
    # checked as the model's extra-properties type.
    src.add(at.indent, f"if len({at.data}) + {absent} != {len(model.__fields__)}:")
    src.add(at.indent + 1, f"EXTRAS({cls}, {at.data}, {at.path_of()}, errors)")
    src.add(at.indent, f"{at.obj} = NEW({cls})")
    src.add(at.indent, f"UPDATE({at.obj}, {at.data})")


def _check(
    src: _Source,
    at: _Place,
    kind: schemas.Type,
    key: str,
    when_missing: typing.List[str],
) -> None:
    """Code that accepts ``at.value`` when valid, else hands it to the generic check.

    The value is ``MISSING`` when the key is absent. A valid value is tested
    first, so the common case pays for no absence test; ``when_missing``
    runs only once a value has failed its test.
    """
    v, data = at.value, at.data
    kind_name = src.constant(kind, "T")
    slow = f"{data}[{key}] = {kind_name}.convert({v}, {at.path_of(key)}, errors, False)"

    def missing_else_slow(indent: int, first: str, last: str) -> None:
        src.add(indent, f"{first} {v} is MISSING:")
        for line in when_missing:
            src.add(indent + 1, line)
        src.add(indent, last)
        src.add(indent + 1, slow)

    test = _inline_test(src, kind, v)
    if test is not None:
        src.add(at.indent, f"if not ({test}):")
        missing_else_slow(at.indent + 1, "if", "else:")
        return

    if isinstance(kind, schemas.Ref):
        kind = kind.resolved
    not_null = f"elif {v} is not None:" if kind.nullable else "else:"
    if isinstance(kind, schemas.ModelType):
        src.add(at.indent, f"if type({v}) is dict:")
        _nested(src, at._replace(indent=at.indent + 1), kind.model, key)
        missing_else_slow(at.indent, "elif", not_null)
        return

    if isinstance(kind, schemas.Array) and _array(src, at, kind, key, slow):
        missing_else_slow(at.indent, "elif", not_null)
        return

    missing_else_slow(at.indent, "if", "else:")


def _nested(
    src: _Source, at: _Place, model: typing.Type[schemas.Model], key: str
) -> None:
    """Code that sets ``key`` to the nested model built from the dict in ``at.value``."""
    if at.level + 1 <= _INLINE_DEPTH and model not in at.chain:
        inner = _Place(
            at.indent, at.level + 1, at.value, (*at.path, key), (*at.chain, model)
        )
        _model(src, model, inner)
        src.add(at.indent, f"{at.data}[{key}] = {inner.obj}")
        return
    build = _nested_builder(src, model, PLAIN)
    src.add(
        at.indent, f"{at.data}[{key}] = {build}({at.value}, {at.path_of(key)}, errors)"
    )


def _array(src: _Source, at: _Place, kind: schemas.Array, key: str, slow: str) -> bool:
    """The ``if`` branch for a list checked inline; False if none is written."""
    items = kind.items
    if isinstance(items, schemas.Ref):
        items = items.resolved
    constrained = kind.min_items is not None or kind.max_items is not None
    item_test = _inline_test(src, items, "x")
    if constrained or (item_test is None and not isinstance(items, schemas.ModelType)):
        return False

    v, data = at.value, at.data
    src.add(at.indent, f"if type({v}) is list:")
    if item_test is not None:
        src.add(at.indent + 1, f"for x in {v}:")
        src.add(at.indent + 2, f"if not ({item_test}):")
        src.add(at.indent + 3, slow)
        src.add(at.indent + 3, "break")
        src.add(at.indent + 1, "else:")
        src.add(at.indent + 2, f"{data}[{key}] = tuple({v})")
        return True

    build = _nested_builder(src, items.model, ARRAY_ITEM)
    convert = src.constant(items, "T")
    src.add(at.indent + 1, f"p = {at.path_of(key)}")
    src.add(
        at.indent + 1,
        f"{data}[{key}] = tuple([{build}(x, p, i, errors) if type(x) is dict "
        f"else {convert}.convert(x, (*p, i), errors, False) "
        f"for i, x in enumerate({v})])",
    )
    return True


def _inline_test(src: _Source, kind: schemas.Type, name: str) -> typing.Optional[str]:
    """A Python expression true only for valid values of ``kind``, or None."""
    none_ok = f"{name} is None or " if kind.nullable else ""
    if isinstance(kind, schemas.String):
        tests = [f"type({name}) is str"]
        if kind.enum is not None:
            tests.append(f"{name} in {src.constant(frozenset(kind.enum), 'E')}")
        format_check = schemas.FORMAT_CHECKS.get(kind.format)  # type: ignore[arg-type]
        if format_check is not None:
            # The remembered texts are looked up inline: for the ids and time
            # stamps a server repeats, no call is made at all.
            check = src.constant(format_check, "F")
            passed = getattr(format_check, "passed", None)  # a plain test has none
            if passed is None:
                tests.append(f"{check}({name})")
            else:
                passed_name = src.constant(passed, "K")
                tests.append(f"({name} in {passed_name} or {check}({name}))")
        low = f"{kind.min_length} <= " if kind.min_length else ""
        high = f" <= {kind.max_length}" if kind.max_length is not None else ""
        if low or high:
            tests.append(f"{low}len({name}){high}")
        if kind.pattern is not None:
            tests.append(f"{src.constant(kind.pattern.search, 'P')}({name})")
        return f"{none_ok}({' and '.join(tests)})"
    if isinstance(kind, schemas.Integer) and kind.enum is None:
        return f"{none_ok}(type({name}) is int and {kind.low} <= {name} <= {kind.high})"
    if isinstance(kind, schemas.Boolean):
        return f"{none_ok}type({name}) is bool"
    return None


def _nested_builder(
    src: _Source, model: typing.Type[schemas.Model], variant: _Variant
) -> str:
    """An expression naming ``model``'s builder, compiled now if need be.

    The compiled function itself when it is ready; inside a cycle of models
    still being compiled, a lookup of the class attribute at call time.
    """
    with _LOCK:
        built = builder_for(model, variant)
        compiling = (model, variant.attribute) in _COMPILING
    if not compiling:
        return src.constant(built, "B")
    name = src.constant(model, "M")
    return f"{name}.{variant.attribute}"


_MISSING = object()


def _missing(path: tuple, name: str) -> schemas.SchemaError:
    return schemas.SchemaError((*path, name), "required property is missing", True)


def _extras(model, data, path, errors) -> None:
    """Keys the model does not declare: checked as its extra-properties type."""
    additional = model.__additional__
    if additional is None:
        return
    for key, value in data.items():
        if key not in model.__fields__:
            # Replaces the value of a key already there: the dict keeps its
            # size, so iterating on is safe.
            data[key] = additional.convert(value, (*path, key), errors, False)


# Last, not first: ``schemas`` imports ``builder_for`` from here when it is
# loaded, so this module must have defined it by then, whichever of the two
# a program imports first. Everything here uses ``schemas`` only when called.
from icasdk import schemas  # noqa: E402
