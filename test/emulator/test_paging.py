"""Listing items: cursor and offset pages, sizes, the status filter and sort."""

from __future__ import annotations

import time

import pytest

from icasdk.emulator import Emulator

from .helpers import Client, group


@pytest.fixture
def batch(emu, client, project):
    """A step-mode batch of 250 items over 250 files, not yet started."""
    ids = [emu.create_data(project, "/f%03d" % i) for i in range(250)]
    return client.create(project, group(*ids, add=["x"]))["id"]


def _walk(client, project, batch_id, check=True, **query):
    """Every page by cursor; the pages."""
    pages = [client.items(project, batch_id, **query)]
    while pages[-1].get("nextPageToken"):
        token = pages[-1]["nextPageToken"]
        pages.append(
            client.items(project, batch_id, check=check, pageToken=token, **query)
        )
        assert len(pages) < 1000
    return pages


def test_cursor_pages_default_to_100_and_end_with_no_token(client, project, batch):
    """Cursor pages hold 100 items, count what remains and end without a token."""
    pages = _walk(client, project, batch)

    assert [len(p["items"]) for p in pages] == [100, 100, 50]
    assert [p["remainingRecords"] for p in pages] == [150, 50, 0]
    assert pages[-1]["nextPageToken"] is None
    assert all("totalItemCount" not in p for p in pages)
    ids = [i["id"] for p in pages for i in p["items"]]
    assert len(set(ids)) == 250


def test_page_size_up_to_1000(client, project, batch):
    """pageSize sets the page length; 1000 is allowed."""
    assert len(client.items(project, batch, pageSize="7")["items"]) == 7
    assert len(client.items(project, batch, pageSize="1000")["items"]) == 250


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("pageSize", "abc", "must be a number"),
        ("pageSize", "1001", "must be at most 1000"),
        ("pageSize", "0", "must be at least 1"),
        ("pageOffset", "x1", "must be a number"),
        ("pageOffset", "-5", "must be at least 0"),
    ],
)
def test_bad_page_numbers_are_named(client, project, batch, name, value, message):
    """A non-numeric or out-of-range pageSize/pageOffset is a 400 naming it."""
    body = client.items(project, batch, expect=400, **{name: value})

    assert body["parameters"] == {name: message}


def test_offset_paging_counts_the_total(client, project, batch):
    """With pageOffset, totalItemCount is set and nextPageToken is empty."""
    first = client.items(project, batch, pageOffset="0", pageSize="100")
    last = client.items(project, batch, pageOffset="200", pageSize="100")
    cursor = client.items(project, batch, pageSize="250")

    assert first["totalItemCount"] == 250 and first["nextPageToken"] == ""
    assert len(last["items"]) == 50
    offset_ids = [i["id"] for i in first["items"]]
    assert offset_ids == [i["id"] for i in cursor["items"][:100]]


def test_status_filter_takes_repeated_values(emu, client, project):
    """status=UPDATED&status=FAILED lists items of either status only."""
    ids = [emu.create_data(project, "/f%d" % i) for i in range(20)]
    ids[3] = "fil.%032x" % 3
    batch_id = client.create(project, group(*ids))["id"]
    emu.advance(batch_id, items=5)

    done = client.items(project, batch_id, status=["UPDATED", "FAILED"])
    failed = client.items(project, batch_id, status="FAILED")
    updated = client.items(project, batch_id, status="UPDATED")
    busy = client.items(project, batch_id, status="UPDATING", pageSize="3")
    waiting = client.items(
        project, batch_id, status="WAITING_RESOURCES", pageOffset="0"
    )

    assert len(done["items"]) == 5 and done["remainingRecords"] == 0
    assert [i["request"]["dataId"] for i in failed["items"]] == [ids[3]]
    assert len(updated["items"]) == 4
    assert len(busy["items"]) == 3 and busy["remainingRecords"] == 7
    assert waiting["totalItemCount"] == 5


def test_filtered_cursor_pages_are_complete(emu, client, project):
    """Cursor pages over a filter list each match once and count what is left."""
    ids = [
        "fil.%032x" % i if i % 3 == 0 else emu.create_data(project, "/f%d" % i)
        for i in range(30)
    ]
    batch_id = client.create(project, group(*ids))["id"]
    emu.finish(batch_id)

    failed = _walk(client, project, batch_id, status="FAILED", pageSize="4")
    updated = _walk(client, project, batch_id, status="UPDATED", pageSize="4")

    assert [len(p["items"]) for p in failed] == [4, 4, 2]
    assert [p["remainingRecords"] for p in failed] == [6, 2, 0]
    assert sum(len(p["items"]) for p in updated) == 20
    assert {i["processing"]["status"] for p in updated for i in p["items"]} == {
        "UPDATED"
    }


