"""Benchmark 6: planning a bulk-tagging job from a manifest, without the network.

The manifest is what a lab would write for a cohort: one row per file,
every row adding the study and its sequencing run as user tags, removing a
pending tag and adding a pipeline tag. Runs are uneven in size, so groups
split across batch boundaries. A few rows repeat an id (merged), a few ids
are malformed and a few rows ask to add and remove the same tag (both
rejected), as in real manifests.

What is timed is what ``icasdk tag --dry-run`` does, and then a little
more: read the CSV, plan (check every id, merge, group, split into batches
of 5,000, build each group's model) and build each batch's create request
model, ready to send. Only icasdk has a planner; the figure is CPU seconds.
"""

from __future__ import annotations

import random
import typing

from benchmarks import bodies

HEADER = "dataId,addUserTags,removeUserTags,addTechnicalTags,removeTechnicalTags\n"
ROWS_PER_RUN = 733
"""Files per sequencing run: uneven, so groups straddle batches of 5,000."""
REPEATED_EVERY = 1_000
MALFORMED_EVERY = 2_000
CONFLICT_EVERY = 5_000


def manifest_text(rows: int, seed: int = bodies.SEED) -> typing.Tuple[str, int]:
    """A CSV manifest of ``rows`` rows (see the module docstring).

    Returns the text and how many distinct data ids it names.
    """
    rng = random.Random(seed)
    lines = [HEADER]
    previous = ""
    distinct = set()
    for number in range(rows):
        data_id = bodies.data_id(rng)
        if number % MALFORMED_EVERY == MALFORMED_EVERY - 1:
            data_id = data_id.upper().replace("FIL.", "fil.")
        elif number % REPEATED_EVERY == REPEATED_EVERY - 1 and previous:
            data_id = previous
        previous = data_id
        distinct.add(data_id)

        added = f"study=ST-2024-17;run=RUN{number // ROWS_PER_RUN:04d}"
        removed = "status=pending"
        if number % CONFLICT_EVERY == CONFLICT_EVERY - 1:
            removed = "study=ST-2024-17"
        lines.append(f"{data_id},{added},{removed},pipeline=dragen-4.2.4,\n")
    return "".join(lines), len(distinct)


def plan(path: str) -> typing.Tuple[object, list]:
    """Read the manifest at ``path``, plan it and build every create request."""
    from icasdk import manifest, tagging

    source = manifest.read_manifest(path)
    planned = tagging.plan_tag_updates(source.rows)
    requests = [batch.body() for batch in planned.batches]
    return planned, requests


def check(planned: typing.Any, rows: int, distinct: int) -> None:
    """Fail unless the plan accounts for every row as the manifest intends."""
    if planned.rows != rows or planned.data_ids != distinct:
        msg = (
            f"the plan read {planned.rows} rows and {planned.data_ids} distinct ids, "
            f"not {rows} and {distinct}"
        )
        raise AssertionError(msg)
    if rows >= MALFORMED_EVERY and not planned.rejected:
        raise AssertionError("the plan rejected none of the malformed ids")
