"""The benchmark runner: ``python -m benchmarks`` (see ``docs/performance.md``).

It measures, side by side in one run, the floor (plain urllib3 + json),
icasdk and libica, prints a table and writes every sample to a JSON file:

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

import argparse
import contextlib
import dataclasses
import datetime
import importlib.metadata
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time
import typing

from benchmarks import bodies, measure, worker
from benchmarks.contenders import CONTENDERS, unavailable

PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
DEFAULT_OUTPUT = PACKAGE_DIR / "results" / "latest.json"
EMULATOR_API_KEY = "benchmark-key"
START_TIMEOUT = 60.0
WORKER_TIMEOUT = 1800.0
BENCHMARKS = ("import", "parse", "calls", "create", "paging", "planning")


@dataclasses.dataclass(frozen=True)
class Sizes:
    """How big each benchmark is, and how many samples it takes.

    Repeats are per worker: a figure's samples number ``rounds`` times its
    repeats, and its median is taken over all of them.
    """

    rounds: int = 5
    """Contenders take turns this many times; each turn is a fresh worker."""
    import_runs: int = 11
    page_small: int = 1_000
    page_large: int = 10_000
    parse_repeats_small: int = 15
    parse_repeats_large: int = 2
    call_page_items: int = 1_000
    call_page_repeats: int = 15
    call_small_repeats: int = 201
    create_ids: int = 10_000
    create_repeats: int = 5
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
# Results


@dataclasses.dataclass
class Row:
    """One line of the table: a figure per contender and the target for icasdk.

    ``kind`` says how the target is read:

    - ``ratio``: icasdk's median over the floor's, at most ``target``, and
      below libica's;
    - ``growth``: icasdk's figure over its own ``base`` figure (the same
      work at a tenth of the size), at most ``target``, and not above
      libica's figure;
    - ``cpu``: icasdk's median in seconds, at most ``target``;
    - ``info``: shown for context, no target.
    """

    key: str
    title: str
    unit: str
    kind: str = "info"
    target: typing.Optional[float] = None
    samples: typing.Dict[str, typing.List[float]] = dataclasses.field(
        default_factory=dict
    )
    base: typing.Dict[str, float] = dataclasses.field(default_factory=dict)
    skipped: typing.Dict[str, str] = dataclasses.field(default_factory=dict)
    note: str = ""

    def value(self, contender: str) -> typing.Optional[float]:
        samples = self.samples.get(contender)
        return measure.median(samples) if samples else None

    def ratio(self, contender: str) -> typing.Optional[float]:
        """The contender's figure over the floor's (or over its base, for growth)."""
        value = self.value(contender)
        if value is None:
            return None
        if self.kind == "growth":
            base = self.base.get(contender)
            return value / base if base else None
        floor = self.value("floor")
        return value / floor if floor else None

    def met(self) -> typing.Optional[bool]:
        """Whether icasdk meets the target; None when there is none or no figure."""
        if self.kind == "info" or self.target is None:
            return None
        ours = self.value("icasdk")
        if ours is None:
            return None
        if self.kind == "cpu":
            return ours <= self.target

        ratio = self.ratio("icasdk")
        if ratio is None or ratio > self.target:
            return False
        libica = self.value("libica")
        if libica is None:
            return True
        return ours <= libica if self.kind == "growth" else ours < libica

    @classmethod
    def from_json(cls, data: dict) -> Row:
        """A row as ``to_json`` wrote it, to print a saved run's table again."""
        row = cls(
            data["key"],
            data["title"],
            data["unit"],
            data["kind"],
            data["target"],
            note=data["note"],
        )
        for name, figures in data["contenders"].items():
            if "skipped" in figures:
                row.skipped[name] = figures["skipped"]
                continue
            row.samples[name] = figures["samples"]
            if "base" in figures:
                row.base[name] = figures["base"]
        return row

    def to_json(self) -> dict:
        contenders = {}
        for name in CONTENDERS:
            if name in self.skipped:
                contenders[name] = {"skipped": self.skipped[name]}
            elif name in self.samples:
                contenders[name] = {
                    "median": self.value(name),
                    "ratio": self.ratio(name),
                    "samples": self.samples[name],
                }
                if name in self.base:
                    contenders[name]["base"] = self.base[name]
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "kind": self.kind,
            "target": self.target,
            "met": self.met(),
            "note": self.note,
            "contenders": contenders,
        }


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
        progress: typing.TextIO = sys.stderr,
    ) -> None:
        self.sizes = sizes
        self.python = python
        self.progress = progress
        self.skipped = {}
        for name in contenders:
            reason = unavailable(name)
            if reason is not None:
                self.skipped[name] = reason
        self.contenders = [name for name in contenders if name not in self.skipped]
        self.rows: typing.List[Row] = []
        paths = [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
        self.env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, paths)))
        # Byte-code caches on, as an installed package has them: without
        # them every fresh process compiles icasdk from source.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)

    def say(self, message: str) -> None:
        print(message, file=self.progress, flush=True)

    def add(self, row: Row) -> Row:
        row.skipped.update(self.skipped)
        self.rows.append(row)
        return row

    def work(self, contender: str, step: str, **task: typing.Any) -> dict:
        """Run one step of one contender in a fresh worker process."""
        task = dict(task, contender=contender, step=step)
        done = subprocess.run(
            [self.python, "-m", "benchmarks.worker", json.dumps(task)],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=WORKER_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            tail = done.stderr.strip()[-2000:]
            msg = f"{contender} {step} failed (exit {done.returncode}):\n{tail}"
            raise WorkerError(msg)
        return json.loads(done.stdout.strip().splitlines()[-1])

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
                except (WorkerError, subprocess.TimeoutExpired) as err:
                    if name in ("floor", "icasdk"):
                        raise
                    row.skipped[name] = f"failed: {str(err).splitlines()[-1]}"
                    row.samples.pop(name, None)
                    continue
                results.setdefault(name, []).append(result)
                value = result[pick]
                samples = row.samples.setdefault(name, [])
                samples.extend(value if isinstance(value, list) else [value])
        return results

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
        )
        try:
            url = process.stdout.readline().strip()
            if not url.startswith("http://"):
                raise WorkerError(f"the canned server did not start: {url!r}")
            yield url
        finally:
            process.stdin.close()
            process.wait(timeout=10)

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
                command, stdout=subprocess.PIPE, text=True, env=self.env
            )
            try:
                yield _emulator_url(process)
            finally:
                process.terminate()
                process.wait(timeout=10)


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
    for code in codes.values():  # once untimed: byte-code caches written
        _run_python(runner, code)
    for _ in range(runner.sizes.import_runs):  # contenders take turns
        for name, code in codes.items():
            row.samples.setdefault(name, []).append(float(_run_python(runner, code)))


