"""Tests for icasdk.tagging and icasdk.tagrun: plans, then runs on the emulator.

The run tests live here too: tagrun is the second half of one idea.
"""

from __future__ import annotations

import math
import re
import time
import uuid

import pytest

import icasdk
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.emulator import Emulator
from icasdk.tagging import (
    FAILED,
    REJECTED,
    UNKNOWN,
    UPDATED,
    TagChanges,
    TagInputError,
    TagInputTypeError,
    check_batch_size,
    data_id_problem,
    is_data_id,
    plan_tag_updates,
    tag_problem,
)
from icasdk.tagrun import Progress, RunInterrupted

FAST = {"initial_interval": 0.02, "max_interval": 0.05}
ADD_A = TagChanges(add_user_tags=("a=1",))
ADD_B = TagChanges(add_user_tags=("b=2",))


def new_id(kind: str = "fil") -> str:
    return f"{kind}.{uuid.uuid4().hex}"


# --------------------------------------------------------------------------
# Planning


def test_well_formed_ids_are_files_and_folders_with_32_lowercase_hex():
    """fil. and fol. with 32 lowercase hex digits pass; anything else does not."""
    assert is_data_id("fil." + "a" * 32)
    assert is_data_id("fol." + "0" * 32)
    for bad in (
        "",
        "fil.",
        "fil." + "A" * 32,
        "fil." + "a" * 31,
        "dat." + "a" * 32,
        "fil." + "a" * 33,
        " fil." + "a" * 32,
        "fil." + "g" * 32,
    ):
        assert not is_data_id(bad), bad


def test_a_malformed_id_message_says_what_was_expected():
    """The reason names the value, the expected form and a hint when it can."""
    assert "lowercase" in data_id_problem("fil." + "A" * 32)
    assert "got 5 hex digits" in data_id_problem("fil.12345")
    assert data_id_problem("") == "no data id given"


def test_ids_sharing_a_change_form_one_group():
    """Ids with the same change, in any tag order, share one group."""
    ids = [new_id() for _ in range(4)]
    rows = [
        (ids[0], TagChanges(("x", "y"))),
        (ids[1], TagChanges(("y", "x"))),
        (ids[2], ADD_A),
        (ids[3], TagChanges(("x", "y", "x"))),
    ]
    plan = plan_tag_updates(rows)
    assert [len(g.data_ids) for g in plan.groups] == [3, 1]
    assert len(plan.batches) == 1
    assert len(plan.batches[0].groups) == 2
    body = plan.batches[0].body()
    assert body["dataUpdateGroups"][0]["userTags"]["addTags"] == ("x", "y")
    assert "technicalTags" not in body["dataUpdateGroups"][0]


def test_rows_of_the_same_id_are_merged():
    """Two rows of one id send one id with both changes."""
    data_id = new_id()
    plan = plan_tag_updates([(data_id, ADD_A, 2), (data_id, ADD_B, 5)])
    assert plan.rows == 2
    assert plan.data_ids == 1
    assert plan.groups[0].changes == TagChanges(add_user_tags=("a=1", "b=2"))


def test_an_id_asked_to_add_and_remove_a_tag_is_rejected_and_the_rest_goes_ahead():
    """The conflicting id is rejected with its lines; the others are planned."""
    bad, good = new_id(), new_id()
    rows = [
        (bad, ADD_A, 2),
        (good, ADD_A, 3),
        (bad, TagChanges(remove_user_tags=("a=1",)), 4),
    ]
    plan = plan_tag_updates(rows)
    assert plan.rejected[bad].outcome == REJECTED
    assert plan.rejected[bad].reason == (
        "lines 2, 4: asked both to add and to remove user tag 'a=1'"
    )
    assert plan.batches[0].data_ids == (good,)


def test_a_technical_tag_conflict_is_named_as_technical():
    """A conflict on technical tags says technical."""
    data_id = new_id()
    change = TagChanges(add_technical_tags=("q",), remove_technical_tags=("q",))
    plan = plan_tag_updates([(data_id, change)])
    assert "technical tag 'q'" in plan.rejected[data_id].reason


def test_malformed_and_empty_changes_are_rejected_not_sent():
    """A malformed id and an id with nothing to change are rejected with a reason."""
    good = new_id()
    rows = [("fil.XYZ", ADD_A, 2), (good, TagChanges(), 3), (good.upper(), ADD_A, 4)]
    plan = plan_tag_updates(rows)
    assert plan.batches == ()
    assert set(plan.rejected) == {"fil.XYZ", good, good.upper()}
    assert plan.rejected["fil.XYZ"].reason.startswith("line 2: malformed data id")
    assert plan.rejected[good].reason == "line 3: no tag change given"


