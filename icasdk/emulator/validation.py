"""Request validation against the API definition, with openapi-schema-validator.

This is deliberately not icasdk's own schema runtime: the emulator checks
requests with an independent validator (OAS 3.0 semantics, ``nullable``
included) run on the definition shipped in ``icasdk/spec/``, so one bug
cannot hide in both the client and the service it is tested against.

Every problem is reported at once, as a 400 Problem whose ``parameters`` map
each field (a parameter name, or a body path like
``dataUpdateGroups[0].dataIds[2]``) to what was wrong with it.

Only what the definition states is checked: its schemas (types, required
fields, enums, the ``uuid`` and ``date-time`` formats) and the create
operation's "more than 100000 is not allowed". Paging values are read in
``paging.py``, which lists the few 400s it keeps and why.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import logging
from typing import Dict, Iterable, List, Mapping, Sequence

from openapi_schema_validator import OAS30Validator, oas30_format_checker

from icasdk.emulator.problems import ProblemError

log = logging.getLogger(__name__)

SPEC_FILE = "ica-data-update-batch.openapi.json"
# A create may not carry more data ids than this, all groups together.
MAX_DATA_IDS = 100_000
# At most this many fields are named in one Problem.
MAX_REPORTED = 50

_TYPE_WORDS = {
    "string": "a string",
    "array": "an array",
    "object": "an object",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
}


@functools.lru_cache(maxsize=None)
def definition() -> dict:
    """The API definition the package ships, parsed once."""
    resource = importlib.resources.files("icasdk") / "spec" / SPEC_FILE
    return json.loads(resource.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def operations() -> Dict[str, dict]:
    """Each operation of the definition by operationId, with path and method."""
    found = {}
    for path, methods in definition()["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = dict(
                operation, path=path, method=method.upper()
            )
    return found


@functools.lru_cache(maxsize=None)
def _validator(schema_json: str) -> OAS30Validator:
    schema = dict(json.loads(schema_json), components=definition()["components"])
    return OAS30Validator(schema, format_checker=oas30_format_checker)


def schema_errors(schema: dict, instance: object) -> List[tuple]:
    """``(field path, message)`` for each way ``instance`` breaks ``schema``."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    found = []
    for error in validator.iter_errors(instance):
        path = list(error.absolute_path)
        if error.validator == "required":
            missing = [p for p in error.validator_value if p not in error.instance]
            found.extend((_dotted(path + [name]), "is required") for name in missing)
        else:
            found.append((_dotted(path), _message(error)))
    return sorted(found)


def check_parameters(
    operation_id: str,
    path_params: Mapping[str, str],
    query: Mapping[str, Sequence[str]],
) -> None:
    """Raise a 400 Problem naming each path or query parameter that is wrong."""
    problems: Dict[str, str] = {}
    for parameter in operations()[operation_id].get("parameters", ()):
        name, schema = parameter["name"], parameter["schema"]
        source = path_params if parameter["in"] == "path" else query
        if name not in source:
            if parameter.get("required"):
                problems[name] = "is required"
            continue

        value = source[name]
        if schema.get("type") == "array":
            value = split_values(value)
        elif not isinstance(value, str):
            value = value[0]
        for _, message in schema_errors(schema, value)[:1]:
            problems[name] = message
    _raise_if(problems, "The request parameters are not valid.")


def check_body(operation_id: str, body: object) -> None:
    """Raise a 400 Problem naming each field of the request body that is wrong."""
    content = operations()[operation_id]["requestBody"]["content"]
    schema = next(iter(content.values()))["schema"]
    problems: Dict[str, str] = {}
    for path, message in schema_errors(schema, body):
        problems.setdefault(path or "body", message)

    if not problems and operation_id == "createProjectDataUpdateBatch":
        problems.update(_data_id_limits(body["dataUpdateGroups"]))
    _raise_if(problems, "The request body is not valid.")


def _data_id_limits(groups: List[dict]) -> Dict[str, str]:
    """The one rule beyond the schemas, from the create operation's description.

    No minimum: the definition sets none, so a create with no data ids is
    valid (it makes a batch with no items).
    """
    total = sum(len(group["dataIds"]) for group in groups)
    if total > MAX_DATA_IDS:
        message = "must not hold more than %d data ids in all, got %d"
        return {"dataUpdateGroups": message % (MAX_DATA_IDS, total)}
    return {}


def _raise_if(problems: Dict[str, str], detail: str) -> None:
    if not problems:
        return

    named = dict(sorted(problems.items())[:MAX_REPORTED])
    if len(problems) > len(named):
        detail += " %d more fields are wrong." % (len(problems) - len(named))
    log.debug("rejected request: %s", named)
    raise ProblemError(400, "validation", detail, named)


def split_values(values: Iterable[str]) -> List[str]:
    """Repeated values, each of which may also be comma-separated."""
    return [part.strip() for value in values for part in value.split(",")]


def _dotted(path: list) -> str:
    text = ""
    for part in path:
        text += "[%d]" % part if isinstance(part, int) else ("." if text else "") + part
    return text


def _message(error) -> str:
    kind, value = error.validator, error.validator_value
    if kind == "type":
        return "must be %s" % _TYPE_WORDS.get(value, value)
    if kind == "format":
        return "must be a valid %s" % value
    if kind == "enum":
        return "must be one of %s" % ", ".join(str(v) for v in value)
    return error.message
