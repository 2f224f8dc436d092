"""Bad input is refused before anything is sent, with the path of the fault.

Every bad input named in the package and client issues goes through the API
methods against an emulator whose request log must stay empty; the error
must be a documented validation error (``ApiTypeError`` or ``ApiValueError``)
whose ``path_to_item`` names the fault. Hypothesis then throws arbitrary
values at the request bodies and parameters: each call either is refused
that way, with nothing sent, or reaches the emulator and gets its answer.
No other exception may escape, and the emulator must never answer 500.
"""

from __future__ import annotations

import datetime
import functools
import os
import typing

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import icasdk
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.emulator import Emulator
from icasdk.model.create_project_data_update_batch import CreateProjectDataUpdateBatch
from icasdk.model.data_update_group import DataUpdateGroup
from icasdk.model.tag_update import TagUpdate

pytestmark = pytest.mark.timeout(90)

VALIDATION = (icasdk.ApiTypeError, icasdk.ApiValueError)
FILE = "fil." + "0123456789abcdef" * 2
UUID = "0c0f6a2e-8d5a-4b8e-9d0a-2b8f0e1c9a11"
EXAMPLES = int(os.environ.get("ICASDK_FUZZ_EXAMPLES", "120"))
"""Examples per fuzz test; raise it (and set ICASDK_FUZZ_RANDOM) to explore more."""
FUZZ_TIMEOUT = 60 + EXAMPLES // 10
"""Seconds a fuzz test may take: more when more examples are asked for."""
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("ICASDK_FUZZ_RANDOM") is None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class Target(typing.NamedTuple):
    emu: Emulator
    api: ProjectDataUpdateBatchApi
    project_id: str
    batch_id: str
    item_id: str


@pytest.fixture(scope="module")
def target() -> typing.Iterator[Target]:
    """An emulator (step mode) with one batch, and an API on it without retries."""
    with Emulator(pace="step") as emu:
        project = emu.create_project("bad-input")
        data_id = emu.create_data(project, "/x.vcf")
        configuration = emu.configuration()
        configuration.retries = 0
        with icasdk.ApiClient(configuration) as client:
            api = ProjectDataUpdateBatchApi(client)
            created = api.create_project_data_update_batch(
                path_params={"projectId": project},
                body={"dataUpdateGroups": [{"dataIds": [data_id]}]},
            )
            batch_id = created.body["id"]
            page = api.get_project_data_update_batch_items(
                path_params={"projectId": project, "batchId": batch_id}
            )
            yield Target(emu, api, project, batch_id, page.body["items"][0]["id"])


def refused(target: Target, call: typing.Callable[[], object]) -> BaseException:
    """Run ``call``; assert it raised a validation error and sent nothing."""
    before = len(target.emu.requests)
    with pytest.raises(VALIDATION) as caught:
        call()
    assert len(target.emu.requests) == before, "a refused call reached the emulator"
    return caught.value


# --------------------------------------------------------------------------
# The bad inputs the issues name, one by one


def _group(**fields: typing.Any) -> dict:
    return {"dataUpdateGroups": [dict({"dataIds": [FILE]}, **fields)]}


