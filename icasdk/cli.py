"""The ``icasdk`` command: bulk tagging, batch inspection, the emulator, a demo.

    icasdk tag --project P --manifest FILE [--dry-run] [--json] ...
    icasdk tag --project P --ids FILE --add-user-tag T ... [--dry-run] ...
    icasdk batch get|items|wait PROJECT BATCH [--status S ...] [--json]
    icasdk emulator [--port N ...]
    icasdk demo

Exit codes: 0 every row updated (or the command did what it was asked),
1 a row failed, was rejected or is unknown (or another error), 2 bad usage
or input, 3 an authentication problem (401/403, missing or expired
credentials), 130 interrupted (Ctrl-C). Results go to standard output;
progress, warnings and errors to standard error.

Once batches may exist, the report is never lost: the failed-rows CSV is
written (to the temporary folder if its place cannot be written), the
result printed (to standard error if standard output fails), and then any
such trouble reported; the same happens after Ctrl-C. A reader of standard
output that goes away (``| head``) ends the output quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import json
import logging
import math
import os
import signal
import sys
import tempfile
import threading
import time
import typing

from icasdk import environment, exceptions, manifest, tagging, tagrun, waiters

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INTERRUPTED = 130
"""Ctrl-C: 128 + SIGINT, as shells report it."""

MAX_GROUPS_SHOWN = 10
MAX_PROBLEMS_SHOWN = 20
MAX_SECONDS = 30 * 24 * 3600.0
"""The longest --timeout or --poll-interval taken: 30 days."""
PLAIN_PROGRESS_EVERY = 5.0
"""Seconds between plain progress lines (when stderr is not a terminal)."""
ITEM_STATUSES = (
    "INITIALISED",
    "WAITING_RESOURCES",
    "UPDATING",
    "UPDATED",
    "PARTIALLY_UPDATED",
    "FAILED",
)


class UsageError(exceptions.OpenApiException):
    """The command line asks for something that cannot be done."""


class OutputError(exceptions.OpenApiException):
    """Standard output cannot be written (not a closed pipe: that is quiet)."""

    def __init__(self, err: OSError) -> None:
        super().__init__(f"cannot write to standard output ({_why(err)})")


# --------------------------------------------------------------------------
# The command line


def build_parser() -> argparse.ArgumentParser:
    """The ``icasdk`` argument parser and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="icasdk",
        description="Bulk tagging for Illumina Connected Analytics (ICA) data.",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-vv: debug)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    _add_tag_parser(commands)
    _add_batch_parser(commands)
    commands.add_parser(
        "emulator",
        help="serve a local ICA emulator (see: icasdk emulator --help)",
        add_help=False,
    )
    demo = commands.add_parser(
        "demo", help="tag 5,000 files on a local emulator: no account needed"
    )
    demo.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def _add_tag_parser(commands) -> None:
    tag = commands.add_parser(
        "tag",
        help="add and remove tags on many data ids",
        description="Add and remove tags on many data ids, in batches.",
    )
    source = tag.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--manifest",
        metavar="FILE",
        help="CSV or TSV with a dataId column and any of addUserTags, removeUserTags,"
        " addTechnicalTags, removeTechnicalTags (tags separated by ';')",
    )
    source.add_argument(
        "--ids", metavar="FILE", help="one data id a line ('-' for standard input)"
    )
    for option, text in (
        ("--add-user-tag", "user tag to add to every id of --ids"),
        ("--remove-user-tag", "user tag to remove"),
        ("--add-technical-tag", "technical tag to add"),
        ("--remove-technical-tag", "technical tag to remove"),
    ):
        tag.add_argument(
            option, action="append", default=[], metavar="TAG", help=text + " (repeat)"
        )
    _add_connection_options(tag)
    tag.add_argument("--project", help="project id (default: ICAV2_PROJECT_ID)")
    tag.add_argument("--dry-run", action="store_true", help="print the plan only")
    tag.add_argument("--json", action="store_true", help="print JSON to stdout")
    tag.add_argument(
        "--batch-size",
        type=_batch_size,
        default=tagging.DEFAULT_BATCH_SIZE,
        metavar="N",
        help=f"data ids per batch (default {tagging.DEFAULT_BATCH_SIZE:,}, "
        f"at most {tagging.MAX_BATCH_SIZE:,})",
    )
    tag.add_argument(
        "--failed-out",
        metavar="FILE",
        help="CSV for failed, rejected and unknown rows (default: "
        "icasdk-failed-<time>.csv here, when there are any)",
    )
    tag.add_argument(
        "--timeout",
        type=_seconds,
        default=tagrun.DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds to wait for all batches (default {tagrun.DEFAULT_TIMEOUT:g})",
    )
    tag.add_argument(
        "--poll-interval",
        type=_seconds,
        default=waiters.INITIAL_INTERVAL,
        metavar="S",
        help=f"seconds between the first polls of a batch; it grows to "
        f"{waiters.MAX_INTERVAL:g} (default {waiters.INITIAL_INTERVAL:g})",
    )
    tag.add_argument("--no-progress", action="store_true", help="no progress display")


