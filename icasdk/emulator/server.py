"""The HTTP side: a threading HTTP/1.1 server and the path a request takes.

``App.handle`` takes one parsed request through, in this order: route
(404/405), then for API routes the rate limit (429), injected faults, auth
(401), Accept (400) and Content-Type (415) negotiation, parameter and body
validation (400), and the handler, which runs under the state lock after
every batch is settled to now. It gives back a ``Reply``: the bytes to send,
or ``status=None`` for a connection closed unanswered. ``RequestHandler``
reads requests off keep-alive connections and writes replies, gzipped when
``Accept-Encoding`` allows.

The Accept 400 is the one 400 the definition does not state: issue #4
records it as ICA's own answer to an Accept that admits neither the API's
type nor a wildcard, so the emulator gives it too.
"""

from __future__ import annotations

import dataclasses
import email.utils
import gzip
import http.server
import json
import logging
import socket
import threading
import time
import urllib.parse
from typing import Dict, List, Optional

from icasdk.emulator import faults as faults_module
from icasdk.emulator import lifecycle, routes, validation
from icasdk.emulator.exchange import API_CONTENT_TYPE, Request, RequestRecord, Response
from icasdk.emulator.problems import (
    PROBLEM_CONTENT_TYPE,
    ProblemError,
    problem_body,
)
from icasdk.emulator.state import ACCESS_TOKEN, API_KEY, State, User

log = logging.getLogger(__name__)

BODY_TYPES = (API_CONTENT_TYPE, "application/json")
MAX_BODY_BYTES = 64 * 1024 * 1024
BAD_GATEWAY_HTML = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center></body></html>"
)


@dataclasses.dataclass
class Reply:
    """What to write back; ``status`` None means close without answering."""

    status: Optional[int]
    headers: Dict[str, str] = dataclasses.field(default_factory=dict)
    body: bytes = b""
    truncate: bool = False