BAD_BODIES = {
    "a string where a list is expected": (
        {"dataUpdateGroups": [{"dataIds": "fil.1"}]},
        ["dataUpdateGroups", 0, "dataIds"],
    ),
    "a lone group, not in a list": (
        {"dataUpdateGroups": {"dataIds": [FILE]}},
        ["dataUpdateGroups"],
    ),
    "misspelt dataIDs beside nothing": (
        {"dataUpdateGroups": [{"dataIDs": [FILE]}]},
        ["dataUpdateGroups", 0, "dataIDs"],
    ),
    "misspelt user_tag": (
        _group(user_tag={"addTags": ["a=b"]}),
        ["dataUpdateGroups", 0, "user_tag"],
    ),
    "misspelt addtags": (
        _group(userTags={"addtags": ["a=b"]}),
        ["dataUpdateGroups", 0, "userTags", "addtags"],
    ),
    "True where a boolean is fine but a string is not": (
        _group(userTags={"addTags": [True]}),
        ["dataUpdateGroups", 0, "userTags", "addTags", 0],
    ),
    "an int tag": (
        _group(technicalTags={"removeTags": [1]}),
        ["dataUpdateGroups", 0, "technicalTags", "removeTags", 0],
    ),
    "None for a non-nullable list": (
        {"dataUpdateGroups": [{"dataIds": None}]},
        ["dataUpdateGroups", 0, "dataIds"],
    ),
    "None for the required groups": (
        {"dataUpdateGroups": None},
        ["dataUpdateGroups"],
    ),
    "groups missing": ({}, ["dataUpdateGroups"]),
    "a naive datetime": (
        _group(willBeArchivedAt=datetime.datetime(2031, 1, 30, 8, 30)),
        ["dataUpdateGroups", 0, "willBeArchivedAt"],
    ),
    "a date-time string without a zone": (
        _group(willBeDeletedAt="2031-01-30T08:30:00"),
        ["dataUpdateGroups", 0, "willBeDeletedAt"],
    ),
    "not a date-time at all": (
        _group(willBeDeletedAt="next Tuesday"),
        ["dataUpdateGroups", 0, "willBeDeletedAt"],
    ),
    "a string for a boolean": (
        _group(clearWillBeArchivedAt="true"),
        ["dataUpdateGroups", 0, "clearWillBeArchivedAt"],
    ),
    "1 for a boolean": (
        _group(clearWillBeDeletedAt=1),
        ["dataUpdateGroups", 0, "clearWillBeDeletedAt"],
    ),
    "a non-string key": (
        {"dataUpdateGroups": [{1: "x", "dataIds": [FILE]}]},
        ["dataUpdateGroups", 0],
    ),
    "a set of ids": (
        {"dataUpdateGroups": [{"dataIds": {FILE}}]},
        ["dataUpdateGroups", 0, "dataIds"],
    ),
    "bytes for an id": (
        {"dataUpdateGroups": [{"dataIds": [FILE.encode()]}]},
        ["dataUpdateGroups", 0, "dataIds", 0],
    ),
    "a list for the body": ([{"dataIds": [FILE]}], []),
    "None for the body": (None, []),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_bad_body_is_refused_before_sending(target, name):
    """Each bad create body raises at its path and the emulator hears nothing."""
    body, path = BAD_BODIES[name]

    error = refused(
        target,
        lambda: target.api.create_project_data_update_batch(
            path_params={"projectId": target.project_id}, body=body
        ),
    )

    assert error.path_to_item == path, str(error)
    assert str(error).startswith("invalid")


def test_none_for_a_nullable_field_is_sent(target):
    """None where the definition allows null is kept and sent, not refused."""
    before = len(target.emu.requests)
    target.api.create_project_data_update_batch(
        path_params={"projectId": target.project_id},
        body=_group(clearWillBeArchivedAt=None),
    )
    assert len(target.emu.requests) == before + 1


@pytest.mark.parametrize(
    "build, path, words",
    [
        (lambda: DataUpdateGroup(dataIds="fil.1"), ["dataIds"], "list"),
        (lambda: DataUpdateGroup(dataIDs=[FILE]), ["dataIDs"], "'dataIds'"),
        (
            lambda: DataUpdateGroup(data_ids=[FILE], user_tag=TagUpdate()),
            ["user_tag"],
            "'userTags'",
        ),
        (lambda: TagUpdate(add_tags="a=b"), ["addTags"], "list"),
        (
            lambda: DataUpdateGroup(
                data_ids=[FILE], will_be_archived_at=datetime.datetime(2031, 1, 1)
            ),
            ["willBeArchivedAt"],
            "naive",
        ),
        (lambda: CreateProjectDataUpdateBatch({7: []}), [], "string keys"),
    ],
)
def test_bad_model_is_refused_while_built(build, path, words):
    """Building a request model from bad keywords fails at once, naming the fix."""
    with pytest.raises(VALIDATION) as caught:
        build()

    assert caught.value.path_to_item == path
    assert words in str(caught.value)


def _call(target: Target, operation: str, **kwargs: typing.Any):
    method = {
        "create": target.api.create_project_data_update_batch,
        "batch": target.api.get_project_data_update_batch,
        "items": target.api.get_project_data_update_batch_items,
        "item": target.api.get_project_data_update_batch_item,
    }[operation]
    if operation == "create":
        kwargs.setdefault("body", {"dataUpdateGroups": [{"dataIds": [FILE]}]})
    return method(**kwargs)


def _ids(target: Target, operation: str = "batch", **changed: typing.Any) -> dict:
    """Path parameters of ``operation`` on the target; ``...`` leaves one out."""
    ids = {"projectId": target.project_id}
    if operation != "create":
        ids["batchId"] = target.batch_id
    if operation == "item":
        ids["itemId"] = target.item_id
    return {k: v for k, v in dict(ids, **changed).items() if v is not ...}


BAD_PARAMETERS = [
    ("batch", {"batchId": "not-a-uuid"}, {}, ["path_params", "batchId"]),
    ("batch", {"batchId": UUID[:-1]}, {}, ["path_params", "batchId"]),
    ("batch", {"batchId": 12}, {}, ["path_params", "batchId"]),
    ("batch", {"batchId": "../../x"}, {}, ["path_params", "batchId"]),
    ("batch", {"batchId": ...}, {}, ["path_params", "batchId"]),
    ("batch", {"projectId": ...}, {}, ["path_params", "projectId"]),
    ("batch", {"projectId": ""}, {}, ["path_params", "projectId"]),
    ("batch", {"project_id": "x"}, {}, ["path_params", "project_id"]),
    ("item", {"itemId": "x/../y"}, {}, ["path_params", "itemId"]),
    ("item", {"itemId": ...}, {}, ["path_params", "itemId"]),
    ("items", {}, {"status": ["BOGUS"]}, ["query_params", "status", 0]),
    ("items", {}, {"status": "FAILED"}, ["query_params", "status"]),
    ("items", {}, {"pageSize": True}, ["query_params", "pageSize"]),
    ("items", {}, {"pageSize": 2.5}, ["query_params", "pageSize"]),
    ("items", {}, {"page_size": 5}, ["query_params", "page_size"]),
    ("items", {}, {"pageOffset": [1]}, ["query_params", "pageOffset"]),
    ("create", {"projectId": None}, {}, ["path_params", "projectId"]),
    ("create", {"projectId": ["a"]}, {}, ["path_params", "projectId"]),
]


@pytest.mark.parametrize("operation, path_params, query, where", BAD_PARAMETERS)
def test_bad_parameter_is_refused_before_sending(
    target, operation, path_params, query, where
):
    """Each bad path or query value raises, names its parameter, sends nothing."""
    params = _ids(target, operation, **path_params)
    extra = {"query_params": query} if query else {}

    error = refused(
        target, lambda: _call(target, operation, path_params=params, **extra)
    )

    assert error.path_to_item == where, str(error)
    assert where[1] in str(error)


def test_an_unknown_content_type_is_refused(target):
    """A body type the operation does not declare raises before sending."""
    error = refused(
        target,
        lambda: _call(
            target,
            "create",
            path_params={"projectId": target.project_id},
            content_type="text/csv",
        ),
    )
    assert error.path_to_item == ["content_type"]


def test_every_fault_of_a_call_is_reported_at_once(target):
    """A call with three bad values names all three in one error."""
    error = refused(
        target,
        lambda: target.api.get_project_data_update_batch_items(
            path_params={"projectId": "", "batchId": "nope"},
            query_params={"status": ["NOPE"]},
        ),
    )
    paths = [list(e.path) for e in error.errors]
    assert ["path_params", "projectId"] in paths
    assert ["path_params", "batchId"] in paths
    assert ["query_params", "status", 0] in paths


@pytest.mark.parametrize("where", ["projectId", "tag", "pageToken"])
def test_a_lone_surrogate_is_refused_with_its_path(target, where):
    """'\\udcff' in a string value is refused as an ApiValueError at its path."""
    bad = "a\udcffb"
    calls = {
        "projectId": functools.partial(
            _call, target, "create", path_params={"projectId": bad}
        ),
        "tag": functools.partial(
            _call,
            target,
            "create",
            path_params={"projectId": target.project_id},
            body=_group(userTags={"addTags": [bad]}),
        ),
        "pageToken": functools.partial(
            _call,
            target,
            "items",
            path_params=_ids(target),
            query_params={"pageToken": bad},
        ),
    }

    error = refused(target, calls[where])

    assert error.path_to_item[-1] in ("projectId", 0, "pageToken")


# --------------------------------------------------------------------------
# Fuzzing: arbitrary values, only documented outcomes


def _text(max_size: int = 12) -> st.SearchStrategy[str]:
    """Text of any characters, lone surrogates included."""
    return st.text(max_size=max_size)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**62, max_value=2**70),
    st.floats(),
    _text(),
    st.binary(max_size=6),
    st.datetimes(),
    st.datetimes(timezones=st.just(datetime.timezone.utc)),
    st.uuids(),
    st.sampled_from([FILE, "fol." + "f" * 32, UUID, "", "INITIALISED", "a=b"]),
)
ANYTHING = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.frozensets(st.integers(), max_size=2),
        st.dictionaries(st.one_of(_text(8), st.integers()), inner, max_size=3),
    ),
    max_leaves=8,
)


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), _text()),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(_text(8), inner, max_size=3)
    ),
    max_leaves=6,
)
"""Values JSON can hold, for the extra properties the definition allows."""