def _add_batch_parser(commands) -> None:
    batch = commands.add_parser("batch", help="look at one batch")
    actions = batch.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    for name, text in (
        ("get", "show a batch and its job"),
        ("items", "list a batch's items"),
        ("wait", "wait until a batch's job is finished"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        action.add_argument("project", metavar="PROJECT")
        action.add_argument("batch", metavar="BATCH")
        action.add_argument("--json", action="store_true", help="print JSON")
        _add_connection_options(action)
        if name == "items":
            action.add_argument(
                "--status",
                action="append",
                default=[],
                type=str.upper,
                metavar="S",
                help="only items in this status (repeat): " + ", ".join(ITEM_STATUSES),
            )
        if name == "wait":
            action.add_argument(
                "--timeout",
                type=_seconds,
                default=tagrun.DEFAULT_TIMEOUT,
                metavar="S",
                help="seconds to wait",
            )
            action.add_argument("--no-progress", action="store_true")


def _seconds(text: str) -> float:
    """A positive, finite number of seconds up to ``MAX_SECONDS`` (an option type)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_SECONDS:  # also refuses nan and inf
        msg = (
            f"expected a positive number of seconds, at most {MAX_SECONDS:,.0f} "
            f"(30 days), got {text!r}"
        )
        raise argparse.ArgumentTypeError(msg)
    return value


def _batch_size(text: str) -> int:
    """A batch size the service takes (an option type)."""
    try:
        value = int(text)
    except ValueError:
        msg = f"expected a whole number of data ids, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    try:
        return tagging.check_batch_size(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="the API's URL (default: ICAV2_BASE_URL, ~/.icav2, or the public service)",
    )


def main(argv: typing.Optional[typing.Sequence[str]] = None) -> int:
    """Run the ``icasdk`` command; the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    _open_closed_streams()
    if args_list[:1] == ["emulator"]:
        code = run_guarded(command_emulator, args_list[1:])
    else:
        code = run_guarded(parse_and_run, args_list)
    return finish_output(code)


def _open_closed_streams() -> None:
    """Point a stdout or stderr closed at start (``>&-``, so None) at the null device.

    A closed stdin stays None: reading ``-`` then says so.
    """
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))


def parse_and_run(args_list: typing.List[str]) -> int:
    """Parse the command line and run its command; the exit status."""
    args = build_parser().parse_args(args_list)
    _setup_logging(args.verbose)
    commands = {"tag": command_tag, "batch": command_batch, "demo": command_demo}
    return commands[args.command](args)


def run_guarded(command: typing.Callable[[typing.Any], int], argument) -> int:
    """Run a command; icasdk errors become a message and an exit status.

    A closed stdout (``| head``) is quiet and ends the command with 1 where
    the command does not handle it itself; any other OSError is one line
    and exit 1, never a traceback.
    """
    try:
        return command(argument)
    except SystemExit as done:  # argparse after --help or a usage error
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        print_error("interrupted")
        return EXIT_INTERRUPTED
    except exceptions.OpenApiException as err:
        print_error(err)
        return exit_code_for(err)
    except BrokenPipeError:
        silence_stdout()
        return EXIT_PROBLEMS
    except OSError as err:
        print_error(err)
        return EXIT_PROBLEMS


