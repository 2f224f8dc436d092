"""``python -m benchmarks``: the command that runs the benchmarks or shows a saved run.

Every mistake in its arguments is told in one line, with exit status 2,
before anything is measured. A run that fails, is interrupted (Ctrl-C) or
is stopped (SIGTERM) part way writes nothing and stops the processes it
started, so an earlier results file is never replaced by a partial one.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import pathlib
import signal
import sys
import threading
import time
import typing

from benchmarks import machine, results, run, table
from benchmarks.contenders import CONTENDERS
from benchmarks.row import Row

RESULTS_DIR = pathlib.Path(__file__).resolve().parent / "results"
DEFAULT_OUTPUT = RESULTS_DIR / "latest.json"
"""Where a full run (every benchmark, every contender) writes."""
PARTIAL_OUTPUT = RESULTS_DIR / "partial.json"
"""Where a run of some benchmarks or contenders writes, keeping the full run's file."""
TINY_OUTPUT = RESULTS_DIR / "tiny.json"
"""Where a smoke run writes, keeping a real run's file."""

USAGE = 2  # what argparse exits with, for every mistake in the arguments
FAILED = 1
INTERRUPTED = 128 + signal.SIGINT  # as a shell reports a process stopped so
TERMINATED = 128 + signal.SIGTERM


class UsageError(Exception):
    """The command line asks for something the runner cannot do."""


class Terminated(Exception):
    """SIGTERM arrived; raised in the main thread so every ``with`` cleans up."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> typing.NoReturn:
        """One line, like every other mistake, instead of argparse's usage block."""
        self.exit(USAGE, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m benchmarks",
        description=(
            "Measure icasdk against plain urllib3 + json and libica. "
            "Run it from the repository's root."
        ),
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help=(
            "tiny sizes and one sample each: a smoke run, not a measurement "
            "(written to results/tiny.json unless --output is given)"
        ),
    )
    parser.add_argument(
        "--only",
        action="append",
        help=f"comma-separated benchmarks to run (default: {','.join(run.BENCHMARKS)})",
    )
    parser.add_argument(
        "--contenders",
        action="append",
        help=f"comma-separated contenders (default: {','.join(CONTENDERS)})",
    )
    parser.add_argument(
        "--output",
        help=(
            "where to write the JSON results (default: results/latest.json beside "
            "this runner for a full run, results/partial.json for a run of some "
            "benchmarks or contenders)"
        ),
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


def main(argv: typing.Optional[typing.List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    # Python's default for SIGTERM is to die at once, leaving the canned server
    # or the emulator running; as an exception, it unwinds every ``with`` first.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        if args.show is not None:
            return show(args)
        return measure(args, argv)
    except (UsageError, results.ResultsError) as err:
        _complain(str(err))
        return USAGE
    except run.WorkerError as err:
        # Its message ends with the failing process's own error output.
        _complain(f"{err}\nnothing was written")
        return FAILED
    except KeyboardInterrupt:
        _complain("interrupted; nothing was written")
        return INTERRUPTED
    except Terminated:
        _complain("terminated; nothing was written")
        return TERMINATED
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: object) -> None:
    # One SIGTERM is enough: a second must not cut short the cleaning up.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


def _complain(message: str) -> None:
    print(f"python -m benchmarks: {message}", file=sys.stderr)


def show(args: argparse.Namespace) -> int:
    """Print a saved run's table; no option that measures goes with it."""
    if not args.show:
        raise UsageError("--show needs the path of a results file")
    given = [
        f"--{name}"
        for name in ("only", "contenders", "output")
        if getattr(args, name) is not None
    ]
    given += ["--tiny"] if args.tiny else []
    if given:
        raise UsageError(
            f"--show measures nothing, so {', '.join(given)} cannot go with it"
        )
    rows, saved = results.load(pathlib.Path(args.show))
    return _print(rows, saved["machine"], args, saved.get("tiny", False), None)


def measure(args: argparse.Namespace, argv: typing.Optional[typing.List[str]]) -> int:
    """Run the benchmarks asked for, then write the JSON and print the table."""
    only = _names("--only", args.only, run.BENCHMARKS)
    contenders = _names("--contenders", args.contenders, tuple(CONTENDERS))
    if "floor" not in contenders or "icasdk" not in contenders:
        raise UsageError("the floor and icasdk are always measured: ratios need both")
    full_run = set(only) == set(run.BENCHMARKS) and set(contenders) == set(CONTENDERS)
    partial = None  # where a full run goes if a peer fails, checked up front too
    if args.output is not None:
        output = results.output_path(args.output)
    elif args.tiny:
        output = results.output_path(str(TINY_OUTPUT))
    elif not full_run:
        output = results.output_path(str(PARTIAL_OUTPUT))
    else:
        output = results.output_path(str(DEFAULT_OUTPUT))
        partial = results.output_path(str(PARTIAL_OUTPUT))
    missing = run.missing_packages()
    if missing:
        raise UsageError(
            f"the benchmarks need {', '.join(missing)}: "
            "pip install -e '.[benchmarks]' (from the repository's root)"
        )

    sizes = run.TINY if args.tiny else run.FULL
    runner = run.Runner(sizes, contenders)
    started = time.monotonic()
    info = machine.describe()
    for reason in runner.skipped.values():
        runner.say(f"note: {reason}; its columns are skipped")
    for key in run.BENCHMARKS:
        if key in only:
            runner.say(f"{key}:")
            run.STEPS[key](runner)

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
    if runner.failed and partial is not None:
        # A peer that failed a step leaves rows without its figures: the run
        # is a partial one, and must not replace the last full run's file.
        output = partial
        runner.say(
            f"note: {', '.join(sorted(runner.failed))} failed a step, so this run "
            f"goes to {output.name}; {DEFAULT_OUTPUT.name} is kept"
        )
    try:
        results.save(report, output)
    except results.SaveError as err:
        _print(runner.rows, info, args, args.tiny, None)
        _complain(f"{err}; the table above is all that is left of this run")
        return FAILED
    return _print(runner.rows, info, args, args.tiny, output)


def _print(
    rows: typing.Sequence[Row],
    info: dict,
    args: argparse.Namespace,
    tiny: bool,
    written: typing.Optional[pathlib.Path],
) -> int:
    """Print the table; a reader that stops early is no error, a full disk is."""
    try:
        table.print_report(rows, info, markdown=args.markdown, tiny=tiny)
        if written is not None:
            print(f"JSON: {written}")
        if sys.stdout is not None:
            sys.stdout.flush()  # a closed pipe is found here, not at exit
    except BrokenPipeError:  # e.g. piped into `head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush error at exit
    except OSError as err:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - as above
        saved = f"; the JSON was written to {written}" if written else ""
        _complain(f"cannot print the table: {err.strerror or err}{saved}")
        return FAILED
    return 0


def _names(
    option: str, given: typing.Optional[typing.List[str]], known: typing.Sequence[str]
) -> typing.List[str]:
    """The names an option gives (comma-separated, maybe repeated), each once."""
    if given is None:
        return list(known)
    text = ",".join(given)
    names = list(
        dict.fromkeys(name.strip() for name in text.split(",") if name.strip())
    )
    if not names:
        raise UsageError(f"{option} names none; known: {', '.join(known)}")
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(
            f"{option}: unknown {', '.join(unknown)}; known: {', '.join(known)}"
        )
    return names
