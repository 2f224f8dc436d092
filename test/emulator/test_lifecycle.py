"""How a batch's job and items move, and how their tag changes reach the data."""

from __future__ import annotations

import time

import pytest

from icasdk.emulator import Emulator, lifecycle

from .helpers import Client, group


def _statuses(client, project, batch_id):
    items = client.items(project, batch_id, pageSize="1000")["items"]
    return [item["processing"]["status"] for item in items]


def test_step_mode_moves_one_phase_per_advance(emu, client, project):
    """INITIALIZED, WAITING_FOR_RESOURCES, RUNNING, then SUCCEEDED, on demand."""
    ids = [emu.create_data(project, "/f%d" % i) for i in range(15)]
    batch_id = client.create(project, group(*ids, add=["x"]))["id"]
    seen = [
        (
            client.batch(project, batch_id)["job"]["status"],
            _statuses(client, project, batch_id),
        )
    ]

    for _ in range(3):
        emu.advance(batch_id)
        seen.append(
            (
                client.batch(project, batch_id)["job"]["status"],
                _statuses(client, project, batch_id),
            )
        )

    assert seen[0] == ("INITIALIZED", ["INITIALISED"] * 15)
    assert seen[1] == ("WAITING_FOR_RESOURCES", ["WAITING_RESOURCES"] * 15)
    assert seen[2] == ("RUNNING", ["UPDATING"] * 10 + ["WAITING_RESOURCES"] * 5)
    assert seen[3] == ("SUCCEEDED", ["UPDATED"] * 15)


def test_advance_by_items_applies_tags_as_items_finish(emu, client, project):
    """advance(items=N) finishes N more items, and only their data is tagged."""
    ids = [emu.create_data(project, "/f%d" % i) for i in range(4)]
    batch_id = client.create(project, group(*ids, add=["x"]))["id"]

    emu.advance(batch_id, items=2)

    assert _statuses(client, project, batch_id)[:3] == [
        "UPDATED",
        "UPDATED",
        "UPDATING",
    ]
    assert [emu.data_tags(i)[0] for i in ids] == [("x",), ("x",), (), ()]
    assert client.batch(project, batch_id)["job"]["status"] == "RUNNING"


def test_time_stamps_are_set_as_the_job_moves(emu, client, project):
    """timeStarted is set on RUNNING and timeFinished at the end, in order."""
    batch_id = client.create(project, group(emu.create_data(project, "/a")))["id"]
    emu.advance(batch_id)
    waiting = client.batch(project, batch_id)["job"]

    emu.advance(batch_id)
    running = client.batch(project, batch_id)["job"]
    emu.finish(batch_id)
    done = client.batch(project, batch_id)["job"]

    assert waiting["timeStarted"] is None
    assert running["timeStarted"] is not None and running["timeFinished"] is None
    assert done["timeStarted"] == running["timeStarted"]
    assert done["timeCreated"] <= done["timeStarted"] <= done["timeFinished"]


def test_finish_without_id_finishes_every_batch(emu, client, project):
    """finish() with no batch id ends every unfinished batch."""
    data = emu.create_data(project, "/a")
    first = client.create(project, group(data, add=["a"]))["id"]
    second = client.create(project, group(data, add=["b"]))["id"]

    moved = emu.finish()

    assert moved == 2
    assert {b.status for b in emu.batches} == {"SUCCEEDED"}
    assert emu.data_tags(data) == (("a", "b"), ())
    assert emu.finish() == 0
    assert first != second


def test_tag_changes_are_applied_and_harmless_when_repeated(emu, client, project):
    """Adding a present tag or removing an absent one changes nothing else."""
    data = emu.create_data(
        project, "/a", user_tags=["keep", "old"], technical_tags=["t"]
    )

    batch_id = client.create(
        project,
        group(
            data,
            add=["keep", "new"],
            remove=["old", "absent"],
            tech_add=["t", "u"],
            tech_remove=["nope"],
        ),
    )["id"]
    emu.finish(batch_id)

    assert emu.data_tags(data) == (("keep", "new"), ("t", "u"))
    assert _statuses(client, project, batch_id) == ["UPDATED"]


def test_folder_updates_reach_everything_under_it(emu, client, project):
    """A folder's tags go to the folder, its files and its subfolders' files."""
    folder = emu.create_data(project, "/run/")
    inner = emu.create_data(project, "/run/a.fastq")
    deep = emu.create_data(project, "/run/lane1/b.fastq")
    beside = emu.create_data(project, "/run2/c.fastq")

    batch_id = client.create(project, group(folder, add=["qc"], tech_add=["t"]))["id"]
    emu.finish(batch_id)

    assert emu.data_tags(folder) == (("qc",), ("t",))
    assert emu.data_tags(inner) == (("qc",), ("t",))
    assert emu.data_tags(deep) == (("qc",), ("t",))
    assert emu.data_tags(beside) == ((), ())


