"""Tests for ``icasdk demo``: quick, friendly, and ending as the manifest implies."""

from __future__ import annotations

import json
import os
import time


def test_the_demo_tags_5000_files_and_explains_the_result(clean_env, run):
    """The demo exits 0 in seconds with the expected counts and next steps."""
    started = time.monotonic()
    ran = run("demo")
    assert ran.code == 0, ran.err
    assert time.monotonic() - started < 30
    assert "5,000 files in 20 folders" in ran.out
    assert "Done: updated 5,001 · failed 3 · rejected 3 · unknown 0" in ran.out
    assert "The demo ended as expected" in ran.out
    assert "icasdk tag --project PROJECT_ID --manifest tags.csv --dry-run" in ran.out
    assert "finished: 5,004/5,004 items done" in ran.err


def test_the_demo_keeps_its_manifest_and_failed_rows(clean_env, run):
    """The manifest and the failed rows stay in a temporary folder to look at."""
    ran = run("demo", "--json")
    assert ran.code == 0, ran.err
    document = json.loads(ran.out)
    assert document["counts"] == {
        "updated": 5001,
        "failed": 3,
        "rejected": 3,
        "unknown": 0,
    }
    assert os.path.exists(document["failedOut"])
    manifest = os.path.join(os.path.dirname(document["failedOut"]), "manifest.csv")
    assert os.path.exists(manifest)
    assert f"Manifest: {manifest}" in ran.err
