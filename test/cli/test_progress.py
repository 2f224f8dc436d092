"""Tests for the icasdk command's progress display and missing optional extras."""

from __future__ import annotations

import builtins
import io
import subprocess
import sys

import pytest

from icasdk import cli
from icasdk.tagrun import Progress


class FakeTerminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def no_tqdm(monkeypatch):
    """Make ``import tqdm`` fail, as without the cli extra."""
    real_import = builtins.__import__

    def refusing(name, *args, **kwargs):
        if name == "tqdm" or name.startswith("tqdm."):
            raise ImportError("no tqdm here")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "tqdm", raising=False)
    monkeypatch.setattr(builtins, "__import__", refusing)


def test_on_a_terminal_with_tqdm_a_bar_is_shown(monkeypatch):
    """A terminal and tqdm give a bar that follows the items done."""
    pytest.importorskip("tqdm")
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    display = cli.ProgressDisplay(10)
    assert display.bar is not None
    display(Progress("wait", 1, 2, 4, 10, "RUNNING"))
    assert display.bar.n == 4
    display.close()
    assert "batch 1/2 RUNNING" in terminal.getvalue()


def test_without_tqdm_plain_lines_are_printed(monkeypatch, no_tqdm):
    """A terminal but no tqdm: one plain line per change of state."""
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    display = cli.ProgressDisplay(10)
    assert display.bar is None
    display(Progress("create", 1, 1, 0, 10))
    display(Progress("wait", 1, 1, 3, 10, "RUNNING"))
    display(Progress("wait", 1, 1, 5, 10, "RUNNING"))  # same state: not repeated
    display.close()
    assert terminal.getvalue().splitlines() == [
        "batch 1/1 creating: 0/10 items done",
        "batch 1/1 RUNNING: 3/10 items done",
    ]


def test_a_disabled_display_prints_nothing(capsys):
    """--no-progress shows nothing."""
    display = cli.ProgressDisplay(10, enabled=False)
    display(Progress("wait", 1, 1, 3, 10, "RUNNING"))
    display.close()
    assert capsys.readouterr().err == ""


class GoneTerminal(FakeTerminal):
    """A terminal stderr whose reader has gone: every write fails."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("with_tqdm", [True, False], ids=["bar", "lines"])
def test_a_stderr_that_fails_turns_the_display_off_quietly(
    monkeypatch, with_tqdm, request
):
    """Progress never raises: a stderr that cannot be written switches it off."""
    if with_tqdm:
        pytest.importorskip("tqdm")
    else:
        request.getfixturevalue("no_tqdm")
    monkeypatch.setattr(sys, "stderr", GoneTerminal())
    display = cli.ProgressDisplay(10)
    display(Progress("wait", 1, 1, 3, 10, "RUNNING"))
    display(Progress("wait", 1, 1, 5, 10, "SUCCEEDED"))
    display.close()
    assert display.enabled is False


def test_the_demo_without_the_emulator_extra_says_what_to_install(monkeypatch, capsys):
    """A missing emulator dependency is a usage error naming the extra."""

    def missing(command):
        raise cli.UsageError(
            f"icasdk {command} needs ... pip install 'icasdk[emulator,cli]'"
        )

    monkeypatch.setattr(cli, "require_emulator", missing)
    assert cli.main(["demo"]) == 2
    assert "pip install 'icasdk[emulator,cli]'" in capsys.readouterr().err
    assert cli.main(["emulator"]) == 2


def test_a_fresh_process_without_the_validator_is_told_what_to_install():
    """With the emulator's validator missing, demo exits 2 naming the module."""
    code = (
        "import sys; sys.modules['openapi_schema_validator'] = None; "
        "from icasdk.cli import main; sys.exit(main(['demo']))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 2, completed.stderr
    assert "openapi_schema_validator is missing" in completed.stderr
    assert "pip install 'icasdk[emulator,cli]'" in completed.stderr