def finish_output(code: int) -> int:
    """Flush stdout at the end: a reader gone is quiet, another failure is not."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    except OSError as err:
        silence_stdout()
        print_error(OutputError(err))
        return max(code, EXIT_PROBLEMS)
    return code


def exit_code_for(err: BaseException) -> int:
    """The exit status for an error that ended a command."""
    if isinstance(err, environment.CredentialsError):
        return EXIT_AUTH
    if isinstance(err, exceptions.ApiException) and err.status in (401, 403):
        return EXIT_AUTH
    usage = (
        manifest.ManifestError,
        UsageError,
        environment.SettingsError,
        tagging.TagInputError,
    )
    if isinstance(err, usage + (exceptions.ApiTypeError, exceptions.ApiValueError)):
        return EXIT_USAGE
    return EXIT_PROBLEMS


def _setup_logging(verbose: int) -> None:
    if verbose <= 0:
        return
    level = logging.DEBUG if verbose > 1 else logging.INFO
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


# --------------------------------------------------------------------------
# icasdk tag


def command_tag(args: argparse.Namespace) -> int:
    """Read, plan, and (unless a dry run) send, wait and report."""
    plan = plan_from_args(args)
    if args.dry_run:
        failed = emit(print_plan, plan, args.json, project=args.project)
        if failed is not None:
            raise OutputError(failed)
        return EXIT_PROBLEMS if plan.rejected else EXIT_OK

    if args.failed_out is not None:
        check_writable(args.failed_out, "--failed-out")
    interrupted = False
    try:
        if plan.batches:
            result = send_plan(plan, args)
        else:
            print_warning("nothing to send: every row was rejected")
            result = plan.run(api=None, project_id=args.project or "")
    except tagrun.RunInterrupted as stop:
        result, interrupted = stop.result, True

    with interrupts_held():
        code = report_run(result, plan, args, interrupted)
    return EXIT_INTERRUPTED if interrupted else code


def report_run(
    result: tagrun.TagResult,
    plan: tagging.TagPlan,
    args: argparse.Namespace,
    interrupted: bool = False,
) -> int:
    """Write the rows to look at again, print the result, then any trouble; the code.

    Nothing here may lose the report: the rows are written first (to the
    temporary folder when their place cannot be written), the result is
    printed whatever happened to them, and a failure to write either is
    reported last, on stderr, and makes the exit status non-zero.
    """
    saved = save_problems(result, args.failed_out)
    show = functools.partial(
        print_result,
        result,
        args.json,
        plan=plan,
        failed_out=saved.path,
        failed_out_error=saved.error,
        interrupted=interrupted,
        show_all=saved.path is None and bool(result.problems),
    )
    failed = emit(show)
    code = result_exit_code(result)
    if failed is not None:
        print_error(f"{OutputError(failed)}; the result follows here instead")
        with contextlib.redirect_stdout(sys.stderr):
            show()
        code = max(code, EXIT_PROBLEMS)
    if saved.error:
        print_error(saved.error)
        code = max(code, EXIT_PROBLEMS)
    if interrupted:
        print_error(format_interrupted(result, saved.path))
    return code


@contextlib.contextmanager
def interrupts_held() -> typing.Iterator[None]:
    """Ignore Ctrl-C while a run's result is written, so another one loses nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def plan_from_args(args: argparse.Namespace) -> tagging.TagPlan:
    """The plan for the input the options name."""
    source = read_input(args)
    if source.ignored_columns:
        shown = ", ".join(source.ignored_columns)
        print_warning(f"{source.source}: ignoring columns {shown}")
    return tagging.plan_tag_updates(source.rows, batch_size=args.batch_size)


