"""``python -m icasdk.emulator``: serve a local ICA until Ctrl-C or SIGTERM.

Prints the base URL, the API key and the bearer token it accepts, then
serves on loopback (unless ``--host`` says otherwise) until stopped.
``main(argv)`` is what the ``icasdk emulator`` command calls.

Exit status: 0 after a clean stop; 2 for bad usage: an option the parser
refuses (a port out of range, an unknown log level, a pace that is neither
``step`` nor a positive number, ...) or a resource an option names that
cannot be used (a state file that is a directory or not a SQLite database,
a seed file that cannot be read or is wrong, a port in use, a host that
cannot be bound). Each is one line on standard error naming the option and
the value, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import logging
import math
import os
import signal
import socket
import sys
import threading
from typing import List, NoReturn, Optional

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
EXIT_OK = 0
EXIT_USAGE = 2
# The option that names each setting of ``Emulator``, for error messages.
OPTIONS = {"state": "--state", "seed_file": "--seed"}
# Bind errors that are about the port rather than the host.
PORT_ERRORS = (errno.EADDRINUSE, errno.EACCES)


class UsageError(Exception):
    """An option, or the resource it names, cannot be used; exit 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, with exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, "%s: error: %s\n" % (self.prog, message))


def port_number(text: str) -> int:
    """A TCP port, 0 to 65535 (0: pick a free one)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        msg = "must be a whole number from 0 to 65535, got %r" % text
        raise argparse.ArgumentTypeError(msg)
    return port


def pace_value(text: str) -> str:
    """``step`` or a positive, finite number of items per second."""
    from icasdk.emulator import lifecycle

    try:
        lifecycle.make_pace(text)
    except ValueError:
        msg = "must be 'step' or a positive number of items per second, got %r"
        raise argparse.ArgumentTypeError(msg % text) from None
    return text


def rate_value(text: str) -> float:
    """A positive, finite number of requests per second."""
    try:
        rate = float(text)
    except ValueError:
        rate = math.nan
    if not (rate > 0 and math.isfinite(rate)):
        msg = "must be a positive number of requests per second, got %r" % text
        raise argparse.ArgumentTypeError(msg)
    return rate


def file_path(text: str) -> str:
    """A path that is not empty (the file itself is checked when opened)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must be a file path, got %r" % text)
    return text


def credential(text: str) -> str:
    """A key or token that can be sent in a header: visible ASCII, not empty."""
    if not text or text.strip() != text or not all(" " <= c <= "~" for c in text):
        msg = "must be non-empty visible ASCII with no space around it, got %r" % text
        raise argparse.ArgumentTypeError(msg)
    return text


def build_parser(prog: Optional[str] = None) -> argparse.ArgumentParser:
    """The command line of the emulator."""
    parser = Parser(
        prog=prog or "python -m icasdk.emulator",
        description="Serve a local, stateful ICA Project Data Update Batch API.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: loopback only)",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=8080,
        help="port to listen on; 0 picks a free one (default: 8080)",
    )
    parser.add_argument(
        "--state",
        type=file_path,
        metavar="FILE",
        help="SQLite file keeping state across restarts",
    )
    parser.add_argument(
        "--seed",
        type=file_path,
        metavar="FILE",
        help="JSON seed document of users, projects and data",
    )
    parser.add_argument(
        "--api-key", type=credential, help="API key to accept (default: random)"
    )
    parser.add_argument(
        "--access-token",
        type=credential,
        help="bearer token to accept (default: random)",
    )
    parser.add_argument(
        "--pace",
        type=pace_value,
        default=None,
        help="'step', or items per second (default: 500)",
    )
    parser.add_argument(
        "--max-requests-per-second",
        type=rate_value,
        default=None,
        help="answer 429 above this many requests per second",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default="WARNING",
        help="logging level, one of %s (default: WARNING)" % ", ".join(LOG_LEVELS),
    )
    return parser


def default_prog() -> str:
    """How the running command is called: ``icasdk emulator`` or the module."""
    name = os.path.basename(sys.argv[0] if sys.argv else "")
    if os.path.splitext(name)[0] == "icasdk":
        return "icasdk emulator"
    return "python -m icasdk.emulator"


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> int:
    """Run the emulator until interrupted; the exit status."""
    prog = prog or default_prog()
    try:
        args = build_parser(prog).parse_args(argv)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    try:
        emulator = start(args)
    except UsageError as err:
        print("%s: error: %s" % (prog, err), file=sys.stderr)
        return EXIT_USAGE

    if args.host not in LOOPBACK:
        print(
            "warning: serving on %s; anyone who can reach it may use the "
            "unauthenticated /_emulator controls" % args.host,
            file=sys.stderr,
        )
    serve(emulator)
    return EXIT_OK


def start(args: argparse.Namespace):
    """A started ``Emulator`` for ``args``; ``UsageError`` naming what is wrong."""
    from icasdk.emulator import errors
    from icasdk.emulator.service import Emulator

    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            pace=args.pace,
            state=args.state,
            api_key=args.api_key,
            access_token=args.access_token,
            seed_file=args.seed,
            max_requests_per_second=args.max_requests_per_second,
        )
    except errors.SetupError as err:
        option = OPTIONS.get(err.setting, err.setting)
        raise UsageError("%s: %s" % (option, err)) from None

    try:
        emulator.start()
    except OSError as err:
        emulator.stop()
        raise UsageError(describe_bind_error(err, args.host, args.port)) from None
    return emulator


def describe_bind_error(err: OSError, host: str, port: int) -> str:
    """One line naming the option behind a failure to listen on host:port."""
    reason = err.strerror or str(err)
    if isinstance(err, socket.gaierror):
        return "--host %r cannot be resolved: %s" % (host, reason)
    if err.errno in PORT_ERRORS:
        return "--port %d cannot be used on %s: %s" % (port, host, reason)
    return "--host %r cannot be listened on (port %d): %s" % (host, port, reason)


def serve(emulator) -> None:
    """Print where the emulator serves, and serve until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        say("ICA emulator serving at %s" % emulator.base_url)
        say("API key (X-API-Key): %s" % emulator.api_key)
        say("Bearer token: %s" % emulator.access_token)
        say("Controls at %s; press Ctrl-C to stop." % emulator.control_url)
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        emulator.stop()
    say("ICA emulator stopped.")


def say(line: str) -> None:
    """Print a line to standard output; if its reader has gone, go on quietly.

    The lines only inform, so a closed pipe (``| head -1``) must not stop
    the emulator; later output goes to the null device instead.
    """
    try:
        print(line, flush=True)
    except (BrokenPipeError, ValueError):
        log.debug("standard output is closed; printing no more")
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            sys.stdout = open(os.devnull, "w")
        finally:
            os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
