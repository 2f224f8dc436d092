"""The schema runtime, through the generated models of the definition."""

from __future__ import annotations

import copy
import datetime
import json
import pickle
import uuid

import frozendict
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icasdk import formats, schemas
from icasdk.exceptions import ApiTypeError, ApiValueError, OpenApiException
from icasdk.model.create_project_data_update_batch import CreateProjectDataUpdateBatch
from icasdk.model.data_update_group import DataUpdateGroup
from icasdk.model.job import Job
from icasdk.model.problem import Problem
from icasdk.model.project_data_update_batch_item_paged_list import (
    ProjectDataUpdateBatchItemPagedList,
)
from icasdk.model.project_data_update_batch_item_processing import (
    ProjectDataUpdateBatchItemProcessing,
)
from icasdk.model.tag_update import TagUpdate

UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def problem(**changes):
    fields = dict(
        type="about:blank",
        title="Bad Request",
        status=400,
        parameters={"pageSize": "must be a number"},
        timestamp="2026-01-01T00:00:00Z",
    )
    fields.update(changes)
    return Problem(**fields)


# -- building ----------------------------------------------------------------


def test_spec_names_snake_names_and_mapping_build_the_same_model():
    """Keyword arguments in either spelling and one mapping give equal models."""
    by_spec = DataUpdateGroup(dataIds=["fil.1"], userTags={"addTags": ["a"]})
    by_snake = DataUpdateGroup(data_ids=["fil.1"], user_tags=TagUpdate(add_tags=["a"]))
    by_mapping = DataUpdateGroup({"dataIds": ["fil.1"], "userTags": {"addTags": ["a"]}})

    assert by_spec == by_snake == by_mapping
    assert hash(by_spec) == hash(by_snake) == hash(by_mapping)


def test_model_is_an_immutable_mapping_keyed_by_spec_names():
    """Models are frozendicts keyed by the definition's names, holding JSON values."""
    group = DataUpdateGroup(dataIds=["fil.1"], userTags={"addTags": ["a"]})

    assert isinstance(group, DataUpdateGroup)
    assert isinstance(group, schemas.FrozenDict) and isinstance(group, dict)
    assert schemas.FrozenDict.__module__.startswith(frozendict.__name__)
    assert list(group) == ["dataIds", "userTags"]
    assert group["dataIds"] == ("fil.1",)
    assert group["userTags"]["addTags"] == ("a",)
    assert isinstance(group["userTags"], TagUpdate)


def test_nested_model_given_as_model_is_kept():
    """A nested model passed in is used as it is, not rebuilt."""
    tags = TagUpdate(addTags=["a"])
    group = DataUpdateGroup(dataIds=["fil.1"], userTags=tags)

    assert group["userTags"] is tags


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.__setattr__("data_ids", ()),
        lambda m: m.__setitem__("dataIds", ()),
        lambda m: m.__delitem__("dataIds"),
        lambda m: m.__delattr__("data_ids"),
        lambda m: m.update({}),
        lambda m: m.pop("dataIds"),
        lambda m: m.clear(),
    ],
)
def test_models_cannot_be_changed(change):
    """Every way of changing a model raises an AttributeError subclass."""
    group = DataUpdateGroup(dataIds=["fil.1"])

    with pytest.raises(AttributeError):
        change(group)
    assert group == {"dataIds": ("fil.1",)}


def test_set_returns_a_validated_copy():
    """set() gives a new validated model and leaves the original alone."""
    group = DataUpdateGroup(dataIds=["fil.1"])

    changed = group.set("dataIds", ["fil.2"])

    assert changed.data_ids == ("fil.2",)
    assert group.data_ids == ("fil.1",)
    with pytest.raises(ApiTypeError):
        group.set("dataIds", "fil.3")


def test_attributes_give_typed_values():
    """date-time attributes are aware datetimes, uuid attributes UUIDs, ints ints."""
    item = problem(id=UUID, timestamp="2026-01-02T03:04:05.123456789+01:00")

    assert item.id == uuid.UUID(UUID)
    assert item["id"] == UUID
    assert item.timestamp == datetime.datetime(
        2026,
        1,
        2,
        3,
        4,
        5,
        123456,
        tzinfo=datetime.timezone(datetime.timedelta(hours=1)),
    )
    assert item["timestamp"] == "2026-01-02T03:04:05.123456789+01:00"
    assert item.status == 400


