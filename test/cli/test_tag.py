"""Tests for ``icasdk tag``: end to end on the emulator, bad input, exit codes."""

from __future__ import annotations

import base64
import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest

from icasdk import manifest
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.emulator import Emulator

from .conftest import POLL

HEADER = "dataId,addUserTags,removeUserTags,addTechnicalTags,removeTechnicalTags\n"


def make_files(emu, count: int, tags=()):
    project = emu.create_project("cli")
    ids = [
        emu.create_data(project, f"/r{i // 1000}/f{i}.fastq", user_tags=tags)
        for i in range(count)
    ]
    return project, ids


def write_manifest(path, rows) -> str:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)
        for row in rows:
            handle.write(",".join(row) + "\n")
    return str(path)


def api_requests(emu):
    return [r for r in emu.requests if "/_emulator" not in r.path]


def jwt(exp: float) -> str:
    def part(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'exp': exp})}.x"


# -- end to end -------------------------------------------------------------------


def test_a_20000_id_manifest_becomes_four_batches_and_every_id_is_updated(
    emu, env, run, tmp_path
):
    """20,000 ids in four batches of 5,000; tags applied; exit 0; no failed file."""
    project, ids = make_files(emu, 20_000, tags=["status=pending"])
    subjects = [f"subject_id=SBJ{i % 7:05d};assay=WGS" for i in range(20_000)]
    rows = [(d, s, "status=pending", "qc=pass", "") for d, s in zip(ids, subjects)]
    path = write_manifest(tmp_path / "tags.csv", rows)

    ran = run("tag", "--project", project, "--manifest", path, *POLL)
    assert ran.code == 0, ran.err
    assert emu.batches_created == 4
    assert [b.items for b in emu.batches] == [5000] * 4
    assert "Done: updated 20,000 · failed 0 · rejected 0 · unknown 0" in ran.out
    assert "to send:  20,000 in 4 batches of at most 5,000" in ran.out
    assert emu.data_tags(ids[8]) == (("subject_id=SBJ00001", "assay=WGS"), ("qc=pass",))
    assert "batch 4/4" in ran.err  # plain progress lines off a terminal
    assert not [name for name in os.listdir(tmp_path) if "failed" in name]


def test_failed_and_rejected_rows_exit_1_and_are_written_for_another_go(
    emu, env, run, tmp_path
):
    """Unknown, malformed and conflicting ids end in a CSV that reads back."""
    project, ids = make_files(emu, 3)
    ghost = "fil." + uuid.uuid4().hex
    rows = [(d, "a=1", "", "", "") for d in ids + [ghost]]
    rows += [("fil.NOPE", "a=1", "", "", ""), (ids[0], "", "a=1", "", "")]
    path = write_manifest(tmp_path / "tags.csv", rows)
    out = tmp_path / "again.csv"

    ran = run(
        "tag", "--project", project, "--manifest", path, "--failed-out", str(out), *POLL
    )
    assert ran.code == 1
    assert "Done: updated 2 · failed 1 · rejected 2 · unknown 0" in ran.out
    assert f"Data {ghost!r} was not found." in ran.out
    assert "line 6: malformed data id 'fil.NOPE'" in ran.out
    assert "lines 2, 7: asked both to add and to remove user tag 'a=1'" in ran.out
    written = list(csv.DictReader(open(out, encoding="utf-8")))
    assert {row["dataId"]: row["outcome"] for row in written} == {
        ids[0]: "rejected",
        "fil.NOPE": "rejected",
        ghost: "failed",
    }
    again = run("tag", "--manifest", str(out), "--dry-run")
    assert again.code == 1  # still rejected rows, but it reads as a manifest
    assert "3 rows, 3 distinct data ids" in again.out