def send_plan(plan: tagging.TagPlan, args: argparse.Namespace) -> tagrun.TagResult:
    """Resolve settings and credentials, then run the plan with progress."""
    settings = environment.load_settings(
        base_url=args.base_url, project_id=args.project
    )
    project = require_project(settings)
    configuration = settings.configuration()
    if not args.json:
        failed = emit(print, format_plan(plan, project, show_rejected=False))
        if failed is not None:
            raise OutputError(failed)  # before anything is sent

    wait_options = {
        "initial_interval": args.poll_interval,
        "max_interval": max(args.poll_interval, waiters.MAX_INTERVAL),
    }
    return run_plan(
        plan,
        configuration,
        project,
        args.timeout,
        show_progress=not args.no_progress,
        wait_options=wait_options,
    )


def read_input(args: argparse.Namespace) -> manifest.Manifest:
    """The rows to tag, from --manifest or from --ids and the tag options."""
    options = (
        args.add_user_tag,
        args.remove_user_tag,
        args.add_technical_tag,
        args.remove_technical_tag,
    )
    if args.manifest is not None:
        if any(options):
            msg = "tag options go with --ids; a manifest names its tags in its columns"
            raise UsageError(msg)
        return manifest.read_manifest(args.manifest)

    changes = manifest.changes_from_options(*options)
    if changes.is_empty:
        msg = "--ids needs at least one --add-user-tag, --remove-user-tag, ... option"
        raise UsageError(msg)
    return manifest.read_ids(args.ids, changes)


def require_project(settings: environment.Settings) -> str:
    """The project id, or a usage error saying where it can come from."""
    project = settings.project_id
    if project:
        try:
            project.encode("utf-8")
        except UnicodeEncodeError:
            where = settings.sources.get("project_id", "")
            where = "--project" if where == environment.ARGUMENT else where
            msg = f"the project id (from {where}) is not valid text, got {project!r}"
            raise UsageError(msg) from None
        return project
    msg = (
        f"no project: give --project, set {environment.ENV_PROJECT_ID}, or enter a "
        "project with the icav2 tool"
    )
    raise UsageError(msg)


def run_plan(
    plan: tagging.TagPlan,
    configuration: typing.Any,
    project: str,
    timeout: typing.Optional[float],
    show_progress: bool = True,
    wait_options: typing.Optional[typing.Mapping[str, typing.Any]] = None,
) -> tagrun.TagResult:
    """Send ``plan`` with a client for ``configuration``, showing progress."""
    import icasdk
    from icasdk.apis.tags.project_data_update_batch_api import (
        ProjectDataUpdateBatchApi,
    )

    display = ProgressDisplay(plan.to_send, enabled=show_progress and plan.to_send > 0)
    try:
        with icasdk.ApiClient(configuration) as client:
            api = ProjectDataUpdateBatchApi(client)
            return plan.run(
                api,
                project,
                timeout=timeout,
                on_progress=display,
                wait_options=wait_options,
            )
    finally:
        display.close()


class Saved(typing.NamedTuple):
    """Where the rows to look at again went, and what went wrong on the way."""

    path: typing.Optional[str]
    error: typing.Optional[str] = None


def save_problems(result: tagrun.TagResult, path: typing.Optional[str]) -> Saved:
    """Write failed, rejected and unknown rows as a manifest, never losing them.

    They go to ``path`` (default: ``icasdk-failed-<time>.csv`` here, and only
    when there are any); when that cannot be written, to the same name in
    the temporary folder, with an error saying so.
    """
    problems = result.problems
    if not problems and path is None:
        return Saved(None)

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    default = f"icasdk-failed-{stamp}.csv"
    wanted = path if path is not None else default
    try:
        manifest.write_manifest(wanted, problems)
        return Saved(wanted)
    except OSError as err:
        where = os.path.abspath(wanted)
        trouble = f"cannot write the rows to look at again to {where} ({_why(err)})"
    log.debug("%s", trouble)

    fallback = os.path.join(tempfile.gettempdir(), default)
    try:
        manifest.write_manifest(fallback, problems)
    except OSError as err:
        every = " (every one is listed above)" if problems else ""
        return Saved(None, f"{trouble}, nor to {fallback} ({_why(err)}){every}")
    return Saved(fallback, f"{trouble}; they are in {fallback} instead")