def test_missing_optional_field_is_absent_none_and_unset():
    """An absent optional field: not in the mapping, None as attribute, unset by name."""
    group = DataUpdateGroup(dataIds=["fil.1"])

    assert "userTags" not in group
    assert group.user_tags is None
    assert group.get_item_oapg("userTags") is schemas.unset
    assert not schemas.unset


def test_to_dict_and_to_json_give_plain_data():
    """to_dict() is plain dicts and lists; to_json() its JSON text."""
    group = DataUpdateGroup(dataIds=["fil.1"], userTags={"addTags": ["a"]})

    plain = group.to_dict()

    assert plain == {"dataIds": ["fil.1"], "userTags": {"addTags": ["a"]}}
    assert type(plain) is dict and type(plain["dataIds"]) is list
    assert json.loads(group.to_json()) == plain
    assert json.loads(json.dumps(group)) == plain


def test_pickle_and_copy_keep_the_model():
    """Pickling round-trips; copies are the same immutable object."""
    group = DataUpdateGroup(dataIds=["fil.1"], userTags={"addTags": ["a"]})

    assert pickle.loads(pickle.dumps(group)) == group
    assert copy.copy(group) is group
    assert copy.deepcopy(group) is group


def test_aware_datetime_and_uuid_objects_are_accepted_in_requests():
    """Python datetime (aware) and UUID objects become their JSON strings."""
    moment = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)

    group = DataUpdateGroup(dataIds=["fil.1"], willBeArchivedAt=moment)
    error = problem(id=uuid.UUID(UUID))

    assert group["willBeArchivedAt"] == "2026-05-01T12:00:00+00:00"
    assert group.will_be_archived_at == moment
    assert error["id"] == UUID


def test_names_that_clash_with_mapping_methods_get_an_underscore():
    """The 'items' property is the items_ attribute; items() stays the dict method."""
    page = ProjectDataUpdateBatchItemPagedList(items=[], totalItemCount=0)

    assert page.items_ == ()
    assert list(page.items()) == [("items", ()), ("totalItemCount", 0)]


def test_deliberate_extra_properties_go_through_extra():
    """_extra={...} sends properties the definition does not list, kept frozen."""
    group = DataUpdateGroup({"dataIds": ["fil.1"]}, _extra={"comment": {"by": ["me"]}})

    assert group["comment"] == {"by": ("me",)}
    assert group.to_dict()["comment"] == {"by": ["me"]}
    assert (
        DataUpdateGroup(data_ids=["fil.1"], _extra={"comment": "x"})["comment"] == "x"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"dataIds": ["fil.2"]}, "'dataIds' is a declared property"),
        (["comment"], "expected a mapping for _extra, got list"),
        ({1: "x"}, "expected string keys in _extra"),
    ],
)
def test_bad_extra_is_refused(extra, message):
    """_extra must be a mapping of new string names."""
    with pytest.raises(ApiTypeError, match=message):
        DataUpdateGroup(dataIds=["fil.1"], _extra=extra)


def test_set_keeps_extra_properties():
    """set() on a model with extras keeps them."""
    group = DataUpdateGroup({"dataIds": ["fil.1"]}, _extra={"comment": "x"})

    assert group.set("dataIds", ["fil.2"]) == {"dataIds": ("fil.2",), "comment": "x"}


# -- bad input ---------------------------------------------------------------


def test_string_is_not_taken_for_a_list():
    """A string where a list is expected is a type error, not a list of characters."""
    with pytest.raises(ApiTypeError) as caught:
        DataUpdateGroup(dataIds="fil.1")

    assert caught.value.path_to_item == ["dataIds"]
    assert "expected a list of strings, got str 'fil.1'" in str(caught.value)


