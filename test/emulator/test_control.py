"""The /_emulator/ control routes that drive a separately started emulator."""

from __future__ import annotations

import json

from .helpers import group


def test_seed_over_http_returns_the_ids(emu, client):
    """POST /_emulator/seed adds users, projects and data and names their ids."""
    seeded = client.control(
        "POST",
        "/seed",
        {
            "users": [{"username": "carol", "apiKeys": ["carol-key"]}],
            "projects": [
                {
                    "name": "seeded",
                    "owner": "carol",
                    "data": [
                        "/dir/",
                        "/dir/a.txt",
                        {"path": "/b.txt", "userTags": ["u"]},
                    ],
                }
            ],
        },
    )

    body = json.loads(seeded.data)
    project = body["projects"][0]
    assert seeded.status == 201
    assert set(project["data"]) == {"/dir/", "/dir/a.txt", "/b.txt"}
    assert project["data"]["/dir/"].startswith("fol.")
    assert emu.data_tags(project["data"]["/b.txt"]) == (("u",), ())
    assert "carol" in body["users"]


def test_a_bad_seed_is_400(client):
    """A seed document naming an unknown owner is a 400 Problem."""
    response = client.control(
        "POST", "/seed", {"projects": [{"name": "x", "owner": "nobody"}]}
    )

    assert response.status == 400
    assert "nobody" in json.loads(response.data)["detail"]


def test_advance_finish_and_inspect_over_http(emu, client, project):
    """advance, finish, batches and data routes do what the methods do."""
    data = emu.create_data(project, "/a")
    batch = client.create(project, group(data, add=["x"]))["id"]

    moved = json.loads(client.control("POST", "/advance", {"batchId": batch}).data)
    waiting = json.loads(client.control("GET", "/batches").data)
    client.control("POST", "/finish", {})
    done = json.loads(client.control("GET", "/batches").data)
    tags = json.loads(client.control("GET", "/data/" + data).data)

    assert moved == {"advanced": 1}
    assert waiting[0]["status"] == "WAITING_FOR_RESOURCES"
    assert done == [
        {
            "id": batch,
            "projectId": project,
            "status": "SUCCEEDED",
            "items": 1,
            "done": 1,
        }
    ]
    assert tags["userTags"] == ["x"] and tags["path"] == "/a"


def test_advance_by_items_over_http(emu, client, project):
    """advance with items finishes that many items."""
    ids = [emu.create_data(project, "/f%d" % i) for i in range(5)]
    batch = client.create(project, group(*ids))["id"]

    client.control("POST", "/advance", {"batchId": batch, "items": 3})

    assert emu.batches[0].done == 3
    assert client.control("POST", "/advance", {"batchId": "nope"}).status == 400


def test_requests_log_and_reset_over_http(emu, client, project):
    """The request log can be read and cleared; reset forgets everything."""
    batch = client.create(project, group(emu.create_data(project, "/a")))["id"]

    logged = json.loads(client.control("GET", "/requests").data)
    client.control("DELETE", "/requests")
    emptied = json.loads(client.control("GET", "/requests").data)
    client.control("POST", "/reset")
    info = json.loads(client.control("GET", "").data)

    assert [r["status"] for r in logged] == [201]
    assert emptied == []
    assert info["batches"] == 0
    gone = client.call("GET", "/api/projects/%s/dataUpdateBatch/%s" % (project, batch))
    assert gone.status == 404


def test_pace_over_http(client):
    """PUT /_emulator/pace sets the pace of new batches; bad ones are 400."""
    fast = client.control("PUT", "/pace", {"pace": 250})
    bad = client.control("PUT", "/pace", {"pace": "soon"})

    assert json.loads(fast.data) == {"pace": "250"}
    assert bad.status == 400


def test_unknown_control_routes_and_data(client):
    """Unknown control paths and data ids are 404 Problems."""
    assert client.control("GET", "/nothing").status == 404
    assert client.control("GET", "/data/fil.nope").status == 404
    assert client.control("POST", "/seed", None).status == 201


def test_a_control_body_of_the_wrong_shape_is_400(client):
    """A control body that is not a JSON object is a 400 Problem, not a crash."""
    response = client.control("POST", "/advance", ["not", "an", "object"])

    assert response.status == 400
    assert "advance" in json.loads(response.data)["detail"]