def test_groups_are_split_into_batches_of_the_batch_size():
    """12 ids in batches of 5 make batches of 5, 5 and 2, a group split across them."""
    ids = [new_id() for _ in range(12)]
    rows = [(i, ADD_A) for i in ids[:7]] + [(i, ADD_B) for i in ids[7:]]
    plan = plan_tag_updates(rows, batch_size=5)
    assert [len(b.data_ids) for b in plan.batches] == [5, 5, 2]
    assert [len(b.groups) for b in plan.batches] == [1, 2, 1]
    assert sum((b.data_ids for b in plan.batches), ()) == tuple(ids)


@pytest.mark.parametrize("size", [0, -1, 100_001])
def test_a_batch_size_out_of_range_is_refused(size):
    """Batch sizes must be between 1 and 100,000."""
    with pytest.raises(ValueError, match="between 1 and 100,000"):
        check_batch_size(size)
    with pytest.raises(ValueError):
        plan_tag_updates([], batch_size=size)


def test_the_largest_batch_size_is_allowed():
    """100,000 ids fit in one batch when asked."""
    assert check_batch_size(100_000) == 100_000


def test_a_lone_string_of_tags_is_refused():
    """TagChanges.of refuses a string where a list of tags belongs."""
    with pytest.raises(TypeError, match="add_user_tags must be a list"):
        TagChanges.of(add_user_tags="a=1")


def test_lists_instead_of_tuples_are_accepted():
    """A TagChanges holding lists is planned like one holding tuples."""
    data_id = new_id()
    plan = plan_tag_updates([(data_id, TagChanges(["a"], [], [], []))])
    assert plan.groups[0].changes == TagChanges(("a",))


def test_one_change_changed_in_place_between_rows_is_read_afresh_each_row():
    """Rows reusing one mutable change object each keep the tags they had."""
    given = TagChanges(["a=1"], [], [], [])
    first, second = new_id(), new_id()

    def rows():
        yield first, given, 1
        given.add_user_tags[:] = ["b=2"]
        yield second, given, 2

    plan = plan_tag_updates(rows())

    assert plan.changes_of(first) == TagChanges(("a=1",))
    assert plan.changes_of(second) == TagChanges(("b=2",))


def test_runs_of_rows_sharing_a_change_are_grouped_and_merged():
    """The same TagChanges object on many rows, with repeats, plans as equal ones do."""
    ids = [new_id() for _ in range(5)]
    rows = [(data_id, ADD_A, n) for n, data_id in enumerate(ids)]
    rows += [(ids[0], ADD_B, 9), (ids[1], ADD_A, 10)]

    plan = plan_tag_updates(rows)

    assert plan.changes_of(ids[0]) == TagChanges(("a=1", "b=2"))
    assert {data_id: plan.changes_of(data_id) for data_id in ids[1:]} == dict.fromkeys(
        ids[1:], ADD_A
    )
    assert sorted(len(group.data_ids) for group in plan.groups) == [1, 4]


@pytest.mark.parametrize(
    "tag, problem",
    [
        ("", "must not be empty"),
        ("  ", "must not be only whitespace"),
        ("a=1\nb=2", "must not contain a line break"),
        ("a\r", "must not contain a line break"),
        ("a;b", "must not contain ';'"),
        (" a", "must not have spaces at either end"),
        ("a\tb", "must not contain control characters"),
        ("a\x00", "must not contain control characters"),
        ("\ud800", "lone surrogate"),
    ],
)
def test_the_python_api_refuses_the_tags_the_command_refuses(tag, problem):
    """plan_tag_updates and TagChanges.of refuse a bad tag, naming row, id and tag."""
    data_id = new_id()
    assert problem in tag_problem(tag)
    with pytest.raises(TagInputError) as caught:
        plan_tag_updates([(data_id, ADD_A), (data_id, TagChanges(("ok", tag)))])
    message = str(caught.value)
    assert message.startswith(f"rows[1] (data id {data_id!r}): add_user_tags[1] ")
    assert problem in message and repr(tag) in message
    with pytest.raises(TagInputError, match=r"add_user_tags\[0\] must"):
        TagChanges.of(add_user_tags=[tag])


