"""Security: no credential in any text, paths stay in their segment, TLS is verified,
plain HTTP off loopback is warned about, and redirects do not carry credentials away.

The credential checks plant known secrets (``support.SECRETS``), drive the
client through successes, every kind of failure and retry, the pager and the
waiter, with every logger at DEBUG and the ``logger_file`` setting on, then
scan everything a person could see: each log line, the log file, each
exception's text and traceback, and the repr and str of the configuration,
the client, the API object and the responses.
"""

from __future__ import annotations

import logging
import socket
import traceback
import typing
import urllib.parse
import warnings

import pytest

import icasdk
from icasdk.api_client import InsecureCredentialsWarning
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.emulator import Emulator
from icasdk.retries import RetryPolicy

from .conftest import group
from .support import (
    ACCESS_TOKEN,
    API_KEY,
    BATCH_ID,
    PROBLEM,
    PROJECT_ID,
    PROXY_PASSWORD,
    SECRETS,
    URL_PASSWORD,
    V3,
    Raw,
    RawServer,
    RecordingSleep,
    leaked,
    make_certificates,
    server_context,
)

pytestmark = pytest.mark.timeout(60)

WRONG_KEY = "rel-wrong-key-0d9e8c7b"
"""A credential the emulator refuses: it must not leak either."""


class Seen:
    """Every text a person could see during a test, to scan for secrets."""

    def __init__(self) -> None:
        self.texts: typing.List[str] = []
        self.warned: typing.List[warnings.WarningMessage] = []

    def add(self, *things: object) -> None:
        for thing in things:
            self.texts.append(repr(thing))
            self.texts.append(str(thing))

    def error(self, err: BaseException) -> None:
        self.add(err)
        lines = traceback.format_exception(type(err), err, err.__traceback__)
        self.texts.append("".join(lines))

    def leaks(self, secrets: typing.Sequence[str] = SECRETS) -> typing.List[str]:
        texts = self.texts + [str(w.message) for w in self.warned]
        return sorted({s for text in texts for s in leaked(text, secrets)})


class _Everything(logging.Handler):
    def __init__(self, seen: Seen) -> None:
        super().__init__(logging.DEBUG)
        self.seen = seen
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.texts.append(self.format(record))
        self.seen.texts.append(repr(record.args))


@pytest.fixture
def seen() -> typing.Iterator[Seen]:
    """A Seen that also receives every log record at DEBUG, and every warning."""
    found = Seen()
    handler = _Everything(found)
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "icasdk", "urllib3")}
    root.addHandler(handler)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        found.warned = warned
        yield found
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _run(seen: Seen, action: typing.Callable[[], object]) -> None:
    """Run ``action``; keep its result or its error (with traceback) in ``seen``."""
    try:
        seen.add(action())
    except Exception as err:  # noqa: BLE001 - every error's text is scanned
        seen.error(err)


def test_no_credential_in_any_text_across_calls_faults_and_retries(seen, tmp_path):
    """Across successes, 401s, faults, retries, timeouts and validation errors."""
    log_file = tmp_path / "icasdk.log"
    with Emulator(pace="step") as emu:
        emu.add_credential(api_key=API_KEY, access_token=ACCESS_TOKEN)
        project = emu.create_project("secrets")
        data = [emu.create_data(project, f"/s/{n}.bam") for n in range(3)]
        sleeps = RecordingSleep()
        settings = [
            {"api_key": {"ApiKeyAuth": API_KEY}},
            {"api_key": {"ApiKeyAuth": API_KEY}, "api_key_prefix": {"ApiKeyAuth": "K"}},
            {"access_token": ACCESS_TOKEN},
            {"api_key": {"ApiKeyAuth": WRONG_KEY}},
            {"access_token": WRONG_KEY},
        ]
        for number, credential in enumerate(settings):
            configuration = icasdk.Configuration(
                host=emu.base_url,
                retries=RetryPolicy(sleep=sleeps),
                debug=True,
                logger_file=str(log_file),
                **credential,
            )
            seen.add(configuration)
            with icasdk.ApiClient(configuration) as client:
                api = ProjectDataUpdateBatchApi(client)
                seen.add(client, api)
                _exercise(seen, emu, api, project, data, strict=number == 1)
            configuration.logger_file = None
            configuration.debug = False

    seen.texts.append(log_file.read_text(encoding="utf-8"))
    assert len(seen.texts) > 200
    assert any("retrying" in text for text in seen.texts)
    assert seen.leaks([API_KEY, ACCESS_TOKEN, WRONG_KEY]) == []