def _run_python(runner: Runner, code: str) -> str:
    done = subprocess.run(
        [runner.python, "-c", code],
        capture_output=True,
        text=True,
        env=runner.env,
        timeout=WORKER_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise WorkerError(f"import failed:\n{done.stderr.strip()[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


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
            row, "parse", size=size, repeats=repeats, digest=worker.digest(data)
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
            size=sizes.call_page_items,
            repeats=sizes.call_page_repeats,
            **task,
        )
        runner.each(small, "call_small", repeats=sizes.call_small_repeats, **task)


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
    for name in runner.contenders:
        if name != "icasdk":
            row.skipped.setdefault(name, f"n/a: {name} has no bulk-tagging planner")
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


# --------------------------------------------------------------------------
# Reporting


def machine() -> dict:
    """What the figures were taken on."""
    info = {
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "packages": {},
        "commit": _commit(),
    }
    for package in ("icasdk", "urllib3", "frozendict", "libica", "pydantic"):
        try:
            info["packages"][package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            info["packages"][package] = None
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> typing.Optional[float]:
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _commit() -> typing.Optional[str]:
    try:
        done = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def format_value(value: typing.Optional[float], unit: str) -> str:
    """``0.00213`` s -> ``2.13 ms``; ``12_400_000`` B -> ``11.8 MiB``."""
    if value is None:
        return "-"
    if unit == "B":
        for scale, name in ((1024**2, "MiB"), (1024, "KiB")):
            if abs(value) >= scale:
                return f"{value / scale:.1f} {name}"
        return f"{value:.0f} B"
    for scale, name in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {name}"
    return f"{value * 1e9:.0f} ns"


def format_ratio(value: typing.Optional[float]) -> str:
    return "-" if value is None else f"{value:.2f}x"


def format_target(row: Row) -> str:
    if row.target is None:
        return ""
    if row.kind == "cpu":
        return f"<= {format_value(row.target, row.unit)}"
    if row.kind == "growth":
        return f"<= {row.target:g}x growth"
    return f"<= {row.target:g}x"


def format_met(row: Row) -> str:
    met = row.met()
    if met is None:
        return ""
    return "met" if met else "MISSED"


TABLE_HEADER = ("benchmark", "floor", "icasdk", "ratio", "libica", "ratio")
TABLE_HEADER += ("target", "icasdk")


def table_cells(rows: typing.Sequence[Row]) -> typing.List[typing.Tuple[str, ...]]:
    """Each row's cells: medians, ratios, target and verdict, as text."""
    lines = []
    for row in rows:
        libica = row.value("libica")
        libica_text = format_value(libica, row.unit)
        if libica is None and "libica" in row.skipped:
            reason = row.skipped["libica"]
            libica_text = "n/a" if reason.startswith("n/a") else "skipped"
        lines.append(
            (
                row.title,
                format_value(row.value("floor"), row.unit),
                format_value(row.value("icasdk"), row.unit),
                format_ratio(row.ratio("icasdk")),
                libica_text,
                format_ratio(row.ratio("libica")),
                format_target(row),
                format_met(row),
            )
        )
    return lines


def format_table(rows: typing.Sequence[Row]) -> str:
    """The table the terminal shows, in aligned columns."""
    lines = [TABLE_HEADER, *table_cells(rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(TABLE_HEADER))]
    out = []
    for number, line in enumerate(lines):
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:])]
        out.append("  ".join(cells).rstrip())
        if number == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def format_markdown(rows: typing.Sequence[Row]) -> str:
    """The same table in Markdown, for ``docs/performance.md``."""
    out = [
        "| " + " | ".join(TABLE_HEADER) + " |",
        "| --- |" + " ---: |" * (len(TABLE_HEADER) - 1),
    ]
    for cells in table_cells(rows):
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def format_machine(info: dict) -> str:
    """One line on what the figures were taken on."""
    load = info.get("load_average") or []
    shown = ", ".join(f"{value:.1f}" for value in load)
    packages = ", ".join(
        f"{name} {version}" for name, version in info["packages"].items() if version
    )
    return (
        f"{info['cpu']}, {info['cpus']} CPUs, {info['memory_gib']} GiB; "
        f"{info['platform']}; {info['python']}; {packages}; "
        f"commit {info['commit']}; load average at start {shown}"
    )


