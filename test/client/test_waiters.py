"""Waiting for a batch's job against a real server, and the polling rules."""

from __future__ import annotations

import types

import pytest
from canned_server import BATCH_ID, PROJECT_ID, Reply, batch_body, problem

from icasdk import ApiException
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.waiters import WaitTimeout, wait_for_job

BATCH_PATH = {"projectId": PROJECT_ID, "batchId": BATCH_ID}


@pytest.fixture
def api(make_client):
    """The generated API on a client for the canned server."""
    return ProjectDataUpdateBatchApi(make_client())


def job_server(server, statuses, counts=None):
    """Answer batch reads with ``statuses`` in turn; counts for item lists."""
    queue = list(statuses)
    counts = counts or {}

    def handler(request):
        if request.path.endswith("/items"):
            status = dict(request.query)["status"]
            return Reply(200, {"items": [], "totalItemCount": counts.get(status, 0)})
        current = queue.pop(0) if len(queue) > 1 else queue[0]
        return Reply(200, batch_body(current))

    server.handler = handler


def batch_reads(server):
    return [r for r in server.requests if not r.path.endswith("/items")]


def test_waits_until_a_final_status_and_reports_progress(server, api):
    """Polling stops at SUCCEEDED; on_progress gets every status and the counts."""
    job_server(server, ["INITIALIZED", "RUNNING", "SUCCEEDED"], {"UPDATED": 3})
    seen = []

    result = api.wait_for_project_data_update_batch(
        path_params=BATCH_PATH,
        on_progress=lambda status, counts: seen.append((status, counts["UPDATED"])),
        initial_interval=0.01,
        max_interval=0.02,
    )

    assert result.status == "SUCCEEDED" and result.succeeded
    assert result.counts["UPDATED"] == 3 and result.counts["FAILED"] == 0
    assert result.batch.job.status == "SUCCEEDED"
    assert seen == [("INITIALIZED", 3), ("RUNNING", 3), ("SUCCEEDED", 3)]
    assert len(batch_reads(server)) == 3


def test_partially_succeeded_is_its_own_outcome(server, api):
    """PARTIALLY_SUCCEEDED is neither a success nor a failure."""
    job_server(server, ["PARTIALLY_SUCCEEDED"], {"UPDATED": 2, "FAILED": 1})

    result = api.wait_for_project_data_update_batch(path_params=BATCH_PATH)

    assert result.partially_succeeded
    assert not result.succeeded and not result.failed
    assert result.counts["FAILED"] == 1


@pytest.mark.parametrize("status", ["FAILED", "STOPPED"])
def test_failed_and_stopped_end_the_wait(server, api, status):
    """FAILED and STOPPED are final and count as failed."""
    job_server(server, [status])

    result = api.wait_for_project_data_update_batch(path_params=BATCH_PATH)

    assert result.status == status and result.failed


def test_timeout_raises_with_the_last_status(server, api):
    """When the timeout passes first, WaitTimeout says the last status seen."""
    job_server(server, ["RUNNING"])

    with pytest.raises(WaitTimeout, match="still RUNNING after 0.05 s") as caught:
        api.wait_for_project_data_update_batch(
            path_params=BATCH_PATH,
            timeout=0.05,
            initial_interval=0.01,
            max_interval=0.01,
        )

    assert caught.value.last_status == "RUNNING"
    assert caught.value.last_response.body.job.status == "RUNNING"


def test_an_error_while_waiting_raises(server, api):
    """An HTTP error while polling is raised, not swallowed."""
    server.reply(problem(404, "Not Found", "no such batch"))

    with pytest.raises(ApiException) as caught:
        api.wait_for_project_data_update_batch(path_params=BATCH_PATH)

    assert caught.value.status == 404


def response(status):
    return types.SimpleNamespace(body={"job": {"status": status}})


def test_interval_grows_to_its_cap():
    """The poll interval grows by a factor and stops at the cap."""
    statuses = iter(["RUNNING"] * 6 + ["SUCCEEDED"])
    sleeps = []

    wait_for_job(
        lambda: response(next(statuses)),
        timeout=None,
        initial_interval=1.0,
        max_interval=3.0,
        sleep=sleeps.append,
    )

    assert sleeps == [1.0, 1.5, 2.25, 3.0, 3.0, 3.0]


def test_last_sleep_is_cut_to_the_deadline():
    """The wait never sleeps past the deadline; it polls once more at it."""
    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    with pytest.raises(WaitTimeout):
        wait_for_job(
            lambda: response("RUNNING"),
            timeout=2.5,
            initial_interval=1.0,
            max_interval=10.0,
            sleep=sleep,
            clock=lambda: now[0],
        )

    assert sleeps == [1.0, 1.5]


@pytest.mark.parametrize(("initial", "cap"), [(0, 1), (2, 1), (-1, 5)])
def test_bad_intervals_are_refused(initial, cap):
    """Intervals must be positive and the cap at least the first interval."""
    with pytest.raises(ValueError, match="initial_interval"):
        wait_for_job(
            lambda: response("RUNNING"), initial_interval=initial, max_interval=cap
        )


def test_body_without_a_job_status_is_a_clear_error():
    """A body with no job status is an error naming what is missing."""
    from icasdk.exceptions import OpenApiException

    with pytest.raises(OpenApiException, match="no job status"):
        wait_for_job(lambda: types.SimpleNamespace(body={"job": None}))


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"timeout": (1, 2)}, TypeError),
        ({"timeout": "5"}, TypeError),
        ({"timeout": float("nan")}, ValueError),
        ({"timeout": -1}, ValueError),
        ({"initial_interval": float("nan")}, ValueError),
        ({"max_interval": -1}, ValueError),
    ],
)
def test_bad_wait_settings_are_refused_by_name(server, api, options, error):
    """timeout and the intervals must be positive, finite seconds; nothing is sent."""
    (name,) = options

    with pytest.raises(error, match=name):
        api.wait_for_project_data_update_batch(path_params=BATCH_PATH, **options)
    assert server.requests == []