def _exercise(seen, emu, api, project, data, strict: bool) -> None:
    """Every operation, in success and in each kind of failure."""
    path = {"projectId": project}
    body = {"dataUpdateGroups": [group(data)]}
    _run(
        seen, lambda: api.create_project_data_update_batch(path_params=path, body=body)
    )
    batches = [b.id for b in emu.batches if b.project_id == project]
    batch = dict(path, batchId=batches[-1] if batches else BATCH_ID)
    calls = [
        lambda: api.get_project_data_update_batch(path_params=batch),
        lambda: api.get_project_data_update_batch_items(path_params=batch),
        lambda: list(api.iter_project_data_update_batch_items(path_params=batch)),
        lambda: api.get_project_data_update_batch_item(
            path_params=dict(batch, itemId=BATCH_ID)
        ),
        lambda: api.get_project_data_update_batch(path_params=dict(batch, batchId="x")),
        lambda: api.create_project_data_update_batch(path_params=path, body={"x": 1}),
        lambda: api.get_project_data_update_batch(path_params=batch, timeout=(1, 0.1)),
        lambda: api.wait_for_project_data_update_batch(
            path_params=batch, timeout=0.05, initial_interval=0.01, max_interval=0.01
        ),
    ]
    for kind in ("throttle", "unavailable", "disconnect", "truncate", "invalid_json"):
        emu.faults.inject(kind, count=2, retry_after=0)
        for action in calls[:3]:
            _run(seen, action)
        emu.faults.clear()
    emu.faults.inject("latency", count=4, delay=0.2)
    for action in calls:
        _run(seen, action)
    emu.faults.clear()
    emu.faults.inject("server_error")
    _run(seen, calls[0])
    _run(
        seen, lambda: api.create_project_data_update_batch(path_params=path, body=body)
    )
    emu.faults.clear()
    if strict:
        api.api_client.configuration.response_validation = "strict"
        emu.faults.inject("invalid_json", count=1)
        _run(seen, calls[0])
        emu.faults.clear()


def test_no_credential_in_proxy_texts(seen):
    """A proxy URL's password stays out of logs, errors and reprs."""
    with RawServer(lambda request: Raw.json(200, {"items": []})) as proxy:
        host, port = proxy.origin.split("//")[1].split(":")
        proxy_url = f"http://user:{PROXY_PASSWORD}@{host}:{port}"
        configuration = icasdk.Configuration(
            host="http://ica.invalid/ica/rest",
            api_key={"ApiKeyAuth": API_KEY},
            proxy=proxy_url,
            retries=0,
            debug=True,
        )
        seen.add(configuration)
        with icasdk.ApiClient(configuration) as client:
            api = ProjectDataUpdateBatchApi(client)
            seen.add(client)
            batch = {"projectId": PROJECT_ID, "batchId": BATCH_ID}
            _run(
                seen, lambda: api.get_project_data_update_batch_items(path_params=batch)
            )
        configuration.debug = False

    dead = f"http://user:{PROXY_PASSWORD}@127.0.0.1:{_free_port()}"
    configuration = icasdk.Configuration(
        host="http://ica.invalid/ica/rest", proxy=dead, retries=0
    )
    with icasdk.ApiClient(configuration) as client:
        api = ProjectDataUpdateBatchApi(client)
        _run(seen, lambda: api.get_project_data_update_batch(path_params=batch))

    assert proxy.received and proxy.received[0].target.startswith("http://ica.invalid/")
    assert proxy.received[0].header("Proxy-Authorization")
    assert any("plain HTTP" in str(w.message) for w in seen.warned)
    assert seen.leaks([PROXY_PASSWORD, API_KEY]) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "status, content_type, template",
    [
        (401, PROBLEM, b'{"title": "Unauthorized", "status": 401, "detail": "%s"}'),
        (502, "text/html", b"<html><pre>X-API-Key: %s</pre></html>"),
    ],
)
def test_a_credential_echoed_by_the_server_is_not_shown(status, content_type, template):
    """The exception's message never shows a credential the server sent back."""

    def echo(request):
        return Raw(
            status,
            template % request.header("X-API-Key").encode(),
            {"Content-Type": content_type},
        )

    with RawServer(echo) as server:
        configuration = icasdk.Configuration(
            host=server.origin + "/ica/rest",
            api_key={"ApiKeyAuth": API_KEY},
            retries=0,
        )
        with icasdk.ApiClient(configuration) as client:
            api = ProjectDataUpdateBatchApi(client)
            with pytest.raises(icasdk.ApiException) as caught:
                api.get_project_data_update_batch(
                    path_params={"projectId": PROJECT_ID, "batchId": BATCH_ID}
                )

    seen = Seen()
    seen.error(caught.value)
    assert seen.leaks() == []


