"""A minimal HTTP/1.1 server on loopback that answers with canned bodies.

The call benchmarks need a server whose own cost is small and the same for
every client, so that what differs is the client. This one does almost
nothing: it reads a request line, headers and body off a keep-alive
connection and writes bytes made once at start. It is not the emulator,
which validates, settles state and renders JSON on every request.

Routes (any project id, batch id and query):

- ``GET  .../dataUpdateBatch/{batchId}/items``: an items page;
- ``GET  .../dataUpdateBatch/{batchId}``: a batch with its full job;
- ``POST .../dataUpdateBatch``: 201 with the same batch (the body is read
  and dropped);
- anything else: a 404 Problem.

Run it as ``python -m benchmarks.server --page-items 1000``: it prints its
base URL on one line, then serves until its standard input closes, so it
never outlives the runner that started it.
"""

from __future__ import annotations

import argparse
import logging
import socket
import socketserver
import sys
import threading
import typing

from benchmarks import bodies

log = logging.getLogger(__name__)

CONTENT_TYPE = b"application/vnd.illumina.v3+json"
PROBLEM_TYPE = b"application/problem+json"
API_PREFIX = "/ica/rest"
MAX_LINE = 65536


def _reply(status: bytes, content_type: bytes, body: bytes) -> bytes:
    head = (
        b"HTTP/1.1 " + status + b"\r\n"
        b"Content-Type: " + content_type + b"\r\n"
        b"Content-Length: " + str(len(body)).encode("ascii") + b"\r\n"
        b"\r\n"
    )
    return head + body


class Replies(typing.NamedTuple):
    """Every answer, encoded once."""

    page: bytes
    batch: bytes
    created: bytes
    not_found: bytes

    @classmethod
    def make(cls, page_items: int) -> Replies:
        batch = bodies.encode(bodies.batch())
        page = bodies.encode(bodies.items_page(page_items))
        problem = bodies.encode(
            {
                "type": "about:blank",
                "title": "Not Found",
                "status": 404,
                "parameters": {},
                "timestamp": bodies.CREATED,
            }
        )
        return cls(
            page=_reply(b"200 OK", CONTENT_TYPE, page),
            batch=_reply(b"200 OK", CONTENT_TYPE, batch),
            created=_reply(b"201 Created", CONTENT_TYPE, batch),
            not_found=_reply(b"404 Not Found", PROBLEM_TYPE, problem),
        )

    def answer(self, method: bytes, target: bytes) -> bytes:
        """The reply for one request line."""
        path = target.split(b"?", 1)[0].rstrip(b"/")
        if method == b"GET" and path.endswith(b"/items"):
            return self.page
        head, _, last = path.rpartition(b"/")
        if method == b"GET" and head.endswith(b"/dataUpdateBatch"):
            return self.batch
        if method == b"POST" and last == b"dataUpdateBatch":
            return self.created
        return self.not_found


class Handler(socketserver.StreamRequestHandler):
    """Answers requests on one connection until the client closes it."""

    server: Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        while True:
            line = self.rfile.readline(MAX_LINE)
            if not line.strip():
                return
            method, target = line.split(b" ", 2)[:2]
            length = 0
            while True:
                header = self.rfile.readline(MAX_LINE)
                if header in (b"\r\n", b"\n", b""):
                    break
                name, _, value = header.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                self.rfile.read(length)
            self.wfile.write(self.server.replies.answer(method, target))


class Server(socketserver.ThreadingTCPServer):
    """The canned server; one thread per connection."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: typing.Tuple[str, int], replies: Replies) -> None:
        self.replies = replies
        super().__init__(address, Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{API_PREFIX}"


def serve_in_thread(page_items: int) -> Server:
    """Start a server on a free loopback port in a daemon thread (for tests)."""
    server = Server(("127.0.0.1", 0), Replies.make(page_items))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def main(argv: typing.Optional[typing.List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server")
    parser.add_argument("--page-items", type=int, default=1000)
    args = parser.parse_args(argv)

    server = serve_in_thread(args.page_items)
    print(server.base_url, flush=True)
    try:
        sys.stdin.read()  # serve until the runner closes our standard input
    except KeyboardInterrupt:  # Ctrl-C reaches the runner's whole process group
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
