"""Fixtures of the reliability suite: an emulator with a batch, clients, figures.

``world`` is an emulator in step mode with one project, a few files and one
batch (with its items) made before the test starts, so every operation has
something real to act on. ``make_client`` builds ApiClients on it whose
retries record their waits instead of sleeping. ``figures`` collects what
the suite measured; with ``ICASDK_RELIABILITY_FIGURES=<file>`` it is
written there as JSON at the end of the session.
"""

from __future__ import annotations

import json
import os
import typing

import pytest

import icasdk
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.emulator import Emulator
from icasdk.retries import RetryPolicy

from .support import FIGURES_VARIABLE, RecordingSleep

ENVIRONMENT = (
    "ICAV2_BASE_URL",
    "ICAV2_ACCESS_TOKEN",
    "ICAV2_X_API_KEY",
    "ICAV2_PROJECT_ID",
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
)

_FIGURES: typing.Dict[str, typing.Any] = {}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No host, credential, proxy or CA bundle from the machine's environment."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def figures() -> typing.Iterator[typing.Dict[str, typing.Any]]:
    """What the suite measured, by name; written out at the end when asked."""
    yield _FIGURES
    target = os.environ.get(FIGURES_VARIABLE)
    if target and _FIGURES:
        with open(target, "w", encoding="utf-8") as out:
            json.dump(_FIGURES, out, indent=2, sort_keys=True, default=str)


class World(typing.NamedTuple):
    """An emulator with a project, its files, and one batch with its items."""

    emu: Emulator
    project_id: str
    data_ids: typing.List[str]
    batch_id: str
    item_ids: typing.List[str]


@pytest.fixture
def world() -> typing.Iterator[World]:
    """A step-mode emulator holding one batch of three files, request log empty."""
    with Emulator(pace="step") as emu:
        project_id = emu.create_project("reliability")
        data_ids = [emu.create_data(project_id, f"/reads/s{n}.fastq") for n in range(3)]
        with icasdk.ApiClient(emu.configuration()) as client:
            api = ProjectDataUpdateBatchApi(client)
            created = api.create_project_data_update_batch(
                path_params={"projectId": project_id},
                body={"dataUpdateGroups": [group(data_ids)]},
            )
            batch_id = created.body["id"]
            page = api.get_project_data_update_batch_items(
                path_params={"projectId": project_id, "batchId": batch_id}
            )
            item_ids = [item["id"] for item in page.body["items"]]
        emu.clear_requests()
        yield World(emu, project_id, data_ids, batch_id, item_ids)


def group(data_ids: typing.Sequence[str], tag: str = "run=42") -> dict:
    """A DataUpdateGroup body adding one user tag to ``data_ids``."""
    return {"dataIds": list(data_ids), "userTags": {"addTags": [tag]}}


@pytest.fixture
def sleeps() -> RecordingSleep:
    """The waits asked for by the retries of clients from ``make_client``."""
    return RecordingSleep()


@pytest.fixture
def make_client(sleeps: RecordingSleep):
    """Build ApiClients (default: on ``world``'s emulator) that never really wait."""
    clients: typing.List[icasdk.ApiClient] = []

    def make(emu: typing.Optional[Emulator] = None, **settings: typing.Any):
        if emu is not None:
            settings.setdefault("host", emu.base_url)
            settings.setdefault("api_key", {"ApiKeyAuth": emu.api_key})
        settings.setdefault("retries", RetryPolicy(sleep=sleeps))
        client = icasdk.ApiClient(icasdk.Configuration(**settings))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
