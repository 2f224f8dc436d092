"""One measurement in a fresh process: ``python -m benchmarks.worker TASK``.

``TASK`` is a JSON object naming the contender, the step and its sizes.
The worker builds that one contender, runs the step and prints one JSON
line with the samples. A fresh process per contender and step keeps one
library's imports, caches and garbage out of another's figures.

Steps:

- ``parse``: bytes of an items page to a validated model, timed; then the
  memory the model keeps;
- ``call_page`` / ``call_small``: one GET of an items page or of a batch
  against the canned server, timed per call;
- ``create``: build and send a create with one group of data ids;
- ``paging``: page through a batch on the emulator counting statuses,
  timed; ``paging_peak``: the same once under ``tracemalloc``, for its peak;
- ``planning``: read a manifest and plan its batches (icasdk only), CPU time.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import typing

from benchmarks import bodies, measure, planning
from benchmarks.contenders import CONTENDERS, Contender

Task = typing.Dict[str, typing.Any]


def digest(data: bytes) -> str:
    """A short fingerprint of a body, so every process measures the same bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


def page_bytes(size: int) -> bytes:
    """The encoded items page of ``size`` items every contender parses."""
    return bodies.encode(bodies.items_page(size))


def run_parse(contender: Contender, task: Task) -> dict:
    data = page_bytes(task["size"])
    if digest(data) != task["digest"]:
        raise bodies.InvalidBody("the worker's page is not the one the runner checked")

    times = measure.wall_times(lambda: contender.parse(data), task["repeats"])
    retained, page = measure.retained_bytes(lambda: contender.parse(data))
    del page
    return {"times": times, "retained": retained}


def run_call(contender: Contender, task: Task) -> dict:
    contender.connect(task["url"], task["api_key"])
    if task["step"] == "call_page":
        size = task["size"]

        def call() -> object:
            return contender.get_page(size)

    else:
        call = contender.get_batch
    times = measure.wall_times(call, task["repeats"], warmup=3)
    contender.close()
    return {"times": times}


def run_create(contender: Contender, task: Task) -> dict:
    contender.connect(task["url"], task["api_key"])
    ids = bodies.data_ids(task["size"])
    times = measure.wall_times(lambda: contender.create(ids), task["repeats"])
    contender.close()
    return {"times": times}


def run_paging(contender: Contender, task: Task) -> dict:
    contender.connect(task["url"], task["api_key"])
    batch_id, page_size, total = task["batch_id"], task["page_size"], task["total"]

    def page_through() -> typing.Counter[str]:
        counts = contender.count_statuses(batch_id, page_size)
        if sum(counts.values()) != total:
            msg = f"{contender.name} saw {sum(counts.values())} items, not {total}"
            raise AssertionError(msg)
        return counts

    if task["step"] == "paging_peak":
        page_through()  # warm: connections open, builders compiled
        peak, _ = measure.peak_bytes(page_through)
        result: dict = {"peak": peak}
    else:
        result = {"times": measure.wall_times(page_through, task["repeats"])}
    contender.close()
    return result


def run_planning(contender: Contender, task: Task) -> dict:
    if contender.name != "icasdk":
        raise ValueError(f"only icasdk has a planner, not {contender.name}")

    rows = task["size"]
    text, distinct = planning.manifest_text(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "manifest.csv")
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        planned, _ = planning.plan(path)
        planning.check(planned, rows, distinct)
        times = measure.cpu_times(lambda: planning.plan(path), task["repeats"])
    return {"times": times}


STEPS: typing.Dict[str, typing.Callable[[Contender, Task], dict]] = {
    "parse": run_parse,
    "call_page": run_call,
    "call_small": run_call,
    "create": run_create,
    "paging": run_paging,
    "paging_peak": run_paging,
    "planning": run_planning,
}


def main(argv: typing.Optional[typing.List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.worker TASK_JSON", file=sys.stderr)
        return 2

    task = json.loads(args[0])
    contender = CONTENDERS[task["contender"]]()
    result = STEPS[task["step"]](contender, task)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
