"""The small runtime that validates values and builds model objects.

Generated model modules declare fields with the types below; everything a
model does lives here once. A value travels two ways:

- to the server (``to_request_value`` and model constructors): strict. Every
  problem is collected with its path and raised as one ``ApiTypeError`` or
  ``ApiValueError``; nothing half-built escapes.
- from the server (``from_response``): forgiving. The value is always built
  and kept; what does not match the definition comes back as a list of
  ``SchemaError`` for the caller to log or raise.

A model is an immutable mapping (a ``frozendict``) keyed by the definition's
names and holding JSON values: strings stay strings (a date-time is the text
that arrived), arrays become tuples, nested objects become nested models.
Attributes in snake_case give typed values (``datetime``, ``uuid.UUID``).
"""

from __future__ import annotations

import collections.abc
import datetime
import gc
import json
import keyword
import re
import sys
import typing
import uuid

import frozendict as _frozendict_package

from icasdk.exceptions import SchemaError, shorten, validation_error
from icasdk.formats import FORMAT_CHECKS, parse_date_time

# The format checks stay importable from here, where they used to live.
from icasdk.formats import is_date as is_date
from icasdk.formats import is_date_time as is_date_time
from icasdk.formats import is_uuid as is_uuid


def _dict_based_frozendict() -> type:
    """frozendict's class that subclasses dict, on every Python.

    On CPython 3.6-3.10 the package's default class is a C type that is not a
    dict; models must be dicts (for speed, ``json`` and ``dict(model)``), so
    they build on the package's pure-Python class, which always is one.
    """
    default = _frozendict_package.frozendict
    if issubclass(default, dict):
        return default
    from frozendict import _frozendict_py

    return _frozendict_py.frozendict


if typing.TYPE_CHECKING:
    from frozendict import frozendict as FrozenDict
else:
    FrozenDict = _dict_based_frozendict()
    """The immutable mapping behind models and frozen JSON objects."""

Path = typing.Tuple[typing.Union[str, int], ...]
Errors = typing.List[SchemaError]

INT32_RANGE = (-(2**31), 2**31 - 1)
INT64_RANGE = (-(2**63), 2**63 - 1)

# A mapping key this close to a known name (difflib ratio) is taken for a typo.
NEAR_MISS_CUTOFF = 0.8


class Unset:
    """The marker for a field that is absent (not the same as ``None``)."""

    _instance: typing.Optional[Unset] = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "unset"

    def __reduce__(self) -> str:
        return "unset"


unset = Unset()
_MISSPELT = object()  # stands in for a field whose name the user misspelt


def _describe(value: object) -> str:
    """``str 'fil.1'``: the type name and a shortened repr, for messages."""
    return f"{type(value).__name__} {shorten(value)}"


# --------------------------------------------------------------------------
# Types


class Type:
    """A JSON type with its constraints; subclasses check and convert values."""

    nullable: bool = False

    def convert(self, value: object, path: Path, errors: Errors, request: bool):
        """Check ``value``; return its JSON form, recording problems in ``errors``.

        ``request`` is true for values the user sends: Python objects such as
        ``datetime`` and ``uuid.UUID`` are accepted and turned into JSON, and
        mapping keys are checked for typos. A value that fails is returned
        unchanged, so responses keep what the server sent.
        """
        if value is None:
            if not self.nullable:
                errors.append(
                    SchemaError(path, f"expected {self.expected}, got None", True)
                )
            return None
        return self._convert(value, path, errors, request)

    def _convert(self, value, path: Path, errors: Errors, request: bool):
        raise NotImplementedError

    def to_python(self, value):
        """The attribute form of a stored JSON value (identity by default)."""
        return value

    @property
    def expected(self) -> str:
        """What this type accepts, in words, for messages and docs."""
        raise NotImplementedError

    def _type_error(self, value, path: Path, errors: Errors):
        errors.append(
            SchemaError(path, f"expected {self.expected}, got {_describe(value)}", True)
        )
        return value