def test_a_password_in_the_host_url_is_not_shown():
    """user:password@ in the host is redacted wherever the host is shown."""
    host = f"http://user:{URL_PASSWORD}@127.0.0.1:{_free_port()}/ica/rest"
    configuration = icasdk.Configuration(host=host, retries=0)
    seen = Seen()
    seen.add(configuration)

    with icasdk.ApiClient(configuration) as client:
        seen.add(client)
        api = ProjectDataUpdateBatchApi(client)
        _run(
            seen,
            lambda: api.get_project_data_update_batch(
                path_params={"projectId": PROJECT_ID, "batchId": BATCH_ID}
            ),
        )

    assert seen.leaks() == []


# --------------------------------------------------------------------------
# Paths


@pytest.mark.parametrize(
    "value",
    ["a/../b", "../../x", "x?y#z", "..", ".", "%2F", "%2e%2e", "a\\b", "\r\nHost: x"]
    + ["é/ü", "a b", "a\x00b", ";x=1", "@evil.example"],
)
def test_a_path_value_cannot_leave_its_segment(value):
    """Whatever a projectId holds, it is one segment that decodes back to itself."""
    with Emulator(pace="step") as emu:
        configuration = emu.configuration()
        configuration.retries = 0
        with icasdk.ApiClient(configuration) as client:
            api = ProjectDataUpdateBatchApi(client)
            with pytest.raises(icasdk.NotFoundException):
                api.get_project_data_update_batch(
                    path_params={"projectId": value, "batchId": BATCH_ID}
                )
        sent = emu.requests[0].path

    segments = sent.split("/")
    assert segments[:5] == ["", "ica", "rest", "api", "projects"]
    assert len(segments) == 8
    assert urllib.parse.unquote(segments[5]) == value
    assert segments[6:] == ["dataUpdateBatch", BATCH_ID]


# --------------------------------------------------------------------------
# TLS


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A private CA and a server certificate for 127.0.0.1, made for this run."""
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(certificates):
    """An HTTPS server on 127.0.0.1 presenting a certificate no public CA signed."""
    page = {"items": [], "nextPageToken": None}
    with RawServer(
        lambda r: Raw.json(200, page), tls=server_context(certificates)
    ) as s:
        yield s


def _get_items(configuration: icasdk.Configuration):
    with icasdk.ApiClient(configuration) as client:
        api = ProjectDataUpdateBatchApi(client)
        return api.get_project_data_update_batch_items(
            path_params={"projectId": PROJECT_ID, "batchId": BATCH_ID}
        )


def test_tls_is_verified_by_default(tls_server):
    """The default configuration refuses a certificate from an unknown CA."""
    configuration = icasdk.Configuration(
        host=tls_server.origin + "/ica/rest", api_key={"ApiKeyAuth": API_KEY}
    )
    assert configuration.verify_ssl is True

    with pytest.raises(icasdk.ApiConnectionError) as caught:
        _get_items(configuration)

    assert "certificate" in str(caught.value).lower()
    assert caught.value.attempts == 1
    assert tls_server.received == []


def test_tls_trusts_a_ca_file_when_given(tls_server, certificates):
    """ssl_ca_cert naming the private CA lets the call through, verified."""
    configuration = icasdk.Configuration(
        host=tls_server.origin + "/ica/rest",
        api_key={"ApiKeyAuth": API_KEY},
        ssl_ca_cert=certificates.ca_file,
    )

    assert _get_items(configuration).status == 200
    assert tls_server.received[0].header("X-API-Key") == API_KEY


def test_tls_ca_file_from_the_environment(tls_server, certificates, monkeypatch):
    """SSL_CERT_FILE naming the private CA is honoured when no setting is given."""
    monkeypatch.setenv("SSL_CERT_FILE", certificates.ca_file)
    configuration = icasdk.Configuration(host=tls_server.origin + "/ica/rest")

    assert _get_items(configuration).status == 200


def test_tls_checks_the_host_name(certificates):
    """A certificate for another name is refused even from a trusted CA."""
    with RawServer(
        lambda r: Raw.json(200, {}), host="127.0.0.2", tls=server_context(certificates)
    ) as server:
        configuration = icasdk.Configuration(
            host=server.origin + "/ica/rest", ssl_ca_cert=certificates.ca_file
        )
        with pytest.raises(icasdk.ApiConnectionError) as caught:
            _get_items(configuration)

    assert "127.0.0.2" in str(caught.value) or "match" in str(caught.value).lower()
    assert server.received == []


# --------------------------------------------------------------------------
# Plain HTTP off loopback


def _insecure_warnings(records, caught) -> typing.List[str]:
    texts = [str(w.message) for w in caught]
    texts += [r.getMessage() for r in records if r.levelno >= logging.WARNING]
    words = ("http", "plain", "unencrypted", "insecure", "tls", "https")
    return [t for t in texts if any(word in t.lower() for word in words)]


def _plain_http_configuration(proxy) -> icasdk.Configuration:
    """An API key for a plain-HTTP host off loopback, reached through ``proxy``."""
    return icasdk.Configuration(
        host="http://ica.example.test/ica/rest",
        api_key={"ApiKeyAuth": API_KEY},
        proxy=proxy.origin,
        retries=0,
    )


def test_credentials_over_plain_http_off_loopback_are_warned_about(caplog):
    """An API key bound for http://ica.example.test draws a warning."""
    caplog.set_level(logging.WARNING)
    with RawServer(lambda r: Raw.json(200, {"items": []})) as proxy:
        configuration = _plain_http_configuration(proxy)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _get_items(configuration)

    assert proxy.received, "the request went through the local proxy"
    assert _insecure_warnings(caplog.records, caught)


