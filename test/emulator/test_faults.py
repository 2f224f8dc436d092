"""Injected faults: each kind, their counts, probabilities, and the control route."""

from __future__ import annotations

import email.utils
import json
import time

import pytest
import urllib3

from icasdk.emulator import Emulator

from .helpers import PROBLEM, Client, group

CREATE = "createProjectDataUpdateBatch"
GET = "getProjectDataUpdateBatch"


@pytest.fixture
def post(emu, client, project):
    """Send one create of a new file; the urllib3 response."""

    def send(**kwargs):
        body = {"dataUpdateGroups": [group(emu.create_data(project, "/a"))]}
        return client.call(
            "POST", "/api/projects/%s/dataUpdateBatch" % project, body=body, **kwargs
        )

    return send


def test_latency_delays_the_answer(emu, post):
    """A latency fault waits its delay, then answers as usual."""
    emu.faults.inject("latency", delay=0.3, count=1)

    started = time.monotonic()
    slow = post()
    middle = time.monotonic()
    fast = post()

    assert slow.status == fast.status == 201
    assert middle - started >= 0.3
    assert time.monotonic() - middle < 0.3


@pytest.mark.parametrize("kind, status", [("throttle", 429), ("unavailable", 503)])
def test_throttle_and_unavailable_say_when_to_retry(emu, post, kind, status):
    """429 and 503 faults carry Retry-After in seconds, for count requests only."""
    emu.faults.inject(kind, operation=CREATE, count=2, retry_after=3)

    answers = [post() for _ in range(3)]

    assert [a.status for a in answers] == [status, status, 201]
    assert answers[0].headers["Retry-After"] == "3"
    assert answers[0].headers["Content-Type"] == PROBLEM
    assert emu.batches_created == 1


def test_retry_after_can_be_an_http_date(emu, post):
    """With retry_after_date, Retry-After is an HTTP-date in the near future."""
    emu.faults.inject("unavailable", count=1, retry_after=2, retry_after_date=True)

    answer = post()
    when = email.utils.parsedate_to_datetime(answer.headers["Retry-After"])

    assert answer.status == 503
    assert 0 < when.timestamp() - time.time() <= 4


def test_server_error_is_a_500_problem(emu, post):
    """A server_error fault answers a 500 Problem and creates nothing."""
    emu.faults.inject("server_error", count=1)

    answer = post()

    assert answer.status == 500 and json.loads(answer.data)["status"] == 500
    assert emu.batches_created == 0


def test_bad_gateway_is_html_like_a_proxy(emu, post):
    """A bad_gateway fault answers 502 with an HTML body, as a proxy would."""
    emu.faults.inject("bad_gateway", count=1)

    answer = post(check=False)

    assert answer.status == 502
    assert answer.headers["Content-Type"] == "text/html"
    assert answer.data.startswith(b"<html>")


def test_disconnect_closes_before_processing(emu, post):
    """A disconnect fault closes the connection unanswered; nothing is created."""
    emu.faults.inject("disconnect", operation=CREATE, count=1)

    with pytest.raises(urllib3.exceptions.ProtocolError):
        post()

    assert emu.batches_created == 0
    assert emu.requests[-1].status is None
    assert post().status == 201


def test_disconnect_after_processing_leaves_the_batch(emu, post):
    """A disconnect_after fault creates the batch, then closes unanswered."""
    emu.faults.inject("disconnect_after", operation=CREATE, count=1)

    with pytest.raises(urllib3.exceptions.ProtocolError):
        post()

    assert emu.batches_created == 1
    assert emu.requests[-1].status is None


def test_truncate_cuts_the_body_short(emu, post):
    """A truncate fault processes the request and sends half the body."""
    emu.faults.inject("truncate", operation=CREATE, count=1)

    with pytest.raises(urllib3.exceptions.ProtocolError):
        post()

    assert emu.batches_created == 1
    assert emu.requests[-1].status == 201


def test_invalid_json_keeps_the_status(emu, post):
    """An invalid_json fault answers 201 with a body that does not parse."""
    emu.faults.inject("invalid_json", operation=CREATE, count=1)

    answer = post(check=False)

    assert answer.status == 201
    with pytest.raises(ValueError):
        json.loads(answer.data)
    assert emu.batches_created == 1


def test_a_fault_acts_only_on_its_operation(emu, client, project, post):
    """A fault on getProjectDataUpdateBatch leaves create alone."""
    emu.faults.inject("server_error", operation=GET)

    batch = json.loads(post().data)
    answer = client.call(
        "GET", "/api/projects/%s/dataUpdateBatch/%s" % (project, batch["id"])
    )

    assert answer.status == 500
    assert len(emu.faults.active) == 1
    emu.faults.clear()
    assert emu.faults.active == []


def test_after_lets_requests_through_first(emu, post):
    """after=N lets N matching requests through before the fault acts."""
    emu.faults.inject("throttle", after=2, count=1)

    assert [post().status for _ in range(4)] == [201, 201, 429, 201]


def test_a_seeded_probability_is_repeatable():
    """The same probability and seed fault the same requests every time."""
    patterns = []
    for _ in range(2):
        with Emulator(pace="step") as emu:
            client = Client(emu)
            project = emu.create_project("p")
            emu.faults.inject("throttle", probability=0.5, seed=42)
            path = "/api/projects/%s/dataUpdateBatch/%s" % (
                project,
                "0c0f6a2e-8d5a-4b8e-9d0a-2b8f0e1c9a11",
            )
            patterns.append([client.call("GET", path).status for _ in range(20)])

    assert patterns[0] == patterns[1]
    assert set(patterns[0]) == {404, 429}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "gremlins"}, "fault kind"),
        ({"kind": "throttle", "operation": "deleteEverything"}, "operation"),
        ({"kind": "throttle", "count": 0}, "count"),
        ({"kind": "throttle", "probability": 2}, "probability"),
    ],
)
def test_a_bad_fault_is_refused(emu, kwargs, message):
    """Unknown kinds and operations, and bad counts, are ValueErrors."""
    with pytest.raises(ValueError, match=message):
        emu.faults.inject(**kwargs)


def test_faults_can_be_set_over_http(emu, client, post):
    """POST /_emulator/faults injects, GET lists, DELETE clears."""
    made = client.control(
        "POST", "/faults", {"kind": "unavailable", "count": 1, "operation": CREATE}
    )
    listed = json.loads(client.control("GET", "/faults").data)
    first, second = post(), post()
    client.control("POST", "/faults", {"kind": "throttle"})
    cleared = client.control("DELETE", "/faults")
    third = post()
    refused = client.control("POST", "/faults", {"kind": "nope"})

    assert made.status == 201 and json.loads(made.data)["kind"] == "unavailable"
    assert [f["kind"] for f in listed] == ["unavailable"]
    assert [first.status, second.status, third.status] == [503, 201, 201]
    assert cleared.status == 200
    assert refused.status == 400 and "fault kind" in json.loads(refused.data)["detail"]