class App:
    """State, faults, rate limit and request log, and the request pipeline."""

    def __init__(
        self,
        state: State,
        max_requests_per_second: float | None = None,
    ) -> None:
        self.state = state
        self.faults = faults_module.Faults()
        self.limit = faults_module.RateLimit(max_requests_per_second)
        self._log: List[RequestRecord] = []
        self._log_lock = threading.Lock()

    def requests(self) -> List[RequestRecord]:
        """The API requests that reached the emulator, oldest first."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the request log."""
        with self._log_lock:
            self._log.clear()

    def reset(self) -> None:
        """State back to its start; no faults; an empty request log."""
        self.state.reset()
        self.faults.clear()
        self.clear_requests()

    def advance(self, batch_id: str | None, items: int | None, to_end=False) -> int:
        """Move one batch, or every unfinished one, on; return how many moved."""
        state = self.state
        with state.lock:
            now = state.clock()
            state.settle(now)
            if batch_id is not None:
                batch = state.find_batch(batch_id)
                if batch is None:
                    raise KeyError("no batch with id %r" % batch_id)
                chosen = [batch]
            else:
                chosen = list(state.batches.values())
            chosen = [batch for batch in chosen if batch.finished is None]
            for batch in chosen:
                if to_end:
                    lifecycle.finish(batch, now)
                else:
                    lifecycle.advance(batch, now, items)
            state.settle(now)
        return len(chosen)

    # -- the pipeline ----------------------------------------------------

    def handle(
        self, method: str, target: str, headers, body: bytes, base: str
    ) -> Reply:
        """Answer one request; ``base`` is ``scheme://host`` for Problem URIs."""
        split = urllib.parse.urlsplit(target)
        raw_path = split.path or "/"
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        request = Request(method, raw_path, {}, query, headers, body)
        instance = base + urllib.parse.quote(raw_path, safe="/%:@!$&'()*+,;=-._~")

        try:
            route, request.path_params = routes.match(method, raw_path)
        except ProblemError as err:
            reply = self._encode(self._problem(err, instance), headers)
            if not raw_path.startswith(routes.CONTROL_PREFIX):
                self._record(method, raw_path, reply.status)
            return reply
        if route.control:
            return self._encode(self._run_control(route, request, instance), headers)

        reply = self._run_api(route, request, instance)
        self._record(method, raw_path, reply.status)
        log.info("%s %s -> %s", method, raw_path, reply.status or "closed unanswered")
        return reply

    def _run_api(self, route: routes.Route, request: Request, instance: str) -> Reply:
        wait = self.limit.wait_needed()
        if wait:
            err = ProblemError(
                429,
                "rate-limit",
                "Too many requests; slow down.",
                headers={"Retry-After": str(wait)},
            )
            return self._encode(self._problem(err, instance), request.headers)
        delay, fault = self.faults.pick(route.name)
        if delay:
            time.sleep(delay)
        if fault is not None and fault.kind in faults_module.BEFORE:
            return self._fault_before(fault, request, instance)

        try:
            response = self._process(route, request)
        except ProblemError as err:
            response = self._problem(err, instance)
        except Exception:
            log.exception("handler %s failed", route.name)
            err = ProblemError(500, "internal", "The emulator failed; see its log.")
            response = self._problem(err, instance)
        if fault is None:
            return self._encode(response, request.headers)
        return self._fault_after(fault, response, request)

    def _process(self, route: routes.Route, request: Request) -> Response:
        headers = request.headers
        request.user = authenticate(self.state, headers)
        if not admits(headers.get("Accept")):
            detail = "The Accept header %r admits neither %s nor a wildcard." % (
                headers.get("Accept"),
                API_CONTENT_TYPE,
            )
            raise ProblemError(
                400,
                "not-acceptable",
                detail,
                {"Accept": "must admit %s" % API_CONTENT_TYPE},
            )
        operation = validation.operations()[route.name]
        if "requestBody" in operation:
            check_content_type(headers.get("Content-Type"))
            request.body = request.json_body()
        validation.check_parameters(route.name, request.path_params, request.query)
        if "requestBody" in operation:
            validation.check_body(route.name, request.body)

        with self.state.lock:
            self.state.settle()
            return route.handler(self.state, request)

    def _run_control(self, route: routes.Route, request: Request, instance: str):
        try:
            return route.handler(self, request)
        except ProblemError as err:
            return self._problem(err, instance)
        except (AttributeError, TypeError, ValueError, KeyError) as err:
            detail = "The %s control could not use its input: %s" % (route.name, err)
            return self._problem(ProblemError(400, "control", detail), instance)

    # -- faults, problems, bytes -----------------------------------------

    def _fault_before(self, fault, request: Request, instance: str) -> Reply:
        if fault.kind == "disconnect":
            return Reply(None)
        if fault.kind == "bad_gateway":
            return Reply(502, {"Content-Type": "text/html"}, BAD_GATEWAY_HTML)

        status = faults_module.STATUS[fault.kind]
        headers = {}
        if fault.kind != "server_error":
            headers["Retry-After"] = retry_after(fault)
        detail = "Injected fault %d (%s)." % (fault.id, fault.kind)
        err = ProblemError(status, fault.kind, detail, headers=headers)
        return self._encode(self._problem(err, instance), request.headers)

    def _fault_after(self, fault, response: Response, request: Request) -> Reply:
        if fault.kind == "disconnect_after":
            return Reply(None)
        if fault.kind == "invalid_json":
            broken = json.dumps(response.body).encode()[:-1] + b',"'
            return self._encode(response, request.headers, raw=broken)
        reply = self._encode(response, request.headers)
        reply.truncate = True
        return reply

    def _problem(self, err: ProblemError, instance: str) -> Response:
        body = problem_body(err, instance, time.time())
        return Response(err.status, body, PROBLEM_CONTENT_TYPE, err.headers)

    def _encode(self, response: Response, headers, raw: bytes | None = None) -> Reply:
        body = raw
        if body is None:
            body = json.dumps(response.body, separators=(",", ":")).encode()
        out = dict(response.headers)
        out["Content-Type"] = response.content_type
        out["Vary"] = "Accept-Encoding"
        if wants_gzip(headers.get("Accept-Encoding")):
            body = gzip.compress(body, compresslevel=5, mtime=0)
            out["Content-Encoding"] = "gzip"
        return Reply(response.status, out, body)

    def _record(self, method: str, path: str, status: Optional[int]) -> None:
        with self._log_lock:
            self._log.append(RequestRecord(method, path, status))