def test_good_tags_pass_the_check():
    """Ordinary key=value tags, inner spaces and non-ASCII text are fine."""
    for tag in ("subject_id=SBJ00123", "a b", "café=ü", "x" * 1000):
        assert tag_problem(tag) == ""


def test_mixing_lists_and_tuples_for_one_id_merges_them():
    """Rows of one id, one with lists and one with tuples, merge into one change."""
    data_id = new_id()
    rows = [(data_id, TagChanges(add_user_tags=["a"])), (data_id, TagChanges(("b",)))]
    plan = plan_tag_updates(rows)
    assert plan.groups[0].changes == TagChanges(("a", "b"))


@pytest.mark.parametrize(
    "rows, expected",
    [
        (
            ["fil." + "a" * 32],
            "rows[0]: expected a (data id, TagChanges) or (data id, TagChanges, line) "
            "tuple, got the string 'fil.aaaa",
        ),
        (
            [("fil." + "a" * 32, {"addUserTags": ["a"]})],
            "expected the tag changes as a TagChanges (e.g. TagChanges.of("
            "add_user_tags=[...])), got a dict {'addUserTags': ['a']}",
        ),
        ([(None, ADD_A)], "rows[0]: expected the data id as a string, got None"),
        (
            [("fil." + "a" * 32, ADD_A, "2")],
            "expected the line number as an int or None, got the string '2'",
        ),
        ([("fil." + "a" * 32, TagChanges(("x", 5)))], "must be a string, got an int 5"),
        ([("fil." + "a" * 32, ("x",))], "add_user_tags must be a list of tags, got"),
        ({"fil." + "a" * 32: ADD_A}, "for a dict of data id to TagChanges, pass its"),
    ],
    ids=[
        "bare-id",
        "dict-change",
        "none-id",
        "str-line",
        "int-tag",
        "str-tags",
        "dict",
    ],
)
def test_wrong_shapes_say_which_row_what_was_expected_and_what_was_given(
    rows, expected
):
    """A row, change or tag of the wrong type raises a TypeError that explains it."""
    with pytest.raises(TagInputTypeError) as caught:
        plan_tag_updates(rows)
    assert isinstance(caught.value, TypeError)
    assert expected in str(caught.value)


def test_every_problem_is_reported_at_once_and_nothing_is_planned():
    """Problems on several rows come in one error, the first few listed, all counted."""
    rows = [(new_id(), TagChanges(("",))) for _ in range(25)] + [(new_id(), ADD_A)]
    with pytest.raises(TagInputError) as caught:
        plan_tag_updates(rows)
    assert caught.value.total == 25 and len(caught.value.problems) == 10
    assert str(caught.value).startswith("25 problems:\n  rows[0] (data id")
    assert str(caught.value).endswith("... and 15 more")


def test_the_plan_prints_and_converts_to_json_data():
    """str(plan) and plan.to_dict() describe the groups, batches and rejects."""
    ids = [new_id() for _ in range(3)]
    plan = plan_tag_updates([(i, ADD_A) for i in ids] + [("bad", ADD_A)])
    text = str(plan)
    assert "4 rows, 4 distinct data ids: 3 to send in 1 batch" in text
    assert "+user: a=1" in text and "rejected bad" in text
    data = plan.to_dict()
    assert data["toSend"] == 3 and data["batches"] == [{"number": 1, "dataIds": 3}]
    assert data["rejected"][0]["dataId"] == "bad"


def test_planning_100000_rows_takes_well_under_a_second():
    """100,000 rows of a few tag sets plan in well under a second of CPU."""
    sets = [
        TagChanges((f"subject_id=SBJ{i:05d}",), ("status=pending",)) for i in range(20)
    ]
    rows = [(new_id(), sets[i % 20], i + 2) for i in range(100_000)]
    started = time.process_time()
    plan = plan_tag_updates(rows)
    spent = time.process_time() - started
    assert len(plan.batches) == 20
    assert spent < 1.0, spent


# --------------------------------------------------------------------------
# Running on the emulator


@pytest.fixture
def emu():
    """A fast emulator."""
    with Emulator(pace=100_000) as emulator:
        yield emulator


@pytest.fixture
def api(emu):
    """An API object on the emulator."""
    with icasdk.ApiClient(emu.configuration()) as client:
        yield ProjectDataUpdateBatchApi(client)


def make_files(emu, count: int):
    project = emu.create_project("p")
    return project, [emu.create_data(project, f"/f{i}.txt") for i in range(count)]


