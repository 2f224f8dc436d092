"""Every body the emulator sends validates against the definition.

The test client checks each API answer with openapi-schema-validator (see
``helpers.check_response``); this test walks every operation through its
successes and its errors in each phase of a batch and asserts that each
combination was seen and checked.
"""

from __future__ import annotations

import json
import uuid

from .helpers import SEEN, Client, check_response, group, schema_errors

CREATE = "createProjectDataUpdateBatch"
GET = "getProjectDataUpdateBatch"
ITEMS = "getProjectDataUpdateBatchItems"
ITEM = "getProjectDataUpdateBatchItem"


def _visit_batch(client, project, batch_id):
    """GET the batch, its items by cursor, offset, filter and sort, and an item."""
    client.batch(project, batch_id)
    listed = client.items(project, batch_id, pageSize="2")
    client.items(project, batch_id, pageToken=listed["nextPageToken"])
    client.items(project, batch_id, pageOffset="1", sort="status desc")
    client.items(project, batch_id, status=["FAILED", "UPDATED"])
    item = listed["items"][0]["id"]
    client.call(
        "GET",
        "/api/projects/%s/dataUpdateBatch/%s/items/%s" % (project, batch_id, item),
    )


def test_every_operation_and_status_is_checked(emu, client, project):
    """Successes and errors of all four operations validate, in every phase."""
    SEEN.clear()
    other = emu.create_project("other")
    folder = emu.create_data(project, "/dir/")
    ids = [
        folder,
        emu.create_data(project, "/dir/a"),
        emu.create_data(other, "/b"),
        "fil.%032x" % 9,
    ]
    batch_id = client.create(
        project, group(*ids, add=["x"], remove=["y"]), group(ids[1], tech_add=["t"])
    )["id"]
    for _ in range(4):
        _visit_batch(client, project, batch_id)
        emu.advance(batch_id)
    _visit_batch(client, project, batch_id)

    base = "/api/projects/%s/dataUpdateBatch" % project
    unknown = str(uuid.uuid4())
    client.call("POST", base, body={"dataUpdateGroups": [{"dataIds": [1]}]})
    client.call("POST", base, body={}, headers={"X-API-Key": "wrong"})
    client.call("POST", base, body={}, headers={"Content-Type": "text/plain"})
    client.call("GET", base + "/" + batch_id, headers={"Accept": "text/html"})
    client.call("GET", base + "/nope")
    client.call("GET", base + "/" + unknown)
    client.call("GET", base + "/%s/items" % unknown)
    client.call("GET", base + "/%s/items" % batch_id, query={"status": "NOPE"})
    client.call("GET", base + "/%s/items/%s" % (batch_id, unknown))
    client.call("GET", base + "/%s/items/x" % batch_id)
    emu.add_credential(api_key="eve-key", user="eve")
    client.call(
        "POST",
        base,
        body={"dataUpdateGroups": [group("fil.x")]},
        headers={"X-API-Key": "eve-key"},
    )
    client.call(
        "POST",
        "/api/projects/%s/dataUpdateBatch" % unknown,
        body={"dataUpdateGroups": [group("fil.x")]},
    )
    for kind in ("throttle", "unavailable", "server_error"):
        emu.faults.inject(kind, count=1)
        client.call("GET", base + "/" + batch_id)

    expected = {(CREATE, s) for s in (201, 400, 401, 403, 404, 415)}
    expected |= {(GET, s) for s in (200, 400, 404, 429, 503, 500)}
    expected |= {(ITEMS, s) for s in (200, 400, 404)}
    expected |= {(ITEM, s) for s in (200, 400, 404)}
    assert expected <= SEEN, expected - SEEN


def test_problems_outside_the_operations_validate(emu, client):
    """404 for unknown paths and 405 for wrong methods are valid Problems too."""
    problem = {"$ref": "#/components/schemas/Problem"}

    missing = client.call("GET", "/nowhere")
    wrong = client.call("PUT", "/api/projects/p/dataUpdateBatch")

    for response in (missing, wrong):
        assert response.headers["Content-Type"] == "application/problem+json"
        assert schema_errors(problem, json.loads(response.data)) == []


def test_the_check_itself_catches_a_bad_body(emu):
    """The client's check fails on a body that breaks the definition."""

    class Fake:
        status = 200
        headers = {"Content-Type": "application/vnd.illumina.v3+json"}
        data = b'{"id": "not-a-uuid", "job": null}'

    try:
        check_response("GET", "/ica/rest/api/projects/p/dataUpdateBatch/b", Fake())
    except AssertionError as err:
        assert "uuid" in str(err)
    else:
        raise AssertionError("a body with a bad uuid passed the check")
    assert Client(emu).headers["X-API-Key"] == emu.api_key
