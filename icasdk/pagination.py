"""Every item of a paged list, across pages, one page in memory at a time.

ICA pages lists two ways. Cursor paging (the default) follows
``nextPageToken`` until it is empty, null or missing; it guarantees complete,
unique results. Offset paging steps ``pageOffset`` until it reaches
``totalItemCount``; the service uses it whenever a ``sort`` is given. The
approximate ``remainingRecords`` is never used to stop.

The generated API classes expose this as ``iter_<list>()`` methods for every
list operation that pages.
"""

from __future__ import annotations

import logging
import typing

from icasdk.exceptions import OpenApiException

log = logging.getLogger(__name__)

CURSOR = "cursor"
OFFSET = "offset"


class PaginationError(OpenApiException):
    """The server's paging went wrong in a way that would loop or lose items."""


class FetchPage(typing.Protocol):
    def __call__(
        self,
        *,
        path_params: typing.Any,
        query_params: typing.Any,
        timeout: typing.Any = None,
    ) -> typing.Any: ...


def paging_mode(
    query_params: typing.Mapping[str, typing.Any], paging: typing.Optional[str]
) -> str:
    """Cursor unless offset paging is asked for, or implied by sort or pageOffset."""
    if paging not in (None, CURSOR, OFFSET):
        raise ValueError(f"paging must be {CURSOR!r} or {OFFSET!r}, got {paging!r}")
    if "sort" in query_params or "pageOffset" in query_params:
        if paging == CURSOR:
            given = "sort" if "sort" in query_params else "pageOffset"
            msg = f"{given!r} needs offset paging (the service sorts only by offset)"
            raise ValueError(msg)
        return OFFSET
    return paging or CURSOR


def iterate_pages(
    fetch_page: FetchPage,
    *,
    path_params: typing.Mapping[str, typing.Any],
    query_params: typing.Optional[typing.Mapping[str, typing.Any]] = None,
    paging: typing.Optional[str] = None,
    timeout: typing.Any = None,
) -> typing.Iterator[typing.Any]:
    """Yield each page's body, following the service's paging to the end.

    ``fetch_page`` is the list operation's method. An error on any page
    raises; a partial listing is never returned silently.
    """
    query = dict(query_params or {})
    mode = paging_mode(query, paging)
    if mode == CURSOR:
        return _cursor_pages(fetch_page, path_params, query, timeout)
    return _offset_pages(fetch_page, path_params, query, timeout)


def iterate_items(
    fetch_page: FetchPage,
    *,
    path_params: typing.Mapping[str, typing.Any],
    query_params: typing.Optional[typing.Mapping[str, typing.Any]] = None,
    paging: typing.Optional[str] = None,
    timeout: typing.Any = None,
) -> typing.Iterator[typing.Any]:
    """Yield every item of every page (see ``iterate_pages``)."""
    pages = iterate_pages(
        fetch_page,
        path_params=path_params,
        query_params=query_params,
        paging=paging,
        timeout=timeout,
    )
    for page in pages:
        yield from _items_of(page)


def _items_of(page: typing.Any) -> typing.Sequence[typing.Any]:
    items = page.get("items")
    if items is None:
        return ()
    if not isinstance(items, (list, tuple)):
        msg = f"the page's 'items' is not a list but {type(items).__name__}"
        raise PaginationError(msg)
    return items


def _cursor_pages(fetch_page, path_params, query, timeout):
    query.pop("pageOffset", None)
    seen_tokens: typing.Set[str] = set()
    page_number = 1
    while True:
        response = fetch_page(
            path_params=path_params, query_params=query, timeout=timeout
        )
        page = response.body
        yield page

        token = page.get("nextPageToken")
        if not token:
            log.debug(
                "cursor paging done after %d pages: no nextPageToken", page_number
            )
            return
        if token in seen_tokens:
            msg = (
                f"the server returned page token {token!r} a second time (page "
                f"{page_number + 1}); stopping instead of looping"
            )
            raise PaginationError(msg)

        seen_tokens.add(token)
        query["pageToken"] = token
        page_number += 1


def _offset_pages(fetch_page, path_params, query, timeout):
    query.pop("pageToken", None)
    offset = _as_offset(query.get("pageOffset", 0))
    while True:
        query["pageOffset"] = str(offset)
        response = fetch_page(
            path_params=path_params, query_params=query, timeout=timeout
        )
        page = response.body
        yield page

        count = len(_items_of(page))
        total = page.get("totalItemCount")
        offset += count
        if count == 0:
            log.debug("offset paging done at offset %d: empty page", offset)
            return
        if isinstance(total, int) and offset >= total:
            log.debug("offset paging done at offset %d of %d", offset, total)
            return


def _as_offset(value: typing.Any) -> int:
    try:
        offset = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"pageOffset must be a whole number, got {value!r}") from None
    if isinstance(value, bool) or offset < 0:
        raise ValueError(f"pageOffset must be a whole number, got {value!r}")
    return offset