def _maybe(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly values of the right shape, sometimes anything at all."""
    return st.one_of(valid, valid, valid, valid, valid, ANYTHING)


TAG_UPDATES = st.fixed_dictionaries(
    {},
    optional={
        "addTags": _maybe(st.lists(_text(), max_size=3)),
        "removeTags": _maybe(st.lists(_text(), max_size=3)),
    },
)
DATES = st.one_of(
    st.datetimes(timezones=st.just(datetime.timezone.utc)),
    st.sampled_from(["2031-01-30T08:30:00Z", "2031-01-30T08:30:00"]),
)
GROUPS = st.fixed_dictionaries(
    {"dataIds": _maybe(st.lists(st.sampled_from([FILE, "fol." + "1" * 32])))},
    optional={
        "userTags": _maybe(TAG_UPDATES),
        "technicalTags": _maybe(TAG_UPDATES),
        "willBeArchivedAt": _maybe(DATES),
        "willBeDeletedAt": _maybe(DATES),
        "clearWillBeArchivedAt": _maybe(st.one_of(st.booleans(), st.none())),
        "clearWillBeDeletedAt": _maybe(st.booleans()),
        "somethingElse": JSON,
    },
)
BODIES = _maybe(
    st.fixed_dictionaries(
        {"dataUpdateGroups": _maybe(st.lists(GROUPS, min_size=1, max_size=3))}
    )
)


def _points_into(value: typing.Any, path: typing.Sequence[typing.Any]) -> bool:
    """Whether ``path`` leads into ``value``, allowing a missing last step."""
    for number, step in enumerate(path):
        last = number == len(path) - 1
        if isinstance(value, typing.Mapping):
            if step not in value:
                return last
            value = value[step]
        elif isinstance(value, (list, tuple)) and isinstance(step, int):
            if not 0 <= step < len(value):
                return False
            value = value[step]
        else:
            return False
    return True


def _count(figures: dict, name: str, outcome: str) -> None:
    """Count one fuzz outcome in the figures, and as a hypothesis event."""
    event(outcome)
    counts = figures.setdefault(name, {})
    counts[outcome] = counts.get(outcome, 0) + 1


def _outcome(target: Target, figures: dict, call: typing.Callable[[], object]) -> str:
    """'refused' (nothing sent) or 'sent'; fails on any undocumented exception."""
    name = "fuzz: parameters of the four operations"
    before = len(target.emu.requests)
    try:
        call()
    except VALIDATION as err:
        _count(figures, name, "refused before sending")
        assert len(target.emu.requests) == before, "refused, yet sent"
        assert err.errors and all(isinstance(e.path, tuple) for e in err.errors)
        return "refused"
    except icasdk.ApiException as err:
        _count(figures, name, f"sent, answered {err.status}")
        assert err.status != 500, str(err)
    else:
        _count(figures, name, "sent, answered 2xx")
    assert len(target.emu.requests) == before + 1
    return "sent"


@pytest.mark.timeout(FUZZ_TIMEOUT)
@FUZZ
@given(body=BODIES)
def test_fuzzed_bodies_are_refused_or_sent(target, figures, body):
    """Any create body: a validation error at a path inside it, or a real call."""
    name = "fuzz: create bodies"
    call = lambda: target.api.create_project_data_update_batch(  # noqa: E731
        path_params={"projectId": target.project_id}, body=body
    )
    before = len(target.emu.requests)
    try:
        call()
    except VALIDATION as err:
        _count(figures, name, "refused before sending")
        assert len(target.emu.requests) == before, "refused, yet sent"
        for error in err.errors:
            assert _points_into(body, error.path), (error, body)
    except icasdk.ApiException as err:
        _count(figures, name, f"sent, answered {err.status}")
        assert err.status in (400, 404), str(err)
        assert len(target.emu.requests) == before + 1
    else:
        _count(figures, name, "sent, batch created")


@pytest.mark.timeout(FUZZ_TIMEOUT)
@FUZZ
@given(
    fields=st.dictionaries(
        st.one_of(
            st.sampled_from(["data_ids", "dataIds", "user_tags", "userTags"]),
            st.sampled_from(["will_be_archived_at", "clearWillBeDeletedAt"]),
            st.from_regex(r"\A[a-zA-Z_][a-zA-Z0-9_]{0,12}\Z"),
        ),
        ANYTHING,
        max_size=4,
    )
)
def test_fuzzed_model_keywords_raise_only_validation_errors(fields):
    """DataUpdateGroup(**anything) builds, or raises a validation error at a path."""
    try:
        DataUpdateGroup(**fields)
    except VALIDATION as err:
        assert err.errors
        for error in err.errors:
            assert error.path and isinstance(error.path[0], str), error


PARAMETER_VALUES = st.one_of(
    ANYTHING,
    st.integers(min_value=-5, max_value=10**6),
    st.uuids(),
    st.uuids().map(str),
    _text(40),
    st.lists(
        st.sampled_from(["INITIALISED", "UPDATED", "FAILED", "BOGUS", ""]), max_size=3
    ),
)
REAL = "<the real id>"
"""Stands for the target's project, batch or item id, filled in by the test."""
PATHS = {
    "create": ("projectId",),
    "batch": ("projectId", "batchId"),
    "items": ("projectId", "batchId"),
    "item": ("projectId", "batchId", "itemId"),
}
GOOD_QUERIES = st.fixed_dictionaries(
    {},
    optional={
        "status": st.lists(st.sampled_from(["UPDATED", "FAILED", "INITIALISED"])),
        "pageSize": st.one_of(st.integers(1, 1000), st.integers(1, 1000).map(str)),
        "pageOffset": st.integers(0, 10).map(str),
    },
)


@st.composite
def parameter_sets(draw):
    """An operation, and its path and query parameters broken in 0-2 places."""
    operation = draw(st.sampled_from(sorted(PATHS)))
    path_params: typing.Any = dict.fromkeys(PATHS[operation], REAL)
    query_params: typing.Any = draw(GOOD_QUERIES) if operation == "items" else None
    for _ in range(draw(st.integers(0, 2))):
        where = draw(st.sampled_from(["path", "query"] if query_params else ["path"]))
        params = path_params if where == "path" else query_params
        change = draw(st.sampled_from(["replace", "drop", "add", "whole"]))
        if change == "whole":
            if where == "path":
                path_params = draw(ANYTHING)
            else:
                query_params = draw(ANYTHING)
            break
        if change == "add":
            name = draw(st.sampled_from(["pageToken", "sort", "page_size", "itemId"]))
            params[name] = draw(PARAMETER_VALUES)
        elif params:
            name = draw(st.sampled_from(sorted(params)))
            if change == "drop":
                del params[name]
            else:
                params[name] = draw(PARAMETER_VALUES)
    return operation, path_params, query_params


@pytest.mark.timeout(FUZZ_TIMEOUT)
@FUZZ
@given(case=parameter_sets())
def test_fuzzed_parameters_are_refused_or_sent(target, figures, case):
    """Any path and query values: refused at a parameter's path, or a real call."""
    operation, path_params, query_params = case
    if isinstance(path_params, dict):
        real = {"projectId": target.project_id, "batchId": target.batch_id}
        real["itemId"] = target.item_id
        path_params = {
            name: real[name] if value == REAL and name in real else value
            for name, value in path_params.items()
        }
    extra = {}
    if operation == "items" and query_params is not None:
        extra["query_params"] = query_params

    def call():
        return _call(target, operation, path_params=path_params, **extra)

    if _outcome(target, figures, call) == "sent":
        assert isinstance(path_params, typing.Mapping)
