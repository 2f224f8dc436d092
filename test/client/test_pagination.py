"""The items pager against a real server: cursor and offset runs, odd servers."""

from __future__ import annotations

import pytest
from canned_server import BATCH_ID, PROJECT_ID, Reply, item_body, problem

from icasdk import ApiException
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.pagination import PaginationError

BATCH_PATH = {"projectId": PROJECT_ID, "batchId": BATCH_ID}


def page(numbers, **fields):
    """A page holding items fil.<n> for each n, plus paging fields."""
    body = {"items": [item_body("UPDATED", f"fil.{n}") for n in numbers]}
    body.update(fields)
    return Reply(200, body)


def data_ids(items):
    return [item.request.data_id for item in items]


@pytest.fixture
def api(make_client):
    """The generated API on a client for the canned server."""
    return ProjectDataUpdateBatchApi(make_client())


def test_cursor_run_follows_tokens_to_the_end(server, api):
    """Cursor paging sends each nextPageToken back and stops when none comes."""
    server.reply(
        page([1, 2], nextPageToken="t1", remainingRecords=1),
        page([3], nextPageToken="t2", remainingRecords=0),
        page([], nextPageToken=""),
    )

    items = list(api.iter_project_data_update_batch_items(path_params=BATCH_PATH))

    assert data_ids(items) == ["fil.1", "fil.2", "fil.3"]
    tokens = [dict(r.query).get("pageToken") for r in server.requests]
    assert tokens == [None, "t1", "t2"]
    assert all("pageOffset" not in dict(r.query) for r in server.requests)


@pytest.mark.parametrize("last", [{"nextPageToken": None}, {"nextPageToken": ""}, {}])
def test_cursor_run_ends_on_empty_null_or_missing_token(server, api, last):
    """An empty, null or missing nextPageToken ends a cursor run."""
    server.reply(page([1], nextPageToken="t1"), page([2], **last))

    items = list(api.iter_project_data_update_batch_items(path_params=BATCH_PATH))

    assert data_ids(items) == ["fil.1", "fil.2"]
    assert len(server.requests) == 2


def test_remaining_records_is_never_a_stop_condition(server, api):
    """remainingRecords of 0 does not stop a run while a token comes back."""
    server.reply(
        page([1], nextPageToken="t1", remainingRecords=0),
        page([2], nextPageToken=None, remainingRecords=5),
    )

    items = list(api.iter_project_data_update_batch_items(path_params=BATCH_PATH))

    assert data_ids(items) == ["fil.1", "fil.2"]


def test_repeated_token_raises_instead_of_looping(server, api):
    """A token the server sends twice raises PaginationError naming it."""
    server.reply(
        page([1], nextPageToken="t1"),
        page([2], nextPageToken="t2"),
        page([3], nextPageToken="t1"),
    )

    items = api.iter_project_data_update_batch_items(path_params=BATCH_PATH)

    with pytest.raises(PaginationError, match="'t1' a second time"):
        list(items)
    assert len(server.requests) == 3


def test_offset_run_stops_at_total_item_count(server, api):
    """Offset paging steps pageOffset by the items received up to totalItemCount."""
    server.reply(
        page([1, 2], totalItemCount=5, nextPageToken=None),
        page([3, 4], totalItemCount=5, nextPageToken=None),
        page([5], totalItemCount=5, nextPageToken=None),
    )

    items = list(
        api.iter_project_data_update_batch_items(
            path_params=BATCH_PATH, query_params={"pageSize": 2}, paging="offset"
        )
    )

    assert data_ids(items) == [f"fil.{n}" for n in range(1, 6)]
    offsets = [dict(r.query)["pageOffset"] for r in server.requests]
    assert offsets == ["0", "2", "4"]
    assert all(dict(r.query)["pageSize"] == "2" for r in server.requests)


def test_sort_pages_by_offset(server, api):
    """A sort switches to offset paging and is passed through."""
    server.reply(page([1], totalItemCount=1))

    items = list(
        api.iter_project_data_update_batch_items(
            path_params=BATCH_PATH, query_params={"sort": "status desc"}
        )
    )

    assert data_ids(items) == ["fil.1"]
    assert dict(server.last.query) == {"sort": "status desc", "pageOffset": "0"}


def test_sort_with_cursor_paging_is_refused(server, api):
    """Asking for cursor paging with a sort is a clear error before sending."""
    with pytest.raises(ValueError, match="needs offset paging"):
        list(
            api.iter_project_data_update_batch_items(
                path_params=BATCH_PATH, query_params={"sort": "status"}, paging="cursor"
            )
        )
    assert server.requests == []


def test_offset_run_without_total_stops_on_an_empty_page(server, api):
    """With no totalItemCount, an offset run ends on the first empty page."""
    server.reply(page([1], totalItemCount=None), page([], totalItemCount=None))

    items = list(
        api.iter_project_data_update_batch_items(
            path_params=BATCH_PATH, paging="offset"
        )
    )

    assert data_ids(items) == ["fil.1"]


def test_status_filter_passes_through_on_every_page(server, api):
    """The status filter is sent, as repeated pairs, with every page."""
    server.reply(page([1], nextPageToken="t1"), page([2]))

    list(
        api.iter_project_data_update_batch_items(
            path_params=BATCH_PATH, query_params={"status": ["FAILED", "UPDATED"]}
        )
    )

    for request in server.requests:
        assert [v for k, v in request.query if k == "status"] == ["FAILED", "UPDATED"]


def test_error_on_a_later_page_raises(server, api):
    """A failing later page raises; no silent partial list."""
    server.reply(page([1], nextPageToken="t1"), problem(404, "Not Found", "gone"))
    seen = []

    with pytest.raises(ApiException) as caught:
        for item in api.iter_project_data_update_batch_items(path_params=BATCH_PATH):
            seen.append(item)

    assert caught.value.status == 404
    assert data_ids(seen) == ["fil.1"]


def test_items_that_are_not_a_list_raise(server, api):
    """A page whose items is not a list is an error, not a list of characters."""
    server.reply(Reply(200, {"items": "abc"}))

    with pytest.raises(PaginationError, match="not a list"):
        list(api.iter_project_data_update_batch_items(path_params=BATCH_PATH))


def test_unknown_paging_mode_is_refused(server, api):
    """paging must be 'cursor' or 'offset'."""
    with pytest.raises(ValueError, match="paging must be"):
        list(
            api.iter_project_data_update_batch_items(
                path_params=BATCH_PATH, paging="pages"
            )
        )


def test_pager_reads_lazily(server, api):
    """Nothing is fetched until the first item is asked for; one page at a time."""
    server.reply(page([1], nextPageToken="t1"), page([2]))

    items = api.iter_project_data_update_batch_items(path_params=BATCH_PATH)
    assert server.requests == []

    next(items)
    assert len(server.requests) == 1
