"""Every injected fault on every operation: what the caller sees, what reached the
emulator, and that no batch was ever created twice.

Each case injects one fault on one of the four operations of ``world``'s
emulator, makes the call through icasdk, and checks three things: the
outcome (a result after retries, or the documented exception with a useful
message), how many requests reached the emulator, and how many batches the
emulator holds afterwards. Retries record their waits instead of sleeping,
so ``Retry-After`` is checked without waiting for it.
"""

from __future__ import annotations

import logging
import socket
import typing

import pytest

import icasdk
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.retries import RETRY_AFTER_MAX, RetryPolicy

from .conftest import World, group
from .support import BATCH_ID, ITEM_ID, PROJECT_ID, wait_until

pytestmark = pytest.mark.timeout(30)

CREATE = "createProjectDataUpdateBatch"
GET_BATCH = "getProjectDataUpdateBatch"
GET_ITEMS = "getProjectDataUpdateBatchItems"
GET_ITEM = "getProjectDataUpdateBatchItem"
OPERATIONS = (CREATE, GET_BATCH, GET_ITEMS, GET_ITEM)

READ_TIMEOUT = 0.5
"""The read timeout of the latency cases: well under the injected delay."""
LATENCY = 1.2


def call(api: ProjectDataUpdateBatchApi, world: World, operation: str, **kwargs):
    """Make one call of ``operation`` on ``world``'s batch; the ApiResponse."""
    batch = {"projectId": world.project_id, "batchId": world.batch_id}
    if operation == CREATE:
        return api.create_project_data_update_batch(
            path_params={"projectId": world.project_id},
            body={"dataUpdateGroups": [group(world.data_ids[:1], "fault=1")]},
            **kwargs,
        )
    if operation == GET_BATCH:
        return api.get_project_data_update_batch(path_params=batch, **kwargs)
    if operation == GET_ITEMS:
        return api.get_project_data_update_batch_items(path_params=batch, **kwargs)
    return api.get_project_data_update_batch_item(
        path_params=dict(batch, itemId=world.item_ids[0]), **kwargs
    )


class Expect(typing.NamedTuple):
    """What one fault on one operation must lead to."""

    error: typing.Optional[type]
    """None for a result; else the exception class the caller gets."""
    attempts: int
    """Requests that reached the emulator."""
    batches: int
    """New batches in the emulator afterwards (0 or 1, never more)."""
    message: typing.Tuple[str, ...] = ()
    """Words the exception's message must contain."""


# name: (fault settings, expectation for GETs, expectation for the create POST)
FAULTS: typing.Dict[str, typing.Tuple[dict, Expect, Expect]] = {
    "429 Retry-After seconds": (
        {"kind": "throttle", "count": 2, "retry_after": 3},
        Expect(None, 3, 0),
        Expect(None, 3, 1),
    ),
    "429 Retry-After HTTP date": (
        {"kind": "throttle", "count": 2, "retry_after": 3, "retry_after_date": True},
        Expect(None, 3, 0),
        Expect(None, 3, 1),
    ),
    "503": (
        {"kind": "unavailable", "count": 2, "retry_after": 1},
        Expect(None, 3, 0),
        Expect(icasdk.ServiceException, 1, 0, ("503", "unavailable")),
    ),
    "500": (
        {"kind": "server_error", "count": 1},
        Expect(icasdk.ServiceException, 1, 0, ("500", "server_error")),
        Expect(icasdk.ServiceException, 1, 0, ("500", "server_error")),
    ),
    "latency past the read timeout": (
        {"kind": "latency", "count": 1, "delay": LATENCY},
        Expect(None, 2, 0),
        Expect(icasdk.ApiTimeoutError, 1, 1, ("POST", "timed out", "1 attempt")),
    ),
    "closed before processing": (
        {"kind": "disconnect", "count": 1},
        Expect(None, 2, 0),
        Expect(icasdk.ApiConnectionError, 1, 0, ("POST", "failed", "1 attempt")),
    ),
    "closed after processing": (
        {"kind": "disconnect_after", "count": 1},
        Expect(None, 2, 0),
        Expect(icasdk.ApiConnectionError, 1, 1, ("POST", "failed", "1 attempt")),
    ),
    "truncated body": (
        {"kind": "truncate", "count": 1},
        Expect(None, 2, 0),
        Expect(icasdk.ApiConnectionError, 1, 1, ("POST", "1 attempt")),
    ),
    "invalid JSON with a success status": (
        {"kind": "invalid_json", "count": 1},
        Expect(icasdk.ApiValueError, 1, 0, ("JSON",)),
        Expect(icasdk.ApiValueError, 1, 1, ("JSON",)),
    ),
    "HTML 502 from a proxy": (
        {"kind": "bad_gateway", "count": 1},
        Expect(None, 2, 0),
        Expect(icasdk.ServiceException, 1, 0, ("502", "Bad Gateway")),
    ),
}