@pytest.mark.parametrize(
    ("keyword", "suggested"),
    [
        ("dataIDs", "'dataIds' (or 'data_ids')"),
        ("user_tag", "'userTags' (or 'user_tags')"),
    ],
)
def test_misspelt_keyword_names_the_closest_known_name(keyword, suggested):
    """An unknown keyword is an error naming it and the closest known name."""
    values = {"dataIds": ["fil.1"]} if keyword != "dataIDs" else {}
    values[keyword] = ["fil.1"] if keyword == "dataIDs" else {"addTags": ["a"]}

    with pytest.raises(ApiTypeError) as caught:
        DataUpdateGroup(**values)

    message = str(caught.value)
    assert f"no property {keyword!r}" in message
    assert f"did you mean {suggested}?" in message
    assert "missing" not in message  # the typo is reported once, not twice
    assert caught.value.path_to_item == [keyword]


def test_unknown_keyword_far_from_every_name_is_refused():
    """Keyword arguments must be known names; extras go in a mapping."""
    with pytest.raises(ApiTypeError, match="no property 'comment'; known properties"):
        DataUpdateGroup(dataIds=["fil.1"], comment="x")


@pytest.mark.parametrize(
    "key", ["addUserTags", "tags", "user", "techTags", "comment", "addTags"]
)
def test_unknown_key_in_a_mapping_is_refused(key):
    """Any key the definition does not list is refused, naming the known ones."""
    with pytest.raises(ApiTypeError, match=f"no property {key!r}") as caught:
        CreateProjectDataUpdateBatch(
            {"dataUpdateGroups": [{"dataIds": ["fil.1"], key: ["subject_id=SBJ1"]}]}
        )

    assert caught.value.path_to_item == ["dataUpdateGroups", 0, key]


@pytest.mark.parametrize("key", ["add", "tags", "addUserTags"])
def test_unknown_key_in_a_tag_update_is_refused(key):
    """A TagUpdate with an unknown key is refused: the tags would be dropped."""
    with pytest.raises(ApiTypeError, match=f"no property {key!r}"):
        TagUpdate({key: ["a"]})


@pytest.mark.parametrize("key", ["dataIDs", "DataIds", "data_IDS", "dataId", "userTag"])
def test_near_miss_in_a_mapping_is_refused(key):
    """A mapping key that is a near miss of a known name is a typo, not an extra."""
    data = {"dataIds": ["fil.1"], key: ["x"]} if key != "dataIDs" else {key: ["x"]}

    with pytest.raises(ApiTypeError, match=f"no property {key!r}; did you mean"):
        DataUpdateGroup(data)


def test_nested_mapping_typo_is_refused_with_its_path():
    """Typos are caught in nested mappings too, with the full path."""
    with pytest.raises(ApiTypeError) as caught:
        CreateProjectDataUpdateBatch(
            dataUpdateGroups=[{"dataIds": ["fil.1"], "userTags": {"addTag": ["a"]}}]
        )

    assert caught.value.path_to_item == ["dataUpdateGroups", 0, "userTags", "addTag"]
    assert "did you mean 'addTags'" in str(caught.value)


@pytest.mark.parametrize("value", [True, False])
def test_bool_is_not_an_integer(value):
    """True and False are refused where an integer is expected."""
    with pytest.raises(ApiTypeError, match="expected an integer"):
        ProjectDataUpdateBatchItemPagedList(items=[], totalItemCount=value)


def test_float_is_not_an_int64():
    """1.5 is refused for an int64."""
    with pytest.raises(ApiTypeError, match="got float 1.5"):
        ProjectDataUpdateBatchItemPagedList(items=[], totalItemCount=1.5)


@pytest.mark.parametrize("value", [2**63, -1])
def test_integer_out_of_range_is_refused(value):
    """A value beyond int64 (or below the minimum) is a value error."""
    with pytest.raises(ApiValueError, match="expected an integer from 0 to"):
        ProjectDataUpdateBatchItemPagedList(items=[], totalItemCount=value)


def test_int32_range_is_enforced():
    """Problem.status is int32: 2**31 is out of range."""
    with pytest.raises(ApiValueError, match="2147483647"):
        problem(status=2**31)


def test_none_for_a_non_nullable_field_is_refused():
    """None is refused where the definition does not allow null."""
    with pytest.raises(
        ApiTypeError, match=r"\['dataIds'\]: expected a list of strings, got None"
    ):
        DataUpdateGroup(dataIds=None)


