"""Tests for ``icasdk batch get|items|wait`` and ``icasdk emulator``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid

import pytest

import icasdk
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.model.create_project_data_update_batch import CreateProjectDataUpdateBatch

from .test_tag import icasdk_command


@pytest.fixture
def batch(emu):
    """A batch of two files and one unknown id, finished: (project, batch id)."""
    project = emu.create_project("b")
    ids = [emu.create_data(project, f"/f{i}") for i in range(2)]
    ids.append("fil." + uuid.uuid4().hex)
    body = CreateProjectDataUpdateBatch(
        dataUpdateGroups=[{"dataIds": ids, "userTags": {"addTags": ["x"]}}]
    )
    with icasdk.ApiClient(emu.configuration()) as client:
        api = ProjectDataUpdateBatchApi(client)
        created = api.create_project_data_update_batch(
            body=body, path_params={"projectId": project}
        )
    emu.finish()
    return project, str(created.body["id"])


def test_get_shows_the_batch_and_its_job(batch, env, run):
    """batch get prints the id and the job's status, one field a line."""
    ran = run("batch", "get", *batch)
    assert ran.code == 0, ran.err
    assert f"batch    {batch[1]}" in ran.out
    assert "status   PARTIALLY_SUCCEEDED" in ran.out


def test_get_as_json_parses(batch, env, run):
    """batch get --json prints the batch as JSON."""
    ran = run("batch", "get", *batch, "--json")
    document = json.loads(ran.out)
    assert document["id"] == batch[1]
    assert document["job"]["status"] == "PARTIALLY_SUCCEEDED"


def test_items_lists_every_item_or_those_in_a_status(batch, env, run):
    """batch items lists all items; --status FAILED only the failed one."""
    every = run("batch", "items", *batch)
    assert every.code == 0 and len(every.out.splitlines()) == 3
    assert "3 items" in every.err
    failed = run("batch", "items", *batch, "--status", "failed")
    lines = failed.out.splitlines()
    assert len(lines) == 1 and "FAILED" in lines[0] and "was not found" in lines[0]


def test_items_as_json_is_one_array(batch, env, run):
    """batch items --json prints one parseable array (also when empty)."""
    ran = run("batch", "items", *batch, "--json", "--status", "UPDATED")
    items = json.loads(ran.out)
    assert [item["processing"]["status"] for item in items] == ["UPDATED"] * 2
    none = run("batch", "items", *batch, "--json", "--status", "UPDATING")
    assert json.loads(none.out) == []


def test_wait_reports_the_final_status_and_counts(batch, env, run):
    """batch wait exits 1 for PARTIALLY_SUCCEEDED and prints the counts."""
    ran = run("batch", "wait", *batch)
    assert ran.code == 1
    assert "PARTIALLY_SUCCEEDED: UPDATED 2, FAILED 1" in ran.out
    as_json = json.loads(run("batch", "wait", *batch, "--json").out)
    assert as_json["status"] == "PARTIALLY_SUCCEEDED"
    assert as_json["counts"]["FAILED"] == 1


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_wait_refuses_a_timeout_that_is_not_positive_and_finite(
    batch, env, run, emu, value
):
    """batch wait --timeout 0, -1, nan or inf exits 2 with one line, asking nothing."""
    before = len(emu.requests)
    ran = run("batch", "wait", *batch, f"--timeout={value}")
    assert ran.code == 2
    assert "argument --timeout: expected a positive number of seconds" in ran.err
    assert "Traceback" not in ran.err and len(emu.requests) == before


def test_a_batch_id_that_is_not_a_uuid_is_bad_input(env, run, emu):
    """A malformed batch id exits 2 before anything is sent."""
    ran = run("batch", "get", "p", "not-a-uuid")
    assert ran.code == 2
    assert "ApiValueError" in ran.err
    assert emu.requests == []


def test_an_unknown_batch_exits_1_with_the_error_class(batch, env, run):
    """A 404 is printed as NotFoundException and exits 1."""
    ran = run("batch", "get", batch[0], str(uuid.uuid4()))
    assert ran.code == 1
    assert ran.err.startswith("error: NotFoundException: HTTP 404")


