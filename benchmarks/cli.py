"""``python -m benchmarks``: the command that runs the benchmarks or shows a saved run.

Every mistake in its arguments is told in one line, with a nonzero exit,
before anything is measured; and no failure leaves an earlier results file
half-written or replaced.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import pathlib
import sys
import time
import typing

from benchmarks import results, run, table
from benchmarks.contenders import CONTENDERS

RESULTS_DIR = pathlib.Path(__file__).resolve().parent / "results"
DEFAULT_OUTPUT = RESULTS_DIR / "latest.json"
TINY_OUTPUT = RESULTS_DIR / "tiny.json"
"""A smoke run writes here unless told otherwise, to keep a real run's file."""

INTERRUPTED = 130  # as a shell reports a process stopped by Ctrl-C


class UsageError(Exception):
    """The command line asks for something the runner cannot do."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
            f"(writes {TINY_OUTPUT} unless --output is given)"
        ),
    )
    parser.add_argument(
        "--only",
        help=f"comma-separated benchmarks to run (default: {','.join(run.BENCHMARKS)})",
    )
    parser.add_argument(
        "--contenders",
        help=f"comma-separated contenders (default: {','.join(CONTENDERS)})",
    )
    parser.add_argument(
        "--output",
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


def main(argv: typing.Optional[typing.List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = show(args) if args.show is not None else measure(args, argv)
        sys.stdout.flush()  # a closed pipe is found here, not at exit
        return code
    except (UsageError, results.ResultsError) as err:
        print(f"python -m benchmarks: {err}", file=sys.stderr)
        return 2
    except run.WorkerError as err:
        # Its message ends with the failing process's own error output.
        print(f"python -m benchmarks: {err}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "\npython -m benchmarks: interrupted; nothing was written", file=sys.stderr
        )
        return INTERRUPTED
    except BrokenPipeError:  # e.g. piped into `head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush error at exit
        return 0


def show(args: argparse.Namespace) -> int:
    """Print a saved run's table; no option that measures goes with it."""
    if not args.show:
        raise UsageError("--show needs the path of a results file")
    given = [
        f"--{name}" for name in ("only", "contenders", "output") if getattr(args, name)
    ]
    given += ["--tiny"] if args.tiny else []
    if given:
        raise UsageError(
            f"--show measures nothing, so {', '.join(given)} cannot go with it"
        )
    rows, saved = results.load(pathlib.Path(args.show))
    tiny = bool(saved.get("tiny"))
    table.print_report(rows, saved["machine"], markdown=args.markdown, tiny=tiny)
    return 0


def measure(args: argparse.Namespace, argv: typing.Optional[typing.List[str]]) -> int:
    """Run the benchmarks asked for, then write the JSON and print the table."""
    only = _names("--only", args.only, run.BENCHMARKS)
    contenders = _names("--contenders", args.contenders, tuple(CONTENDERS))
    if "floor" not in contenders or "icasdk" not in contenders:
        raise UsageError("the floor and icasdk are always measured: ratios need both")
    if args.output == "":
        raise UsageError("--output needs a file name")
    default = TINY_OUTPUT if args.tiny else DEFAULT_OUTPUT
    output = pathlib.Path(default if args.output is None else args.output)
    results.check_writable(output)
    missing = run.missing_packages()
    if missing:
        raise UsageError(
            f"the benchmarks need {', '.join(missing)}: "
            "pip install -e '.[benchmarks]' (from the repository's root)"
        )

    sizes = run.TINY if args.tiny else run.FULL
    runner = run.Runner(sizes, contenders)
    started = time.monotonic()
    info = results.machine()
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
    results.save(report, output)
    table.print_report(runner.rows, info, markdown=args.markdown, tiny=args.tiny)
    print(f"JSON: {output}")
    return 0


def _names(
    option: str, text: typing.Optional[str], known: typing.Sequence[str]
) -> typing.List[str]:
    """The names a comma-separated option gives, each once, in the order given."""
    if text is None:
        return list(known)
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