def test_none_for_a_nullable_field_is_kept():
    """None is kept where the definition allows null."""
    group = DataUpdateGroup(
        dataIds=["fil.1"], clearWillBeArchivedAt=None, userTags=None
    )

    assert group["clearWillBeArchivedAt"] is None
    assert group["userTags"] is None
    assert group.user_tags is None


def test_naive_datetime_is_refused():
    """A datetime without a time zone is refused, saying how to fix it."""
    with pytest.raises(
        ApiValueError, match="time-zone aware datetime.*tzinfo=timezone.utc"
    ):
        DataUpdateGroup(
            dataIds=["fil.1"], willBeArchivedAt=datetime.datetime(2026, 1, 1)
        )


@pytest.mark.parametrize(
    "text", ["2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "yesterday"]
)
def test_malformed_date_time_string_is_refused(text):
    """date-time strings need a date, a time and a zone, all in range."""
    with pytest.raises(ApiValueError, match="RFC 3339"):
        DataUpdateGroup(dataIds=["fil.1"], willBeArchivedAt=text)


@pytest.mark.parametrize(
    "text", ["\uff12\uff10\uff12\uff16-01-01T00:00:00Z", "2026-01-0\u0661T00:00:00Z"]
)
def test_date_time_digits_must_be_ascii(text):
    """Digits of other scripts (fullwidth, Arabic-Indic) are no RFC 3339 digits."""
    with pytest.raises(ApiValueError, match="RFC 3339"):
        DataUpdateGroup(dataIds=["fil.1"], willBeArchivedAt=text)

    data = {
        "items": [
            {
                "id": UUID,
                "request": {"dataId": "fil.1", "willBeArchivedAt": text},
                "processing": {"status": "UPDATED"},
            }
        ]
    }
    _, errors = schemas.from_response(ProjectDataUpdateBatchItemPagedList, data)
    assert [e.path for e in errors] == [("items", 0, "request", "willBeArchivedAt")]


@pytest.mark.parametrize("day", ["01", "28", "29", "31"])
def test_year_zero_is_no_date_time_whatever_the_day(day):
    """Python's dates start at year 1, so 0000 would never read as a datetime."""
    assert not schemas.is_date_time(f"0000-01-{day}T00:00:00Z")
    assert schemas.is_date_time(f"0001-01-{day}T00:00:00Z")


@pytest.mark.parametrize(
    "day, on_calendar",
    [
        ("2024-02-29", True),
        ("2023-02-29", False),
        ("1900-02-29", False),
        ("2000-02-29", True),
        ("2023-04-30", True),
        ("2023-04-31", False),
        ("2023-12-31", True),
    ],
)
def test_date_time_days_after_28_are_checked_on_the_calendar(day, on_calendar):
    """The check agrees with the parser: a day the month lacks is no date-time."""
    text = f"{day}T23:59:59.999999999+05:30"
    assert bool(schemas.is_date_time(text)) is on_calendar
    parsed = schemas.parse_date_time(text)
    assert isinstance(parsed, datetime.datetime) is on_calendar


def _two_digits(*edges):
    """Two-digit fields: mostly the values at the edges of a range, some any."""
    return st.sampled_from(edges) | st.integers(0, 99).map("{:02d}".format)


def _rfc_3339_shapes():
    """Text of the RFC 3339 shape, with fields in and out of range."""
    years = st.sampled_from(["0000", "0001", "1900", "2000", "2023", "2024", "9999"])
    years |= st.integers(0, 9999).map("{:04d}".format)
    # 0 to 12 digits; runs of 9s (which rounding would carry into the second),
    # with or without a 5 after them, come often.
    fraction_digits = (
        st.text("0123456789", min_size=1, max_size=12)
        | st.integers(1, 12).map(lambda n: "9" * n)
        | st.integers(1, 11).map(lambda n: "9" * n + "5")
    )
    fractions = st.just("") | fraction_digits.map(lambda digits: "." + digits)
    hours = _two_digits("00", "23", "24", "59")
    minutes = _two_digits("00", "59", "60")
    offsets = st.builds(
        lambda sign, hh, colon, mm: f"{sign}{hh}{colon}{mm}",
        st.sampled_from("+-"),
        _two_digits("00", "01", "05", "14", "23", "24", "99"),
        st.sampled_from([":", ""]),
        _two_digits("00", "30", "45", "59", "60", "75"),
    )
    return st.builds(
        lambda y, mo, d, t, h, mi, sec, frac, zone: (
            f"{y}-{mo}-{d}{t}{h}:{mi}:{sec}{frac}{zone}"
        ),
        years,
        _two_digits("00", "01", "02", "04", "09", "11", "12", "13"),
        _two_digits("00", "01", "28", "29", "30", "31", "32"),
        st.sampled_from("Tt"),
        hours,
        minutes,
        minutes,
        fractions,
        st.sampled_from(["Z", "z"]) | offsets,
    )


def _same_result(new, old):
    """Equal, of one type, and, for datetimes, in the same zone with equal fields."""
    assert type(new) is type(old)
    assert new == old
    if isinstance(old, datetime.datetime):
        assert new.utcoffset() == old.utcoffset()
        assert new.tzinfo == old.tzinfo
        assert repr(new) == repr(old)
    else:
        assert new is old


@settings(max_examples=2000, deadline=None)
@given(_rfc_3339_shapes())
def test_parse_date_time_agrees_with_the_normalising_path(text):
    """The fromisoformat fast path (Python 3.11+) changes no result of any shape."""
    _same_result(
        schemas.parse_date_time(text), formats._parse_date_time_normalised(text)
    )


@settings(max_examples=2000, deadline=None)
@given(_rfc_3339_shapes())
def test_a_date_time_reads_as_a_datetime_exactly_when_its_check_passes(text):
    """The format check and the attribute agree: no datetime from refused text."""
    parsed = schemas.parse_date_time(text)
    assert isinstance(parsed, datetime.datetime) is bool(schemas.is_date_time(text))


@pytest.mark.parametrize("zone", ["+05:75", "-00:60", "+0199"])
def test_offset_minutes_past_59_give_the_text_back(zone):
    text = f"2024-07-01T09:14:03{zone}"
    assert not schemas.is_date_time(text)
    assert schemas.parse_date_time(text) == text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_date_time_of_any_text_agrees_with_the_normalising_path(text):
    _same_result(
        schemas.parse_date_time(text), formats._parse_date_time_normalised(text)
    )


BOTH_PATHS = pytest.mark.parametrize(
    "parse",
    [schemas.parse_date_time, formats._parse_date_time_normalised],
    ids=["parse_date_time", "normalised"],
)


@BOTH_PATHS
@pytest.mark.parametrize(
    "text, microsecond",
    [
        ("2024-07-01T23:59:59.9999999Z", 999999),  # cut, never rounded up a day
        ("2024-07-01T23:59:59.9999995Z", 999999),
        ("2024-07-01T23:59:59.999999999999+01:00", 999999),
        ("2024-07-01T09:14:03.123456789Z", 123456),
        ("2024-07-01T09:14:03.5Z", 500000),
        ("2024-07-01T09:14:03.000000001Z", 0),
        ("2024-07-01T09:14:03Z", 0),
    ],
)
def test_date_time_fractions_are_cut_to_microseconds(parse, text, microsecond):
    parsed = parse(text)
    assert parsed.microsecond == microsecond
    assert parsed.second == int(text[17:19])
    assert parsed.day == 1


@BOTH_PATHS
@pytest.mark.parametrize(
    "text, offset",
    [
        ("2024-07-01T09:14:03z", 0),  # Python 3.11's fromisoformat refuses "z"
        ("2024-07-01t09:14:03Z", 0),
        ("2024-07-01T09:14:03.25z", 0),
        ("2024-07-01T09:14:03-00:00", 0),
        ("2024-07-01T09:14:03-0000", 0),
        ("2024-07-01T09:14:03+0100", 3600),
        ("2024-07-01T09:14:03.1234567-0530", -19800),
        ("2024-07-01T09:14:03+23:59", 86340),
    ],
)
def test_date_time_zones_of_every_rfc_3339_spelling(parse, text, offset):
    parsed = parse(text)
    assert isinstance(parsed, datetime.datetime)
    assert parsed.utcoffset() == datetime.timedelta(seconds=offset)
    assert parsed.replace(tzinfo=None) == datetime.datetime(2024, 7, 1, 9, 14, 3) + (
        datetime.timedelta(microseconds=parsed.microsecond)
    )


@BOTH_PATHS
@pytest.mark.parametrize(
    "text",
    [
        "2023-02-29T00:00:00Z",
        "2024-02-30T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-07-01T24:00:00Z",
        "2024-07-01T23:60:00Z",
        "2024-07-01T23:59:60Z",
        "2024-07-01T23:59:60.5z",
        "2024-07-01T09:14:03+24:00",
        "2024-07-01T09:14:03-2400",
        "2024-07-01T09:14:03+23:60",
    ],
)
def test_date_time_fields_out_of_range_give_the_string_back(parse, text):
    assert parse(text) is text


@BOTH_PATHS
@pytest.mark.parametrize(
    "text",
    [
        "2024-07-01T09:14:03",  # no zone
        "2024-07-01 09:14:03Z",  # a space for "T"
        "2024-07-01X09:14:03Z",
        "20240701T091403Z",  # basic format
        "2024-W27-1T09:14:03Z",  # week date
        "2024-183T09:14:03Z",  # ordinal date
        "2024-07-01T09:14Z",  # no seconds
        "2024-07-01T09Z",
        "2024-07-01T09:14:03,5Z",  # a comma before the fraction
        "2024-07-01T09:14:03.Z",  # a point without digits
        "2024-07-01T09:14:03+01",  # an offset without minutes
        "2024-07-01T09:14:03+01:00:30",  # an offset with seconds
        "2024-07-01T09:14:03.123+01:00.5",
        "2024-07-01",
        "2024-07-01T09:14:03Z ",
    ],
)
def test_date_time_that_fromisoformat_reads_but_rfc_3339_refuses(parse, text):
    """Python 3.11's fromisoformat reads these; they stay strings all the same."""
    assert parse(text) is text


@pytest.mark.parametrize(
    "text", ["2023-02-30", "2023-13-45", "0000-00-00", "2023-1-01"]
)
def test_impossible_dates_are_no_dates(text):
    assert not schemas.FORMAT_CHECKS["date"](text)


@pytest.mark.parametrize("text", ["2024-02-29", "2023-12-31"])
def test_calendar_dates_are_dates(text):
    assert schemas.FORMAT_CHECKS["date"](text)


@pytest.mark.parametrize("text", ["nope", UUID[:-1], UUID + "0", UUID.replace("-", "")])
def test_malformed_uuid_is_refused(text):
    """uuid strings must be 8-4-4-4-12 hex digits."""
    with pytest.raises(ApiValueError, match="expected a UUID string"):
        problem(id=text)


def test_enum_value_not_in_the_list_is_refused_in_requests():
    """A request value outside the enum is a value error listing the allowed ones."""
    with pytest.raises(
        ApiValueError, match="expected one of 'INITIALISED'.*got 'DONE'"
    ):
        ProjectDataUpdateBatchItemProcessing(status="DONE")


@pytest.mark.parametrize("key", [1, None, ("a",)])
def test_mapping_with_non_string_keys_is_refused(key):
    """Mapping keys must be strings."""
    with pytest.raises(ApiTypeError, match="expected string keys"):
        DataUpdateGroup({"dataIds": ["fil.1"], key: "x"})


def test_non_mapping_argument_is_refused():
    """One positional argument must be a mapping."""
    with pytest.raises(
        ApiTypeError, match="expected a mapping of properties, got list"
    ):
        DataUpdateGroup([("dataIds", ["fil.1"])])


def test_every_problem_is_reported_at_once():
    """Validation collects every problem, each with its path."""
    with pytest.raises(ApiTypeError) as caught:
        CreateProjectDataUpdateBatch(
            dataUpdateGroups=[{"dataIds": ["fil.1", 3]}, {"dataIds": "fil.2"}, {}]
        )

    paths = [list(error.path) for error in caught.value.errors]
    assert paths == [
        ["dataUpdateGroups", 0, "dataIds", 1],
        ["dataUpdateGroups", 1, "dataIds"],
        ["dataUpdateGroups", 2, "dataIds"],
    ]
    assert "3 problems" in str(caught.value)


def test_long_values_are_shortened_in_messages():
    """A huge rejected value is shown shortened, not in full."""
    with pytest.raises(ApiTypeError) as caught:
        DataUpdateGroup(dataIds="x" * 10_000)

    assert len(str(caught.value)) < 300
    assert " ... " in str(caught.value)


def test_validation_errors_share_one_base():
    """ApiTypeError and ApiValueError are OpenApiExceptions and built-in errors."""
    assert issubclass(ApiTypeError, OpenApiException) and issubclass(
        ApiTypeError, TypeError
    )
    assert issubclass(ApiValueError, OpenApiException) and issubclass(
        ApiValueError, ValueError
    )


# -- responses ---------------------------------------------------------------


def test_response_keeps_unknown_enum_values_and_reports_them():
    """from_response keeps data that mismatches and lists each mismatch with its path."""
    data = {"status": "PAUSED", "extra": [1, {"a": 2}]}

    value, errors = schemas.from_response(ProjectDataUpdateBatchItemProcessing, data)

    assert value.status == "PAUSED"
    assert value["extra"] == (1, {"a": 2})
    assert [(e.path, e.is_type_error) for e in errors] == [(("status",), False)]


def test_response_with_wrong_types_is_kept_with_paths():
    """A nested wrong type is kept as sent and reported at its path."""
    data = {"items": [{"id": 5, "request": "x", "processing": {"status": "UPDATED"}}]}

    value, errors = schemas.from_response(ProjectDataUpdateBatchItemPagedList, data)

    assert value["items"][0]["id"] == 5
    assert value["items"][0]["request"] == "x"
    assert [e.path for e in errors] == [("items", 0, "id"), ("items", 0, "request")]


def test_response_null_in_nullable_places_is_no_mismatch():
    """null where the definition allows it is not reported."""
    data = {
        "id": UUID,
        "status": "RUNNING",
        "subjectType": "ProjectDataUpdateBatch",
        "subjectId": UUID,
        "timeCreated": "2026-01-01T00:00:00.123456789Z",
        "timeStarted": None,
        "timeFinished": None,
        "additionalStatusInformation": None,
        "owner": None,
    }

    value, errors = schemas.from_response(Job, data)

    assert value.time_started is None
    assert [e.path for e in errors] == [("owner",)]  # owner is not nullable


def test_date_time_with_a_space_for_t_is_refused():
    """RFC 3339 (as the server reads it) needs a 'T' between date and time."""
    with pytest.raises(ApiValueError, match="RFC 3339"):
        DataUpdateGroup(dataIds=["fil.1"], willBeArchivedAt="2030-01-01 00:00:00Z")


def test_uri_format_says_a_uri_is_expected():
    """A bad uri value is reported as 'expected a URI'."""
    with pytest.raises(ApiValueError, match="expected a URI"):
        problem(type="not a uri")


def test_many_threads_reading_a_new_model_at_once_all_get_it_built(monkeypatch):
    """The first responses of a model, read by many threads at once, all build."""
    import threading
    import time

    from icasdk import compiled

    real_compile = compiled._compile

    def slow_compile(model, variant):
        time.sleep(0.2)  # hold the window in which other threads arrive
        return real_compile(model, variant)

    monkeypatch.setattr(compiled, "_compile", slow_compile)

    class Fresh(schemas.Model):
        __slots__ = ()
        name: str = schemas.field("name", schemas.String(), required=True)
        tags: TagUpdate = schemas.field(
            "tags", schemas.Ref("icasdk.model.tag_update", "TagUpdate")
        )

    start = threading.Barrier(16)
    results = []

    def read() -> None:
        start.wait()
        value, errors = schemas.from_response(Fresh, {"name": "x", "tags": {}})
        results.append((value.name, errors))

    threads = [threading.Thread(target=read) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert results == [("x", [])] * 16
