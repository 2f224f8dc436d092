"""Fixtures for the client tests: a canned server and clients pointed at it."""

from __future__ import annotations

import typing

import pytest
from canned_server import CannedServer, RecordingSleep


@pytest.fixture
def server() -> typing.Iterator[CannedServer]:
    """A canned server, started on a free port and stopped after the test."""
    canned = CannedServer().start()
    yield canned
    canned.stop()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No host, proxy or CA settings from the machine's environment, in every test."""
    for name in (
        "ICAV2_BASE_URL",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sleep() -> RecordingSleep:
    """A sleep function that records the waits it is asked for."""
    return RecordingSleep()


@pytest.fixture
def make_client(server: CannedServer, sleep: RecordingSleep):
    """Build ApiClients on the canned server whose retries never really wait."""
    from icasdk import ApiClient, Configuration
    from icasdk.retries import RetryPolicy

    clients = []

    def make(**settings: typing.Any) -> ApiClient:
        settings.setdefault("host", server.url + "/ica/rest")
        settings.setdefault("api_key", {"ApiKeyAuth": "test-key-123"})
        settings.setdefault("retries", RetryPolicy(sleep=sleep))
        client = ApiClient(Configuration(**settings))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
