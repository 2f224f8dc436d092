"""The transport: one shared pool, closing, TLS and proxies, over real sockets."""

from __future__ import annotations

import concurrent.futures
import socket
import time
import warnings

import pytest
import urllib3
from canned_server import (
    BATCH_ID,
    PROJECT_ID,
    CannedServer,
    Reply,
    batch_body,
    make_certificate,
    server_tls_context,
)

import icasdk
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi

BATCH_PATH = {"projectId": PROJECT_ID, "batchId": BATCH_ID}


def _get_batch(client: icasdk.ApiClient):
    api = ProjectDataUpdateBatchApi(client)
    return api.get_project_data_update_batch(path_params=BATCH_PATH)


def _wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


# -- the pool -----------------------------------------------------------------


def test_threads_share_one_client_within_the_pool_limit(server, make_client):
    """8 threads x 50 calls on one ApiClient all succeed on at most maxsize sockets."""
    server.reply(Reply(200, batch_body()))
    client = make_client(connection_pool_maxsize=3)

    def fifty_calls() -> int:
        return sum(_get_batch(client).status == 200 for _ in range(50))

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda _: fifty_calls(), range(8)))

    assert done == [50] * 8
    assert len(server.requests) == 400
    assert 1 <= server.connections <= 3


def test_close_releases_the_connections(server, make_client):
    """close() closes the pooled connections; the client reconnects if used again."""
    server.reply(Reply(200, batch_body()))
    client = make_client()
    _get_batch(client)
    assert server.open_connections == 1

    client.close()
    assert _wait_for(lambda: server.open_connections == 0)

    assert _get_batch(client).status == 200
    assert server.connections == 2


def test_context_manager_closes_the_client(server):
    """Leaving ``with ApiClient(...)`` releases its connections."""
    server.reply(Reply(200, batch_body()))
    configuration = icasdk.Configuration(host=server.url)
    with icasdk.ApiClient(configuration) as client:
        _get_batch(client)
        assert server.open_connections == 1

    assert _wait_for(lambda: server.open_connections == 0)