def authenticate(state: State, headers) -> User:
    """The user of the request's ``X-API-Key`` or bearer token; 401 if none."""
    key = headers.get("X-API-Key")
    authorization = headers.get("Authorization") or ""
    scheme, _, token = authorization.strip().partition(" ")
    if not key and not (scheme.lower() == "bearer" and token.strip()):
        detail = "No credential: send X-API-Key or Authorization: Bearer <token>."
        raise ProblemError(
            401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"}
        )

    user = state.authenticate(API_KEY, key.strip()) if key else None
    if user is None and scheme.lower() == "bearer":
        user = state.authenticate(ACCESS_TOKEN, token.strip())
    if user is None:
        log.debug("rejected a request whose credential matches no seeded one")
        raise ProblemError(
            401,
            "unauthorized",
            "The credential is not valid.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def _ranges(header: str | None):
    """``(value, q)`` for each element of a comma-separated header with q."""
    for part in (header or "").split(","):
        value, *params = part.split(";")
        q = 1.0
        for param in params:
            name, _, number = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(number)
                except ValueError:
                    q = 1.0
        if value.strip():
            yield value.strip().lower(), q


def admits(accept: str | None) -> bool:
    """Whether an Accept header admits the API's media type or a wildcard."""
    if accept is None or not accept.strip():
        return True
    wanted = ("*/*", "application/*", API_CONTENT_TYPE)
    return any(q > 0 and value in wanted for value, q in _ranges(accept))


def wants_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header asks for gzip."""
    wanted = ("gzip", "x-gzip", "*")
    return any(q > 0 and value in wanted for value, q in _ranges(accept_encoding))


def check_content_type(content_type: str | None) -> None:
    """415 Problem unless the body is one of the two declared JSON types."""
    base = (content_type or "").split(";")[0].strip().lower()
    if base not in BODY_TYPES:
        detail = "Content-Type %r is not supported; send %s." % (
            content_type,
            " or ".join(BODY_TYPES),
        )
        raise ProblemError(
            415,
            "unsupported-media-type",
            detail,
            {"Content-Type": "must be one of %s" % ", ".join(BODY_TYPES)},
        )


def retry_after(fault) -> str:
    """The Retry-After value of a fault: seconds, or that moment as an HTTP-date."""
    seconds = max(0, int(round(fault.retry_after)))
    if fault.retry_after_date:
        return email.utils.formatdate(time.time() + seconds + 1, usegmt=True)
    return str(seconds)


class RequestHandler(http.server.BaseHTTPRequestHandler):
    """Reads requests off a keep-alive connection and writes the replies."""

    protocol_version = "HTTP/1.1"
    server_version = "ica-emulator"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version

    disable_nagle_algorithm = True
    timeout = 60

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return

        host = self.headers.get("Host") or "%s:%s" % self.server.server_address[:2]
        reply = self.server.app.handle(
            self.command, self.path, self.headers, body, "http://" + host
        )
        if reply.status is None:
            self._drop()
            return

        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.truncate:
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self._drop()
            return
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def _read_body(self) -> Optional[bytes]:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.send_error(400 if length < 0 else 413)
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> Optional[bytes]:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _drop(self) -> None:
        """Close the connection with nothing more said."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, socket.timeout):
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:
        log.debug("%s - " + format, self.address_string(), *args)


class EmulatorServer(http.server.ThreadingHTTPServer):
    """A thread per connection; knows its connections so ``stop`` can close them."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app: App) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, RequestHandler)
        self.app = app
        self._connections = set()
        self._connections_lock = threading.Lock()

    def finish_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().finish_request(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def close_connections(self) -> None:
        """Shut every open connection, so idle keep-alive threads end."""
        with self._connections_lock:
            open_now = list(self._connections)
        for connection in open_now:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