def check_writable(path: str, option: str) -> None:
    """Raise UsageError unless a file can be written at ``path`` (none is left)."""
    if not path.strip():
        raise UsageError(f"{option}: expected a file name, got {path!r}")
    if os.path.isdir(path):
        raise UsageError(f"{option} {path}: is a folder; expected a file name")

    existed = os.path.lexists(path)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as err:
        msg = f"{option} {path}: cannot be written ({_why(err)}); nothing was sent"
        raise UsageError(msg) from None
    if not existed:
        with contextlib.suppress(OSError):
            os.remove(path)


def _why(err: OSError) -> str:
    return err.strerror or type(err).__name__


def result_exit_code(result: tagrun.TagResult) -> int:
    """0 if every row was updated, 3 after an auth error, else 1."""
    if result.auth_error is not None:
        return EXIT_AUTH
    return EXIT_OK if result.ok else EXIT_PROBLEMS


# -- formatting -------------------------------------------------------------


def format_counts(counts: typing.Mapping[str, int]) -> str:
    """``updated 5,000 · failed 3 · rejected 2 · unknown 0``."""
    return " · ".join(f"{name} {count:,}" for name, count in counts.items())


def format_plan(
    plan: tagging.TagPlan,
    project: typing.Optional[str] = None,
    show_rejected: bool = True,
) -> str:
    """The plan in a few lines: totals, groups (the largest first), rejections."""
    where = f" in project {project}" if project else ""
    batches = len(plan.batches)
    lines = [
        f"Plan{where}: {plan.rows:,} rows, {plan.data_ids:,} distinct data ids",
        f"  to send:  {plan.to_send:,} in {batches} batch{'es' if batches != 1 else ''}"
        f" of at most {plan.batch_size:,}",
        f"  rejected: {len(plan.rejected):,}",
        f"  changes:  {len(plan.groups):,} distinct",
    ]
    groups = sorted(plan.groups, key=lambda group: -len(group.data_ids))
    for group in groups[:MAX_GROUPS_SHOWN]:
        lines.append(f"    {len(group.data_ids):>8,} × {group.changes.describe()}")
    if len(groups) > MAX_GROUPS_SHOWN:
        lines.append(f"    ... and {len(groups) - MAX_GROUPS_SHOWN:,} more changes")
    rejected = list(plan.rejected.values()) if show_rejected else []
    lines += [format_outcome(o) for o in rejected[:MAX_PROBLEMS_SHOWN]]
    if len(rejected) > MAX_PROBLEMS_SHOWN:
        lines.append(f"  ... and {len(rejected) - MAX_PROBLEMS_SHOWN:,} more rejected")
    return "\n".join(lines)


def format_outcome(outcome: tagging.Outcome) -> str:
    """``  failed   fil.…: reason``."""
    shown = outcome.data_id or "(no id)"
    return f"  {outcome.outcome:<8} {shown}: {outcome.reason}"


def format_result(
    result: tagrun.TagResult,
    failed_out: typing.Optional[str] = None,
    interrupted: bool = False,
    show_all: bool = False,
) -> str:
    """The summary: counts, batches, the first problems, where the rest went.

    ``show_all`` lists every problem (when they could not be written down).
    """
    label = "Interrupted" if interrupted else "Done"
    lines = [f"{label}: {format_counts(result.counts)}"]
    for batch_id, status in result.batches.items():
        lines.append(f"  batch {batch_id}: {status}")
    problems = result.problems
    shown = len(problems) if show_all else MAX_PROBLEMS_SHOWN
    lines += [format_outcome(o) for o in problems[:shown]]
    if len(problems) > shown:
        lines.append(f"  ... and {len(problems) - shown:,} more")
    if failed_out:
        lines.append(
            f"Rows to look at again: {failed_out} (fix them, then pass it to "
            "--manifest)"
        )
    return "\n".join(lines)


