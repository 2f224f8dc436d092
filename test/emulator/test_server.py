"""The HTTP side: auth, content negotiation, gzip, keep-alive, limits, threads."""

from __future__ import annotations

import gzip
import http.client
import json
import threading

import pytest

from icasdk.emulator import Emulator

from .helpers import PROBLEM, V3, Client, check_response, group


def _get_batch(client, project, batch_id, **headers):
    path = "/api/projects/%s/dataUpdateBatch/%s" % (project, batch_id)
    return client.call("GET", path, headers=headers)


@pytest.fixture
def batch(emu, client, project):
    """A batch of one file."""
    return client.create(project, group(emu.create_data(project, "/a")))["id"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": None},
        {"X-API-Key": "wrong"},
        {"X-API-Key": None, "Authorization": "Bearer wrong"},
        {"X-API-Key": None, "Authorization": "Basic dXNlcjpwYXNz"},
        {"X-API-Key": None, "Authorization": "Bearer "},
    ],
)
def test_a_missing_or_wrong_credential_is_401(client, project, batch, headers):
    """No credential, or one matching no seeded one, is a 401 Problem."""
    response = _get_batch(client, project, batch, **headers)

    assert response.status == 401
    assert response.headers["Content-Type"] == PROBLEM
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_the_bearer_token_and_added_keys_work(emu, client, project, batch):
    """The seeded bearer token and credentials added later are accepted."""
    emu.add_credential(api_key="k2", access_token="t2")

    by_token = _get_batch(
        client,
        project,
        batch,
        **{"X-API-Key": None, "Authorization": "Bearer " + emu.access_token},
    )
    by_key = _get_batch(client, project, batch, **{"X-API-Key": "k2"})
    by_new_token = _get_batch(
        client, project, batch, **{"X-API-Key": None, "Authorization": "bearer t2"}
    )

    assert [by_token.status, by_key.status, by_new_token.status] == [200, 200, 200]


def test_credentials_are_not_interchangeable(emu, client, project, batch):
    """An API key sent as a bearer token is refused."""
    response = _get_batch(
        client,
        project,
        batch,
        **{"X-API-Key": None, "Authorization": "Bearer " + emu.api_key},
    )

    assert response.status == 401


@pytest.mark.parametrize(
    "accept, status",
    [
        (None, 200),
        ("*/*", 200),
        ("application/*", 200),
        (V3, 200),
        ("application/problem+json, " + V3 + ";charset=UTF-8", 200),
        ("application/json", 400),
        ("text/html, application/problem+json", 400),
        (V3 + ";q=0, text/plain", 400),
    ],
)
def test_accept_must_admit_the_api_type(client, project, batch, accept, status):
    """An Accept admitting neither the v3 type nor a wildcard is a 400 Problem."""
    response = _get_batch(client, project, batch, Accept=accept)

    assert response.status == status
    if status == 400:
        assert json.loads(response.data)["parameters"] == {"Accept": "must admit " + V3}


@pytest.mark.parametrize(
    "content_type, status",
    [
        (V3, 201),
        ("application/json", 201),
        ("application/json; charset=utf-8", 201),
        ("text/plain", 415),
        ("application/xml", 415),
        (None, 415),
    ],
)
def test_the_body_must_be_one_of_the_json_types(
    emu, client, project, content_type, status
):
    """A create body other than the two declared JSON types is a 415 Problem."""
    body = {"dataUpdateGroups": [group(emu.create_data(project, "/a"))]}

    response = client.call(
        "POST",
        "/api/projects/%s/dataUpdateBatch" % project,
        body=body,
        headers={"Content-Type": content_type},
    )

    assert response.status == status
    assert emu.batches_created == (1 if status == 201 else 0)


def test_gzip_when_asked(client, project, batch):
    """Accept-Encoding: gzip gets a gzipped body; without it, plain JSON."""
    path = "/api/projects/%s/dataUpdateBatch/%s" % (project, batch)
    zipped = client.pool.request(
        "GET",
        client.emu.base_url + path,
        decode_content=False,
        headers=dict(client.headers, **{"Accept-Encoding": "gzip"}),
    )
    plain = client.pool.request(
        "GET",
        client.emu.base_url + path,
        headers=dict(client.headers, **{"Accept-Encoding": "identity"}),
    )

    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.data))["id"] == batch
    assert "Content-Encoding" not in plain.headers
    assert json.loads(plain.data)["id"] == batch