def test_the_plain_http_warning_comes_once_per_host(caplog):
    """A host is warned about once, not on every call; a new host again."""
    with RawServer(lambda r: Raw.json(200, {"items": []})) as proxy:
        configuration = _plain_http_configuration(proxy)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with icasdk.ApiClient(configuration) as client:
                api = ProjectDataUpdateBatchApi(client)
                path_params = {"projectId": PROJECT_ID, "batchId": BATCH_ID}
                for _ in range(3):
                    api.get_project_data_update_batch_items(path_params=path_params)
                assert len(_insecure_warnings([], caught)) == 1

                configuration.host = "http://other.example.test/ica/rest"
                api.get_project_data_update_batch_items(path_params=path_params)

    warned = _insecure_warnings([], caught)
    assert len(warned) == 2 and "other.example.test" in warned[1]


def test_with_the_warning_made_an_error_no_call_sends_over_plain_http():
    """Where warnings are errors, every call to a plain-HTTP host raises unsent."""
    with RawServer(lambda r: Raw.json(200, {"items": []})) as proxy:
        configuration = _plain_http_configuration(proxy)
        with icasdk.ApiClient(configuration) as client, warnings.catch_warnings():
            warnings.simplefilter("error", InsecureCredentialsWarning)
            api = ProjectDataUpdateBatchApi(client)
            path_params = {"projectId": PROJECT_ID, "batchId": BATCH_ID}
            for _ in range(2):
                with pytest.raises(InsecureCredentialsWarning):
                    api.get_project_data_update_batch_items(path_params=path_params)

    assert proxy.received == []


def test_plain_http_on_loopback_draws_no_warning(caplog):
    """The emulator on 127.0.0.1 over plain HTTP is no cause for a warning."""
    caplog.set_level(logging.WARNING)
    with Emulator(pace="step") as emu:
        project = emu.create_project("quiet")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with icasdk.ApiClient(emu.configuration()) as client:
                api = ProjectDataUpdateBatchApi(client)
                with pytest.raises(icasdk.NotFoundException):
                    api.get_project_data_update_batch(
                        path_params={"projectId": project, "batchId": BATCH_ID}
                    )

    assert _insecure_warnings(caplog.records, caught) == []


# --------------------------------------------------------------------------
# Redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_redirect_to_another_host_is_not_followed(status, method):
    """A 3xx pointing elsewhere raises; the other host never hears the key."""
    try:
        elsewhere = RawServer(lambda r: Raw.json(200, {}), host="127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 cannot be bound here")

    with elsewhere:

        def redirect(request):
            location = elsewhere.origin + request.target
            return Raw(status, b"", {"Location": location, "Content-Type": V3})

        with RawServer(redirect) as server:
            configuration = icasdk.Configuration(
                host=server.origin + "/ica/rest",
                api_key={"ApiKeyAuth": API_KEY},
                access_token=ACCESS_TOKEN,
                retries=0,
            )
            with icasdk.ApiClient(configuration) as client:
                api = ProjectDataUpdateBatchApi(client)
                with pytest.raises(icasdk.ApiException) as caught:
                    if method == "GET":
                        api.get_project_data_update_batch(
                            path_params={"projectId": PROJECT_ID, "batchId": BATCH_ID}
                        )
                    else:
                        api.create_project_data_update_batch(
                            path_params={"projectId": PROJECT_ID},
                            body={
                                "dataUpdateGroups": [{"dataIds": ["fil." + "0" * 32]}]
                            },
                        )

    assert caught.value.status == status
    assert len(server.received) == 1
    assert elsewhere.received == []