def test_the_failed_rows_go_to_a_timestamped_file_by_default(emu, env, run):
    """Without --failed-out, problems go to icasdk-failed-<time>.csv here."""
    project, _ = make_files(emu, 1)
    ghost = "fil." + uuid.uuid4().hex
    ran = run(
        "tag",
        "--project",
        project,
        "--ids",
        "-",
        "--add-user-tag",
        "x",
        *POLL,
        stdin=ghost,
    )
    assert ran.code == 1
    written = [name for name in os.listdir(".") if name.startswith("icasdk-failed-")]
    assert len(written) == 1 and written[0] in ran.out


def test_an_ids_file_with_tag_options_tags_every_id(emu, env, run, tmp_path):
    """--ids with repeated tag options sends one group to every id."""
    project, ids = make_files(emu, 3, tags=["old"])
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(ids) + "\n")
    ran = run(
        "tag",
        "--project",
        project,
        "--ids",
        str(path),
        "--add-user-tag",
        "a=1",
        "--add-user-tag",
        "b=2",
        "--remove-user-tag",
        "old",
        "--add-technical-tag",
        "t",
        *POLL,
    )
    assert ran.code == 0, ran.err
    assert emu.data_tags(ids[2]) == (("a=1", "b=2"), ("t",))


def test_the_project_can_come_from_the_environment(emu, env, run, monkeypatch):
    """ICAV2_PROJECT_ID stands in for --project."""
    project, ids = make_files(emu, 1)
    monkeypatch.setenv("ICAV2_PROJECT_ID", project)
    ran = run("tag", "--ids", "-", "--add-user-tag", "x", *POLL, stdin=ids[0])
    assert ran.code == 0, ran.err


def test_json_output_parses_and_holds_counts_and_problems(emu, env, run, tmp_path):
    """--json prints one JSON document with the plan, counts and problems."""
    project, ids = make_files(emu, 2)
    path = write_manifest(
        tmp_path / "m.csv", [(ids[0], "x", "", "", ""), ("bad", "x", "", "", "")]
    )
    ran = run("tag", "--project", project, "--manifest", path, "--json", *POLL)
    assert ran.code == 1
    document = json.loads(ran.out)
    assert document["counts"] == {
        "updated": 1,
        "failed": 0,
        "rejected": 1,
        "unknown": 0,
    }
    assert document["problems"][0]["dataId"] == "bad"
    assert document["plan"]["toSend"] == 1
    assert document["batches"][0]["status"] == "SUCCEEDED"
    assert document["failedOut"].startswith("icasdk-failed-")


# -- dry runs ------------------------------------------------------------------------


def test_a_dry_run_sends_nothing_and_needs_no_credentials(
    emu, clean_env, run, tmp_path
):
    """--dry-run prints the plan, sends nothing, and works with no credentials."""
    rows = [("fil." + uuid.uuid4().hex, "a", "", "", "") for _ in range(12)]
    path = write_manifest(tmp_path / "m.csv", rows)
    ran = run("tag", "--manifest", path, "--dry-run", "--batch-size", "5")
    assert ran.code == 0, ran.err
    assert "to send:  12 in 3 batches of at most 5" in ran.out
    assert "Dry run: nothing was sent." in ran.out
    assert emu.requests == []


def test_a_dry_run_as_json_parses(emu, env, run, tmp_path):
    """--dry-run --json prints the plan as JSON; rejected rows make it exit 1."""
    path = write_manifest(tmp_path / "m.csv", [("bad", "a", "", "", "")])
    ran = run("tag", "--manifest", path, "--dry-run", "--json", "--project", "p")
    assert ran.code == 1
    document = json.loads(ran.out)
    assert document["dryRun"] is True and document["project"] == "p"
    assert document["plan"]["rejected"][0]["reason"].startswith("line 2: malformed")
    assert emu.requests == []


# -- refused input: exit 2, file and line named, nothing sent ------------------------

