"""Every example script in the generated API docs runs against the emulator."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

from icasdk.emulator import Emulator

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs" / "apis" / "tags").glob("*.md"))
PUBLIC_HOST = "https://ica.illumina.com/ica/rest"


def examples():
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for number, block in enumerate(re.findall(r"```python\n(.*?)```", text, re.S)):
            yield pytest.param(block, id=f"{page.stem}-{number}")


@pytest.fixture(scope="module")
def emulator():
    with Emulator() as emu:
        yield emu


@pytest.mark.parametrize("script", list(examples()))
def test_example_runs_and_reaches_the_service(script, emulator):
    """The example imports, builds its request and gets the service's answer."""
    assert PUBLIC_HOST in script and "YOUR_API_KEY" in script
    script = script.replace(PUBLIC_HOST, emulator.base_url)
    script = script.replace("YOUR_API_KEY", emulator.api_key)

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    # The placeholders name no real project, so the service answers with a Problem.
    assert re.search(r"failed: HTTP (400|404) ", result.stdout), result.stdout


def test_quickstart_example_runs_on_the_emulator():
    """examples/quickstart.py tags files on the built-in emulator and sees them updated."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICAV2_")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )

    assert result.returncode == 0, result.stderr
    assert "job finished: SUCCEEDED" in result.stdout
    assert result.stdout.count(": UPDATED") == 5
