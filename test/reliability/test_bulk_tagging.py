"""The bulk-tagging job under faults: 20,000 ids, 5% of responses failing at random.

The ``icasdk tag`` command runs end to end, in process, against an emulator
whose responses fail at random (a fixed seed per fault kind, about 5% in
all, on every operation). Whatever the faults do, every id must end in
exactly one of updated, failed, rejected or unknown; the counts must add
up; the failed-rows file must list exactly the ids that were not updated;
and the emulator's state must agree: updated ids carry the tag, rejected
ids were never sent, and no batch was created twice.
"""

from __future__ import annotations

import csv
import json
import time
import typing

import pytest

import icasdk
from icasdk import cli
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.emulator import Emulator, Pace

pytestmark = pytest.mark.timeout(150)

IDS = 20_000
BATCH_SIZE = 1_000
"""Smaller than the default 5,000, so that more calls meet more faults."""
BATCHES = 20
TAG = "cohort=reliability"
MISSING = 40
"""Well-formed ids the project does not hold: their items fail."""
MALFORMED = ("fil.XYZ", "fol.123", "file.0123456789abcdef0123456789abcdef")
"""Ids refused before sending."""
# kind: probability; they add up to 5% of responses.
FAULTS = {
    "throttle": 0.01,
    "unavailable": 0.01,
    "disconnect": 0.01,
    "bad_gateway": 0.005,
    "disconnect_after": 0.005,
    "truncate": 0.005,
    "server_error": 0.0025,
    "invalid_json": 0.0025,
}


def _hex(n: int) -> str:
    return "%032x" % (0x5EED0000 + n)


@pytest.fixture
def emulator():
    """An emulator that finishes 20,000 items in about a second."""
    with Emulator(pace=Pace(40_000, phase_seconds=0.05)) as emu:
        yield emu


def test_every_id_ends_once_under_random_faults(
    emulator, tmp_path, monkeypatch, capsys, figures
):
    """20,000 ids, 5% failing responses: one outcome each, counts and file agree."""
    emu = emulator
    project = emu.create_project("bulk")
    present = [
        emu.create_data(project, f"/run/s{n:05d}.cram") for n in range(IDS - MISSING)
    ]
    missing = ["fil." + _hex(n) for n in range(MISSING)]
    manifest = tmp_path / "manifest.csv"
    with open(manifest, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["dataId", "addUserTags"])
        for data_id in [*present, *missing, *MALFORMED]:
            writer.writerow([data_id, TAG])
    asked = {*present, *missing, *MALFORMED}

    for n, (kind, probability) in enumerate(sorted(FAULTS.items())):
        emu.faults.inject(kind, probability=probability, seed=1000 + n, retry_after=0)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ICAV2_X_API_KEY", emu.api_key)
    failed_out = tmp_path / "failed.csv"

    started = time.monotonic()
    code = cli.main(
        [
            "tag",
            "--manifest",
            str(manifest),
            "--project",
            project,
            "--base-url",
            emu.base_url,
            "--failed-out",
            str(failed_out),
            "--poll-interval",
            "0.02",
            "--batch-size",
            str(BATCH_SIZE),
            "--timeout",
            "90",
            "--no-progress",
            "--json",
        ]
    )
    elapsed = time.monotonic() - started
    requests = len(emu.requests)
    faulted = sum(fault.applied for fault in emu.faults.active)
    document = json.loads(capsys.readouterr().out)

    counts = document["counts"]
    assert set(counts) == {"updated", "failed", "rejected", "unknown"}
    assert sum(counts.values()) == len(asked)
    assert counts["rejected"] == len(MALFORMED)
    assert counts["failed"] >= MISSING - counts["unknown"]
    assert code == 1

    problems = {p["dataId"]: p["outcome"] for p in document["problems"]}
    with open(failed_out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    listed = [row["dataId"] for row in rows]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(problems)
    assert len(listed) == len(asked) - counts["updated"]
    assert all(row["addUserTags"] == TAG for row in rows)
    assert {row["dataId"]: row["outcome"] for row in rows} == problems

    sent = _sent_ids_by_batch(emu, project)
    in_batches = [data_id for ids in sent.values() for data_id in ids]
    assert len(in_batches) == len(set(in_batches)), "an id went out in two batches"
    assert len(sent) <= BATCHES
    updated = asked - set(problems)
    assert updated <= set(in_batches)
    for data_id in updated:
        assert TAG in emu.data_tags(data_id)[0], data_id
    for data_id, outcome in problems.items():
        if outcome == "rejected":
            assert data_id in MALFORMED
            assert data_id not in in_batches
        elif outcome == "failed" and data_id not in missing:
            assert TAG not in emu.data_tags(data_id)[0], data_id

    figures["bulk tagging: ids"] = len(asked)
    figures["bulk tagging: counts"] = counts
    figures["bulk tagging: batches created / planned"] = f"{len(sent)} / {BATCHES}"
    figures["bulk tagging: requests that reached the emulator"] = requests
    figures["bulk tagging: requests faulted"] = faulted
    figures["bulk tagging: unknown ids by cause"] = {
        "create got no readable answer": sum(
            "may or may not have been created" in p["reason"]
            for p in document["problems"]
        ),
        "batch created, not followed to its end": sum(
            "could not be followed" in p["reason"] for p in document["problems"]
        ),
    }
    figures["bulk tagging: seconds"] = round(elapsed, 1)


def _sent_ids_by_batch(emu: Emulator, project: str) -> typing.Dict[str, list]:
    """The data ids of every batch the emulator holds, listed with no faults."""
    emu.faults.clear()
    found = {}
    with icasdk.ApiClient(emu.configuration()) as client:
        api = ProjectDataUpdateBatchApi(client)
        for batch in emu.batches:
            items = api.iter_project_data_update_batch_items(
                path_params={"projectId": project, "batchId": batch.id},
                query_params={"pageSize": 1000},
            )
            found[batch.id] = [item["request"]["dataId"] for item in items]
    return found
