"""The four operations: what each answers for good and unknown ids."""

from __future__ import annotations

import json
import uuid

from .helpers import V3, Client, group


def test_create_answers_201_with_a_full_job(emu, client, project):
    """Create gives 201, a batch id, and a job INITIALIZED with owner and project."""
    file_id = emu.create_data(project, "/a.txt")

    body = client.create(project, group(file_id, add=["x"]))

    job = body["job"]
    assert job["status"] == "INITIALIZED"
    assert job["subjectType"] == "ProjectDataUpdateBatch"
    assert job["subjectId"] == body["id"]
    assert job["timeStarted"] is None and job["timeFinished"] is None
    assert job["owner"]["username"] == "emulator"
    assert job["project"]["id"] == project
    assert emu.batches_created == 1


def test_create_makes_one_item_per_data_id_in_order(emu, client, project):
    """Each data id of each group becomes an item carrying its group's tags."""
    first, second = emu.create_data(project, "/a"), emu.create_data(project, "/b")

    batch = client.create(
        project, group(first, add=["x"]), group(second, first, tech_add=["t"])
    )
    items = client.items(project, batch["id"])["items"]

    assert [i["request"]["dataId"] for i in items] == [first, second, first]
    assert items[0]["request"]["userTags"] == {"addTags": ["x"], "removeTags": []}
    assert "userTags" not in items[1]["request"]
    assert items[2]["request"]["technicalTags"]["addTags"] == ["t"]
    assert len({i["id"] for i in items}) == 3
    assert all(i["processing"]["status"] == "INITIALISED" for i in items)


def test_get_batch_and_get_item(emu, client, project):
    """A batch and each of its items can be fetched by id."""
    file_id = emu.create_data(project, "/a")
    batch = client.create(project, group(file_id))

    fetched = client.batch(project, batch["id"])
    item = client.items(project, batch["id"])["items"][0]
    response = client.call(
        "GET",
        "/api/projects/%s/dataUpdateBatch/%s/items/%s"
        % (project, batch["id"], item["id"]),
    )

    assert fetched["id"] == batch["id"]
    assert fetched["job"]["id"] == batch["job"]["id"]
    assert response.status == 200
    assert response.headers["Content-Type"] == V3
    assert json.loads(response.data) == item


def test_unknown_project_batch_and_item_are_404(emu, client, project):
    """An unknown project, batch or item is a 404 Problem."""
    batch = client.create(project, group(emu.create_data(project, "/a")))
    unknown = str(uuid.uuid4())

    paths = [
        "/api/projects/%s/dataUpdateBatch/%s" % (unknown, batch["id"]),
        "/api/projects/%s/dataUpdateBatch/%s" % (project, unknown),
        "/api/projects/%s/dataUpdateBatch/%s/items" % (project, unknown),
        "/api/projects/%s/dataUpdateBatch/%s/items/%s"
        % (project, batch["id"], unknown),
    ]
    statuses = [client.call("GET", path).status for path in paths]
    created = client.call(
        "POST",
        "/api/projects/%s/dataUpdateBatch" % unknown,
        body={"dataUpdateGroups": [group("fil.x")]},
    )

    assert statuses == [404, 404, 404, 404]
    assert created.status == 404


def test_batch_of_another_project_is_404(emu, client, project):
    """A batch is found only under the project it was created in."""
    other = emu.create_project("other")
    batch = client.create(project, group(emu.create_data(project, "/a")))

    response = client.call(
        "GET", "/api/projects/%s/dataUpdateBatch/%s" % (other, batch["id"])
    )

    assert response.status == 404


def test_another_users_project_is_403(emu, client):
    """A project the caller's user does not own is a 403 Problem."""
    emu.add_credential(api_key="bob-key", user="bob")
    bobs = emu.create_project("bobs", owner="bob")
    bob = Client(emu, **{"X-API-Key": "bob-key"})
    batch = bob.create(bobs, group(emu.create_data(bobs, "/a")))

    get = client.call(
        "GET", "/api/projects/%s/dataUpdateBatch/%s" % (bobs, batch["id"])
    )
    post = client.call(
        "POST",
        "/api/projects/%s/dataUpdateBatch" % bobs,
        body={"dataUpdateGroups": [group("fil.x")]},
    )

    assert get.status == 403 and post.status == 403
    assert batch["job"]["owner"]["username"] == "bob"
    assert emu.batches_created == 1


def test_upper_case_uuids_find_the_same_batch_and_item(emu, client, project):
    """UUIDs are case-insensitive: upper-case ids find it; answers are lower-case."""
    file_id = emu.create_data(project, "/a")
    batch = client.create(project.upper(), group(file_id))
    item = client.items(project, batch["id"])["items"][0]
    upper = (project.upper(), batch["id"].upper())

    fetched = client.batch(*upper)
    listed = client.items(*upper)
    response = client.call(
        "GET",
        "/api/projects/%s/dataUpdateBatch/%s/items/%s" % (*upper, item["id"].upper()),
    )

    assert batch["job"]["project"]["id"] == project
    assert fetched["id"] == batch["id"] and fetched["job"]["project"]["id"] == project
    assert listed["items"] == [item]
    assert response.status == 200 and json.loads(response.data)["id"] == item["id"]


def test_a_page_token_works_whatever_the_case_of_the_batch_id(emu, client, project):
    """A token from a lower-case listing goes on under the upper-case batch id."""
    ids = [emu.create_data(project, "/f%d" % i) for i in range(3)]
    batch_id = client.create(project, group(*ids))["id"]
    first = client.items(project, batch_id, pageSize="2")

    rest = client.items(
        project, batch_id.upper(), pageSize="2", pageToken=first["nextPageToken"]
    )

    assert [i["request"]["dataId"] for i in rest["items"]] == ids[2:]


def test_an_unknown_upper_case_batch_is_named_in_lower_case(client, project):
    """A 404 for an unknown batch names its id in the canonical lower-case form."""
    missing = str(uuid.uuid4())

    response = client.call(
        "GET", "/api/projects/%s/dataUpdateBatch/%s" % (project, missing.upper())
    )

    assert response.status == 404
    assert missing in json.loads(response.data)["detail"]


def test_only_the_hyphenated_uuid_form_is_a_uuid(client, project, emu):
    """Braces or no hyphens are not the uuid format: a 400 naming batchId."""
    batch_id = client.create(project, group(emu.create_data(project, "/a")))["id"]

    for form in ("{%s}" % batch_id, batch_id.replace("-", "")):
        response = client.call(
            "GET", "/api/projects/%s/dataUpdateBatch/%s" % (project, form)
        )
        assert (
            response.status == 400
            and "batchId" in json.loads(response.data)["parameters"]
        )


def test_the_python_api_takes_uuids_in_any_case(emu, client):
    """Seeded, created and advanced ids of uuid form are found in any case."""
    seeded = "0C0F6A2E-8D5A-4B8E-9D0A-2B8F0E1C9A11"
    made = emu.seed({"projects": [{"name": "p", "id": seeded}]})["projects"][0]
    file_id = emu.create_data(seeded, "/a")
    batch_id = client.create(seeded, group(file_id, add=["x"]))["id"]

    moved = emu.finish(batch_id.upper())

    assert made["id"] == seeded.lower()
    assert moved == 1 and emu.data_tags(file_id) == (("x",), ())
    assert client.batch(seeded.lower(), batch_id)["job"]["status"] == "SUCCEEDED"