def format_interrupted(
    result: tagrun.TagResult, failed_out: typing.Optional[str]
) -> str:
    """What Ctrl-C left: the batches that go on in ICA, where the rows went."""
    count = len(result.batches)
    batches = f"{count} batch{'es' if count != 1 else ''}"
    shown = f": {', '.join(result.batches)}" if result.batches else ""
    text = f"interrupted; {batches} created so far go on in ICA{shown}"
    if failed_out:
        text += f"; the rows not known to be updated are in {failed_out}"
    return text


def print_plan(
    plan: tagging.TagPlan, as_json: bool, project: typing.Optional[str] = None
) -> None:
    """Print a dry run's plan."""
    if as_json:
        print_json({"dryRun": True, "project": project, "plan": plan.to_dict()})
        return
    print(format_plan(plan, project))
    print("Dry run: nothing was sent.")


def print_result(
    result: tagrun.TagResult,
    as_json: bool,
    *,
    plan: tagging.TagPlan,
    failed_out: typing.Optional[str],
    failed_out_error: typing.Optional[str] = None,
    interrupted: bool = False,
    show_all: bool = False,
) -> None:
    """Print a run's result (with JSON, every problem is in the document)."""
    if as_json:
        document = {"dryRun": False, "plan": plan.to_dict(), **result.to_dict()}
        document["failedOut"] = failed_out
        document["failedOutError"] = failed_out_error
        document["interrupted"] = interrupted
        print_json(document)
        return
    print(format_result(result, failed_out, interrupted, show_all))


def emit(
    show: typing.Callable[..., None], *args: typing.Any, **kwargs: typing.Any
) -> typing.Optional[OSError]:
    """Call a ``print_*`` helper and flush; the OSError if stdout failed.

    A reader that has gone away (``| head``) is no error: stdout is silenced
    quietly, the standard way, and the command goes on. Any other failure
    to write silences it too, and is returned for the caller to report.
    """
    try:
        show(*args, **kwargs)
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    except OSError as err:
        silence_stdout()
        return err
    return None


def silence_stdout() -> None:
    """Point stdout at the null device, so nothing more (even at exit) fails."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # no real file behind stdout
        sys.stdout = open(os.devnull, "w", encoding="utf-8")


def print_json(document: typing.Any) -> None:
    """One JSON document on standard output."""
    json.dump(document, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_error(err: typing.Union[BaseException, str]) -> None:
    """``error: ClassName: message`` on standard error."""
    text = err if isinstance(err, str) else f"{type(err).__name__}: {err}"
    with contextlib.suppress(OSError, ValueError):  # stderr closed: nowhere to say it
        print(f"error: {text}", file=sys.stderr)


def print_warning(text: str) -> None:
    """``warning: text`` on standard error."""
    with contextlib.suppress(OSError, ValueError):
        print(f"warning: {text}", file=sys.stderr)


# -- progress -----------------------------------------------------------------


class ProgressDisplay:
    """Shows a run's progress on stderr: a tqdm bar on a terminal, else lines."""

    def __init__(self, total: int, enabled: bool = True, label: str = "items") -> None:
        self.total = total
        self.enabled = enabled
        self.label = label
        self.bar = None
        if enabled:
            try:
                self.bar = _tqdm_bar(total, label)
            except (OSError, ValueError) as err:  # stderr closed or gone
                log.debug("progress display off: %s", err)
                self.enabled = False
        self.last_line = 0.0
        self.last_state: typing.Tuple[typing.Any, ...] = ()

    def __call__(self, progress: tagrun.Progress) -> None:
        if not self.enabled:
            return
        try:
            self._show(progress)
        except (OSError, ValueError) as err:  # stderr closed or gone: stop showing
            log.debug("progress display off: %s", err)
            self.enabled = False
            self.bar = None

    def _show(self, progress: tagrun.Progress) -> None:
        what = _progress_text(progress)
        if self.bar is not None:
            self.bar.set_description_str(what, refresh=False)
            self.bar.update(progress.done - self.bar.n)
            return

        state = (progress.stage, progress.batch, progress.job_status)
        now = time.monotonic()
        if state == self.last_state and now - self.last_line < PLAIN_PROGRESS_EVERY:
            return
        self.last_state, self.last_line = state, now
        print(
            f"{what}: {progress.done:,}/{progress.total:,} {self.label} done",
            file=sys.stderr,
        )

    def close(self) -> None:
        if self.bar is not None:
            with contextlib.suppress(OSError, ValueError):
                self.bar.close()
            self.bar = None