def test_a_run_updates_every_id_and_the_tags_arrive(emu, api):
    """Each id is updated, in batches of the batch size, and the data shows the tags."""
    project, ids = make_files(emu, 7)
    seen = []
    plan = plan_tag_updates([(i, ADD_A) for i in ids], batch_size=3)
    result = plan.run(api, project, on_progress=seen.append, wait_options=FAST)
    assert result.ok
    assert result.counts == {UPDATED: 7, FAILED: 0, REJECTED: 0, UNKNOWN: 0}
    assert len(result.batches) == 3
    assert set(result.batches.values()) == {"SUCCEEDED"}
    assert emu.data_tags(ids[0]) == (("a=1",), ())
    assert seen[-1] == Progress("done", 3, 3, 7, 7)
    assert all(isinstance(p, Progress) for p in seen)


def test_failed_items_carry_the_service_information(emu, api):
    """Unknown ids fail with the item's additionalStatusInformation; the rest update."""
    project, ids = make_files(emu, 3)
    ghost = new_id()
    plan = plan_tag_updates([(i, ADD_A) for i in ids + [ghost]] + [("bad", ADD_A)])
    result = plan.run(api, project, wait_options=FAST)
    assert result.counts == {UPDATED: 3, FAILED: 1, REJECTED: 1, UNKNOWN: 0}
    failed = result.outcomes[ghost]
    assert failed.reason == f"Data {ghost!r} was not found."
    assert failed.item_status == "FAILED"
    assert list(result.batches.values()) == ["PARTIALLY_SUCCEEDED"]
    assert not result.ok
    assert [o.data_id for o in result.problems] == ["bad", ghost]


def test_a_lost_answer_to_create_leaves_the_ids_unknown_and_is_not_resent(emu, api):
    """A create whose connection drops after processing is unknown, sent once."""
    project, ids = make_files(emu, 4)
    emu.faults.inject(
        "disconnect_after", operation="createProjectDataUpdateBatch", count=1
    )
    plan = plan_tag_updates([(i, ADD_A) for i in ids], batch_size=2)
    result = plan.run(api, project, wait_options=FAST)
    assert result.counts == {UPDATED: 2, FAILED: 0, REJECTED: 0, UNKNOWN: 2}
    unknown = result.outcomes[ids[0]]
    assert "may or may not have been created (not resent)" in unknown.reason
    posts = [r for r in emu.requests if r.method == "POST"]
    assert len(posts) == 2
    assert emu.batches_created == 2  # the first batch exists, though unanswered


def test_a_server_error_on_create_leaves_the_ids_unknown(emu, api):
    """A 5xx answer to a create may hide a created batch: unknown."""
    project, ids = make_files(emu, 2)
    emu.faults.inject("server_error", operation="createProjectDataUpdateBatch", count=1)
    result = plan_tag_updates([(i, ADD_A) for i in ids]).run(api, project)
    assert result.counts[UNKNOWN] == 2
    assert "ServiceException" in result.outcomes[ids[0]].reason


def test_a_missing_project_fails_the_batch_and_stops_the_run(emu, api):
    """A 404 fails the first batch's ids and rejects the batches never sent."""
    _, ids = make_files(emu, 4)
    plan = plan_tag_updates([(i, ADD_A) for i in ids], batch_size=2)
    result = plan.run(api, str(uuid.uuid4()))
    assert result.counts == {UPDATED: 0, FAILED: 2, REJECTED: 2, UNKNOWN: 0}
    assert "NotFoundException" in result.outcomes[ids[0]].reason
    assert "not sent: the run stopped after batch 1" in result.outcomes[ids[2]].reason
    assert len([r for r in emu.requests if r.method == "POST"]) == 1


def test_a_refused_credential_is_reported_as_an_auth_error(emu):
    """A 401 on create fails the ids and shows up as the result's auth_error."""
    project, ids = make_files(emu, 2)
    configuration = icasdk.Configuration(
        host=emu.base_url, api_key={"ApiKeyAuth": "wrong-key"}
    )
    with icasdk.ApiClient(configuration) as client:
        api = ProjectDataUpdateBatchApi(client)
        result = plan_tag_updates([(i, ADD_A) for i in ids]).run(api, project)
    assert result.counts[FAILED] == 2
    assert result.auth_error is not None and result.auth_error.status == 401


