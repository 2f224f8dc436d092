"""``python -m icasdk.emulator``: a process that serves and stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

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
        assert info.json()["pace"] == "step"
        assert missing.status == 404
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)

    assert process.returncode == 0, err
    assert "stopped" in out


def test_a_port_in_use_is_an_error(capsys):
    """main() reports a port it cannot bind and returns 1."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        status = main(["--port", str(taken.getsockname()[1])])
    finally:
        taken.close()

    assert status == 1
    assert "error:" in capsys.readouterr().err


def test_a_bad_pace_is_an_error(capsys):
    """main() refuses a pace that is neither 'step' nor a number."""
    assert main(["--port", "0", "--pace", "soon"]) == 1
    assert "pace must be" in capsys.readouterr().err