BAD_INPUTS = {
    "no-dataId-column": (
        b"id,addUserTags\nfil.x,a\n",
        "line 1: has no 'dataId' column",
    ),
    "empty": (b"", "line 1: is empty"),
    "header-only": (HEADER.encode(), "line 1: has a header but no rows"),
    "separator-in-a-tag": (
        HEADER.encode() + b"fol." + b"a" * 32 + b",a\\;b,,,\n",
        "line 2: addUserTags 'a\\\\;b' tries to put ';' inside a tag",
    ),
    "binary": (b"dataId,addUserTags\n\x00\x9c\xff", "line 2: is not a text file"),
    "not-utf8": (b"dataId,addUserTags\nfil.x,caf\xe9\n", "line 2: is not UTF-8 text"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_refused_by_file_and_line_and_nothing_is_sent(
    emu, env, run, tmp_path, name
):
    """Each unreadable manifest exits 2 with its file and line; nothing is sent."""
    project, _ = make_files(emu, 1)
    content, message = BAD_INPUTS[name]
    path = tmp_path / "m.csv"
    path.write_bytes(content)
    ran = run("tag", "--project", project, "--manifest", str(path))
    assert ran.code == 2
    assert f"error: ManifestError: {path}, {message}" in ran.err
    assert ran.out == ""
    assert emu.requests == []


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
@pytest.mark.parametrize("option", ["--manifest", "--ids"])
def test_dev_zero_is_refused_at_once_and_nothing_is_sent(emu, env, run, option):
    """--manifest or --ids /dev/zero exits 2 at once instead of reading for ever."""
    argv = ["tag", "--project", "p", option, "/dev/zero"]
    if option == "--ids":
        argv += ["--add-user-tag", "x"]
    ran = run(*argv)
    assert ran.code == 2
    assert "error: ManifestError: /dev/zero, line 1: is not a text file" in ran.err
    assert emu.requests == []


def test_an_option_tag_with_the_separator_is_refused(emu, env, run, tmp_path):
    """--add-user-tag 'a;b' exits 2, naming the option; nothing is sent."""
    path = tmp_path / "ids.txt"
    path.write_text("fil." + "a" * 32 + "\n")
    ran = run("tag", "--project", "p", "--ids", str(path), "--add-user-tag", "a;b")
    assert ran.code == 2
    assert "--add-user-tag: 'a;b': a tag cannot contain ';'" in ran.err
    assert emu.requests == []


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--ids", "ids.txt"], "needs at least one --add-user-tag"),
        (["--manifest", "m.csv", "--add-user-tag", "x"], "tag options go with --ids"),
        (
            ["--ids", "ids.txt", "--add-user-tag", "x", "--batch-size", "100001"],
            "--batch-size: batch_size must be between 1 and 100,000",
        ),
        (["--ids", "ids.txt", "--add-user-tag", "x", "--project", ""], "no project"),
    ],
)
def test_bad_usage_exits_2_and_sends_nothing(emu, env, run, tmp_path, argv, message):
    """Contradictory or missing options exit 2 with a message; nothing is sent."""
    (tmp_path / "ids.txt").write_text("fil." + "a" * 32 + "\n")
    (tmp_path / "m.csv").write_text(HEADER)
    ran = run("tag", *argv)
    assert ran.code == 2
    assert message in ran.err
    assert emu.requests == []


