"""The six benchmarks, and the processes that run them (see ``docs/performance.md``).

They measure, side by side in one run, the floor (plain urllib3 + json),
icasdk and libica; ``benchmarks.cli`` is the command that starts them,
prints the table (``benchmarks.table``) and writes every sample to a JSON
file (``benchmarks.results``):

1. import time of the API class, the four request/response models,
   ``Configuration`` and ``ApiClient``, each in a fresh interpreter;
2. bytes to a validated model for items pages of two sizes, and the memory
   the larger one keeps;
3. one call over loopback to ``benchmarks.server`` (a canned server, not
   the emulator): an items page, and a small batch object;
4. building and sending a create with one group of many data ids;
5. paging through a large batch on the emulator: wall time, and peak
   memory against paging a batch a tenth of the size;
6. planning a bulk-tagging job from manifest rows, without the network.

Every figure is the median of repeated samples, each taken in a worker
process of its own (``benchmarks.worker``). The bodies are built from the
definition's shapes and checked against it before anything is timed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import typing

from benchmarks import bodies, measure, worker
from benchmarks.contenders import CONTENDERS, unavailable
from benchmarks.machine import REPO_ROOT
from benchmarks.row import Row

EMULATOR_API_KEY = "benchmark-key"
START_TIMEOUT = 60.0
WORKER_TIMEOUT = 1800.0
# The canned server and the emulator run in sessions of their own, so that a
# terminal's Ctrl-C reaches only the runner, which stops them itself on the way
# out; without that a server caught starting up dies with a traceback.
OWN_SESSION = os.name == "posix"
BENCHMARKS = ("import", "parse", "calls", "create", "paging", "planning")


@dataclasses.dataclass(frozen=True)
class Sizes:
    """How big each benchmark is, and how many samples it takes.

    Repeats are per worker: a figure's samples number ``rounds`` times its
    repeats, and its median is taken over all of them.
    """

    rounds: int = 5
    """Contenders take turns this many times; each turn is a fresh worker."""
    short_rounds: int = 15
    """The same for the short steps (parse, calls, create): more, shorter turns.
    A shared machine's speed drifts from one turn to the next (one run's
    per-turn medians of the floor's small call went from 0.29 to 0.53 ms);
    short turns spread the drift evenly over the contenders."""
    import_runs: int = 11
    page_small: int = 1_000
    page_large: int = 10_000
    parse_repeats_small: int = 5
    parse_repeats_large: int = 1
    call_page_items: int = 1_000
    call_page_repeats: int = 5
    call_small_repeats: int = 67
    create_ids: int = 10_000
    create_repeats: int = 2
    paging_total: int = 100_000
    paging_base: int = 10_000
    paging_page_size: int = 1_000
    paging_repeats: int = 1
    planning_rows: int = 100_000
    planning_repeats: int = 2


FULL = Sizes()
TINY = Sizes(
    rounds=1,
    import_runs=1,
    page_small=10,
    page_large=30,
    parse_repeats_small=1,
    parse_repeats_large=1,
    short_rounds=1,
    call_page_items=10,
    call_page_repeats=1,
    call_small_repeats=1,
    create_ids=20,
    create_repeats=1,
    paging_total=250,
    paging_base=50,
    paging_page_size=50,
    paging_repeats=1,
    planning_rows=100,
    planning_repeats=1,
)
"""Sizes for a smoke run (the test suite's): every path runs, no figure means much."""


# --------------------------------------------------------------------------
# Processes: workers, the canned server and the emulator


class WorkerError(RuntimeError):
    """A worker process failed; the message ends with its error output."""


class Runner:
    """Runs each benchmark's workers and collects the rows."""

    def __init__(
        self,
        sizes: Sizes,
        contenders: typing.Sequence[str],
        python: str = sys.executable,
        progress: typing.Optional[typing.TextIO] = None,
    ) -> None:
        self.sizes = sizes
        self.python = python
        # Looked up now, not at import: whoever runs the runner may have swapped it.
        self.progress = sys.stderr if progress is None else progress
        self.skipped = {}
        for name in contenders:
            reason = unavailable(name)
            if reason is not None:
                self.skipped[name] = reason
        self.contenders = [name for name in contenders if name not in self.skipped]
        self.failed: typing.Set[str] = set()
        """Peers that failed a step: their rows say so, and the run is partial."""
        self.rows: typing.List[Row] = []
        paths = [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
        self.env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, paths)))
        # Byte-code caches on, as an installed package has them: without
        # them every fresh process compiles icasdk from source.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)

    def say(self, message: str) -> None:
        print(message, file=self.progress, flush=True)

    def add(self, row: Row) -> Row:
        for name, reason in self.skipped.items():
            row.skipped.setdefault(name, reason)
        self.rows.append(row)
        return row

    def run_python(self, arguments: typing.Sequence[str], what: str) -> str:
        """Run this Python with ``arguments`` in a process of its own; its output.

        Raises ``WorkerError`` for a process that fails or hangs, with the end
        of what it wrote to its standard error.
        """
        try:
            done = subprocess.run(
                [self.python, *arguments],
                capture_output=True,
                text=True,
                env=self.env,
                timeout=WORKER_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise WorkerError(f"{what} took over {WORKER_TIMEOUT:.0f} s") from None
        if done.returncode != 0:
            tail = done.stderr.strip()[-2000:] or "(it wrote no error output)"
            if done.returncode < 0:
                how = f"was killed by signal {-done.returncode}"
            else:
                how = f"failed (exit {done.returncode})"
            raise WorkerError(f"{what} {how}:\n{tail}")
        return done.stdout

    def work(self, contender: str, step: str, **task: typing.Any) -> dict:
        """Run one step of one contender in a fresh worker process; its result."""
        task = dict(task, contender=contender, step=step)
        what = f"{contender} {step}"
        output = self.run_python(["-m", "benchmarks.worker", json.dumps(task)], what)
        try:
            return json.loads(_last_line(output, what))
        except ValueError:
            raise WorkerError(f"{what} printed no result: {output[-200:]!r}") from None

    def each(
        self,
        row: Row,
        step: str,
        pick: str = "times",
        rounds: typing.Optional[int] = None,
        **task: typing.Any,
    ) -> typing.Dict[str, typing.List[dict]]:
        """Run ``step`` for every contender, in turns; fill ``row`` from ``pick``.

        Contenders take turns ``rounds`` times (default ``sizes.rounds``), so
        a burst of other work on the machine lands on all of them rather
        than on one. A peer that fails is marked skipped with its error;
        icasdk or the floor failing stops the run, since their figures are
        the point.
        """
        results: typing.Dict[str, typing.List[dict]] = {}
        rounds = self.sizes.rounds if rounds is None else rounds
        for turn in range(rounds):
            for name in self.contenders:
                if name in row.skipped:
                    continue
                self.say(f"  {row.title}: {name} ({turn + 1}/{rounds})")
                try:
                    result = self.work(name, step, **task)
                except WorkerError as err:
                    self.peer_failed(row, name, err)
                    continue
                results.setdefault(name, []).append(result)
                value = result[pick]
                samples = row.samples.setdefault(name, [])
                samples.extend(value if isinstance(value, list) else [value])
        return results

    def peer_failed(self, row: Row, name: str, err: WorkerError) -> None:
        """Mark a peer's row skipped with what failed; icasdk or the floor failing
        stops the run instead (re-raised), since their figures are the point."""
        if name in ("floor", "icasdk"):
            raise err
        row.skipped[name] = f"failed: {_gist(err)}"
        row.samples.pop(name, None)
        self.failed.add(name)

    @contextlib.contextmanager
    def canned_server(self, page_items: int) -> typing.Iterator[str]:
        """The canned server in its own process; yields its base URL."""
        command = [self.python, "-m", "benchmarks.server", "--page-items"]
        process = subprocess.Popen(
            [*command, str(page_items)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=self.env,
            start_new_session=OWN_SESSION,
        )
        try:
            url = process.stdout.readline().strip()
            if not url.startswith("http://"):
                raise WorkerError(f"the canned server did not start: {url!r}")
            yield url
        finally:
            process.stdin.close()
            _reap(process)

    @contextlib.contextmanager
    def emulator(self) -> typing.Iterator[str]:
        """The emulator in its own process, with the benchmark project seeded."""
        with tempfile.TemporaryDirectory() as folder:
            seed = pathlib.Path(folder, "seed.json")
            project = {"name": "benchmarks", "id": bodies.PROJECT_ID}
            seed.write_text(json.dumps({"projects": [project]}), encoding="utf-8")
            command = [
                self.python,
                "-m",
                "icasdk.emulator",
                "--port=0",
                "--pace=step",
                f"--api-key={EMULATOR_API_KEY}",
                f"--seed={seed}",
            ]
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                text=True,
                env=self.env,
                start_new_session=OWN_SESSION,
            )
            try:
                yield _emulator_url(process)
            finally:
                process.terminate()
                _reap(process)


def _gist(err: WorkerError) -> str:
    """What failed and how, then the error's last line (a traceback's exception)."""
    lines = str(err).splitlines()
    return lines[0] if len(lines) == 1 else f"{lines[0]} {lines[-1]}"


def _reap(process: subprocess.Popen) -> None:
    """Wait for a process told to stop; kill it if it has not within 10 s."""
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _emulator_url(process: subprocess.Popen) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if "serving at" in line:
            return line.rsplit(" ", 1)[-1].strip()
    raise WorkerError("the emulator did not start")


def create_on_emulator(base_url: str, count: int) -> str:
    """A batch of ``count`` items on the emulator, created with plain urllib3."""
    import urllib3

    url = f"{base_url}/api/projects/{bodies.PROJECT_ID}/dataUpdateBatch"
    body = bodies.encode(bodies.create_request(bodies.data_ids(count)))
    headers = {
        "X-API-Key": EMULATOR_API_KEY,
        "Accept": "application/vnd.illumina.v3+json",
        "Content-Type": "application/vnd.illumina.v3+json",
    }
    response = urllib3.PoolManager().request(
        "POST", url, body=body, headers=headers, timeout=120
    )
    if response.status != 201:
        msg = (
            f"the emulator refused the batch: {response.status} {response.data[:300]!r}"
        )
        raise WorkerError(msg)
    return json.loads(response.data)["id"]


# --------------------------------------------------------------------------
# The benchmarks


def bench_import(runner: Runner) -> None:
    """1: the import statements, timed inside fresh interpreters."""
    row = runner.add(
        Row(
            "import",
            "1 import (fresh process)",
            "s",
            "ratio",
            1.5,
            note="API class, 4 models, Configuration, ApiClient; floor: json, urllib3",
        )
    )
    snippet = (
        "import time\n"
        "started = time.perf_counter()\n"
        "{imports}\n"
        "print(time.perf_counter() - started)\n"
    )
    runner.say(f"  {row.title}: {', '.join(runner.contenders)}")
    codes = {
        name: snippet.format(imports=CONTENDERS[name].imports)
        for name in runner.contenders
    }
    # Contenders take turns; turn 0 is not timed: it writes the byte-code caches.
    for turn in range(1 + runner.sizes.import_runs):
        for name, code in codes.items():
            if name in row.skipped:
                continue
            try:
                seconds = _import_seconds(runner, name, code)
            except WorkerError as err:
                runner.peer_failed(row, name, err)
                continue
            if turn > 0:
                row.samples.setdefault(name, []).append(seconds)


def _import_seconds(runner: Runner, name: str, code: str) -> float:
    what = f"{name} import"
    output = runner.run_python(["-c", code], what)
    try:
        return float(_last_line(output, what))
    except ValueError:
        raise WorkerError(f"{what} printed no time: {output[-200:]!r}") from None


def _last_line(output: str, what: str) -> str:
    lines = output.strip().splitlines()
    if not lines:
        raise WorkerError(f"{what} printed nothing")
    return lines[-1]


def bench_parse(runner: Runner) -> None:
    """2: bytes to a validated model, two sizes; memory kept for the larger."""
    sizes = runner.sizes
    small = runner.add(
        Row("parse_small", f"2 parse {sizes.page_small:,} items", "s", "ratio", 4.0)
    )
    large = runner.add(
        Row("parse_large", f"2 parse {sizes.page_large:,} items", "s", "ratio", 4.0)
    )
    kept = runner.add(
        Row(
            "retained_large",
            f"2 memory kept, {sizes.page_large:,} items",
            "B",
            "ratio",
            1.5,
            note="tracemalloc: bytes held by the built page",
        )
    )
    for row, size, repeats in (
        (small, sizes.page_small, sizes.parse_repeats_small),
        (large, sizes.page_large, sizes.parse_repeats_large),
    ):
        data = _checked_page(size)
        results = runner.each(
            row,
            "parse",
            rounds=sizes.short_rounds,
            size=size,
            repeats=repeats,
            digest=worker.digest(data),
        )
        if row is large:
            kept.skipped.update(row.skipped)
            for name, turns in results.items():
                kept.samples[name] = [result["retained"] for result in turns]


def _checked_page(size: int) -> bytes:
    page = bodies.items_page(size)
    bodies.check_valid("ProjectDataUpdateBatchItemPagedList", page)
    return bodies.encode(page)


def bench_calls(runner: Runner) -> None:
    """3: one GET over loopback to the canned server: a page, and a batch."""
    sizes = runner.sizes
    bodies.check_valid("ProjectDataUpdateBatch", bodies.batch())
    _checked_page(sizes.call_page_items)
    page = runner.add(
        Row(
            "call_page",
            f"3 call: {sizes.call_page_items:,}-item page",
            "s",
            "ratio",
            3.0,
        )
    )
    small = runner.add(Row("call_small", "3 call: small batch", "s", "ratio", 1.3))
    with runner.canned_server(sizes.call_page_items) as url:
        task = {"url": url, "api_key": "benchmark-key"}
        runner.each(
            page,
            "call_page",
            rounds=sizes.short_rounds,
            size=sizes.call_page_items,
            repeats=sizes.call_page_repeats,
            **task,
        )
        runner.each(
            small,
            "call_small",
            rounds=sizes.short_rounds,
            repeats=sizes.call_small_repeats,
            **task,
        )


def bench_create(runner: Runner) -> None:
    """4: build a create with one group of many data ids, and send it."""
    sizes = runner.sizes
    request = bodies.create_request(bodies.data_ids(sizes.create_ids))
    bodies.check_valid("CreateProjectDataUpdateBatch", request)
    row = runner.add(
        Row("create", f"4 create, {sizes.create_ids:,} ids", "s", "ratio", 2.0)
    )
    with runner.canned_server(1) as url:
        runner.each(
            row,
            "create",
            size=sizes.create_ids,
            rounds=sizes.short_rounds,
            repeats=sizes.create_repeats,
            url=url,
            api_key="benchmark-key",
        )


def bench_paging(runner: Runner) -> None:
    """5: page through a large batch on the emulator; peak memory against a small."""
    sizes = runner.sizes
    total, base = sizes.paging_total, sizes.paging_base
    wall = runner.add(
        Row(
            "paging",
            f"5 page {total:,} items (emulator)",
            "s",
            note=f"{sizes.paging_page_size:,} items a page; emulator's work included",
        )
    )
    small_peak = runner.add(
        Row("paging_peak_base", f"5 peak memory, {base:,} items", "B")
    )
    large_peak = runner.add(
        Row(
            "paging_peak",
            f"5 peak memory, {total:,} items",
            "B",
            "growth",
            1.2,
            note=f"ratio: peak at {total:,} items over peak at {base:,}",
        )
    )
    with runner.emulator() as url:
        runner.say(f"  creating batches of {total:,} and {base:,} items")
        big_batch = create_on_emulator(url, total)
        small_batch = create_on_emulator(url, base)
        task = {
            "url": url,
            "api_key": EMULATOR_API_KEY,
            "page_size": sizes.paging_page_size,
        }
        runner.each(
            wall,
            "paging",
            batch_id=big_batch,
            total=total,
            repeats=sizes.paging_repeats,
            **task,
        )
        # One round: tracemalloc's peak barely moves between runs, and
        # paging under it is slow.
        for row, batch_id, count in (
            (small_peak, small_batch, base),
            (large_peak, big_batch, total),
        ):
            runner.each(
                row, "paging_peak", "peak", 1, batch_id=batch_id, total=count, **task
            )
    large_peak.skipped.update(small_peak.skipped)
    for name, samples in small_peak.samples.items():
        large_peak.base[name] = measure.median(samples)


def bench_planning(runner: Runner) -> None:
    """6: read a manifest and plan its batches, ready to send; CPU seconds."""
    sizes = runner.sizes
    row = runner.add(
        Row(
            "planning",
            f"6 plan {sizes.planning_rows:,} manifest rows (CPU)",
            "s",
            "cpu",
            1.0,
            note="read CSV, check, merge, group, split into 5,000s, build requests",
        )
    )
    for name in (*runner.contenders, *runner.skipped):  # installed or not
        if name != "icasdk":
            row.skipped[name] = f"n/a: {name} has no bulk-tagging planner"
    contenders = runner.contenders
    runner.contenders = ["icasdk"]
    try:
        runner.each(
            row, "planning", size=sizes.planning_rows, repeats=sizes.planning_repeats
        )
    finally:
        runner.contenders = contenders


STEPS: typing.Dict[str, typing.Callable[[Runner], None]] = {
    "import": bench_import,
    "parse": bench_parse,
    "calls": bench_calls,
    "create": bench_create,
    "paging": bench_paging,
    "planning": bench_planning,
}


def missing_packages() -> typing.List[str]:
    """The packages the runner needs that are not installed (the emulator's).

    The emulator serves benchmark 5, and its OpenAPI validator is the second,
    independent check that every body is valid.
    """
    needed = ("openapi_schema_validator", "jsonschema")
    return [name for name in needed if importlib.util.find_spec(name) is None]
