"""Which items a list request returns: status filter, sort, cursor or offset pages.

Cursor paging (the default) walks items in creation order and its opaque
``pageToken`` remembers where the last page stopped, so pages stay complete
and never repeat while the batch runs. Offset paging is used when
``pageOffset`` or ``sort`` is given: ``totalItemCount`` is set and
``nextPageToken`` is empty. ``pageSize`` defaults to 100 and may be at most
1000.

Any mix of the optional parameters is accepted: the definition forbids none.
With ``pageOffset`` or ``sort`` present the page is an offset page and a
``pageToken`` is ignored (not even decoded), as ICA documents the token for
cursor paging only and sorting for offset paging only.

The 400s kept here, each because the value cannot mean what the definition
says the parameter means:

- ``pageSize`` or ``pageOffset`` that is not a whole number, or is negative:
  both are described as an amount of rows (issue #4 asks for the 400 too).
- ``pageSize`` 0: a page of no rows could never move a cursor on.
- ``pageSize`` above 1000: issue #4 asks for a maximum, and ICA's earlier
  API documented 1 to 1000 for its ``pageSize``; a 400 names the limit, where
  a silently short page would make a client stepping ``pageOffset`` by its
  size skip items.
- a ``sort`` field the items do not have, or a suffix other than ``asc`` /
  ``desc``: the definition describes the value as a field with one of those.
- a ``pageToken`` this batch did not give out: the definition says its value
  is the one returned by a cursor page; any other names no place to go on.

Statuses are never stored per item: items before ``batch.done`` are final,
then come up to ``WORKERS`` items UPDATING, then the waiting rest; each page
and each count is worked out from those ranges, in time proportional to the
page, not the batch.
"""

from __future__ import annotations

import base64
import bisect
import json
import logging
import re
from typing import Iterator, List, Optional, Set, Tuple

from icasdk.emulator import lifecycle, render, validation
from icasdk.emulator.exchange import Request
from icasdk.emulator.problems import ProblemError
from icasdk.emulator.state import Batch

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# Sorted orders kept per batch, for offset paging through a sorted list.
_KEPT_ORDERS = 4
_INTEGER = re.compile(r"^[+-]?\d+$")

SORT_FIELDS = {
    "id": lambda batch, i: batch.items[i].id,
    "dataId": lambda batch, i: batch.items[i].data_id,
    "status": lifecycle.item_status,
}
SORT_FIELDS["request.dataId"] = SORT_FIELDS["dataId"]
SORT_FIELDS["processing.status"] = SORT_FIELDS["status"]