def test_the_emulator_command_shows_its_help(run):
    """icasdk emulator --help is the emulator's own help, under this name."""
    ran = run("emulator", "--help")
    assert ran.code == 0
    assert ran.out.startswith("usage: icasdk emulator")
    assert "--pace" in ran.out


def test_the_emulator_command_serves_until_terminated(clean_env):
    """icasdk emulator serves on a free port and stops on SIGTERM."""
    process = subprocess.Popen(
        [*icasdk_command(), "emulator", "--port", "0", "--pace", "step"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("ICA emulator serving at http://127.0.0.1:"), first
        assert first.rstrip().endswith("/ica/rest")
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "stopped" in out


@pytest.mark.skipif(sys.platform == "win32", reason="signals")
def test_no_command_is_a_usage_error(run):
    """icasdk with no command exits 2."""
    assert run().code == 2


# -- a reader that goes away, and other bad usage: one line, never a traceback --


@pytest.fixture
def big_batch(emu):
    """A finished batch of 3,000 items: more output than a pipe holds."""
    project = emu.create_project("big")
    ids = ["fil.%032x" % number for number in range(3000)]
    body = CreateProjectDataUpdateBatch(
        dataUpdateGroups=[{"dataIds": ids, "userTags": {"addTags": ["x"]}}]
    )
    with icasdk.ApiClient(emu.configuration()) as client:
        api = ProjectDataUpdateBatchApi(client)
        created = api.create_project_data_update_batch(
            body=body, path_params={"projectId": project}
        )
    emu.finish()
    return project, str(created.body["id"])


@pytest.mark.parametrize("as_json", [False, True], ids=["lines", "json"])
def test_items_into_a_pipe_closed_early_ends_quietly_with_0(
    big_batch, env, emu, as_json
):
    """batch items | head -1: no BrokenPipeError traceback, exit 0, no more pages."""
    argv = ["batch", "items", *big_batch] + (["--json"] if as_json else [])
    process = subprocess.Popen(
        [*icasdk_command(), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    first = process.stdout.readline()
    process.stdout.close()  # what head does after its line
    stderr = process.stderr.read().decode()
    process.wait(timeout=60)
    assert first
    assert process.returncode == 0, stderr
    assert stderr == ""


def closed_pipe():
    """The write end of a pipe whose reader has already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


@pytest.mark.parametrize("action", ["get", "wait"])
def test_get_and_wait_into_a_closed_pipe_keep_their_exit_status(batch, env, action):
    """A closed stdout is quiet; wait still exits 1 for PARTIALLY_SUCCEEDED."""
    stdout = closed_pipe()
    try:
        completed = subprocess.run(
            [*icasdk_command(), "batch", action, *batch],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=dict(os.environ),
        )
    finally:
        os.close(stdout)
    assert completed.returncode == (0 if action == "get" else 1)
    assert "Traceback" not in completed.stderr and "Broken" not in completed.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file descriptors")
@pytest.mark.parametrize("closed", [1, 2], ids=["stdout", "stderr"])
def test_a_closed_stdout_or_stderr_from_the_start_is_no_traceback(batch, env, closed):
    """icasdk batch get >&- (or 2>&-) runs and exits 0."""
    completed = subprocess.run(
        [*icasdk_command(), "batch", "get", *batch],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
        preexec_fn=lambda: os.close(closed),
    )
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["--port", "99999"],
        ["--log-level", "LOUD"],
        ["--state", "."],
        ["--pace", "fast"],
        ["--max-requests-per-second", "nan"],
        ["--seed", "no-such-seed.json"],
    ],
    ids=["port", "log-level", "state-folder", "pace", "rate", "seed"],
)
def test_bad_emulator_options_are_one_line_and_exit_2(clean_env, argv):
    """icasdk emulator with a bad option: one error line, exit 2, no traceback."""
    completed = subprocess.run(
        [*icasdk_command(), "emulator", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    assert "error: " in completed.stderr.strip().splitlines()[-1]
