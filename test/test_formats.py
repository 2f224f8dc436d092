"""Format checks that remember what they passed: the same answers, bounded memory."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from icasdk import compiled, formats, schemas
from icasdk.exceptions import ApiValueError
from icasdk.model.job import Job

RAW_CHECKS = {
    "uuid": formats.is_uuid,
    "date-time": formats.is_date_time,
    "date": formats.is_date,
    "uri": formats._URI_RE.fullmatch,
}
VALID = {
    "uuid": "8b2d4f6e-1a3c-4e5f-9a7b-0c1d2e3f4a5b",
    "date-time": "2024-07-01T09:14:03.512Z",
    "date": "2024-02-29",
    "uri": "https://ica.illumina.com/ica/rest",
}


class CountingCheck:
    """A stand-in check that counts how often it is asked."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self, value: str) -> bool:
        self.calls += 1
        return self.answer


def test_every_checked_format_remembers():
    """Each format the runtime checks goes through a remembering check."""
    assert set(schemas.FORMAT_CHECKS) == set(RAW_CHECKS)
    for name, check in schemas.FORMAT_CHECKS.items():
        assert isinstance(check, formats.RememberingCheck), name
        assert check.check == RAW_CHECKS[name]


def test_a_passed_text_is_not_checked_again():
    counting = CountingCheck()
    check = formats.RememberingCheck(counting)

    assert check("a") is True
    assert check("".join(["a"])) is True  # an equal text, another object

    assert counting.calls == 1


def test_a_failed_text_is_checked_every_time_and_never_remembered():
    counting = CountingCheck(answer=False)
    check = formats.RememberingCheck(counting)

    assert check("bad") is False
    assert check("bad") is False

    assert counting.calls == 2
    assert check.passed == set()


def test_memory_is_bounded_by_the_limit():
    """Past the limit the set starts afresh: it never holds more than the limit."""
    check = formats.RememberingCheck(CountingCheck(), limit=3)

    for number in range(10):
        assert check(str(number)) is True
        assert len(check.passed) <= 3

    assert "9" in check.passed


def test_a_long_text_is_checked_every_time_and_never_remembered():
    """Only short texts are kept, so a server's huge values cannot pile up."""
    counting = CountingCheck()
    check = formats.RememberingCheck(counting)
    long_text = "/" + "x" * formats.REMEMBERED_LENGTH

    assert check(long_text) and check(long_text)

    assert counting.calls == 2
    assert check.passed == set()
    assert check("/" + "x" * (formats.REMEMBERED_LENGTH - 1))
    assert len(check.passed) == 1


def test_only_ascii_texts_are_remembered():
    """A character beyond ASCII takes up to four bytes: such texts are not kept."""
    check = formats.RememberingCheck(CountingCheck())

    assert check("a:" + "\U0001f600" * 10) and check("a:" + "\U0001f600" * 10)

    assert check.check.calls == 2
    assert check.passed == set()


def test_a_str_subclass_is_checked_and_not_remembered():
    """A subclass claiming to equal a passed text cannot skip the check."""

    class Liar(str):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = str.__hash__

    counting = CountingCheck(answer=False)
    check = formats.RememberingCheck(counting)
    check.passed.add("good")

    assert check(Liar("good")) is False
    assert counting.calls == 1
    assert check.passed == {"good"}


class Impostor(str):
    """Text that claims to be a plain ``str`` equal to a valid id (a helper's find)."""

    @property
    def __class__(self):  # noqa: D401 - what isinstance and __class__ see
        return str

    def __eq__(self, other: object) -> bool:
        return other == VALID["uuid"]

    def __hash__(self) -> int:
        return hash(VALID["uuid"])


def test_text_faking_its_class_is_still_checked_in_a_response():
    assert schemas.FORMAT_CHECKS["uuid"](VALID["uuid"])  # remembered now

    _, errors = schemas.from_response(Job, {"id": Impostor("not-a-uuid")})

    assert ("id",) in [error.path for error in errors]


def test_text_faking_its_class_is_still_checked_in_a_request():
    assert schemas.FORMAT_CHECKS["uuid"](VALID["uuid"])

    with pytest.raises(ApiValueError, match="expected a UUID string"):
        schemas.to_request_value(
            schemas.String(format="uuid"), Impostor("not-a-uuid"), ("batchId",)
        )


def test_a_plain_format_test_in_the_table_still_compiles(monkeypatch):
    """A test put in FORMAT_CHECKS without remembering is called as it is."""
    monkeypatch.setitem(schemas.FORMAT_CHECKS, "uuid", formats.is_uuid)
    src = compiled._Source()

    test = compiled._inline_test(src, schemas.String(format="uuid"), "v")

    assert " in " not in test
    assert formats.is_uuid in src.names.values()


@pytest.mark.parametrize("name", sorted(RAW_CHECKS))
@given(text=st.text(max_size=40))
def test_remembering_never_changes_an_answer(name, text):
    """For any text, the first and the second answer are the raw check's."""
    check = formats.RememberingCheck(RAW_CHECKS[name])
    expected = bool(RAW_CHECKS[name](text))

    assert check(text) is expected
    assert check(text) is expected


@pytest.mark.parametrize("name", sorted(VALID))
def test_a_valid_text_passes_twice_and_its_bad_neighbour_never(name):
    check = schemas.FORMAT_CHECKS[name]
    text = VALID[name]
    broken = "x" + text if name != "uri" else " " + text

    assert check(text) and check(text)
    assert not check(broken) and not check(broken)
    assert broken not in check.passed


def test_responses_still_report_a_bad_value_after_good_ones():
    """The compiled builder's inline lookup passes only remembered valid texts."""
    good = {
        "id": "1284b3ce-4fcd-4d5a-8e46-a645dd2d2c33",
        "status": "SUCCEEDED",
        "subjectType": "ProjectDataUpdateBatch",
        "subjectId": "8b2d4f6e-1a3c-4e5f-9a7b-0c1d2e3f4a5b",
        "timeCreated": "2024-07-01T09:14:03.512Z",
    }
    _, first = schemas.from_response(Job, dict(good))
    _, again = schemas.from_response(Job, dict(good))
    assert again == first  # the owner is missing; nothing else is wrong

    bad = dict(good, timeCreated="2024-07-01T25:14:03.512Z")
    job, errors = schemas.from_response(Job, bad)

    assert [error.path for error in errors if error not in first] == [("timeCreated",)]
    assert job["timeCreated"] == "2024-07-01T25:14:03.512Z"