class Any(Type):
    """Any JSON value (a schema with no type)."""

    nullable = True

    def _convert(self, value, path, errors, request):
        return _freeze_json(value, path, errors, request)

    @property
    def expected(self) -> str:
        return "any JSON value"


class String(Type):
    """A JSON string, with an optional format, enum, lengths and pattern."""

    def __init__(
        self,
        *,
        format: typing.Optional[str] = None,  # noqa: A002 - the definition's word
        enum: typing.Optional[typing.Sequence[str]] = None,
        min_length: typing.Optional[int] = None,
        max_length: typing.Optional[int] = None,
        pattern: typing.Optional[str] = None,
        nullable: bool = False,
    ) -> None:
        self.format = format
        self.enum = tuple(enum) if enum is not None else None
        self.min_length = min_length
        self.max_length = max_length
        self.pattern = re.compile(pattern) if pattern else None
        self.nullable = nullable
        self.is_plain = not (format or enum or min_length or max_length or pattern)
        """No constraint beyond being a string: checked by type alone."""

    @property
    def expected(self) -> str:
        if self.enum is not None:
            return "one of " + ", ".join(repr(v) for v in self.enum)
        if self.format == "uuid":
            return "a UUID string"
        if self.format == "date-time":
            return "an RFC 3339 date-time string with a time zone"
        if self.format == "date":
            return "a date string (YYYY-MM-DD)"
        if self.format == "binary":
            return "bytes or a binary file"
        if self.format == "uri":
            return "a URI (scheme:... or /path)"
        return "a string"

    def _convert(self, value, path, errors, request):
        if type(value) is not str:
            if not request:
                return self._type_error(value, path, errors)
            value = self._from_python(value, path, errors)
            if type(value) is not str:
                return value

        self.check_text(value, path, errors, request)
        return value

    def _from_python(self, value, path, errors):
        """Turn a Python object the user gave into the string the API wants."""
        fmt = self.format
        if isinstance(value, str):
            # The text itself, whatever the subclass's __str__ says (an Enum's
            # member name, say): that is what is checked and what is sent.
            return str.__str__(value)
        if fmt in ("uuid", None) and isinstance(value, uuid.UUID):
            return str(value)  # ICA's ids are UUIDs, whatever their declared format
        if fmt == "date-time" and isinstance(value, datetime.datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                message = (
                    "expected a time-zone aware datetime, got a naive one "
                    f"({value.isoformat()}); use datetime(..., tzinfo=timezone.utc)"
                )
                errors.append(SchemaError(path, message, False))
                return value
            return value.isoformat()
        if fmt == "date" and isinstance(value, datetime.date):
            if not isinstance(value, datetime.datetime):
                return value.isoformat()
        if fmt == "binary" and isinstance(value, (bytes, bytearray)):
            return value
        return self._type_error(value, path, errors)

    def check_text(self, value: str, path, errors, request) -> None:
        """Record in ``errors`` what is wrong with ``value``, an exact ``str``."""
        if request and not _encodable(value):
            message = f"expected text that can be sent as UTF-8, got {shorten(value)}"
            errors.append(SchemaError(path, message + _SURROGATE_HINT, False))
            return

        if self.enum is not None and value not in self.enum:
            message = f"expected {self.expected}, got {shorten(value)}"
            errors.append(SchemaError(path, message, False))
            return

        format_check = FORMAT_CHECKS.get(self.format)  # type: ignore[arg-type]
        if format_check is not None and not format_check(value):
            message = f"expected {self.expected}, got {shorten(value)}"
            errors.append(SchemaError(path, message, False))

        length = len(value)
        if self.min_length is not None and length < self.min_length:
            message = f"expected at least {self.min_length} characters, got {length}"
            errors.append(SchemaError(path, message, False))
        if self.max_length is not None and length > self.max_length:
            message = f"expected at most {self.max_length} characters, got {length}"
            errors.append(SchemaError(path, message, False))
        if self.pattern is not None and not self.pattern.search(value):
            message = (
                f"expected text matching {self.pattern.pattern!r}, got {shorten(value)}"
            )
            errors.append(SchemaError(path, message, False))

    def to_python(self, value):
        if type(value) is not str:
            return value
        if self.format == "date-time":
            return parse_date_time(value)
        if self.format == "uuid":
            try:
                return uuid.UUID(value)
            except ValueError:
                return value
        if self.format == "date":
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                return value
        return value


_SURROGATE_HINT = " (it holds a lone surrogate, e.g. from a mis-decoded file name)"


def _encodable(text: str) -> bool:
    """False for text with lone surrogates, which UTF-8 cannot carry."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Integer(Type):
    """A JSON integer (never a bool), in the range of its format."""

    def __init__(
        self,
        *,
        format: typing.Optional[str] = None,  # noqa: A002
        minimum: typing.Optional[int] = None,
        maximum: typing.Optional[int] = None,
        enum: typing.Optional[typing.Sequence[int]] = None,
        nullable: bool = False,
    ) -> None:
        self.format = format
        self.minimum = minimum
        self.maximum = maximum
        self.enum = tuple(enum) if enum is not None else None
        self.nullable = nullable
        low, high = INT32_RANGE if format == "int32" else INT64_RANGE
        self.low = low if minimum is None else max(low, minimum)
        self.high = high if maximum is None else min(high, maximum)

    @property
    def expected(self) -> str:
        return f"an integer ({self.format})" if self.format else "an integer"

    def _convert(self, value, path, errors, request):
        if type(value) is not int:
            if isinstance(value, bool) or not isinstance(value, int):
                return self._type_error(value, path, errors)
            value = int(value)

        if not self.low <= value <= self.high:
            message = f"expected an integer from {self.low} to {self.high}, got {value}"
            errors.append(SchemaError(path, message, False))
        elif self.enum is not None and value not in self.enum:
            message = f"expected one of {self.enum}, got {value}"
            errors.append(SchemaError(path, message, False))
        return value


class Number(Type):
    """A JSON number: int or float, never a bool."""

    def __init__(
        self,
        *,
        format: typing.Optional[str] = None,  # noqa: A002
        minimum: typing.Optional[float] = None,
        maximum: typing.Optional[float] = None,
        nullable: bool = False,
    ) -> None:
        self.format = format
        self.minimum = minimum
        self.maximum = maximum
        self.nullable = nullable

    @property
    def expected(self) -> str:
        return "a number"

    def _convert(self, value, path, errors, request):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return self._type_error(value, path, errors)
        if value != value or value in (float("inf"), float("-inf")):
            errors.append(
                SchemaError(path, f"expected a finite number, got {value}", False)
            )
        elif self.minimum is not None and value < self.minimum:
            errors.append(
                SchemaError(
                    path, f"expected at least {self.minimum}, got {value}", False
                )
            )
        elif self.maximum is not None and value > self.maximum:
            errors.append(
                SchemaError(
                    path, f"expected at most {self.maximum}, got {value}", False
                )
            )
        return value


class Boolean(Type):
    """A JSON boolean."""

    def __init__(self, *, nullable: bool = False) -> None:
        self.nullable = nullable

    @property
    def expected(self) -> str:
        return "a boolean"

    def _convert(self, value, path, errors, request):
        if type(value) is not bool:
            return self._type_error(value, path, errors)
        return value


class Array(Type):
    """A JSON array, kept as a tuple. A string is never taken for a list."""

    def __init__(
        self,
        items: Schema,
        *,
        min_items: typing.Optional[int] = None,
        max_items: typing.Optional[int] = None,
        nullable: bool = False,
    ) -> None:
        self._items = items
        self.min_items = min_items
        self.max_items = max_items
        self.nullable = nullable

    @property
    def items(self) -> Type:
        return as_type(self._items)

    @property
    def expected(self) -> str:
        return f"a list of {_plural(self.items.expected)}"

    def _convert(self, value, path, errors, request):
        if type(value) is not list and type(value) is not tuple:
            if not isinstance(value, (list, tuple)):
                return self._type_error(value, path, errors)

        item_type = self.items
        if (
            isinstance(item_type, String)
            and item_type.is_plain
            and all(type(item) is str for item in value)
            and (not request or _encodable("\n".join(value)))
        ):
            # The common case (ids, tags), checked in one pass.
            converted: typing.Tuple = tuple(value)
        else:
            converted = self._convert_each(item_type, value, path, errors, request)

        count = len(converted)
        if self.min_items is not None and count < self.min_items:
            message = f"expected at least {self.min_items} items, got {count}"
            errors.append(SchemaError(path, message, False))
        if self.max_items is not None and count > self.max_items:
            message = f"expected at most {self.max_items} items, got {count}"
            errors.append(SchemaError(path, message, False))
        return converted

    @staticmethod
    def _convert_each(item_type, value, path, errors, request) -> tuple:
        convert = item_type.convert
        return tuple(
            [
                convert(item, (*path, index), errors, request)
                for index, item in enumerate(value)
            ]
        )


class Map(Type):
    """A JSON object with free keys and values of one type (additionalProperties)."""

    def __init__(self, values: Schema, *, nullable: bool = False) -> None:
        self._values = values
        self.nullable = nullable

    @property
    def values(self) -> Type:
        return as_type(self._values)

    @property
    def expected(self) -> str:
        return f"a mapping of strings to {_plural(self.values.expected)}"

    def _convert(self, value, path, errors, request):
        if not isinstance(value, collections.abc.Mapping):
            return self._type_error(value, path, errors)

        convert = self.values.convert
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                message = f"expected string keys, got key {_describe(key)}"
                errors.append(SchemaError(path, message, True))
                continue
            out[key] = convert(item, (*path, key), errors, request)
        return FrozenDict(out)


class Ref(Type):
    """A reference to a model class, imported when first needed.

    Lazy so that importing one model does not import every model it reaches,
    and so that models may refer to each other in cycles.
    """

    def __init__(
        self, module: str, name: str, *, nullable: typing.Optional[bool] = None
    ):
        self.module = module
        self.name = name
        self._nullable = nullable
        self._resolved: typing.Optional[Type] = None

    @property
    def resolved(self) -> Type:
        """The referenced model as a type, importing its module the first time."""
        if self._resolved is None:
            __import__(self.module)
            target = getattr(sys.modules[self.module], self.name)
            if isinstance(target, Type):  # a named non-object schema
                return target
            self._resolved = ModelType(target, self._nullable)
        return self._resolved

    @property
    def model(self) -> typing.Type[Model]:
        resolved = self.resolved
        if not isinstance(resolved, ModelType):
            raise TypeError(f"{self.module}.{self.name} is not a model")
        return resolved.model

    @property
    def nullable(self) -> bool:  # type: ignore[override]
        return self.resolved.nullable

    @property
    def expected(self) -> str:
        return f"a {self.name} (a mapping)"

    def convert(self, value, path, errors, request):
        return self.resolved.convert(value, path, errors, request)


class ModelType(Type):
    """A model class used as a type (a field holding a nested object)."""

    def __init__(
        self, model: typing.Type[Model], nullable: typing.Optional[bool] = None
    ):
        self.model = model
        self.nullable = model.__nullable__ if nullable is None else nullable

    @property
    def expected(self) -> str:
        return f"a {self.model.__name__} (a mapping)"

    def _convert(self, value, path, errors, request):
        model = self.model
        if type(value) is model:
            return value
        if type(value) is dict and not request:
            return builder_for(model)(value, path, errors)
        if not isinstance(value, collections.abc.Mapping):
            return self._type_error(value, path, errors)
        if request:
            value = model._resolve_keys(value, path, errors, from_keywords=False)
        return model._build(value, path, errors, request)


Schema = typing.Union[Type, typing.Type["Model"]]


def as_type(schema: Schema) -> Type:
    """The ``Type`` for a schema given as a Type or a model class."""
    if isinstance(schema, Type):
        return schema
    return schema.__type__


def _plural(expected: str) -> str:
    """'a string' -> 'strings', for 'a list of strings'."""
    for article in ("a ", "an "):
        if expected.startswith(article):
            noun = expected[len(article) :]
            head, _, tail = noun.partition(" ")
            return f"{head}s {tail}".strip()
    return expected


def _freeze_json(value, path: Path, errors: Errors, request: bool):
    """A JSON value made immutable: dicts to frozendicts, lists to tuples."""
    cls = type(value)
    if cls is str and request and not _encodable(value):
        message = f"expected text that can be sent as UTF-8, got {shorten(value)}"
        errors.append(SchemaError(path, message + _SURROGATE_HINT, False))
        return value
    if cls in (str, int, float, bool) or value is None:
        return value
    if isinstance(value, collections.abc.Mapping):
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                message = f"expected string keys, got key {_describe(key)}"
                errors.append(SchemaError(path, message, True))
                continue
            out[key] = _freeze_json(item, (*path, key), errors, request)
        return FrozenDict(out)
    if isinstance(value, (list, tuple)):
        return tuple(
            [
                _freeze_json(item, (*path, i), errors, request)
                for i, item in enumerate(value)
            ]
        )
    if isinstance(value, (str, int, float)):
        return value
    message = f"expected a JSON value, got {_describe(value)}"
    errors.append(SchemaError(path, message, True))
    return value


# --------------------------------------------------------------------------
# Fields and models


class Field:
    """One declared property of a model: the descriptor behind its attribute."""

    __slots__ = ("name", "attribute", "type", "required", "doc")

    def __init__(
        self, name: str, type_: Type, *, required: bool = False, doc: str = ""
    ):
        self.name = name
        self.attribute = ""
        self.type = type_
        self.required = required
        self.doc = doc

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.attribute = attribute

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = dict.get(instance, self.name)
        if value is None:
            return None
        return self.type.to_python(value)

    def __set__(self, instance, value) -> None:
        raise FrozenModelError(
            f"{type(instance).__name__} is immutable; cannot set {self.attribute!r}"
        )

    def __repr__(self) -> str:
        return f"Field({self.name!r}, required={self.required})"


def field(
    name: str, type_: Type, *, required: bool = False, doc: str = ""
) -> typing.Any:
    """Declare a property; typed ``Any`` so the class annotation gives its type."""
    return Field(name, type_, required=required, doc=doc)


class FrozenModelError(AttributeError, TypeError):
    """Raised on any attempt to change a model: models are immutable."""


def snake_case(name: str) -> str:
    """``dataUpdateGroups`` -> ``data_update_groups``, ``addressLine1`` -> ``address_line1``."""
    text = re.sub(r"[^0-9A-Za-z]+", "_", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = text.strip("_").lower() or "field"
    if text[0].isdigit():
        text = f"field_{text}"
    return text


def _normalized(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


class Model(FrozenDict):
    """Base of every generated model: an immutable, validated mapping.

    Build one with keyword arguments (the definition's names or their
    snake_case forms) or with one mapping keyed the same way. Every key must
    be a known name, in nested mappings too: an unknown one is an error that
    suggests the closest name, because a typo (``addUserTags`` for
    ``userTags``) must never silently drop the user's data. The definition
    allows extra properties; send one deliberately with ``_extra={...}``.
    Responses keep whatever the server adds.
    """

    __slots__ = ()

    __fields__: typing.ClassVar[typing.Dict[str, Field]] = {}
    """Declared fields by the definition's name."""
    __aliases__: typing.ClassVar[typing.Dict[str, str]] = {}
    """Definition name and snake_case attribute name -> definition name."""
    __required__: typing.ClassVar[typing.Tuple[str, ...]] = ()
    __nullable__: typing.ClassVar[bool] = False
    __additional__: typing.ClassVar[typing.Optional[Type]] = Any()
    """The type of extra properties; None when the definition forbids them."""
    __type__: typing.ClassVar[ModelType]
    """This model used as a type (for nested fields and declarations)."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        fields = {}
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                if isinstance(value, Field):
                    fields[value.name] = value
        cls.__fields__ = fields
        cls.__aliases__ = {}
        for spec_name, declared in fields.items():
            cls.__aliases__[spec_name] = spec_name
            cls.__aliases__.setdefault(declared.attribute, spec_name)
        cls.__required__ = tuple(name for name, f in fields.items() if f.required)
        cls.__type__ = ModelType(cls)

    def __new__(
        cls,
        *args: typing.Mapping[str, object],
        _extra: typing.Optional[typing.Mapping[str, object]] = None,
        **kwargs: object,
    ):
        if len(args) > 1:
            raise TypeError(
                f"{cls.__name__}() takes at most one mapping, got {len(args)} arguments"
            )
        if args and kwargs:
            raise TypeError(
                f"{cls.__name__}() takes a mapping or keyword arguments, not both"
            )

        errors: Errors = []
        if args:
            if not isinstance(args[0], collections.abc.Mapping):
                message = f"expected a mapping of properties, got {_describe(args[0])}"
                raise validation_error([SchemaError((), message, True)], cls.__name__)
            given = args[0]
        else:
            given = kwargs
        values = cls._resolve_keys(given, (), errors, from_keywords=not args)
        values.update(cls._extra_properties(_extra, errors))
        data = cls._build(values, (), errors, True)
        if errors:
            raise validation_error(errors, cls.__name__)
        return data

    def __init__(self, *args, **kwargs) -> None:
        pass

    # -- building ---------------------------------------------------------

    @classmethod
    def _resolve_keys(
        cls, given, path: Path, errors: Errors, *, from_keywords: bool
    ) -> dict:
        """Map the user's keys to the definition's names; refuse any other key.

        A name the definition does not list is far more often a typo (which
        would silently drop the user's data) than a deliberate extra property,
        so it is an error naming the closest known name; deliberate extras go
        through ``_extra``.
        """
        aliases = cls.__aliases__
        resolved: dict = {}
        for key, value in given.items():
            if type(key) is not str:
                message = f"expected string keys, got key {_describe(key)}"
                errors.append(SchemaError(path, message, True))
                continue

            name = aliases.get(key)
            if name is None:
                suggestion = cls._near_miss(key, loose=from_keywords)
                message = cls._unknown_key_message(key, suggestion)
                errors.append(SchemaError((*path, key), message, True))
                if suggestion is not None:
                    # Reported once as a typo, not again as missing.
                    resolved.setdefault(suggestion, _MISSPELT)
                continue
            if name in resolved and resolved[name] is not _MISSPELT:
                message = (
                    f"{key!r} and another spelling of {name!r} both given; give one"
                )
                errors.append(SchemaError((*path, name), message, True))
                continue
            resolved[name] = value
        return resolved

    @classmethod
    def _near_miss(cls, key: str, *, loose: bool) -> typing.Optional[str]:
        """The known name ``key`` is probably a misspelling of, if any."""
        wanted = _normalized(key)
        for alias, name in cls.__aliases__.items():
            if _normalized(alias) == wanted:
                return name
        cutoff = 0.6 if loose else NEAR_MISS_CUTOFF
        import difflib  # only when there is a typo to explain; it is slow to import

        close = difflib.get_close_matches(
            key, list(cls.__aliases__), n=1, cutoff=cutoff
        )
        return cls.__aliases__[close[0]] if close else None

    @classmethod
    def _extra_properties(cls, extra, errors: Errors) -> dict:
        """The deliberate extra properties given with ``_extra``, checked."""
        if extra is None:
            return {}
        if cls.__additional__ is None:
            message = f"{cls.__name__} allows no extra properties, got _extra"
            errors.append(SchemaError((), message, True))
            return {}
        if not isinstance(extra, collections.abc.Mapping):
            message = f"expected a mapping for _extra, got {_describe(extra)}"
            errors.append(SchemaError((), message, True))
            return {}

        checked = {}
        for key, value in extra.items():
            if type(key) is not str:
                message = f"expected string keys in _extra, got key {_describe(key)}"
                errors.append(SchemaError((), message, True))
            elif key in cls.__aliases__:
                message = (
                    f"{key!r} is a declared property; give it as one, not in _extra"
                )
                errors.append(SchemaError((key,), message, True))
            else:
                checked[key] = value
        return checked

    @classmethod
    def _unknown_key_message(cls, key: str, suggestion: typing.Optional[str]) -> str:
        message = f"{cls.__name__} has no property {key!r}"
        if suggestion is None:
            known = ", ".join(repr(name) for name in cls.__fields__)
            hint = " (send a deliberate extra property with _extra={...})"
            if cls.__additional__ is None:
                hint = ""
            return f"{message}; known properties: {known}{hint}"

        attribute = cls.__fields__[suggestion].attribute
        spellings = repr(suggestion)
        if attribute != suggestion:
            spellings += f" (or {attribute!r})"
        return f"{message}; did you mean {spellings}?"

    @classmethod
    def _build(cls, data: typing.Mapping, path: Path, errors: Errors, request: bool):
        """A model from a mapping keyed by definition names, checking each field."""
        obj = dict.__new__(cls)
        fields = cls.__fields__
        for name in cls.__required__:
            if name not in data:
                errors.append(
                    SchemaError((*path, name), "required property is missing", True)
                )

        for key, value in data.items():
            if value is _MISSPELT:
                continue
            declared = fields.get(key)
            if declared is not None:
                value = declared.type.convert(value, (*path, key), errors, request)
            elif cls.__additional__ is not None:
                value = cls.__additional__.convert(value, (*path, key), errors, request)
            elif request:
                errors.append(
                    SchemaError((*path, key), cls._unknown_key_message(key, None), True)
                )
                continue
            dict.__setitem__(obj, key, value)
        return obj

    # -- reading ----------------------------------------------------------

    def get_item_oapg(self, name: str):
        """The stored value for a definition name, or ``unset`` when absent."""
        return dict.get(self, name, unset)

    def to_dict(self) -> dict:
        """A plain, mutable copy: dicts and lists, ready for ``json.dumps``."""
        return _thaw(self)

    def to_json(self, **kwargs) -> str:
        """The JSON text of this model; keyword arguments go to ``json.dumps``."""
        return json.dumps(_thaw(self), **kwargs)

    # -- immutability and identity ----------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenModelError(
            f"{type(self).__name__} is immutable; cannot set {name!r}"
        )

    def __delattr__(self, name: str) -> None:
        raise FrozenModelError(
            f"{type(self).__name__} is immutable; cannot delete {name!r}"
        )

    def __setitem__(self, key, value) -> None:
        raise FrozenModelError(
            f"{type(self).__name__} is immutable; cannot set [{key!r}]"
        )

    def __delitem__(self, key) -> None:
        raise FrozenModelError(
            f"{type(self).__name__} is immutable; cannot delete [{key!r}]"
        )

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(dict.items(self)))

    def set(self, key: str, value: object):
        """A validated copy with one property changed (models never change)."""
        return self._copy_with({**self, key: value})

    def delete(self, key: str):
        """A validated copy without one property."""
        return self._copy_with({name: v for name, v in self.items() if name != key})

    def _copy_with(self, data: typing.Mapping[str, object]):
        fields = self.__fields__
        declared = {k: v for k, v in data.items() if k in fields}
        extra = {k: v for k, v in data.items() if k not in fields}
        return type(self)(declared, _extra=extra or None)

    def __reduce__(self):
        return (_rebuild, (type(self), _thaw(self)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def _rebuild(cls: typing.Type[Model], data: dict) -> Model:
    """Unpickle: build again from plain data, forgiving like a response."""
    value, _ = from_response(cls, data)
    return value


def _thaw(value):
    """Frozen JSON (models, frozendicts, tuples) back to plain dicts and lists."""
    if isinstance(value, dict):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_thaw(item) for item in value]
    return value


# --------------------------------------------------------------------------
# The entry points the client uses


def to_request_value(schema: Schema, value: object, path: Path = ()):
    """Validate a value the user sends and return its JSON-ready form.

    Raises ``ApiTypeError`` or ``ApiValueError`` listing every problem.
    """
    errors: Errors = []
    converted = as_type(schema).convert(value, path, errors, True)
    if errors:
        name = schema.__name__ if isinstance(schema, type) else ""
        raise validation_error(errors, name)
    return converted


def from_response(
    schema: Schema, value: object, *, consume: bool = False
) -> typing.Tuple[object, Errors]:
    """Build a value the server sent; never raises for data that mismatches.

    Returns the value (models keep every field, even mismatching ones) and the
    list of mismatches, each with its path. A value nested too deep for Python
    to walk raises ``ApiValueError``: there is nothing sensible to keep.

    ``value`` is left as it was, unless ``consume=True`` hands it over: then
    its dicts are reused while building, which saves copying each one, and
    they are left changed. The client consumes the documents it parses.
    Consume only a document as ``json.loads`` returns it, where no dict or
    list appears twice: a dict met a second time has already been built
    into, so it would be taken as it now is, not checked again.
    """
    errors: Errors = []
    # Building makes many objects and no cycles; the cyclic garbage collector
    # would only rescan them again and again, so it rests meanwhile.
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        if not consume:
            value = _copy_containers(value)
        converted = as_type(schema).convert(value, (), errors, False)
    except RecursionError:
        message = "the value is nested too deeply to read (a hostile or broken body?)"
        raise validation_error([SchemaError((), message, False)]) from None
    finally:
        if collecting:
            gc.enable()
    return converted, errors


def _copy_containers(value: object) -> object:
    """A copy of ``value`` in which builders may change any dict they reach.

    Every mapping but a model becomes a new dict and every list or tuple a
    new one of its kind, at every depth, so that no dict of the caller's is
    reachable: a dict inside a tuple or an ``OrderedDict`` would otherwise be
    built into, as a plain one is. Models are immutable, so they are kept.
    """
    cls = type(value)
    if cls is dict:
        return {key: _copy_containers(item) for key, item in value.items()}
    if cls is list:
        return [_copy_containers(item) for item in value]
    if cls is tuple:
        return tuple([_copy_containers(item) for item in value])
    if isinstance(value, (str, bytes, int, float, Model)) or value is None:
        return value
    if isinstance(value, collections.abc.Mapping):
        return {key: _copy_containers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_containers(item) for item in value]
    if isinstance(value, tuple):
        return tuple([_copy_containers(item) for item in value])
    return value


def dumps(value: object) -> bytes:
    """The compact JSON encoding of a value, models included.

    Models are dicts and arrays tuples, which ``json`` writes as they are, so
    nothing is copied first. The text is ASCII (other characters escaped).
    """
    return json.dumps(value, separators=(",", ":")).encode("ascii")


def attribute_name(spec_name: str, reserved: typing.Container[str] = ()) -> str:
    """The snake_case attribute for a definition name, clear of reserved words.

    A name that is a Python keyword or a mapping/model method (``items``,
    ``keys``, ``from``) gets a trailing underscore: ``items_``.
    """
    name = snake_case(spec_name)
    if keyword.iskeyword(name) or name in RESERVED_ATTRIBUTES or name in reserved:
        name += "_"
    return name


RESERVED_ATTRIBUTES = frozenset(dir(Model)) | {"self", "cls"}


# The compiled fast path for responses; imported last, as it builds on this module.
from icasdk.compiled import builder_for  # noqa: E402