def test_a_create_that_could_not_connect_fails_without_doubt(emu):
    """No connection at all means nothing was created: failed, not unknown."""
    project, ids = make_files(emu, 1)
    configuration = emu.configuration()
    with Emulator() as other:
        closed_url = other.base_url
    configuration.host = closed_url
    configuration.retries = 0
    with icasdk.ApiClient(configuration) as client:
        api = ProjectDataUpdateBatchApi(client)
        result = plan_tag_updates([(ids[0], ADD_A)]).run(api, project)
    assert result.counts[FAILED] == 1, result.outcomes
    assert "ApiConnectionError" in result.outcomes[ids[0]].reason


def test_a_batch_still_running_at_the_timeout_leaves_its_ids_unknown():
    """A wait timeout gives unknown with the batch id; nothing is resent."""
    with Emulator(pace="step") as emu:
        project, ids = make_files(emu, 2)
        with icasdk.ApiClient(emu.configuration()) as client:
            api = ProjectDataUpdateBatchApi(client)
            plan = plan_tag_updates([(i, ADD_A) for i in ids])
            result = plan.run(api, project, timeout=0, wait_options=FAST)
    assert result.counts[UNKNOWN] == 2
    outcome = result.outcomes[ids[0]]
    assert outcome.batch_id in outcome.reason and "icasdk batch wait" in outcome.reason
    assert list(result.batches.values()) == ["INITIALIZED"]


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"timeout": -1}, ValueError, "timeout must be zero or a positive"),
        ({"timeout": math.nan}, ValueError, "got nan"),
        ({"timeout": math.inf}, ValueError, "None waits for ever"),
        ({"timeout": "60"}, TypeError, "timeout must be a number of seconds"),
        ({"wait_options": {"initial_interval": 0}}, ValueError, "initial_interval"),
        ({"wait_options": {"max_interval": math.nan}}, ValueError, "max_interval"),
        ({"wait_options": {"intial_interval": 1}}, TypeError, "'intial_interval'"),
        ({"wait_options": {"initial_interval": 60}}, ValueError, "<= max_interval"),
        ({"on_progress": "print"}, TypeError, "on_progress must be a callable"),
    ],
)
def test_run_options_are_checked_before_anything_is_sent(
    emu, api, options, error, message
):
    """A timeout or wait option the run could not keep to raises before any create."""
    project, ids = make_files(emu, 1)
    plan = plan_tag_updates([(ids[0], ADD_A)])
    with pytest.raises(error, match=re.escape(message)):
        plan.run(api, project, **options)
    assert emu.batches_created == 0


def test_items_that_did_not_update_are_found_even_with_odd_counts(emu, api):
    """When counts and the filtered list disagree, every item is listed and sorted."""
    project, ids = make_files(emu, 3)
    ghost = new_id()
    plan = plan_tag_updates([(i, ADD_A) for i in ids + [ghost]])

    class OddCounts:
        def __getattr__(self, name):
            return getattr(api, name)

        def wait_for_project_data_update_batch(self, **kwargs):
            waited = api.wait_for_project_data_update_batch(**kwargs)
            return type(waited)(waited.batch, waited.status, {"UPDATED": 1})

    result = plan.run(OddCounts(), project, wait_options=FAST)
    assert result.counts == {UPDATED: 3, FAILED: 1, REJECTED: 0, UNKNOWN: 0}
    lists = [r for r in emu.requests if r.path.endswith("/items") and r.method == "GET"]
    assert lists, emu.requests


def test_the_result_converts_to_json_data(emu, api):
    """to_dict() has counts, batches and the problems only."""
    project, ids = make_files(emu, 2)
    result = plan_tag_updates([(ids[0], ADD_A), ("bad", ADD_A)]).run(
        api, project, wait_options=FAST
    )
    data = result.to_dict()
    assert data["counts"][UPDATED] == 1
    assert [p["dataId"] for p in data["problems"]] == ["bad"]
    assert data["batches"][0]["status"] == "SUCCEEDED"


class Interrupting:
    """An API that passes calls on, but raises KeyboardInterrupt at one call."""

    def __init__(self, api, method: str, at_call: int) -> None:
        self.api, self.method, self.at_call, self.calls = api, method, at_call, 0

    def __getattr__(self, name: str):
        attribute = getattr(self.api, name)
        if name != self.method:
            return attribute

        def call(*args, **kwargs):
            self.calls += 1
            if self.calls == self.at_call:
                raise KeyboardInterrupt
            return attribute(*args, **kwargs)

        return call


