"""The world of ``icasdk demo``: a project of files and folders, and a manifest.

``build_world`` fills an emulator with one project of 5,000 files in 20
run folders, each file tagged ``status=pending``, and writes a manifest
that reads like a real one: subject, assay and QC tags for every file, a
retention tag on two folders, one id given on two rows, and a few mistakes
(ids that do not exist, malformed ids, an id asked both to add and to remove
a tag). ``as_expected`` checks the run ended the way the manifest implies.
"""

from __future__ import annotations

import csv
import logging
import tempfile
import typing
import uuid

from icasdk.tagging import FAILED, REJECTED, UPDATED

log = logging.getLogger(__name__)

FOLDERS = 20
FILES_PER_FOLDER = 250
SUBJECTS_PER_FOLDER = 2
PACE = 4000
"""Items per second the demo's emulator applies: a few seconds in all."""
TIMEOUT = 60.0
WAIT_OPTIONS = {"initial_interval": 0.2, "max_interval": 0.5}
UNKNOWN_IDS = 3
MALFORMED_IDS = ("fil.12345", "FIL.8B1F0C33A9E24C0E9D7B6A5F4E3D2C1B")


class World(typing.NamedTuple):
    """What the demo made and what its run should end in."""

    project_id: str
    manifest_path: str
    description: str
    example_file: str
    """The data id of a file whose tags ``explain`` shows."""
    expected: typing.Dict[str, int]
    """Outcome counts the run should end with."""


def make_folder() -> str:
    """A new temporary folder for the manifest and the failed rows."""
    return tempfile.mkdtemp(prefix="icasdk-demo-")


def build_world(emu: typing.Any, folder: str) -> World:
    """Seed ``emu`` and write ``folder``/manifest.csv."""
    project = emu.create_project("icasdk-demo")
    rows: typing.List[typing.Tuple[str, ...]] = []
    folders = []
    example = ""
    for run in range(1, FOLDERS + 1):
        folders.append(emu.create_data(project, f"/run{run:02d}/"))
        for number in range(FILES_PER_FOLDER):
            subject = (
                100 + (run - 1) * SUBJECTS_PER_FOLDER + number % SUBJECTS_PER_FOLDER
            )
            name = f"/run{run:02d}/SBJ{subject:05d}_{number:03d}_R1.fastq.gz"
            data_id = emu.create_data(project, name, user_tags=["status=pending"])
            example = example or data_id
            assay = "WGS" if run <= FOLDERS // 2 else "RNA"
            qc = "fail" if number % 100 == 99 else "pass"
            user = f"subject_id=SBJ{subject:05d};assay={assay}"
            rows.append((data_id, user, "status=pending", f"qc={qc}", ""))

    rows.append((rows[0][0], "", "", "reviewed=yes", ""))  # the same id again
    for data_id in folders[-2:]:
        rows.append((data_id, "", "", "retention=7y", ""))
    unknown = ["fil." + uuid.uuid4().hex for _ in range(UNKNOWN_IDS)]
    rows += [(data_id, "subject_id=SBJ09999", "", "", "") for data_id in unknown]
    rows += [(data_id, "subject_id=SBJ09998", "", "", "") for data_id in MALFORMED_IDS]
    conflicted = rows[1][0]
    rows.append((conflicted, "status=pending", "", "", ""))

    path = f"{folder}/manifest.csv"
    _write(path, rows)
    files = FOLDERS * FILES_PER_FOLDER
    expected = {
        UPDATED: files - 1 + 2,
        FAILED: UNKNOWN_IDS,
        REJECTED: len(MALFORMED_IDS) + 1,
    }
    description = f"{files:,} files in {FOLDERS} folders, tagged status=pending"
    log.debug("demo world: project %s, %d manifest rows", project, len(rows))
    return World(project, path, description, example, expected)


def _write(path: str, rows: typing.Sequence[typing.Tuple[str, ...]]) -> None:
    header = ("dataId", "addUserTags", "removeUserTags", "addTechnicalTags")
    header += ("removeTechnicalTags",)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def as_expected(world: World, result: typing.Any) -> bool:
    """True when the run ended with the outcome counts the manifest implies."""
    counts = result.counts
    return all(counts.get(name, 0) == count for name, count in world.expected.items())


def explain(emu: typing.Any, world: World, result: typing.Any) -> str:
    """A few closing lines: one file's tags now, and what to do next."""
    user_tags, technical_tags = emu.data_tags(world.example_file)
    lines = [
        "",
        f"For example, {world.example_file} (on two rows of the manifest, merged)",
        "now has",
        f"  user tags:      {', '.join(user_tags) or '(none)'}",
        f"  technical tags: {', '.join(technical_tags) or '(none)'}",
        "",
        "The failed rows are ids that do not exist; the rejected rows were never",
        "sent (malformed ids, and one id asked both to add and to remove a tag).",
    ]
    if as_expected(world, result):
        lines.append("The demo ended as expected (icasdk tag would exit 1 here).")
    else:
        lines.append(f"Unexpected: the demo should end with {world.expected}.")
    lines += [
        "",
        "To tag your own data:",
        "  export ICAV2_X_API_KEY=...        (or sign in with the icav2 tool)",
        "  icasdk tag --project PROJECT_ID --manifest tags.csv --dry-run",
        "  icasdk tag --project PROJECT_ID --manifest tags.csv",
    ]
    return "\n".join(lines)
