"""What an installed icasdk costs and needs: imports and the pytest plugin."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )


def test_pytest_plugin_imports_no_emulator_dependency():
    """The plugin pytest loads in every session imports none of the emulator's extras."""
    result = run(
        "import sys, icasdk.emulator.pytest_plugin\n"
        "print(sorted(m for m in sys.modules if m.startswith(('openapi', 'jsonschema'))))"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_emulator_exports_still_import_on_use():
    """from icasdk.emulator import Emulator, Pace, BatchInfo still works."""
    result = run("from icasdk.emulator import BatchInfo, Emulator, Pace; print('ok')")

    assert result.stdout.strip() == "ok", result.stderr