def _settled(world: World, attempts: int) -> bool:
    """Wait until ``attempts`` requests are logged (a slow one finishes late)."""
    return wait_until(lambda: len(world.emu.requests) >= attempts, 3.0)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_on_operation(
    world, make_client, sleeps, caplog, figures, fault, operation
):
    """Each fault on each operation: the right outcome, requests and batch count."""
    settings, on_get, on_post = FAULTS[fault]
    expect = on_post if operation == CREATE else on_get
    api = ProjectDataUpdateBatchApi(make_client(world.emu))
    before = world.emu.batches_created
    world.emu.faults.inject(operation=operation, **settings)
    timeout = (5, READ_TIMEOUT) if settings["kind"] == "latency" else None
    caplog.set_level(logging.WARNING, logger="icasdk")

    if expect.error is None:
        response = call(api, world, operation, timeout=timeout)
        assert 200 <= response.status <= 299
        outcome = f"{response.status} after {len(sleeps.waits)} retries"
    else:
        with pytest.raises(expect.error) as caught:
            call(api, world, operation, timeout=timeout)
        for word in expect.message:
            assert word in str(caught.value), str(caught.value)
        outcome = type(caught.value).__name__

    assert _settled(world, expect.attempts)
    assert len(world.emu.requests) == expect.attempts, world.emu.requests
    assert world.emu.batches_created - before == expect.batches
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == len(sleeps.waits) == expect.attempts - 1
    figures[f"fault: {fault} on {operation}"] = {
        "caller sees": outcome,
        "requests": len(world.emu.requests),
        "new batches": world.emu.batches_created - before,
        "waits": [round(wait, 2) for wait in sleeps.waits],
    }


@pytest.mark.parametrize("operation", OPERATIONS)
def test_retry_after_is_honoured_as_asked(world, make_client, sleeps, operation):
    """Retry-After in seconds waits exactly that; as an HTTP date, about that."""
    api = ProjectDataUpdateBatchApi(make_client(world.emu))
    world.emu.faults.inject("throttle", operation=operation, count=1, retry_after=7)
    world.emu.faults.inject(
        "throttle", operation=operation, count=1, retry_after=4, retry_after_date=True
    )

    call(api, world, operation)

    assert sleeps.waits[0] == 7
    assert 3 <= sleeps.waits[1] <= 6


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_huge_retry_after_is_capped(world, make_client, sleeps, operation):
    """A Retry-After of a day is capped at the policy's limit."""
    api = ProjectDataUpdateBatchApi(make_client(world.emu))
    world.emu.faults.inject("throttle", operation=operation, count=1, retry_after=86400)

    call(api, world, operation)

    assert sleeps.waits == [RETRY_AFTER_MAX]


PERSISTENT = {
    "429": ("throttle", icasdk.TooManyRequestsException, "429"),
    "503": ("unavailable", icasdk.ServiceException, "503"),
    "HTML 502": ("bad_gateway", icasdk.ServiceException, "502"),
    "closed before processing": ("disconnect", icasdk.ApiConnectionError, "4 attempts"),
    "latency": ("latency", icasdk.ApiTimeoutError, "timed out after 4 attempts"),
}


@pytest.mark.parametrize("operation", [GET_BATCH, GET_ITEMS, GET_ITEM])
@pytest.mark.parametrize("fault", list(PERSISTENT))
def test_a_fault_that_never_clears_ends_in_its_error(
    world, make_client, sleeps, fault, operation
):
    """A GET that keeps failing stops after 1 + 3 retries with the last error."""
    kind, error, words = PERSISTENT[fault]
    api = ProjectDataUpdateBatchApi(make_client(world.emu))
    world.emu.faults.inject(kind, operation=operation, delay=0.3, retry_after=1)
    timeout = (5, 0.1) if kind == "latency" else None

    with pytest.raises(error) as caught:
        call(api, world, operation, timeout=timeout)

    assert words in str(caught.value)
    assert _settled(world, 4)
    assert len(world.emu.requests) == 4
    assert len(sleeps.waits) == 3
    if kind == "bad_gateway":
        assert caught.value.problem is None
        assert "<html>" in str(caught.value)


def test_persistent_429_on_create_ends_without_a_batch(world, make_client, sleeps):
    """A create throttled on every attempt raises 429 and leaves no batch."""
    api = ProjectDataUpdateBatchApi(make_client(world.emu))
    before = world.emu.batches_created
    world.emu.faults.inject("throttle", operation=CREATE, retry_after=2)

    with pytest.raises(icasdk.TooManyRequestsException) as caught:
        call(api, world, CREATE)

    assert caught.value.status == 429
    assert caught.value.headers["Retry-After"] == "2"
    assert len(world.emu.requests) == 4
    assert world.emu.batches_created == before