def format_notes(rows: typing.Sequence[Row]) -> str:
    """The notes under the table: what a ratio means, and what was skipped."""
    out = [
        "ratio: the figure over the floor's; for growth, over the same client "
        "at the smaller size."
    ]
    for row in rows:
        if row.note:
            out.append(f"{row.title}: {row.note}")
    reasons = sorted({reason for row in rows for reason in row.skipped.values()})
    out.extend(
        reason if reason.startswith("n/a") else f"skipped: {reason}"
        for reason in reasons
    )
    return "\n".join(out)


# --------------------------------------------------------------------------
# The command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure icasdk against plain urllib3 + json and libica.",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="tiny sizes and one sample each: a smoke run, not a measurement",
    )
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated benchmarks to run (default: {','.join(BENCHMARKS)})",
    )
    parser.add_argument(
        "--contenders",
        default=",".join(CONTENDERS),
        help="comma-separated contenders (default: floor,icasdk,libica)",
    )
    parser.add_argument(
        "--output",
        default=str(DEFAULT_OUTPUT),
        help=f"where to write the JSON results (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="print the table in Markdown (as docs/performance.md shows it)",
    )
    parser.add_argument(
        "--show",
        metavar="JSON",
        help="measure nothing: print the table of a saved run's JSON file",
    )
    return parser


def _names(text: str, known: typing.Iterable[str], what: str) -> typing.List[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        msg = f"unknown {what}: {', '.join(unknown)}; known: {', '.join(known)}"
        raise SystemExit(msg)
    return names


def print_report(rows: typing.Sequence[Row], info: dict, markdown: bool) -> None:
    print(format_markdown(rows) if markdown else format_table(rows))
    print()
    print(format_notes(rows))
    print()
    print(format_machine(info))


def main(argv: typing.Optional[typing.List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.show:
        saved = json.loads(pathlib.Path(args.show).read_text(encoding="utf-8"))
        rows = [Row.from_json(data) for data in saved["rows"]]
        print_report(rows, saved["machine"], args.markdown)
        return 0

    only = _names(args.only, BENCHMARKS, "benchmark")
    contenders = _names(args.contenders, CONTENDERS, "contender")
    if "floor" not in contenders or "icasdk" not in contenders:
        raise SystemExit("the floor and icasdk are always measured: ratios need both")

    sizes = TINY if args.tiny else FULL
    runner = Runner(sizes, contenders)
    started = time.monotonic()
    info = machine()
    for reason in runner.skipped.values():
        runner.say(f"note: {reason}; its columns are skipped")
    for key in BENCHMARKS:
        if key in only:
            runner.say(f"{key}:")
            STEPS[key](runner)

    info["load_average_after"] = (
        list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    )
    report = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "command": ["python", "-m", "benchmarks", *(argv or sys.argv[1:])],
        "tiny": args.tiny,
        "seconds": round(time.monotonic() - started, 1),
        "machine": info,
        "sizes": dataclasses.asdict(sizes),
        "rows": [row.to_json() for row in runner.rows],
    }
    output = pathlib.Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print_report(runner.rows, info, args.markdown)
    print(f"JSON: {output}")
    return 0