def _progress_text(progress: tagrun.Progress) -> str:
    where = f"batch {progress.batch}/{progress.batches}"
    if progress.stage == tagrun.CREATE:
        return f"{where} creating"
    if progress.stage == tagrun.DONE:
        return "finished"
    return f"{where} {progress.job_status}"


def _tqdm_bar(total: int, label: str):
    """A tqdm bar on stderr, or None without tqdm or a terminal."""
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        log.debug("tqdm is not installed: plain progress lines")
        return None
    return tqdm(total=total, unit=" " + label, file=sys.stderr, dynamic_ncols=True)


# --------------------------------------------------------------------------
# icasdk batch


def command_batch(args: argparse.Namespace) -> int:
    """``get``, ``items`` or ``wait`` on one batch."""
    import icasdk
    from icasdk.apis.tags.project_data_update_batch_api import (
        ProjectDataUpdateBatchApi,
    )

    settings = environment.load_settings(base_url=args.base_url)
    configuration = settings.configuration()
    path = {"projectId": args.project, "batchId": args.batch}
    with icasdk.ApiClient(configuration) as client:
        api = ProjectDataUpdateBatchApi(client)
        if args.action == "get":
            body = api.get_project_data_update_batch(path_params=path).body
            failed = emit(print_batch, body, args.json)
            if failed is not None:
                raise OutputError(failed)
            return EXIT_OK
        if args.action == "items":
            return print_items(api, path, args.status, args.json)
        return wait_batch(api, path, args)


def format_batch(body: typing.Any) -> str:
    """A batch and its job, one field a line."""
    job = body.get("job") or {}
    fields = (
        ("batch", body.get("id")),
        ("job", job.get("id")),
        ("status", job.get("status")),
        ("info", job.get("additionalStatusInformation")),
        ("created", job.get("timeCreated")),
        ("started", job.get("timeStarted")),
        ("finished", job.get("timeFinished")),
    )
    return "\n".join(f"{name:<9}{value}" for name, value in fields if value)


def print_batch(body: typing.Any, as_json: bool) -> None:
    """Print a batch."""
    if as_json:
        print_json(body.to_dict())
        return
    print(format_batch(body))


def format_item(item: typing.Any) -> str:
    """``item id  data id  STATUS  information``."""
    processing = item["processing"]
    info = processing.get("additionalStatusInformation") or ""
    line = f"{item['id']}  {item['request']['dataId']}  {processing['status']}"
    return f"{line}  {info}" if info else line


def print_items(api, path, statuses: typing.Sequence[str], as_json: bool) -> int:
    """Print every item of a batch (a streamed JSON array with ``--json``).

    When the reader of stdout goes away (``| head``), listing stops quietly,
    no further page is fetched, and the exit status is 0.
    """
    wanted = [s.strip() for value in statuses for s in value.split(",") if s.strip()]
    query = {"status": wanted} if wanted else {}
    items = api.iter_project_data_update_batch_items(
        path_params=path, query_params=query
    )
    pieces = 0
    for text in _items_text(items, as_json):  # pages are fetched here, not below
        try:
            sys.stdout.write(text)
        except BrokenPipeError:
            log.debug("stdout closed after %d pieces: listing stopped", pieces)
            silence_stdout()
            return EXIT_OK
        except OSError as err:
            silence_stdout()
            raise OutputError(err) from None
        pieces += 1
    failed = emit(lambda: None)  # the flush
    if failed is not None:
        raise OutputError(failed)
    if not as_json:
        print(f"{pieces:,} items", file=sys.stderr)
    return EXIT_OK


def _items_text(
    items: typing.Iterable[typing.Any], as_json: bool
) -> typing.Iterator[str]:
    """The listing piece by piece: a line per item, or the parts of a JSON array."""
    count = 0
    if as_json:
        yield "["
    for item in items:
        if as_json:
            yield (",\n" if count else "\n") + json.dumps(item.to_dict(), default=str)
        else:
            yield format_item(item) + "\n"
        count += 1
    if as_json:
        yield "\n]\n" if count else "]\n"


