"""SQLite persistence: with a state file, everything survives a restart."""

from __future__ import annotations

import sqlite3
import time

import pytest

from icasdk.emulator import Emulator
from icasdk.emulator.errors import StateFileError

from .helpers import Client, group


def test_batches_survive_a_restart(tmp_path):
    """Projects, data, batches, items, progress and keys come back from the file."""
    path = str(tmp_path / "state.sqlite")
    with Emulator(pace="step", state=path) as first:
        client = Client(first)
        project = first.create_project("kept")
        ids = [first.create_data(project, "/d/f%d" % i) for i in range(5)]
        batch = client.create(project, group(*ids, add=["x"]))["id"]
        first.advance(batch, items=2)
        items_before = client.items(project, batch)["items"]
        key = first.api_key

    with Emulator(state=path) as second:
        client = Client(second)
        items_after = client.items(project, batch)["items"]
        job = client.batch(project, batch)["job"]
        second.finish(batch)

        assert second.api_key == key
        assert items_after == items_before
        assert job["status"] == "RUNNING"
        assert [second.data_tags(i)[0] for i in ids] == [("x",)] * 5
        assert client.batch(project, batch)["job"]["status"] == "SUCCEEDED"

    with Emulator(state=path) as third:
        assert third.batches[0].status == "SUCCEEDED"
        assert third.data_tags(ids[0]) == (("x",), ())
        assert third.create_data(project, "/d/") == third.create_data(project, "/d/")


def test_a_rate_paced_batch_goes_on_after_a_restart(tmp_path):
    """A batch running at a rate keeps its clock across a restart."""
    path = str(tmp_path / "state.sqlite")
    with Emulator(pace=50, state=path) as first:
        project = first.create_project("p")
        data = first.create_data(project, "/a")
        batch = Client(first).create(project, group(data, add=["y"]))["id"]

    time.sleep(0.3)
    with Emulator(state=path) as second:
        assert Client(second).batch(project, batch)["job"]["status"] == "SUCCEEDED"
        assert second.data_tags(data) == (("y",), ())


def test_reset_empties_the_file(tmp_path):
    """reset() clears the state file too, keeping only the defaults."""
    path = str(tmp_path / "state.sqlite")
    with Emulator(pace="step", state=path, api_key="k") as first:
        project = first.create_project("gone")
        first.reset()

    with Emulator(state=path, api_key="k") as second:
        assert second.batches == []
        with pytest.raises(KeyError, match="no project"):
            second.create_data(project, "/a")


def _table_of_another_shape(path):
    database = sqlite3.connect(str(path))
    database.execute("CREATE TABLE records (kind, id, body)")
    database.execute("INSERT INTO records VALUES ('batch', 'x', '{}')")
    database.commit()
    database.close()


@pytest.mark.parametrize(
    "prepare, words",
    [
        (lambda path: path.mkdir(), "is a directory"),
        (lambda path: path.write_bytes(b"\x00junk" * 200), "not a SQLite database"),
        (_table_of_another_shape, "records are not an emulator's"),
    ],
    ids=["directory", "not-sqlite", "foreign-records"],
)
def test_an_unusable_state_file_is_a_state_file_error(tmp_path, prepare, words):
    """A state file that cannot be used raises StateFileError naming it."""
    path = tmp_path / "state.sqlite"
    prepare(path)

    with pytest.raises(StateFileError, match=words) as caught:
        Emulator(state=str(path))

    assert repr(str(path)) in str(caught.value)
    assert isinstance(caught.value, ValueError)
