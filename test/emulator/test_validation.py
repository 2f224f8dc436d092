"""Request validation: each bad field is a 400 Problem that names it."""

from __future__ import annotations

import json

import pytest

from .helpers import group

STATUSES = (
    "INITIALISED, WAITING_RESOURCES, UPDATING, UPDATED, PARTIALLY_UPDATED, FAILED"
)


def _create(client, project, body=None, raw=None):
    response = client.call(
        "POST", "/api/projects/%s/dataUpdateBatch" % project, body=body, raw=raw
    )
    return response.status, json.loads(response.data)


@pytest.mark.parametrize(
    "body, parameters",
    [
        ({}, {"dataUpdateGroups": "is required"}),
        ([], {"body": "must be an object"}),
        ({"dataUpdateGroups": {}}, {"dataUpdateGroups": "must be an array"}),
        ({"dataUpdateGroups": [{}]}, {"dataUpdateGroups[0].dataIds": "is required"}),
        (
            {"dataUpdateGroups": [{"dataIds": ["fil.a", 7]}]},
            {"dataUpdateGroups[0].dataIds[1]": "must be a string"},
        ),
        (
            {"dataUpdateGroups": [{"dataIds": ["a"], "userTags": {"addTags": "x"}}]},
            {"dataUpdateGroups[0].userTags.addTags": "must be an array"},
        ),
        (
            {"dataUpdateGroups": [{"dataIds": ["a"], "willBeDeletedAt": "soon"}]},
            {"dataUpdateGroups[0].willBeDeletedAt": "must be a valid date-time"},
        ),
        (
            {"dataUpdateGroups": [{"dataIds": ["a"], "clearWillBeDeletedAt": "yes"}]},
            {"dataUpdateGroups[0].clearWillBeDeletedAt": "must be a boolean"},
        ),
    ],
)
def test_a_bad_body_names_the_field(client, project, body, parameters):
    """Each schema violation of the body is named by its JSON path."""
    status, problem = _create(client, project, body)

    assert status == 400
    assert problem["parameters"] == parameters
    assert problem["title"] == "Bad Request"


def test_every_problem_of_a_body_is_reported_at_once(client, project):
    """Several bad fields give one 400 naming all of them."""
    body = {"dataUpdateGroups": [{"dataIds": [1]}, {"userTags": None}]}

    status, problem = _create(client, project, body)

    assert status == 400
    assert problem["parameters"] == {
        "dataUpdateGroups[0].dataIds[0]": "must be a string",
        "dataUpdateGroups[1].dataIds": "is required",
    }


def test_nullable_fields_may_be_null(emu, client, project):
    """userTags, technicalTags and the clear flags accept null (OAS 3.0 nullable)."""
    data = emu.create_data(project, "/a")
    body = {
        "dataUpdateGroups": [
            {
                "dataIds": [data],
                "userTags": None,
                "technicalTags": None,
                "clearWillBeArchivedAt": None,
            }
        ]
    }

    status, _ = _create(client, project, body)

    assert status == 201


def test_a_body_that_is_not_json_is_400(client, project):
    """A body that does not parse is a 400 naming the body."""
    status, problem = _create(client, project, raw=b"{not json")

    assert status == 400
    assert list(problem["parameters"]) == ["body"]


def test_more_than_100000_data_ids_is_400(client, project):
    """100,001 data ids across groups are refused, naming dataUpdateGroups."""
    ids = ["fil.%032x" % i for i in range(50_001)]

    status, problem = _create(
        client, project, {"dataUpdateGroups": [group(*ids), group(*ids[1:])]}
    )
    assert status == 400
    assert "100000" in problem["parameters"]["dataUpdateGroups"]
    assert not client.emu.batches


@pytest.mark.parametrize("groups", [[], [group()], [group(), group()]])
def test_no_data_ids_at_all_makes_an_empty_batch(emu, client, project, groups):
    """The definition sets no minimum: no data ids is a 201 and an empty batch."""
    status, body = _create(client, project, {"dataUpdateGroups": groups})
    emu.finish()

    assert status == 201
    page = client.items(project, body["id"])
    assert page["items"] == [] and page["remainingRecords"] == 0
    assert client.batch(project, body["id"])["job"]["status"] == "SUCCEEDED"


def test_an_unknown_status_is_named(emu, client, project):
    """A status outside the enum, repeated or comma-separated, is a 400."""
    batch = client.create(project, group(emu.create_data(project, "/a")))["id"]

    repeated = client.items(project, batch, expect=400, status=["UPDATED", "DONE"])
    commas = client.items(project, batch, expect=400, status="UPDATED,nope")
    good = client.items(project, batch, status="UPDATED,FAILED")

    assert repeated["parameters"] == {"status": "must be one of " + STATUSES}
    assert commas["parameters"] == {"status": "must be one of " + STATUSES}
    assert good["items"] == []


@pytest.mark.parametrize(
    "suffix, name",
    [
        ("/nope", "batchId"),
        ("/nope/items", "batchId"),
        ("/{batch}/items/123", "itemId"),
    ],
)
def test_a_non_uuid_id_is_named(emu, client, project, suffix, name):
    """A batchId or itemId that is not a UUID is a 400 naming it."""
    batch = client.create(project, group(emu.create_data(project, "/a")))["id"]
    path = "/api/projects/%s/dataUpdateBatch" % project + suffix.format(batch=batch)

    response = client.call("GET", path)

    assert response.status == 400
    assert json.loads(response.data)["parameters"] == {name: "must be a valid uuid"}