def test_connections_are_kept_alive(emu, project, batch):
    """Several requests travel over one HTTP/1.1 connection."""
    host, port = emu.origin.split("//")[1].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    path = "/ica/rest/api/projects/%s/dataUpdateBatch/%s" % (project, batch)

    sockets = []
    for _ in range(3):
        connection.request("GET", path, headers={"X-API-Key": emu.api_key})
        response = connection.getresponse()
        response.read()
        sockets.append(connection.sock)
        assert response.status == 200 and response.version == 11

    assert sockets[0] is sockets[1] is sockets[2] is not None
    connection.close()


def test_a_chunked_body_is_read(emu, project):
    """A create sent with chunked transfer encoding is understood."""
    host, port = emu.origin.split("//")[1].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    body = json.dumps({"dataUpdateGroups": [group(emu.create_data(project, "/a"))]})

    connection.request(
        "POST",
        "/ica/rest/api/projects/%s/dataUpdateBatch" % project,
        body=iter([body[:10].encode(), body[10:].encode()]),
        headers={"X-API-Key": emu.api_key, "Content-Type": V3},
        encode_chunked=True,
    )
    response = connection.getresponse()

    assert response.status == 201, response.read()
    connection.close()


def test_unknown_paths_and_methods(client, project):
    """An unknown path is a 404 Problem; a wrong method a 405 with Allow."""
    missing = client.call("GET", "/api/nothing")
    wrong = client.call("DELETE", "/api/projects/%s/dataUpdateBatch" % project)

    assert missing.status == 404
    assert missing.headers["Content-Type"] == PROBLEM
    assert wrong.status == 405 and wrong.headers["Allow"] == "POST"
    assert json.loads(wrong.data)["status"] == 405


def test_percent_encoded_ids_cannot_change_the_route(client):
    """An id holding an encoded slash stays one path parameter."""
    response = client.call(
        "GET",
        "/api/projects/a%2Fb/dataUpdateBatch/0c0f6a2e-8d5a-4b8e-9d0a-2b8f0e1c9a11",
    )

    assert response.status == 404
    assert "a/b" in json.loads(response.data)["detail"]


def test_the_request_log_counts_api_requests(emu, client, project, batch):
    """emu.requests lists (method, path, status) of API requests, not controls."""
    emu.clear_requests()
    _get_batch(client, project, batch)
    _get_batch(client, project, batch, **{"X-API-Key": "bad"})
    client.control("GET", "/batches")

    records = emu.requests

    path = "/ica/rest/api/projects/%s/dataUpdateBatch/%s" % (project, batch)
    assert [(r.method, r.path, r.status) for r in records] == [
        ("GET", path, 200),
        ("GET", path, 401),
    ]


def test_sixteen_concurrent_clients(emu, project):
    """16 clients creating and reading batches at once all succeed."""
    data = emu.create_data(project, "/a")
    results, errors = [], []

    def work():
        try:
            client = Client(emu)
            for _ in range(3):
                batch = client.create(project, group(data, add=["x"]))
                results.append(client.batch(project, batch["id"])["id"])
                client.items(project, batch["id"])
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert len(set(results)) == 48 == emu.batches_created


def test_a_request_rate_limit_answers_429():
    """Above max_requests_per_second, requests get 429 with Retry-After."""
    with Emulator(pace="step", max_requests_per_second=5) as emu:
        client = Client(emu)
        project = emu.create_project("p")
        path = "/api/projects/%s/dataUpdateBatch/%s" % (
            project,
            "0c0f6a2e-8d5a-4b8e-9d0a-2b8f0e1c9a11",
        )

        statuses = [client.call("GET", path) for _ in range(8)]
        control = client.control("GET", "")

        assert [r.status for r in statuses] == [404] * 5 + [429] * 3
        assert statuses[-1].headers["Retry-After"] == "1"
        assert control.status == 200


def test_every_problem_validates(client, project):
    """Problems carry id, type, title, status, detail, instance, parameters, time."""
    response = client.call("GET", "/api/projects/%s/dataUpdateBatch/x" % project)
    check_response("GET", "/ica/rest/api/projects/p/dataUpdateBatch/x", response)

    problem = json.loads(response.data)

    assert set(problem) == {
        "id",
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "parameters",
        "timestamp",
    }
    assert problem["instance"].endswith("/dataUpdateBatch/x")