@pytest.mark.parametrize("operation", OPERATIONS)
def test_connection_refused_is_retried_then_reported(make_client, sleeps, operation):
    """Nobody listening: every operation, POST too, is tried 4 times, then fails."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(host=f"http://127.0.0.1:{port}/ica/rest")
    api = ProjectDataUpdateBatchApi(client)
    fake = World(None, PROJECT_ID, ["fil." + "0" * 32], BATCH_ID, [ITEM_ID])

    with pytest.raises(icasdk.ApiConnectionError) as caught:
        call(api, fake, operation)

    assert "after 4 attempts" in str(caught.value)
    assert caught.value.attempts == 4
    assert len(sleeps.waits) == 3


def test_random_faults_never_duplicate_a_batch(world, make_client, figures):
    """300 calls under seeded random faults: documented outcomes, one batch at most."""
    api = ProjectDataUpdateBatchApi(make_client(world.emu))
    kinds = (
        "throttle",
        "unavailable",
        "server_error",
        "bad_gateway",
        "disconnect",
        "disconnect_after",
        "truncate",
        "invalid_json",
    )
    for n, kind in enumerate(kinds):
        world.emu.faults.inject(kind, probability=0.04, seed=n, retry_after=1)

    outcomes: typing.Dict[str, int] = {}
    for n in range(300):
        operation = OPERATIONS[n % 4]
        before = world.emu.batches_created
        try:
            response = call(api, world, operation)
        except icasdk.OpenApiException as err:
            outcome = type(err).__name__
            created = world.emu.batches_created - before
            assert created in (0, 1), (operation, outcome)
        else:
            outcome = "ok"
            if operation == CREATE:
                assert world.emu.batches_created - before == 1
                assert response.body["id"] in {b.id for b in world.emu.batches}
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    figures["random faults: outcomes of 300 calls"] = outcomes
    figures["random faults: requests that reached the emulator"] = len(
        world.emu.requests
    )
    assert outcomes.get("ok", 0) >= 200


def test_pager_retries_a_failed_page_and_never_returns_a_partial_list(
    world, make_client
):
    """A page that fails once is retried; one that keeps failing raises."""
    project, emu = world.project_id, world.emu
    data_ids = [emu.create_data(project, f"/many/f{n}.bam") for n in range(25)]
    api = ProjectDataUpdateBatchApi(make_client(emu))
    created = api.create_project_data_update_batch(
        path_params={"projectId": project},
        body={"dataUpdateGroups": [group(data_ids)]},
    )
    batch = {"projectId": project, "batchId": created.body["id"]}

    emu.faults.inject("unavailable", operation=GET_ITEMS, after=1, count=1)
    emu.faults.inject("disconnect", operation=GET_ITEMS, after=2, count=1)
    items = list(
        api.iter_project_data_update_batch_items(
            path_params=batch, query_params={"pageSize": 10}
        )
    )
    assert sorted(item["request"]["dataId"] for item in items) == sorted(data_ids)

    emu.faults.clear()
    emu.faults.inject("server_error", operation=GET_ITEMS, after=1)
    seen = []
    with pytest.raises(icasdk.ServiceException):
        for item in api.iter_project_data_update_batch_items(
            path_params=batch, query_params={"pageSize": 10}
        ):
            seen.append(item)
    assert len(seen) == 10


def test_waiter_rides_out_faults_to_the_final_status(world, make_client, sleeps):
    """wait_for_... reaches SUCCEEDED while its polls meet 429, 503 and drops."""
    emu = world.emu
    client = make_client(emu)
    api = ProjectDataUpdateBatchApi(client)
    for n, kind in enumerate(("throttle", "unavailable", "disconnect", "truncate")):
        emu.faults.inject(kind, operation=GET_BATCH, probability=0.1, seed=n)
    emu.faults.inject("unavailable", operation=GET_ITEMS, probability=0.1, seed=9)
    seen = []

    def on_progress(status, counts):
        seen.append(status)
        emu.advance(world.batch_id)

    result = api.wait_for_project_data_update_batch(
        path_params={"projectId": world.project_id, "batchId": world.batch_id},
        timeout=20,
        on_progress=on_progress,
        initial_interval=0.01,
        max_interval=0.02,
    )

    assert result.status == "SUCCEEDED"
    assert result.counts["UPDATED"] == 3
    assert seen[-1] == "SUCCEEDED"
    assert len(sleeps.waits) > 0


def test_retry_policy_can_be_turned_off(world, sleeps):
    """retries=0: the first 503 is the caller's, and only one request was sent."""
    configuration = world.emu.configuration()
    configuration.retries = RetryPolicy(total=0, sleep=sleeps)
    world.emu.faults.inject("unavailable", operation=GET_BATCH, count=1)

    with icasdk.ApiClient(configuration) as client:
        with pytest.raises(icasdk.ServiceException):
            call(ProjectDataUpdateBatchApi(client), world, GET_BATCH)

    assert len(world.emu.requests) == 1
    assert sleeps.waits == []