def test_sort_orders_by_fields_with_directions(emu, client, project):
    """sort takes fields with ' asc' / ' desc', separated by commas."""
    ids = [emu.create_data(project, "/f%d" % i) for i in range(6)]
    ids[1] = "fil.%032x" % 1
    batch_id = client.create(project, group(*ids))["id"]
    emu.finish(batch_id)

    by_data = client.items(project, batch_id, sort="dataId desc")
    by_status = client.items(project, batch_id, sort="status, dataId asc")
    by_path = client.items(project, batch_id, sort="processing.status desc,id")

    data_ids = [i["request"]["dataId"] for i in by_data["items"]]
    assert data_ids == sorted(ids, reverse=True)
    assert by_data["totalItemCount"] == 6 and by_data["nextPageToken"] == ""
    assert by_status["items"][0]["processing"]["status"] == "FAILED"
    rest = [i["request"]["dataId"] for i in by_status["items"][1:]]
    assert rest == sorted(rest)
    assert by_path["items"][-1]["processing"]["status"] == "FAILED"


@pytest.mark.parametrize("sort", ["colour", "dataId sideways", "id desc extra"])
def test_a_bad_sort_is_named(client, project, batch, sort):
    """An unknown sort field or direction is a 400 naming sort."""
    body = client.items(project, batch, expect=400, sort=sort)

    assert list(body["parameters"]) == ["sort"]


@pytest.mark.parametrize("token", ["garbage", "eyJiIjoieCIsInMiOjB9", "!!"])
def test_a_foreign_page_token_is_refused(client, project, batch, token):
    """A token this batch did not give out is a 400 naming pageToken."""
    body = client.items(project, batch, expect=400, pageToken=token)

    assert body["parameters"] == {"pageToken": "is not valid"}


@pytest.mark.parametrize(
    "query",
    [
        {"pageOffset": "0"},
        {"sort": "dataId"},
        {"pageOffset": "0", "sort": "dataId asc", "status": "INITIALISED"},
    ],
)
@pytest.mark.parametrize("token", ["given", "garbage"])
def test_offset_paging_ignores_a_page_token(client, project, batch, query, token):
    """With pageOffset or sort, a pageToken (even a bad one) is ignored."""
    given = client.items(project, batch)["nextPageToken"]
    page_token = given if token == "given" else "not-a-token"

    mixed = client.items(project, batch, pageSize="10", pageToken=page_token, **query)
    plain = client.items(project, batch, pageSize="10", **query)

    assert mixed == plain
    assert mixed["nextPageToken"] == "" and mixed["totalItemCount"] == 250
    assert len(mixed["items"]) == 10


def test_cursor_pages_stay_complete_while_the_batch_runs(emu, client, project):
    """Items finishing between pages neither repeat nor go missing."""
    ids = [emu.create_data(project, "/f%d" % i) for i in range(95)]
    batch_id = client.create(project, group(*ids))["id"]
    pages = [client.items(project, batch_id, pageSize="10")]

    while pages[-1]["nextPageToken"]:
        emu.advance(batch_id, items=7)
        pages.append(
            client.items(
                project, batch_id, pageSize="10", pageToken=pages[-1]["nextPageToken"]
            )
        )

    seen = [i["request"]["dataId"] for p in pages for i in p["items"]]
    assert seen == ids


def test_100000_items_create_and_list_quickly():
    """A 100,000-id batch is created and listed by 1,000-item pages in seconds."""
    with Emulator(pace=1_000_000) as emu:
        client = Client(emu)
        project = emu.create_project("big")
        ids = ["fil.%032x" % i for i in range(100_000)]
        started = time.monotonic()

        batch_id = client.create(project, group(*ids, add=["x"]))["id"]
        created = time.monotonic() - started
        seen = 0
        # Only the first page is checked against the definition: validating
        # 100,000 items in the test would take longer than serving them.
        pages = _walk(client, project, batch_id, check=False, pageSize="1000")
        for page in pages:
            seen += len(page["items"])
        total = time.monotonic() - started

        assert seen == 100_000 and len(pages) == 100
        assert created < 10 and total < 30, (created, total)
        assert client.batch(project, batch_id)["job"]["status"] == "FAILED"
