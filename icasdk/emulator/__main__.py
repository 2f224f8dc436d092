"""``python -m icasdk.emulator``: serve a local ICA until Ctrl-C or SIGTERM.

Prints the base URL, the API key and the bearer token it accepts, then
serves on loopback (unless ``--host`` says otherwise) until stopped.
``main(argv)`` is what a later ``icasdk emulator`` command calls.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import List, Optional

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def build_parser() -> argparse.ArgumentParser:
    """The command line of the emulator."""
    parser = argparse.ArgumentParser(
        prog="python -m icasdk.emulator",
        description="Serve a local, stateful ICA Project Data Update Batch API.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: loopback only)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8080,
        help="port to listen on; 0 picks a free one (default: 8080)",
    )
    parser.add_argument(
        "--state", metavar="FILE", help="SQLite file keeping state across restarts"
    )
    parser.add_argument(
        "--seed", metavar="FILE", help="JSON seed document of users, projects and data"
    )
    parser.add_argument("--api-key", help="API key to accept (default: random)")
    parser.add_argument(
        "--access-token", help="bearer token to accept (default: random)"
    )
    parser.add_argument(
        "--pace", default=None, help="'step', or items per second (default: 500)"
    )
    parser.add_argument(
        "--max-requests-per-second",
        type=float,
        default=None,
        help="answer 429 above this many requests per second",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        help="logging level, e.g. INFO or DEBUG (default: WARNING)",
    )
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run the emulator until interrupted; the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from icasdk.emulator import Emulator

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
        emulator.start()
    except (OSError, ValueError) as err:
        print("error: %s: %s" % (type(err).__name__, err), file=sys.stderr)
        return 1

    if args.host not in LOOPBACK:
        print(
            "warning: serving on %s; anyone who can reach it may use the "
            "unauthenticated /_emulator controls" % args.host,
            file=sys.stderr,
        )
    stop = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        print("ICA emulator serving at %s" % emulator.base_url)
        print("API key (X-API-Key): %s" % emulator.api_key)
        print("Bearer token: %s" % emulator.access_token)
        print("Controls at %s; press Ctrl-C to stop." % emulator.control_url)
        sys.stdout.flush()
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        emulator.stop()
    print("ICA emulator stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
