"""Property tests: values generated from the definition itself.

Any JSON value valid for a component schema builds its model, and the model's
plain form equals the input; any invalid change to one field of it is refused
with a path that points at that field.
"""

from __future__ import annotations

import datetime
import importlib
import json
import pathlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icasdk import schemas
from icasdk.exceptions import ApiTypeError, ApiValueError
from icasdk.schemas import from_response, snake_case

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPEC = ROOT / "icasdk" / "spec" / "ica-data-update-batch.openapi.json"
DOCUMENT = json.loads(SPEC.read_text(encoding="utf-8"))
SCHEMAS = DOCUMENT["components"]["schemas"]
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def model_class(name: str):
    return getattr(importlib.import_module(f"icasdk.model.{snake_case(name)}"), name)


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def date_times():
    moments = st.datetimes(min_value=datetime.datetime(1970, 1, 1))
    zones = st.sampled_from(["Z", "+00:00", "-05:30", "+01:00"])
    fractions = st.sampled_from(["", ".1", ".123456", ".123456789"])
    return st.builds(
        lambda moment, fraction, zone: (
            moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + zone
        ),
        moments,
        fractions,
        zones,
    )


def valid(schema: dict, depth: int = 0, nullable_ok: bool = True) -> st.SearchStrategy:
    """Values the definition accepts for ``schema``."""
    target = resolve(schema)
    strategy = _valid_non_null(target, depth)
    if target.get("nullable") and nullable_ok:
        return st.one_of(st.none(), strategy)
    return strategy


def _valid_non_null(schema: dict, depth: int) -> st.SearchStrategy:
    kind = schema.get("type")
    if "enum" in schema:
        return st.sampled_from([v for v in schema["enum"] if v is not None])
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "uuid":
            return st.uuids().map(str)
        if fmt == "date-time":
            return date_times()
        if fmt == "uri":
            return st.sampled_from(
                ["about:blank", "https://ica.illumina.com/x", "/api/x"]
            )
        low = schema.get("minLength", 0)
        high = min(schema.get("maxLength", 12), low + 12)
        return st.text(min_size=low, max_size=high)
    if kind == "integer":
        low = schema.get(
            "minimum", -(2**31) if schema.get("format") == "int32" else -(2**63)
        )
        high = 2**31 - 1 if schema.get("format") == "int32" else 2**63 - 1
        return st.integers(min_value=low, max_value=high)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(valid(schema.get("items") or {}, depth + 1), max_size=3)
    if kind == "object" and not schema.get("properties"):
        values = schema.get("additionalProperties") or {"type": "string"}
        return st.dictionaries(
            st.text(max_size=8), valid(values, depth + 1), max_size=3
        )
    return _object(schema, depth)


def _object(schema: dict, depth: int) -> st.SearchStrategy:
    required = set(schema.get("required") or ())
    properties = schema.get("properties") or {}
    # Deep optional objects are left out sometimes so the values stay small.
    optional_allowed = depth < 3
    fields = {}
    for name, prop in properties.items():
        if name in required:
            fields[name] = valid(prop, depth + 1)
        elif optional_allowed:
            fields[name] = st.one_of(st.just(_ABSENT), valid(prop, depth + 1))
    return st.fixed_dictionaries(fields).map(
        lambda data: {k: v for k, v in data.items() if v is not _ABSENT}
    )


_ABSENT = object()


def invalid_replacement(schema: dict) -> list:
    """Values that break ``schema`` (wrong type or bad value), with their kind."""
    target = resolve(schema)
    kind = target.get("type")
    bad = [] if target.get("nullable") else [None]
    if "enum" in target:
        return bad + ["NOT_IN_THE_ENUM", 12]
    if kind == "string":
        fmt = target.get("format")
        extra = {"uuid": ["not-a-uuid"], "date-time": ["2026-01-01T00:00:00"]}.get(
            fmt, []
        )
        if "minLength" in target and target["minLength"] > 0:
            extra.append("")
        if "maxLength" in target:
            extra.append("x" * (target["maxLength"] + 1))
        return bad + [5, ["list"]] + extra
    if kind == "integer":
        return bad + ["7", True, 1.5, 2**64]
    if kind == "boolean":
        return bad + ["true", 1]
    if kind == "array":
        return bad + ["a string", {"a": 1}]
    return bad + ["a string", 3, ["list"]]


def field_paths(value, schema: dict, path=()):
    """Every (path, schema) of a declared field present in ``value``."""
    target = resolve(schema)
    if isinstance(value, dict) and target.get("properties"):
        for name, prop in target["properties"].items():
            if name in value:
                yield (*path, name), prop
                yield from field_paths(value[name], prop, (*path, name))
    elif isinstance(value, list) and target.get("type") == "array":
        for index, item in enumerate(value):
            item_schema = target.get("items") or {}
            if resolve(item_schema).get("properties"):
                yield from field_paths(item, item_schema, (*path, index))


def replaced(value, path, new):
    if not path:
        return new
    copy = list(value) if isinstance(value, list) else dict(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_valid_values_round_trip(name):
    """A valid value builds the model; its plain form equals the input."""
    model = model_class(name)

    @SETTINGS
    @given(valid(SCHEMAS[name], nullable_ok=False))
    def check(value):
        built = model(value)
        assert built.to_dict() == value
        assert json.loads(built.to_json()) == value

    check()


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_invalid_changes_are_refused_at_their_path(name):
    """Breaking one field of a valid value is refused, naming that field's path."""
    model = model_class(name)

    @SETTINGS
    @given(valid(SCHEMAS[name], nullable_ok=False), st.data())
    def check(value, data):
        candidates = list(field_paths(value, SCHEMAS[name]))
        if not candidates:
            return
        path, field_schema = data.draw(st.sampled_from(candidates))
        bad = data.draw(st.sampled_from(invalid_replacement(field_schema)))

        with pytest.raises((ApiTypeError, ApiValueError)) as caught:
            model(replaced(value, path, bad))
        assert list(path) in [list(error.path) for error in caught.value.errors]

    check()


def generic_build(model, value, monkeypatch):
    """The response path with the compiled builders swapped for the walker."""

    def walker_for(nested):
        return lambda data, path, errors: nested._build(data, path, errors, False)

    with monkeypatch.context() as patch:
        patch.setattr(schemas, "builder_for", walker_for)
        built, errors = from_response(model, value)
    return built, sorted(map(repr, (e.path for e in errors)))


def compiled_build(model, value):
    built, errors = from_response(model, value)
    return built, sorted(map(repr, (e.path for e in errors)))


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_compiled_response_builders_agree_with_the_generic_walker(name, monkeypatch):
    """For valid and broken responses, the compiled builder and the walker agree."""
    model = model_class(name)

    @SETTINGS
    @given(valid(SCHEMAS[name], nullable_ok=False), st.data())
    def check(value, data):
        candidates = list(field_paths(value, SCHEMAS[name]))
        if candidates and data.draw(st.booleans()):
            path, field_schema = data.draw(st.sampled_from(candidates))
            bad = data.draw(st.sampled_from(invalid_replacement(field_schema)))
            value = replaced(value, path, bad)

        fast, fast_errors = compiled_build(model, value)
        slow, slow_errors = generic_build(model, value, monkeypatch)
        assert fast == slow
        assert type(fast) is type(slow)
        assert fast_errors == slow_errors

    check()
