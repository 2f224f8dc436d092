"""The emulator checked by schemathesis against the API definition.

Schemathesis generates requests for each of the four operations from the
definition: valid ones (positive) and ones that break it (negative), with
and without a credential. The emulator must answer each with a status the
definition declares, the declared content type and headers, a body that
fits the declared schema, never a 5xx, and (for negative requests) a 4xx.
Every request names the real project, and every other valid one the real
batch and item too, so the success answers are checked as well as the errors.

Schemathesis 4 needs Python 3.11 or later; on older Pythons this module is
skipped (the emulator's own tests still check every answer they get against
the definition with openapi-schema-validator).
"""

from __future__ import annotations

import itertools
import json
import os
import pathlib
import typing

import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis 4 needs Python 3.11+"
)

from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis import checks as core_checks  # noqa: E402
from schemathesis.specs.openapi import checks as openapi_checks  # noqa: E402

import icasdk  # noqa: E402
from icasdk.apis.tags.project_data_update_batch_api import (  # noqa: E402
    ProjectDataUpdateBatchApi,
)
from icasdk.emulator import Emulator, Pace  # noqa: E402

pytestmark = pytest.mark.timeout(120)

DEFINITION = json.loads(
    (
        pathlib.Path(icasdk.__file__).parent
        / "spec"
        / "ica-data-update-batch.openapi.json"
    ).read_text(encoding="utf-8")
)
SCHEMA = schemathesis.openapi.from_dict(DEFINITION)
OPERATIONS = {
    result.ok().definition.raw["operationId"]: result.ok()
    for result in SCHEMA.get_all_operations()
}
CONFORMANCE = [
    core_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]
EXAMPLES = int(os.environ.get("ICASDK_FUZZ_EXAMPLES", "60"))
CHECKED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("ICASDK_FUZZ_RANDOM") is None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


class Live(typing.NamedTuple):
    emu: Emulator
    ids: typing.Dict[str, str]


@pytest.fixture(scope="module")
def live() -> typing.Iterator[Live]:
    """An emulator whose batches move on their own, with a real batch and item."""
    with Emulator(pace=Pace(2_000, phase_seconds=0.05)) as emu:
        project = emu.create_project("conformance")
        data = [emu.create_data(project, f"/c/{n}.fastq") for n in range(5)]
        with icasdk.ApiClient(emu.configuration()) as client:
            api = ProjectDataUpdateBatchApi(client)
            created = api.create_project_data_update_batch(
                path_params={"projectId": project},
                body={"dataUpdateGroups": [{"dataIds": data}]},
            )
            batch = {"projectId": project, "batchId": created.body["id"]}
            page = api.get_project_data_update_batch_items(path_params=batch)
        ids = dict(batch, itemId=page.body["items"][0]["id"])
        yield Live(emu, ids)


def _send(live: Live, case, real: bool, credential: bool):
    """Send a generated case, with real ids when asked; the response."""
    if case.path_parameters is not None and "projectId" in case.path_parameters:
        case.path_parameters["projectId"] = live.ids["projectId"]
        if real:
            for name in ("batchId", "itemId"):
                if name in case.path_parameters:
                    case.path_parameters[name] = live.ids[name]
    headers = {"X-API-Key": live.emu.api_key} if credential else {}
    response = case.call(base_url=live.emu.base_url, headers=headers, timeout=10)
    event(f"{case.method} answered {response.status_code}")
    return response, headers


def _record(figures, operation: str, mode: str, status: int) -> None:
    key = f"schemathesis: {operation} ({mode}) statuses"
    counts = figures.setdefault(key, {})
    counts[str(status)] = counts.get(str(status), 0) + 1


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_valid_requests_get_conforming_answers(live, figures, operation):
    """Generated valid requests: declared status, type and schema; never 5xx."""

    turns = itertools.count()

    @CHECKED
    @given(case=OPERATIONS[operation].as_strategy())
    def check(case):
        real = next(turns) % 2 == 0
        response, headers = _send(live, case, real, credential=True)
        _record(figures, operation, "positive", response.status_code)
        case.validate_response(response, checks=CONFORMANCE, headers=headers)

    check()


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_invalid_requests_are_refused_conformingly(live, figures, operation):
    """Generated invalid requests: a declared 4xx Problem; never 5xx."""
    strategy = OPERATIONS[operation].as_strategy(
        generation_mode=GenerationMode.NEGATIVE
    )

    @CHECKED
    @given(case=strategy)
    def check(case):
        response, headers = _send(live, case, real=False, credential=True)
        _record(figures, operation, "negative", response.status_code)
        case.validate_response(
            response,
            checks=CONFORMANCE + [openapi_checks.negative_data_rejection],
            headers=headers,
        )

    check()


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_requests_without_a_credential_get_a_conforming_401(live, operation):
    """Without a credential every generated request gets a conforming 401."""

    turns = itertools.count()

    @settings(CHECKED, max_examples=max(5, EXAMPLES // 6))
    @given(case=OPERATIONS[operation].as_strategy())
    def check(case):
        real = next(turns) % 2 == 0
        response, headers = _send(live, case, real, credential=False)
        assert response.status_code == 401
        case.validate_response(response, checks=CONFORMANCE, headers=headers)

    check()
