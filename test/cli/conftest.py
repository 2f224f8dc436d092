"""Fixtures for the icasdk command's tests: an emulator, and the ICAV2_* settings."""

from __future__ import annotations

import io
import sys
import tempfile
import typing

import pytest

from icasdk.cli import main
from icasdk.emulator import Emulator

ENV_NAMES = (
    "ICAV2_BASE_URL",
    "ICAV2_ACCESS_TOKEN",
    "ICAV2_X_API_KEY",
    "ICAV2_PROJECT_ID",
)
POLL = ["--poll-interval", "0.02"]


class Ran(typing.NamedTuple):
    """What a command did: exit status, standard output and standard error."""

    code: int
    out: str
    err: str


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """An empty home, working and temporary folder, and no ICAV2_* variables."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def emu():
    """A fast emulator: batches finish almost at once."""
    with Emulator(pace=500_000) as emulator:
        yield emulator


@pytest.fixture
def env(emu, clean_env, monkeypatch):
    """ICAV2_BASE_URL and ICAV2_X_API_KEY pointing at the emulator."""
    monkeypatch.setenv("ICAV2_BASE_URL", emu.base_url)
    monkeypatch.setenv("ICAV2_X_API_KEY", emu.api_key)
    return clean_env


class _Stdin:
    """Standard input holding ``text``, with the ``buffer`` the CLI reads."""

    def __init__(self, text: str) -> None:
        self.buffer = io.BytesIO(text.encode("utf-8"))


@pytest.fixture
def run(capsys, monkeypatch):
    """Run ``icasdk`` in this process (``stdin=`` text to feed it); a Ran."""

    def run_main(*argv: str, stdin: typing.Optional[str] = None) -> Ran:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", _Stdin(stdin))
        code = main(list(argv))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run_main