def test_socket_options_are_applied_to_new_connections(server, make_client):
    """socket_options reach each new socket: an unknown option makes connecting fail."""
    server.reply(Reply(200, batch_body()))
    unknown_option = [(socket.SOL_SOCKET, 99999, 1)]
    client = make_client(socket_options=unknown_option, retries=0)

    with pytest.raises(icasdk.ApiConnectionError):
        _get_batch(client)
    assert server.requests == []

    client = make_client(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    assert _get_batch(client).status == 200


# -- TLS ----------------------------------------------------------------------


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1: (cert path, key path)."""
    return make_certificate(str(tmp_path))


@pytest.fixture
def tls_server(certificate):
    """A canned server speaking HTTPS with the self-signed certificate."""
    canned = CannedServer().start(tls=server_tls_context(*certificate))
    canned.reply(Reply(200, batch_body()))
    yield canned
    canned.stop()


def _tls_client(tls_server, **settings) -> icasdk.ApiClient:
    settings.setdefault("retries", 0)
    return icasdk.ApiClient(icasdk.Configuration(host=tls_server.url, **settings))


def test_tls_is_verified_against_certifi_by_default(tls_server):
    """A certificate that no known CA signed is refused, and not retried."""
    with _tls_client(tls_server, retries=2) as client:
        with pytest.raises(icasdk.ApiConnectionError, match="failed after 1 attempt"):
            _get_batch(client)

    assert tls_server.requests == []


def test_ssl_ca_cert_setting_trusts_a_private_ca(tls_server, certificate):
    """ssl_ca_cert points verification at another CA bundle."""
    with _tls_client(tls_server, ssl_ca_cert=certificate[0]) as client:
        assert _get_batch(client).status == 200


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_ca_bundle_from_the_environment(tls_server, certificate, monkeypatch, variable):
    """SSL_CERT_FILE or REQUESTS_CA_BUNDLE is used when ssl_ca_cert is not set."""
    monkeypatch.setenv(variable, certificate[0])

    with _tls_client(tls_server) as client:
        assert _get_batch(client).status == 200


def test_verify_ssl_false_skips_verification(tls_server):
    """verify_ssl=False accepts any certificate (urllib3 warns about it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        with _tls_client(tls_server, verify_ssl=False) as client:
            assert _get_batch(client).status == 200


def test_assert_hostname_checks_another_name(certificate):
    """assert_hostname names the host the certificate must be for."""
    cert, key = certificate
    canned = CannedServer().start(tls=server_tls_context(cert, key))
    canned.reply(Reply(200, batch_body()))
    host = f"https://localhost:{canned.port}"
    try:
        config = icasdk.Configuration(host=host, ssl_ca_cert=cert, retries=0)
        with icasdk.ApiClient(config) as client:
            with pytest.raises(icasdk.ApiConnectionError):
                _get_batch(client)

        config.assert_hostname = "127.0.0.1"
        with icasdk.ApiClient(config) as client:
            assert _get_batch(client).status == 200
    finally:
        canned.stop()


def test_client_certificate_is_presented(certificate):
    """cert_file and key_file give the client certificate a server may require."""
    cert, key = certificate
    canned = CannedServer().start(tls=server_tls_context(cert, key, client_ca=cert))
    canned.reply(Reply(200, batch_body()))
    try:
        config = icasdk.Configuration(host=canned.url, ssl_ca_cert=cert, retries=0)
        with icasdk.ApiClient(config) as client:
            with pytest.raises(icasdk.ApiConnectionError):
                _get_batch(client)

        config.cert_file, config.key_file = cert, key
        with icasdk.ApiClient(config) as client:
            assert _get_batch(client).status == 200
    finally:
        canned.stop()


# -- proxies ------------------------------------------------------------------

UPSTREAM = "http://ica.example.test/ica/rest"


def test_proxy_setting_sends_requests_through_the_proxy(server):
    """With proxy=..., requests go to the proxy with the full upstream URL."""
    server.reply(Reply(200, batch_body()))
    config = icasdk.Configuration(
        host=UPSTREAM, proxy=server.url, proxy_headers={"X-Proxy-Team": "bio"}
    )
    with icasdk.ApiClient(config) as client:
        _get_batch(client)

    assert server.last.target.startswith(f"{UPSTREAM}/api/projects/{PROJECT_ID}/")
    assert server.last.header("X-Proxy-Team") == "bio"


def test_proxy_credentials_in_the_url_are_sent_as_proxy_auth(server):
    """user:password in the proxy URL becomes a Proxy-Authorization header."""
    server.reply(Reply(200, batch_body()))
    proxy = server.url.replace("http://", "http://me:pw@")
    with icasdk.ApiClient(icasdk.Configuration(host=UPSTREAM, proxy=proxy)) as client:
        _get_batch(client)

    assert server.last.header("Proxy-Authorization") == "Basic bWU6cHc="


def test_proxy_from_the_environment(server, monkeypatch):
    """HTTP_PROXY is used for an http host when no proxy is configured."""
    server.reply(Reply(200, batch_body()))
    monkeypatch.setenv("HTTP_PROXY", server.url)
    with icasdk.ApiClient(icasdk.Configuration(host=UPSTREAM)) as client:
        _get_batch(client)

    assert server.last.target.startswith(UPSTREAM)


def test_no_proxy_from_the_environment_connects_directly(server, monkeypatch):
    """A host listed in NO_PROXY is reached directly, not through HTTP_PROXY."""
    server.reply(Reply(200, batch_body()))
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    with icasdk.ApiClient(icasdk.Configuration(host=server.url)) as client:
        assert _get_batch(client).status == 200

    assert server.last.target.startswith("/api/projects/")


def test_kept_streams_make_later_calls_fail_not_hang(server, make_client):
    """With every pooled connection held by an unread stream, a call fails in time."""
    server.reply(Reply(200, batch_body()))
    client = make_client(connection_pool_maxsize=1, timeout=(0.5, 0.5), retries=0)
    api = ProjectDataUpdateBatchApi(client)
    kept = api.get_project_data_update_batch(path_params=BATCH_PATH, stream=True)

    started = time.monotonic()
    with pytest.raises(icasdk.ApiConnectionError, match="no free connection"):
        api.get_project_data_update_batch(path_params=BATCH_PATH)

    assert time.monotonic() - started < 3
    kept.response.release_conn()


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), (1, 0), (float("inf"), 1)])
def test_timeout_that_is_not_positive_and_finite_is_refused(
    server, make_client, timeout
):
    """A per-call timeout of zero, below zero, NaN or infinity is refused unsent."""
    api = ProjectDataUpdateBatchApi(make_client())

    with pytest.raises(ValueError, match="timeout must be positive and finite"):
        api.get_project_data_update_batch(path_params=BATCH_PATH, timeout=timeout)
    assert server.requests == []