def wait_batch(api, path, args: argparse.Namespace) -> int:
    """Wait for a batch's job; 0 if it SUCCEEDED, else 1."""
    shown = {"status": None}

    def progress(status: str, counts: typing.Mapping[str, int]) -> None:
        if args.no_progress or status == shown["status"]:
            return
        shown["status"] = status
        print(f"{status}: {format_item_counts(counts)}", file=sys.stderr)

    result = api.wait_for_project_data_update_batch(
        path_params=path, timeout=args.timeout, on_progress=progress
    )
    if args.json:
        document = {"status": result.status, "counts": dict(result.counts)}
        document["batch"] = result.batch.to_dict()
        failed = emit(print_json, document)
    else:
        failed = emit(print, f"{result.status}: {format_item_counts(result.counts)}")
    if failed is not None:
        raise OutputError(failed)
    return EXIT_OK if result.status == "SUCCEEDED" else EXIT_PROBLEMS


def format_item_counts(counts: typing.Mapping[str, int]) -> str:
    """``UPDATED 4,998, FAILED 2`` (statuses with no items left out)."""
    shown = [f"{status} {count:,}" for status, count in counts.items() if count]
    return ", ".join(shown) or "no items yet"


# --------------------------------------------------------------------------
# icasdk emulator


def require_emulator(command: str) -> None:
    """Raise a UsageError naming the extra to install when the emulator can't load."""
    try:
        from icasdk.emulator import Emulator  # noqa: F401  (loads its dependencies)
    except ImportError as err:
        msg = (
            f"icasdk {command} needs the emulator's dependencies ({err.name} is "
            "missing): pip install 'icasdk[emulator,cli]'"
        )
        raise UsageError(msg) from None


def command_emulator(argv: typing.List[str]) -> int:
    """Serve the emulator: ``python -m icasdk.emulator`` under another name."""
    require_emulator("emulator")
    from icasdk.emulator.__main__ import build_parser as emulator_parser
    from icasdk.emulator.__main__ import main as emulator_main

    if any(arg in ("-h", "--help") for arg in argv):
        parser = emulator_parser()
        parser.prog = "icasdk emulator"
        parser.print_help()
        return EXIT_OK
    return emulator_main(argv)


# --------------------------------------------------------------------------
# icasdk demo


def command_demo(args: argparse.Namespace) -> int:
    """Tag files on an in-process emulator, end to end, and explain the result."""
    require_emulator("demo")
    from icasdk import demo
    from icasdk.emulator import Emulator

    folder = demo.make_folder()
    print("Starting a local ICA emulator (no account needed) ...", file=sys.stderr)
    with Emulator(pace=demo.PACE) as emu:
        world = demo.build_world(emu, folder)
        intro = sys.stderr if args.json else sys.stdout
        print(f"Project {world.project_id}: {world.description}", file=intro)
        print(f"Manifest: {world.manifest_path}", file=intro)
        source = manifest.read_manifest(world.manifest_path)
        plan = tagging.plan_tag_updates(source.rows)
        if not args.json:
            print(format_plan(plan, world.project_id, show_rejected=False))
            sys.stdout.flush()
        result = run_plan(
            plan,
            emu.configuration(),
            world.project_id,
            timeout=demo.TIMEOUT,
            wait_options=demo.WAIT_OPTIONS,
        )
        saved = save_problems(result, os.path.join(folder, "failed.csv"))
        failed = emit(
            print_result,
            result,
            args.json,
            plan=plan,
            failed_out=saved.path,
            failed_out_error=saved.error,
        )
        if not args.json and failed is None:
            failed = emit(print, demo.explain(emu, world, result))
        if failed is not None:
            raise OutputError(failed)
        if saved.error:
            print_error(saved.error)
            return EXIT_PROBLEMS
    return EXIT_OK if demo.as_expected(world, result) else EXIT_PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