def test_unknown_and_foreign_data_fail_with_a_reason(emu, client, project):
    """Unknown ids and another project's data make FAILED items saying why."""
    other = emu.create_project("other")
    good = emu.create_data(project, "/a")
    foreign = emu.create_data(other, "/b")
    unknown = "fil.%032x" % 7

    batch_id = client.create(project, group(good, foreign, unknown, add=["x"]))["id"]
    emu.finish(batch_id)
    items = client.items(project, batch_id)["items"]
    job = client.batch(project, batch_id)["job"]

    assert [i["processing"]["status"] for i in items] == ["UPDATED", "FAILED", "FAILED"]
    assert items[0]["processing"]["additionalStatusInformation"] is None
    assert "another project" in items[1]["processing"]["additionalStatusInformation"]
    assert "not found" in items[2]["processing"]["additionalStatusInformation"]
    assert job["status"] == "PARTIALLY_SUCCEEDED"
    assert "2 of 3" in job["additionalStatusInformation"]
    assert emu.data_tags(foreign) == ((), ())


def test_a_batch_whose_every_item_fails_is_failed(emu, client, project):
    """When no item can be updated the job ends FAILED."""
    batch_id = client.create(project, group("fil.%032x" % 1, "fol.%032x" % 2))["id"]

    emu.finish(batch_id)

    assert client.batch(project, batch_id)["job"]["status"] == "FAILED"


def test_a_fast_rate_finishes_without_being_told(project):
    """At 20,000 items a second a 1,000-item batch ends by itself within a second."""
    with Emulator(pace=20000) as emu:
        client = Client(emu)
        project = emu.create_project("p")
        ids = [emu.create_data(project, "/f%d" % i) for i in range(1000)]
        batch_id = client.create(project, group(*ids, add=["x"]))["id"]

        deadline = time.monotonic() + 5
        while client.batch(project, batch_id)["job"]["status"] != "SUCCEEDED":
            assert time.monotonic() < deadline
            time.sleep(0.05)

        assert emu.data_tags(ids[-1]) == (("x",), ())


def test_the_default_pace_finishes_1000_items_in_a_few_seconds():
    """Without a pace, a 1,000-item batch succeeds within five seconds."""
    with Emulator() as emu:
        client = Client(emu)
        project = emu.create_project("p")
        ids = [emu.create_data(project, "/f%d" % i) for i in range(1000)]
        started = time.monotonic()
        batch_id = client.create(project, group(*ids, add=["x"]))["id"]
        statuses = set()

        while True:
            status = client.batch(project, batch_id)["job"]["status"]
            statuses.add(status)
            if status == "SUCCEEDED" or time.monotonic() - started > 5:
                break
            time.sleep(0.05)

        assert status == "SUCCEEDED"
        assert "RUNNING" in statuses


def test_advance_freezes_a_rate_paced_batch(project):
    """advance() on a rate-paced batch stops its clock; it moves on demand."""
    with Emulator(pace=0.001) as emu:
        client = Client(emu)
        project = emu.create_project("p")
        batch_id = client.create(project, group(emu.create_data(project, "/a")))["id"]

        emu.advance(batch_id)
        emu.advance(batch_id)
        time.sleep(0.25)

        assert client.batch(project, batch_id)["job"]["status"] == "RUNNING"
        emu.finish(batch_id)
        assert client.batch(project, batch_id)["job"]["status"] == "SUCCEEDED"


def test_advance_of_an_unknown_batch_is_an_error(emu):
    """advance() names an unknown batch id."""
    with pytest.raises(KeyError, match="no batch"):
        emu.advance("nope")


@pytest.mark.parametrize("value", ["fast", -1, 0, "nan", float("inf"), "-inf"])
def test_a_bad_pace_is_refused(value):
    """A pace that is neither 'step' nor a positive number is a ValueError."""
    with pytest.raises(ValueError, match="pace must be"):
        lifecycle.make_pace(value)


def test_the_pace_can_change_for_new_batches(emu, client, project):
    """Setting emu.pace changes how later batches move, not earlier ones."""
    data = emu.create_data(project, "/a")
    stepped = client.create(project, group(data))["id"]

    emu.pace = 1_000_000
    fast = client.create(project, group(data))["id"]
    time.sleep(0.3)

    assert client.batch(project, fast)["job"]["status"] == "SUCCEEDED"
    assert client.batch(project, stepped)["job"]["status"] == "INITIALIZED"
    assert emu.pace.describe() == "1e+06"