@pytest.mark.parametrize("option", ["--timeout", "--poll-interval"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf", "1e308", "soon"])
def test_seconds_that_are_not_positive_and_finite_exit_2_before_sending(
    emu, env, run, option, value
):
    """--timeout and --poll-interval refuse 0, negatives, nan, inf and words."""
    project, ids = make_files(emu, 1)
    ran = run(
        "tag",
        "--project",
        project,
        "--ids",
        "-",
        "--add-user-tag",
        "x",
        f"{option}={value}",
        stdin=ids[0],
    )
    assert ran.code == 2
    assert f"argument {option}: expected a positive number of seconds" in ran.err
    assert repr(value) in ran.err
    assert api_requests(emu) == [] and emu.batches_created == 0


@pytest.mark.parametrize("value", ["0", "-5", "1.5", "many", "100001", "nan"])
def test_a_batch_size_out_of_range_exits_2_before_sending(emu, env, run, value):
    """--batch-size takes whole numbers from 1 to 100,000 only."""
    project, ids = make_files(emu, 1)
    ran = run(
        "tag",
        "--project",
        project,
        "--ids",
        "-",
        "--add-user-tag",
        "x",
        f"--batch-size={value}",
        stdin=ids[0],
    )
    assert ran.code == 2 and "argument --batch-size: " in ran.err
    assert api_requests(emu) == []


def test_argparse_usage_errors_exit_2(run):
    """An unknown option or a missing --manifest/--ids exits 2."""
    assert run("tag").code == 2
    assert run("tag", "--manifest", "x", "--frobnicate").code == 2


# -- credentials: exit 3 ------------------------------------------------------------


def test_an_expired_token_exits_3_before_any_call(emu, clean_env, run, monkeypatch):
    """An expired ICAV2_ACCESS_TOKEN is refused locally, exit 3, nothing sent."""
    monkeypatch.setenv("ICAV2_BASE_URL", emu.base_url)
    monkeypatch.setenv("ICAV2_ACCESS_TOKEN", jwt(time.time() - 60))
    ran = run(
        "tag",
        "--project",
        "p",
        "--ids",
        "-",
        "--add-user-tag",
        "x",
        stdin="fil." + "a" * 32,
    )
    assert ran.code == 3
    assert (
        "error: CredentialsError: the access token from the environment expired"
        in ran.err
    )
    assert emu.requests == []


def test_no_credentials_exit_3(emu, clean_env, run, monkeypatch):
    """No key or token anywhere: exit 3 with where to set one."""
    monkeypatch.setenv("ICAV2_BASE_URL", emu.base_url)
    ran = run(
        "tag",
        "--project",
        "p",
        "--ids",
        "-",
        "--add-user-tag",
        "x",
        stdin="fil." + "a" * 32,
    )
    assert ran.code == 3
    assert "no credentials: set ICAV2_X_API_KEY" in ran.err
    assert emu.requests == []


def test_a_refused_key_exits_3(emu, env, run, monkeypatch):
    """A 401 from the service exits 3."""
    project, ids = make_files(emu, 1)
    monkeypatch.setenv("ICAV2_X_API_KEY", "not-the-key")
    ran = run(
        "tag", "--project", project, "--ids", "-", "--add-user-tag", "x", stdin=ids[0]
    )
    assert ran.code == 3
    assert "UnauthorizedException" in ran.out


def test_a_token_from_the_icav2_session_file_is_used(emu, clean_env, run, monkeypatch):
    """With no variables, the icav2 session file supplies token and project."""
    project, ids = make_files(emu, 1)
    token = jwt(time.time() + 3600)
    emu.add_credential(access_token=token)
    folder = clean_env / "home" / ".icav2"
    folder.mkdir()
    (folder / ".session.ica.yaml").write_text(
        f"access-token: {token}\nproject-id: {project}\n"
    )
    ran = run(
        "tag",
        "--base-url",
        emu.base_url,
        "--ids",
        "-",
        "--add-user-tag",
        "x",
        *POLL,
        stdin=ids[0],
    )
    assert ran.code == 0, ran.err
    assert emu.data_tags(ids[0]) == (("x",), ())


# -- a real process -------------------------------------------------------------------


def icasdk_command():
    """The installed console script, else the module run by this Python."""
    script = shutil.which("icasdk", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "icasdk.cli"]


def test_the_console_script_tags_from_a_manifest(emu, env, tmp_path):
    """``icasdk tag`` as a real subprocess updates the files and exits 0."""
    project, ids = make_files(emu, 3)
    path = write_manifest(tmp_path / "m.tsv", [(d, "x", "", "", "") for d in ids])
    completed = subprocess.run(
        [
            *icasdk_command(),
            "tag",
            "--project",
            project,
            "--manifest",
            path,
            "--json",
            *POLL,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["counts"]["updated"] == 3
    assert emu.data_tags(ids[1]) == (("x",), ())


# -- nothing to send -------------------------------------------------------------


def test_with_every_row_rejected_nothing_is_sent_and_no_login_is_needed(
    emu, clean_env, run, tmp_path
):
    """All rows rejected: exit 1, the rows written back, no credentials asked for."""
    path = write_manifest(tmp_path / "m.csv", [("bad", "a", "", "", "")])
    ran = run("tag", "--manifest", path, "--failed-out", str(tmp_path / "f.csv"))
    assert ran.code == 1
    assert "nothing to send" in ran.err
    assert "Done: updated 0 · failed 0 · rejected 1 · unknown 0" in ran.out
    assert (tmp_path / "f.csv").exists()
    assert emu.requests == []


# -- Ctrl-C ---------------------------------------------------------------------


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def test_ctrl_c_prints_the_batches_writes_the_rows_and_exits_130(
    emu, env, run, tmp_path, monkeypatch
):
    """Ctrl-C while waiting: the batch ids printed, every row in the CSV, exit 130."""
    project, ids = make_files(emu, 5)
    path = write_manifest(tmp_path / "m.csv", [(d, "x", "", "", "") for d in ids])
    monkeypatch.setattr(
        ProjectDataUpdateBatchApi, "wait_for_project_data_update_batch", interrupt
    )
    out = tmp_path / "again.csv"
    argv = ["--project", project, "--manifest", path, "--batch-size", "2"]
    ran = run("tag", *argv, "--failed-out", str(out), *POLL)
    assert ran.code == 130
    assert "Interrupted: updated 0 · failed 0 · rejected 0 · unknown 5" in ran.out
    batch_ids = [batch.id for batch in emu.batches]
    assert len(batch_ids) == 3
    for batch_id in batch_ids:
        assert f"batch {batch_id}: unknown" in ran.out and batch_id in ran.err
    assert "3 batches created so far go on in ICA" in ran.err
    written = list(csv.DictReader(open(out, encoding="utf-8")))
    assert sorted(row["dataId"] for row in written) == sorted(ids)
    assert {row["outcome"] for row in written} == {"unknown"}


def test_ctrl_c_with_json_prints_the_document(emu, env, run, tmp_path, monkeypatch):
    """With --json, an interrupted run still prints its document, marked so."""
    project, ids = make_files(emu, 2)
    monkeypatch.setattr(
        ProjectDataUpdateBatchApi, "wait_for_project_data_update_batch", interrupt
    )
    argv = ["--project", project, "--ids", "-", "--add-user-tag", "x", "--json"]
    ran = run("tag", *argv, *POLL, stdin="\n".join(ids))
    assert ran.code == 130
    document = json.loads(ran.out)
    assert document["interrupted"] is True
    assert [b["id"] for b in document["batches"]] == [b.id for b in emu.batches]
    assert document["counts"]["unknown"] == 2
    assert os.path.exists(document["failedOut"])


@pytest.mark.skipif(sys.platform == "win32", reason="signals")
def test_a_real_sigint_while_waiting_keeps_the_report(clean_env, tmp_path):
    """SIGINT to a real icasdk tag process: batch id on stdout, rows written, 130."""
    with Emulator(pace="step") as emu:  # batches never finish by themselves
        project, ids = make_files(emu, 3)
        path = write_manifest(tmp_path / "m.csv", [(d, "x", "", "", "") for d in ids])
        out = tmp_path / "again.csv"
        environ = dict(os.environ, ICAV2_BASE_URL=emu.base_url)
        environ["ICAV2_X_API_KEY"] = emu.api_key
        command = [*icasdk_command(), "tag", "--project", project, "--manifest"]
        process = subprocess.Popen(
            [*command, path, "--failed-out", str(out), "--no-progress", *POLL],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environ,
        )
        try:
            deadline = time.monotonic() + 30
            while emu.batches_created == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # into the wait loop
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=30)
        finally:
            process.kill()
        [batch] = emu.batches
    assert process.returncode == 130, stderr
    assert f"batch {batch.id}: unknown" in stdout
    assert "Traceback" not in stderr and batch.id in stderr
    written = list(csv.DictReader(open(out, encoding="utf-8")))
    assert sorted(row["dataId"] for row in written) == sorted(ids)


# -- writing the report: nothing lost --------------------------------------------


@pytest.mark.parametrize(
    "where, message",
    [
        ("", "--failed-out: expected a file name, got ''"),
        (".", "--failed-out .: is a folder"),
        ("a-file/x.csv", "--failed-out a-file/x.csv: cannot be written"),
    ],
    ids=["empty", "folder", "under-a-file"],
)
def test_an_unwritable_failed_out_exits_2_before_sending(
    emu, env, run, tmp_path, where, message
):
    """--failed-out that cannot be written is refused before anything is sent."""
    (tmp_path / "a-file").write_text("not a folder")
    project, ids = make_files(emu, 1)
    argv = ["--project", project, "--ids", "-", "--add-user-tag", "x"]
    ran = run("tag", *argv, "--failed-out", where, stdin=ids[0])
    assert ran.code == 2
    assert f"error: UsageError: {message}" in ran.err
    assert api_requests(emu) == []


def test_a_writable_failed_out_is_checked_without_leaving_a_file(
    emu, env, run, tmp_path
):
    """Checking --failed-out creates nothing when every row is updated."""
    project, ids = make_files(emu, 1)
    out = tmp_path / "new" / "again.csv"
    argv = ["--project", project, "--ids", "-", "--add-user-tag", "x", *POLL]
    ran = run("tag", *argv, "--failed-out", str(out), stdin=ids[0])
    assert ran.code == 0, ran.err
    assert out.read_text() == HEADER.rstrip("\n") + ",outcome,reason\n"


def failing_writes(monkeypatch, fail):
    """Make manifest.write_manifest raise ENOSPC for the paths ``fail`` picks."""
    real = manifest.write_manifest

    def write(path, outcomes):
        if fail(path):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        return real(path, outcomes)

    monkeypatch.setattr(manifest, "write_manifest", write)


def test_an_unwritable_default_place_puts_the_rows_in_the_temporary_folder(
    emu, env, run, tmp_path, monkeypatch
):
    """The result is printed, the rows land in the temp folder, the error comes last."""
    project, ids = make_files(emu, 1)
    ghost = "fil." + uuid.uuid4().hex
    failing_writes(monkeypatch, lambda path: not os.path.isabs(path))
    argv = ["--project", project, "--ids", "-", "--add-user-tag", "x", *POLL]
    ran = run("tag", *argv, stdin=f"{ids[0]}\n{ghost}")
    assert ran.code == 1
    assert "Done: updated 1 · failed 1 · rejected 0 · unknown 0" in ran.out
    [batch] = emu.batches
    assert f"batch {batch.id}: PARTIALLY_SUCCEEDED" in ran.out
    error = ran.err.strip().splitlines()[-1]
    assert error.startswith("error: cannot write the rows to look at again to ")
    assert "(No space left on device); they are in " in error
    saved = error.rsplit("they are in ", 1)[1].split(" instead")[0]
    assert os.path.dirname(saved) == str(tmp_path) and saved in ran.out
    rows = list(csv.DictReader(open(saved, encoding="utf-8")))
    assert [row["dataId"] for row in rows] == [ghost]


def test_when_the_rows_cannot_be_written_anywhere_every_one_is_printed(
    emu, clean_env, run, tmp_path, monkeypatch
):
    """No place to write: all rows are listed in the output, exit non-zero."""
    failing_writes(monkeypatch, lambda path: True)
    bad = [f"fil.bad{i}" for i in range(25)]
    ran = run("tag", "--ids", "-", "--add-user-tag", "x", stdin="\n".join(bad))
    assert ran.code == 1
    for data_id in bad:
        assert f"rejected {data_id}: " in ran.out
    assert ", nor to " in ran.err and "(every one is listed above)" in ran.err


def test_the_json_document_says_where_the_rows_went_and_why(
    emu, env, run, tmp_path, monkeypatch
):
    """--json still prints its document, with failedOut and failedOutError."""
    project, _ = make_files(emu, 1)
    failing_writes(monkeypatch, lambda path: not os.path.isabs(path))
    argv = ["--project", project, "--ids", "-", "--add-user-tag", "x", "--json"]
    ran = run("tag", *argv, *POLL, stdin="fil." + uuid.uuid4().hex)
    assert ran.code == 1
    document = json.loads(ran.out)
    assert os.path.isabs(document["failedOut"])
    assert "No space left on device" in document["failedOutError"]


class FullDisk:
    """A standard output whose every write fails as on a full disk."""

    def write(self, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self):
        pass


def test_a_stdout_that_cannot_be_written_gets_the_result_on_stderr(
    emu, env, run, tmp_path, monkeypatch
):
    """stdout failing (not a closed pipe): the result goes to stderr, exit 1."""
    project, ids = make_files(emu, 1)
    out = tmp_path / "again.csv"
    argv = ["--project", project, "--ids", "-", "--add-user-tag", "x", "--json"]
    monkeypatch.setattr(sys, "stdout", FullDisk())
    ran = run("tag", *argv, *POLL, "--failed-out", str(out), stdin=ids[0])
    assert ran.code == 1
    assert "cannot write to standard output (No space left on device)" in ran.err
    document = json.loads(ran.err.split("follows here instead\n", 1)[1])
    assert document["counts"]["updated"] == 1
    assert out.exists()


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_a_real_run_in_a_folder_that_cannot_be_written_keeps_the_report(
    emu, env, tmp_path
):
    """Run in /proc (no file can be made there): the JSON, batch id and rows kept."""
    project, _ = make_files(emu, 1)
    ghost = "fil." + uuid.uuid4().hex
    argv = ["tag", "--project", project, "--ids", "-", "--add-user-tag", "x"]
    completed = subprocess.run(
        [*icasdk_command(), *argv, "--json", *POLL],
        input=ghost,
        cwd="/proc",
        env=dict(os.environ, TMPDIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    document = json.loads(completed.stdout)
    assert [b["id"] for b in document["batches"]] == [b.id for b in emu.batches]
    assert os.path.dirname(document["failedOut"]) == str(tmp_path)
    assert "cannot write the rows to look at again to /proc/" in completed.stderr


# -- bad usage is one line; a reader that goes away stops nothing --------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--project", "\udcff"], "UsageError: the project id (from --project)"),
        (["--project", "p", "--base-url", "http://[::1"], "SettingsError: expected"),
        (["--project", "p", "--base-url", "http://h:99999"], "Port out of range"),
    ],
    ids=["undecodable-project", "broken-ipv6-url", "port-out-of-range"],
)
def test_a_bad_project_or_url_exits_2_before_sending(emu, env, run, argv, message):
    """Values that could never be sent are refused up front, in one line."""
    ran = run(
        "tag", *argv, "--ids", "-", "--add-user-tag", "x", stdin="fil." + "a" * 32
    )
    assert ran.code == 2
    assert message in ran.err and len(ran.err.strip().splitlines()) == 1
    assert api_requests(emu) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file descriptors")
def test_ids_from_a_closed_stdin_is_one_line_and_exit_2(clean_env):
    """icasdk tag --ids - <&- says standard input is closed, exit 2."""
    completed = subprocess.run(
        [*icasdk_command(), "tag", "--project", "p", "--ids", "-"]
        + ["--add-user-tag", "x", "--dry-run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(0),
    )
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        "error: ManifestError: <stdin>: cannot be read: standard input is closed"
    )


def test_a_run_whose_stdout_reader_has_gone_still_tags_and_reports(emu, env, tmp_path):
    """icasdk tag | (a reader that left): the run goes on, quietly, exit 0."""
    project, ids = make_files(emu, 3)
    path = write_manifest(tmp_path / "m.csv", [(d, "x", "", "", "") for d in ids])
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        completed = subprocess.run(
            [*icasdk_command(), "tag", "--project", project, "--manifest", path]
            + ["--no-progress", *POLL],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=dict(os.environ),
        )
    finally:
        os.close(write_end)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    assert all(emu.data_tags(d) == (("x",), ()) for d in ids)