def page(batch: Batch, request: Request) -> dict:
    """The ``ProjectDataUpdateBatchItemPagedList`` that ``request`` asks for."""
    size = _integer(request, "pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    offset = _integer(request, "pageOffset", None, 0, None)
    token, sort = request.first("pageToken"), request.first("sort")
    wanted = request.query.get("status")
    statuses = set(validation.split_values(wanted)) if wanted else None

    if offset is not None or sort:
        if token:
            log.debug("offset paging (pageOffset or sort given); pageToken ignored")
        return _offset_page(batch, statuses, _sort_keys(sort), offset or 0, size)
    return _cursor_page(batch, statuses, _read_token(batch, token), size)


def _cursor_page(batch: Batch, statuses, start: int, size: int) -> dict:
    chosen = []
    for index in _matching(batch, statuses, start):
        chosen.append(index)
        if len(chosen) == size:
            break

    after = chosen[-1] + 1 if len(chosen) == size else len(batch.items)
    remaining = _count(batch, statuses, after)
    return {
        "items": [render.item(batch, i) for i in chosen],
        "nextPageToken": _make_token(batch, after) if remaining else None,
        "remainingRecords": remaining,
    }


def _offset_page(batch: Batch, statuses, keys, offset: int, size: int) -> dict:
    order = _ordered(batch, statuses, keys)
    return {
        "items": [render.item(batch, i) for i in order[offset : offset + size]],
        "nextPageToken": "",
        "totalItemCount": len(order),
    }


def _segments(batch: Batch) -> List[Tuple[int, int, Optional[str]]]:
    """``(start, end, status)`` ranges in item order; None marks final items."""
    total, done = len(batch.items), batch.done
    if batch.phase == 0:
        return [(0, total, lifecycle.INITIALISED)]
    if batch.phase == 1:
        return [(0, total, lifecycle.WAITING_RESOURCES)]
    busy = min(total, done + lifecycle.WORKERS)
    return [
        (0, done, None),
        (done, busy, lifecycle.UPDATING),
        (busy, total, lifecycle.WAITING_RESOURCES),
    ]


def _matching(batch: Batch, statuses: Optional[Set[str]], start: int) -> Iterator[int]:
    """Indices from ``start`` on whose status is in ``statuses`` (None: all)."""
    for low, high, status in _segments(batch):
        low = max(low, start)
        if low >= high:
            continue
        if status is not None:
            if statuses is None or status in statuses:
                yield from range(low, high)
            continue

        want_updated = statuses is None or lifecycle.UPDATED in statuses
        want_failed = statuses is None or lifecycle.FAILED in statuses
        failed = batch.failed
        if want_updated and want_failed:
            yield from range(low, high)
        elif want_failed:
            first = bisect.bisect_left(failed, low)
            last = bisect.bisect_left(failed, high)
            yield from (failed[k] for k in range(first, last))
        elif want_updated:
            position = bisect.bisect_left(failed, low)
            for index in range(low, high):
                if position < len(failed) and failed[position] == index:
                    position += 1
                    continue
                yield index


def _count(batch: Batch, statuses: Optional[Set[str]], start: int) -> int:
    """How many items from ``start`` on have a status in ``statuses``."""
    count = 0
    for low, high, status in _segments(batch):
        low = max(low, start)
        if low >= high:
            continue
        if status is not None:
            count += high - low if statuses is None or status in statuses else 0
            continue

        failed = bisect.bisect_left(batch.failed, high)
        failed -= bisect.bisect_left(batch.failed, low)
        if statuses is None or lifecycle.UPDATED in statuses:
            count += high - low - failed
        if statuses is None or lifecycle.FAILED in statuses:
            count += failed
    return count


def _ordered(batch: Batch, statuses, keys) -> List[int]:
    """Matching indices sorted by ``keys``, ties in creation order; kept a while."""
    cache_key = (repr(sorted(statuses or ())), repr(keys), batch.phase, batch.done)
    cache = batch.orders
    if cache_key in cache:
        return cache[cache_key]

    order = list(_matching(batch, statuses, 0))
    for field, descending in reversed(keys):
        getter = SORT_FIELDS[field]
        order.sort(key=lambda i: getter(batch, i), reverse=descending)
    if len(cache) >= _KEPT_ORDERS:
        cache.pop(next(iter(cache)))
    cache[cache_key] = order
    return order


def _sort_keys(sort: Optional[str]) -> List[Tuple[str, bool]]:
    """``"dataId desc, status"`` as ``[("dataId", True), ("status", False)]``."""
    if sort is None:
        return []

    keys = []
    for part in sort.split(","):
        words = part.split()
        if not words:
            continue
        direction = words[1].lower() if len(words) == 2 else "asc"
        if len(words) > 2 or direction not in ("asc", "desc"):
            msg = "each sort field takes only ' asc' or ' desc', got %r" % part.strip()
            raise ProblemError(400, "validation", msg, {"sort": msg})
        if words[0] not in SORT_FIELDS:
            msg = "cannot sort on %r; fields are %s" % (
                words[0],
                ", ".join(sorted(SORT_FIELDS)),
            )
            raise ProblemError(400, "validation", msg, {"sort": msg})
        keys.append((words[0], direction == "desc"))
    return keys


def _integer(request: Request, name: str, default, low: int, high) -> Optional[int]:
    text = request.first(name)
    if text is None or text.strip() == "":
        return default

    problem = None
    if not _INTEGER.match(text.strip()):
        problem = "must be a number"
    elif int(text) < low:
        problem = "must be at least %d" % low
    elif high is not None and int(text) > high:
        problem = "must be at most %d" % high
    if problem:
        detail = "Query parameter %s %s, got %r." % (name, problem, text)
        raise ProblemError(400, "validation", detail, {name: problem})
    return int(text)


def _make_token(batch: Batch, start: int) -> str:
    raw = json.dumps({"b": batch.id, "s": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_token(batch: Batch, token: Optional[str]) -> int:
    """Where a page token says to start; 400 Problem if it is not one of ours."""
    if not token:
        return 0

    try:
        padded = token + "=" * (-len(token) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
        start = decoded["s"]
        good = decoded["b"] == batch.id and isinstance(start, int)
    except (ValueError, TypeError, KeyError):
        good = False
    if not good or not 0 <= start <= len(batch.items):
        detail = "The pageToken %r is not a token this list gave out." % token
        raise ProblemError(400, "validation", detail, {"pageToken": "is not valid"})
    return start
