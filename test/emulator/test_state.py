"""Seeding and inspecting state: projects, data ids, folders, users, reset."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from icasdk.emulator import Emulator
from icasdk.emulator.errors import SeedError

from .helpers import Client, group

DATA_ID = re.compile(r"^(fil|fol)\.[0-9a-f]{32}$")


def test_projects_are_uuids_and_data_ids_have_icas_form(emu):
    """Project ids are UUIDs; files are fil. and folders fol. + 32 hex digits."""
    project = emu.create_project("demo")

    folder = emu.create_data(project, "/dir/")
    file_id = emu.create_data(project, "dir/a.txt")

    assert str(uuid.UUID(project)) == project
    assert folder.startswith("fol.") and DATA_ID.match(folder)
    assert file_id.startswith("fil.") and DATA_ID.match(file_id)
    assert emu.create_data(project, "/dir/") == folder


def test_missing_parent_folders_are_made(emu, client):
    """A file deep in a new path makes its folders, which then hold it."""
    project = emu.create_project("demo")
    deep = emu.create_data(project, "/a/b/c.txt")
    folder = emu.create_data(project, "/a/")

    batch = client.create(project, group(folder, add=["t"]))["id"]
    emu.finish(batch)

    assert emu.data_tags(deep) == (("t",), ())
    assert emu.data_tags(emu.create_data(project, "/a/b/")) == (("t",), ())


def test_initial_tags_and_bad_paths(emu):
    """Data can start with tags; an empty path or unknown project is refused."""
    project = emu.create_project("demo")

    data = emu.create_data(project, "/x", user_tags=["u", "u"], technical_tags=["t"])

    assert emu.data_tags(data) == (("u",), ("t",))
    with pytest.raises(ValueError, match="data path"):
        emu.create_data(project, "/")
    with pytest.raises(KeyError, match="no project"):
        emu.create_data("nope", "/x")


def test_seeded_ids_must_fit_their_paths(emu):
    """A seeded id must have the right prefix and be unused; a path keeps its id."""
    taken = "fil." + "b" * 32
    emu.seed({"projects": [{"name": "p", "data": [{"path": "/x", "id": taken}]}]})

    for data, message in [
        ({"path": "/y/", "id": "fil." + "c" * 32}, "needs a 'fol.' id"),
        ({"path": "/z", "id": taken}, "taken"),
        ({"path": "/z", "id": "fil.short"}, "32 hex digits"),
    ]:
        with pytest.raises(ValueError, match=message):
            emu.seed({"projects": [{"name": "q", "data": [data]}]})


def test_a_seed_file_is_applied_at_start(tmp_path):
    """seed_file adds users with credentials, projects and data with tags."""
    project_id = str(uuid.uuid4())
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "users": [
                    {
                        "username": "dana",
                        "apiKeys": ["dana-key"],
                        "accessTokens": ["dana-token"],
                    }
                ],
                "projects": [
                    {
                        "id": project_id,
                        "name": "seeded",
                        "owner": "dana",
                        "data": [
                            {
                                "path": "/r.fa",
                                "id": "fil." + "a" * 32,
                                "technicalTags": ["ref"],
                            }
                        ],
                    }
                ],
            }
        )
    )

    with Emulator(pace="step", seed_file=str(seed)) as emu:
        dana = Client(emu, **{"X-API-Key": "dana-key"})
        batch = dana.create(project_id, group("fil." + "a" * 32, add=["x"]))
        mine = Client(emu).call(
            "GET", "/api/projects/%s/dataUpdateBatch/%s" % (project_id, batch["id"])
        )

        assert batch["job"]["owner"]["username"] == "dana"
        assert emu.data_tags("fil." + "a" * 32) == ((), ("ref",))
        assert mine.status == 403


def test_reset_forgets_all_but_the_defaults(emu, client):
    """reset() drops projects, batches, faults and the log; the key still works."""
    project = emu.create_project("demo")
    batch = client.create(project, group(emu.create_data(project, "/a")))["id"]
    emu.faults.inject("throttle")
    key = emu.api_key

    emu.reset()
    response = client.call(
        "GET", "/api/projects/%s/dataUpdateBatch/%s" % (project, batch)
    )

    assert response.status == 404
    assert emu.batches == [] and emu.faults.active == []
    assert emu.api_key == key
    assert [r.status for r in emu.requests] == [404]


def test_a_given_api_key_and_token_are_used(tmp_path):
    """api_key and access_token given to Emulator are the ones it accepts."""
    with Emulator(api_key="my-key", access_token="my-token") as emu:
        assert (emu.api_key, emu.access_token) == ("my-key", "my-token")
        assert emu.base_url.endswith("/ica/rest")


def test_an_emulator_serves_once():
    """Starting a stopped Emulator again is an error, not a silent no-op."""
    emu = Emulator()
    emu.start()
    emu.stop()

    with pytest.raises(RuntimeError, match="serves once"):
        emu.start()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.base_url


def test_configuration_points_at_the_emulator(emu):
    """configuration() is an icasdk Configuration with host and API key."""
    pytest.importorskip("icasdk.configuration")

    configuration = emu.configuration()

    assert configuration.host == emu.base_url
    assert configuration.api_key["ApiKeyAuth"] == emu.api_key


@pytest.mark.parametrize(
    "document, where",
    [
        ({"users": "bob"}, "users: must be a list"),
        ({"users": [{"username": "u", "apiKeys": "k"}]}, "users[0].apiKeys: must"),
        ({"projects": ["p"]}, "projects[0]: must be a JSON object"),
        ({"projects": [{"name": "p", "data": ["/a", 5]}]}, "projects[0].data[1]"),
        (
            {"projects": [{"name": "p", "data": [{"path": "/a", "id": "x"}]}]},
            "projects[0].data[0]: a data id",
        ),
    ],
)
def test_a_wrong_seed_names_the_entry(emu, document, where):
    """A wrong seed document raises SeedError naming the entry that is wrong."""
    with pytest.raises(SeedError) as caught:
        emu.seed(document)

    assert where in str(caught.value)


def test_a_wrong_seed_file_names_the_file(tmp_path):
    """Emulator(seed_file=...) with a wrong document names the file and entry."""
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"projects": [{"name": "p", "owner": "nobody"}]}))

    with pytest.raises(SeedError, match="no user named 'nobody'") as caught:
        Emulator(seed_file=str(path))

    assert repr(str(path)) in str(caught.value)


@pytest.mark.parametrize(
    "settings",
    [
        {"port": 99999},
        {"port": -1},
        {"port": "8080"},
        {"pace": float("inf")},
        {"max_requests_per_second": -1},
        {"max_requests_per_second": float("nan")},
    ],
)
def test_bad_settings_are_value_errors(settings):
    """A port out of range, an infinite pace or a bad rate is a ValueError."""
    with pytest.raises(ValueError):
        Emulator(**settings)
