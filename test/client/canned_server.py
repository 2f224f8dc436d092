"""A canned-response HTTP server on 127.0.0.1 for the client tests, and helpers.

Each test sets ``server.handler``: a plain function that maps a
``RecordedRequest`` to a ``Reply``. The server records every request and
counts the connections it accepted, so tests can check what went over the
wire without patching urllib3.
"""

from __future__ import annotations

import dataclasses
import datetime
import gzip
import http.server
import ipaddress
import json
import logging
import os
import socket
import ssl
import threading
import time
import typing
import urllib.parse

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
V3 = "application/vnd.illumina.v3+json"
PROJECT_ID = "project-1"
BATCH_ID = "0b5f8a52-2a0c-4d8d-8a55-5d5d3d0c9e11"
ITEM_ID = "7e1c9c64-81a7-4bb0-9d39-8c0a6a2f5c02"


@dataclasses.dataclass
class RecordedRequest:
    """What the server received: method, raw target, headers and body."""

    method: str
    target: str
    headers: typing.Dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> typing.List[typing.Tuple[str, str]]:
        return urllib.parse.parse_qsl(urllib.parse.urlsplit(self.target).query)

    def header(self, name: str) -> typing.Optional[str]:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclasses.dataclass
class Reply:
    """A canned answer. ``drop`` closes the connection without one."""

    status: int = 200
    body: typing.Union[bytes, str, dict, list, None] = None
    content_type: typing.Optional[str] = V3
    headers: typing.Dict[str, str] = dataclasses.field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    gzip: bool = False

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


def problem(status: int, title: str, detail: str = "", **parameters: str) -> Reply:
    """A Problem reply shaped like ICA's."""
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "parameters": parameters,
        "timestamp": "2026-01-02T03:04:05.678Z",
    }
    return Reply(status, body, PROBLEM)


USER = {
    "id": "5f0c1d2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f",
    "timeCreated": "2025-01-01T00:00:00Z",
    "timeModified": "2025-01-01T00:00:00Z",
    "ownerId": "5f0c1d2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f",
    "tenantId": "6a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d",
    "username": "someone",
    "email": "someone@example.com",
    "active": True,
    "tenantAdministrator": False,
    "emailVerified": True,
    "twoFactorAuthentication": False,
}


def batch_body(status: str = "INITIALIZED") -> dict:
    """A ProjectDataUpdateBatch as the service returns it."""
    return {
        "id": BATCH_ID,
        "job": {
            "id": "c2bb1e3c-0b5c-4c41-8c6b-7d3f1b1a2e33",
            "status": status,
            "subjectType": "ProjectDataUpdateBatch",
            "subjectId": BATCH_ID,
            "timeCreated": "2026-01-02T03:04:05Z",
            "owner": USER,
        },
    }


def item_body(status: str = "UPDATED", data_id: str = "fil.1") -> dict:
    """A ProjectDataUpdateBatchItem as the service returns it."""
    return {
        "id": ITEM_ID,
        "request": {"dataId": data_id, "userTags": {"addTags": ["a"]}},
        "processing": {"status": status},
    }


def items_body(*statuses: str) -> dict:
    """A ProjectDataUpdateBatchItemPagedList of one item per status."""
    items = [item_body(status, f"fil.{n}") for n, status in enumerate(statuses)]
    return {"items": items, "totalItemCount": len(items)}


Handler = typing.Callable[[RecordedRequest], Reply]


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug("test server: " + format, *args)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        recorded = RecordedRequest(self.command, self.path, dict(self.headers), body)
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(recorded)
        reply = owner.handler(recorded)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return

        data = reply.encoded()
        self.send_response(reply.status)
        if reply.content_type is not None:
            self.send_header("Content-Type", reply.content_type)
        if reply.gzip and "gzip" in (recorded.header("Accept-Encoding") or ""):
            data = gzip.compress(data)
            self.send_header("Content-Encoding", "gzip")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: CannedServer

    def get_request(self):  # type: ignore[override]
        conn, address = super().get_request()
        with self.owner.lock:
            self.owner.connections += 1
            self.owner.open_connections += 1
        return conn, address

    def shutdown_request(self, request) -> None:  # type: ignore[override]
        super().shutdown_request(request)
        with self.owner.lock:
            self.owner.open_connections -= 1

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        log.debug("test server: connection from %s ended badly", client_address)


class CannedServer:
    """A threaded HTTP/1.1 server answering with ``handler``; see the module doc."""

    def __init__(self) -> None:
        self.handler: Handler = lambda request: Reply(200, {})
        self.requests: typing.List[RecordedRequest] = []
        self.connections = 0
        self.open_connections = 0
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._ready = threading.Event()

    def _serve(self) -> None:
        self._ready.set()
        self._server.serve_forever(poll_interval=0.05)

    def start(self, tls: typing.Optional[ssl.SSLContext] = None) -> CannedServer:
        """Serve in a thread (over TLS with ``tls``) and wait until it is ready."""
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}"
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("test server did not start")
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reply(self, *replies: Reply) -> None:
        """Answer with these replies in turn, repeating the last one."""
        queue = list(replies)

        def handler(request: RecordedRequest) -> Reply:
            with self.lock:
                return queue.pop(0) if len(queue) > 1 else queue[0]

        self.handler = handler

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]


class RecordingSleep:
    """A sleep function for retry policies that records waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: typing.List[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_certificate(directory: str) -> typing.Tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, and its key: (cert path, key path).

    It serves both as the server's certificate and as the client's, so one
    file can be the CA bundle on either side.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "icasdk test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    usage = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usage), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )

    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path


def server_tls_context(
    cert_path: str, key_path: str, client_ca: typing.Optional[str] = None
) -> ssl.SSLContext:
    """A server-side TLS context; with ``client_ca`` it requires a client cert."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context