def test_ctrl_c_while_creating_keeps_the_created_batch_and_settles_every_id(emu, api):
    """Ctrl-C at the second create: batch 1 unknown with its id, 2 unknown, 3 unsent."""
    project, ids = make_files(emu, 6)
    plan = plan_tag_updates([(i, ADD_A) for i in ids] + [("bad", ADD_A)], batch_size=2)
    interrupting = Interrupting(api, "create_project_data_update_batch", 2)
    with pytest.raises(RunInterrupted) as caught:
        plan.run(interrupting, project, wait_options=FAST)
    assert isinstance(caught.value, KeyboardInterrupt)
    result = caught.value.result
    assert len(result.batches) == 1 == emu.batches_created
    [batch_id] = result.batches
    outcomes = [result.outcomes[i] for i in ids]
    assert [o.outcome for o in outcomes] == [UNKNOWN] * 4 + [REJECTED] * 2
    assert outcomes[0].batch_id == batch_id
    assert f"icasdk batch wait {project} {batch_id}" in outcomes[0].reason
    assert "may or may not have been created" in outcomes[2].reason
    assert "not sent: the run was interrupted" in outcomes[4].reason
    assert result.outcomes["bad"].outcome == REJECTED


def test_ctrl_c_while_waiting_leaves_every_created_batch_unknown_with_its_id(emu, api):
    """Ctrl-C in the first wait: all batches exist; each id unknown with its batch."""
    project, ids = make_files(emu, 5)
    plan = plan_tag_updates([(i, ADD_A) for i in ids], batch_size=2)
    interrupting = Interrupting(api, "wait_for_project_data_update_batch", 1)
    with pytest.raises(RunInterrupted) as caught:
        plan.run(interrupting, project, wait_options=FAST)
    result = caught.value.result
    assert emu.batches_created == 3 == len(result.batches)
    assert result.counts == {UPDATED: 0, FAILED: 0, REJECTED: 0, UNKNOWN: 5}
    assert {result.outcomes[i].batch_id for i in ids} == set(result.batches)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_under_random_faults_every_id_ends_in_exactly_one_outcome(seed):
    """With creates and reads failing at random, the outcome counts still add up."""
    with Emulator(pace=100_000) as emu:
        project, ids = make_files(emu, 30)
        rows = [(i, ADD_A) for i in ids] + [(new_id(), ADD_B), ("bad", ADD_A)]
        emu.faults.inject(
            "disconnect_after",
            operation="createProjectDataUpdateBatch",
            probability=0.3,
            seed=seed,
        )
        emu.faults.inject(
            "server_error",
            operation="createProjectDataUpdateBatch",
            probability=0.2,
            seed=seed + 10,
        )
        emu.faults.inject(
            "server_error",
            operation="getProjectDataUpdateBatchItems",
            probability=0.02,
            seed=seed + 20,
        )
        configuration = emu.configuration()
        configuration.retries = 0
        with icasdk.ApiClient(configuration) as client:
            api = ProjectDataUpdateBatchApi(client)
            plan = plan_tag_updates(rows, batch_size=4)
            result = plan.run(api, project, wait_options=FAST)
    assert sorted(result.outcomes) == sorted({row[0] for row in rows})
    assert sum(result.counts.values()) == plan.data_ids == 32
    assert result.counts[REJECTED] == 1
    assert result.counts[UPDATED] and result.counts[UNKNOWN]  # the faults did bite
    posts = [r for r in emu.requests if r.method == "POST"]
    assert len(posts) == len(plan.batches)  # nothing was ever sent twice


def test_the_guides_python_example_runs_against_the_emulator(
    emu, tmp_path, monkeypatch, capsys
):
    """The Python block of docs/guides/bulk-tagging.md tags the files it names."""
    import pathlib
    import re

    guide = pathlib.Path(__file__).parent.parent / "docs/guides/bulk-tagging.md"
    code = re.search(r"```python\n(.*?)```", guide.read_text(), re.S).group(1)
    project = emu.create_project("guide")
    named = "fil.0123456789abcdef0123456789abcdef"  # named by the guide; not here
    other = emu.create_data(project, "/a.txt")
    (tmp_path / "tags.csv").write_text(f"dataId,addUserTags\n{other},x\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ICAV2_BASE_URL", emu.base_url)
    monkeypatch.setenv("ICAV2_X_API_KEY", emu.api_key)
    monkeypatch.setenv("ICAV2_PROJECT_ID", project)
    exec(compile(code, str(guide), "exec"), {})
    out = capsys.readouterr().out
    assert emu.data_tags(other) == (("x",), ())
    assert "'updated': 1, 'failed': 1" in out  # the named id is not in the project
    assert f"{named} failed" in out
