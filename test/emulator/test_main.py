"""``python -m icasdk.emulator``: a process that serves and stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
import urllib3

from icasdk.emulator.__main__ import main

from .helpers import V3


def _start(*args):
    """Start the emulator process; it and the lines it printed first."""
    process = subprocess.Popen(
        [sys.executable, "-m", "icasdk.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = [process.stdout.readline() for _ in range(4)]
    return process, lines


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM is POSIX")
def test_the_process_serves_and_stops_on_sigterm(tmp_path):
    """It prints URL and key, answers with them, and exits 0 on SIGTERM."""
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"projects": [{"name": "p", "data": ["/a"]}]}))
    process, lines = _start(
        "--api-key",
        "cli-key",
        "--pace",
        "step",
        "--seed",
        str(seed),
        "--state",
        str(tmp_path / "s.sqlite"),
    )
    try:
        base_url = lines[0].split()[-1]
        http = urllib3.PoolManager(retries=False, timeout=10)
        info = http.request("GET", base_url.replace("/ica/rest", "/_emulator"))
        missing = http.request(
            "GET",
            base_url + "/api/projects/x/dataUpdateBatch/"
            "0c0f6a2e-8d5a-4b8e-9d0a-2b8f0e1c9a11",
            headers={"X-API-Key": "cli-key", "Accept": V3},
        )

        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/ica/rest")
        assert "cli-key" in lines[1]
        assert json.loads(info.data)["pace"] == "step"
        assert missing.status == 404
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)

    assert process.returncode == 0, err
    assert "stopped" in out


def _one_line_error(capsys) -> str:
    """The single line main() wrote to stderr; nothing went to stdout."""
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 1, (out, err)
    assert "Traceback" not in err and ": error: " in lines[0]
    return lines[0]


def test_a_port_in_use_is_an_error(capsys):
    """main() reports a port it cannot bind, naming --port, and returns 2."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        status = main(["--port", str(port)])
    finally:
        taken.close()

    assert status == 2
    assert "--port %d" % port in _one_line_error(capsys)


@pytest.mark.parametrize(
    "args, named",
    [
        (["--log-level", "LOUD"], "--log-level"),
        (["--port", "99999"], "--port"),
        (["--port", "-1"], "--port"),
        (["--port", "http"], "--port"),
        (["--pace", "fast"], "--pace"),
        (["--pace", "soon"], "--pace"),
        (["--pace", "0"], "--pace"),
        (["--pace", "-3"], "--pace"),
        (["--pace", "nan"], "--pace"),
        (["--pace", "inf"], "--pace"),
        (["--max-requests-per-second", "0"], "--max-requests-per-second"),
        (["--max-requests-per-second", "-1"], "--max-requests-per-second"),
        (["--max-requests-per-second", "nan"], "--max-requests-per-second"),
        (["--max-requests-per-second", "lots"], "--max-requests-per-second"),
        (["--api-key", ""], "--api-key"),
        (["--api-key", "key\n"], "--api-key"),
        (["--access-token", " token"], "--access-token"),
        (["--state", ""], "--state"),
        (["--seed", ""], "--seed"),
        (["--no-such-option"], "--no-such-option"),
    ],
)
def test_a_bad_option_is_one_line_and_exit_2(capsys, args, named):
    """A value the parser refuses is one line naming the option; exit 2."""
    assert main(["--port", "0"] + args) == 2
    assert named in _one_line_error(capsys)


def test_the_log_level_takes_any_case(capsys):
    """--log-level debug is DEBUG: it passes the parser, as the help says."""
    status = main(["--port", "99999", "--log-level", "debug"])

    assert status == 2
    assert "--log-level" not in _one_line_error(capsys)


def _foreign_sqlite(path):
    database = sqlite3.connect(str(path))
    database.execute("CREATE TABLE records (x)")
    database.commit()
    database.close()
    return path


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda tmp: tmp, "is a directory"),
        (lambda tmp: tmp / "missing" / "s.sqlite", "does not exist"),
        (lambda tmp: _write(tmp / "notes.txt", "not sqlite " * 100), "not a SQLite"),
        (lambda tmp: _foreign_sqlite(tmp / "other.sqlite"), "no such column"),
    ],
    ids=["directory", "missing-folder", "not-sqlite", "foreign-table"],
)
def test_an_unusable_state_file_is_one_line_and_exit_2(capsys, tmp_path, make, words):
    """--state naming a file SQLite cannot use is one line naming it; exit 2."""
    path = str(make(tmp_path))

    assert main(["--port", "0", "--state", path]) == 2
    line = _one_line_error(capsys)
    assert "--state" in line and repr(path) in line and words in line


def _write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, words",
    [
        (None, "No such file"),
        ("{not json", "not JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"projects": [{"data": []}]}', "projects[0]: 'name' is required"),
        ('{"projects": [{"name": "p", "owner": "bob"}]}', "no user named 'bob'"),
        ('{"projects": [{"name": "p", "data": [{}]}]}', "data[0]: 'path'"),
        ('{"projects": [{"name": "p", "data": 7}]}', "data: must be a list"),
        ('{"users": [{"email": "x@y"}]}', "users[0]: 'username' is required"),
    ],
)
def test_an_unusable_seed_file_is_one_line_and_exit_2(capsys, tmp_path, text, words):
    """--seed naming an unreadable or wrong document is one line; exit 2."""
    path = tmp_path / "seed.json"
    if text is not None:
        path.write_text(text)

    assert main(["--port", "0", "--seed", str(path)]) == 2
    line = _one_line_error(capsys)
    assert "--seed" in line and words in line


def test_an_unresolvable_host_is_one_line_and_exit_2(capsys):
    """--host naming no address is one line naming --host; exit 2."""
    assert main(["--port", "0", "--host", "no-such-host.invalid"]) == 2
    assert "--host 'no-such-host.invalid'" in _one_line_error(capsys)


@pytest.mark.parametrize(
    "args",
    [["--log-level", "LOUD"], ["--state", "/"], ["--port", "99999"], ["--pace", "x"]],
)
def test_the_reported_commands_exit_2_without_a_traceback(args):
    """The break-it report's commands, run as processes: one line, exit 2."""
    process = subprocess.run(
        [sys.executable, "-m", "icasdk.emulator", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert process.returncode == 2, process.stderr
    assert process.stderr.count("\n") == 1 and "Traceback" not in process.stderr
    assert args[0] in process.stderr


def test_icasdk_emulator_passes_the_exit_status_on(capsys):
    """`icasdk emulator --port 99999` is exit 2 with one line, as the module is."""
    cli = pytest.importorskip("icasdk.cli")

    assert cli.main(["emulator", "--port", "99999"]) == 2
    assert "--port" in _one_line_error(capsys)


def test_the_ipv6_loopback_is_served():
    """--host ::1 serves on [::1], as the loopback list promises."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    process, lines = _start("--host", "::1")
    try:
        assert lines[0].split()[-1].startswith("http://[::1]:")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM and pipes are POSIX here")
def test_a_closed_standard_output_does_not_stop_it():
    """With its stdout reader gone it serves on and exits 0 on SIGTERM, quietly."""
    reader, writer = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", "icasdk.emulator", "--port", "0"],
        stdout=writer,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(writer)
    first = os.read(reader, 20)
    os.close(reader)
    try:
        time.sleep(0.5)
        alive = process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)

    assert first.startswith(b"ICA emulator")
    assert alive and process.returncode == 0
    assert "Traceback" not in err and "BrokenPipe" not in err
