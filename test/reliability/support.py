"""Helpers for the reliability suite: local servers, certificates, secrets, figures.

Everything here talks only to loopback addresses. ``RawServer`` answers each
request with whatever bytes a test hands it (hostile bodies, redirects, TLS)
and records what it received; ``EmulatorProcess`` runs ``python -m
icasdk.emulator`` in a child process, so a load test measures the client's
threads, sockets and memory without the server's.
"""

from __future__ import annotations

import dataclasses
import datetime
import http.server
import ipaddress
import json
import logging
import os
import pathlib
import ssl
import subprocess
import sys
import threading
import time
import typing

log = logging.getLogger(__name__)

V3 = "application/vnd.illumina.v3+json"
PROBLEM = "application/problem+json"
PROJECT_ID = "1b7c1a34-5e2f-4f0e-9a57-0d6b3c2e8f10"
BATCH_ID = "0c0f6a2e-8d5a-4b8e-9d0a-2b8f0e1c9a11"
ITEM_ID = "7d2e4b5c-1a3f-4e6d-8b9c-0a1b2c3d4e5f"

# Secrets the security tests plant, then look for in every text they capture.
API_KEY = "rel-api-key-5f3c9a7e41d2"
ACCESS_TOKEN = "rel-bearer-token-8e1b6d0c93fa"
PROXY_PASSWORD = "rel-proxy-pass-2a7d4c"
URL_PASSWORD = "rel-url-pass-6b0e3f"
SECRETS = (API_KEY, ACCESS_TOKEN, PROXY_PASSWORD, URL_PASSWORD)

FIGURES_VARIABLE = "ICASDK_RELIABILITY_FIGURES"
"""Set to a file path to have the suite write the figures it measured as JSON."""


def leaked(text: str, secrets: typing.Iterable[str] = SECRETS) -> typing.List[str]:
    """The secrets that appear in ``text``."""
    return [secret for secret in secrets if secret in text]


class RecordingSleep:
    """A ``sleep`` for ``RetryPolicy`` that records each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: typing.List[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def wait_until(condition: typing.Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll ``condition`` every 10 ms for at most ``seconds``; its last value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


# --------------------------------------------------------------------------
# A server that answers with given bytes


@dataclasses.dataclass
class Raw:
    """An answer as bytes on the wire: status, headers and body, nothing added."""

    status: int = 200
    body: bytes = b""
    headers: typing.Dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def json(cls, status: int, document: typing.Any, content_type: str = V3) -> Raw:
        """An answer whose body is ``document`` as JSON."""
        return cls(
            status, json.dumps(document).encode(), {"Content-Type": content_type}
        )


@dataclasses.dataclass
class Received:
    """A request as ``RawServer`` received it."""

    method: str
    target: str
    headers: typing.Dict[str, str]
    body: bytes

    def header(self, name: str) -> typing.Optional[str]:
        """The value of header ``name``, in any case, or None."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


Handler = typing.Callable[[Received], Raw]


class _RawHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        received = Received(self.command, self.path, dict(self.headers.items()), body)
        owner: RawServer = self.server.owner  # type: ignore[attr-defined]
        owner.received.append(received)
        raw = owner.handler(received)

        self.send_response(raw.status)
        for name, value in raw.headers.items():
            self.send_header(name, value)
        if not any(name.lower() == "content-length" for name in raw.headers):
            self.send_header("Content-Length", str(len(raw.body)))
        self.end_headers()
        self.wfile.write(raw.body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: typing.Any) -> None:
        log.debug("raw server: " + format, *args)


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up early is part of these tests, not news."""
        log.debug("raw server: connection from %s ended badly", client_address)


class RawServer:
    """An HTTP(S) server on a loopback address whose answers a test decides.

    ``handler`` maps each ``Received`` request to a ``Raw`` answer; every
    request is kept in ``received``. Use it as a context manager.
    """

    def __init__(
        self,
        handler: typing.Optional[Handler] = None,
        *,
        host: str = "127.0.0.1",
        tls: typing.Optional[ssl.SSLContext] = None,
    ) -> None:
        self.handler: Handler = handler or (lambda request: Raw(204))
        self.received: typing.List[Received] = []
        self._server = _QuietServer((host, 0), _RawHandler)
        self._server.owner = self  # type: ignore[attr-defined]
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def origin(self) -> str:
        """``scheme://host:port`` of the server."""
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host}:{port}"

    @property
    def port(self) -> int:
        return self._server.server_address[1]


# --------------------------------------------------------------------------
# Certificates made on the spot


@dataclasses.dataclass
class Certificates:
    """A private CA and a server certificate it signed, all as PEM files."""

    ca_file: str
    cert_file: str
    key_file: str


def make_certificates(directory: pathlib.Path) -> Certificates:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    end = start + datetime.timedelta(days=2)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("icasdk reliability CA"))
        .issuer_name(name("icasdk reliability CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    names = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    files = Certificates(
        str(directory / "ca.pem"),
        str(directory / "server.pem"),
        str(directory / "key.pem"),
    )
    pathlib.Path(files.ca_file).write_bytes(ca.public_bytes(pem))
    pathlib.Path(files.cert_file).write_bytes(leaf.public_bytes(pem))
    pathlib.Path(files.key_file).write_bytes(
        key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files


def server_context(certificates: Certificates) -> ssl.SSLContext:
    """The TLS context of a server presenting the certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates.cert_file, certificates.key_file)
    return context


# --------------------------------------------------------------------------
# The emulator in a child process


class EmulatorProcess:
    """``python -m icasdk.emulator`` on a free loopback port, seeded from a file.

    ``base_url`` and ``api_key`` are read from the lines it prints at start.
    """

    START_TIMEOUT = 30.0

    def __init__(self, seed_file: str, api_key: str) -> None:
        self._command = [
            sys.executable,
            "-m",
            "icasdk.emulator",
            "--port",
            "0",
            "--pace",
            "step",
            "--api-key",
            api_key,
            "--seed",
            seed_file,
        ]
        self.api_key = api_key
        self.base_url = ""
        self._process: typing.Optional[subprocess.Popen] = None

    def __enter__(self) -> EmulatorProcess:
        self._process = subprocess.Popen(
            self._command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        found = threading.Event()

        def read_first_line() -> None:
            assert self._process is not None and self._process.stdout is not None
            line = self._process.stdout.readline()
            self.base_url = line.rsplit(" ", 1)[-1].strip()
            found.set()

        threading.Thread(target=read_first_line, daemon=True).start()
        if not found.wait(self.START_TIMEOUT) or "://" not in self.base_url:
            self.__exit__()
            msg = f"the emulator process did not start: {self.base_url!r}"
            raise RuntimeError(msg)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None

    @property
    def port(self) -> int:
        return int(self.base_url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
