"""Waiting for a job to finish: poll, report progress, give up on time.

A batch's ``job.status`` moves through INITIALIZED, WAITING_FOR_RESOURCES and
RUNNING to one of the final statuses below. ``wait_for_job`` polls with an
interval that grows to a cap, calls ``on_progress`` with the status and the
item counts per status, and raises ``WaitTimeout`` (keeping the last status
and response) when the overall timeout passes first.

The generated API classes expose this as ``wait_for_<resource>()`` methods.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import typing

from icasdk.exceptions import OpenApiException

log = logging.getLogger(__name__)

FINAL_JOB_STATUSES = frozenset(
    {"SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED", "STOPPED"}
)
"""Job statuses after which nothing changes any more."""

DEFAULT_TIMEOUT = 3600.0
INITIAL_INTERVAL = 1.0
MAX_INTERVAL = 15.0
INTERVAL_GROWTH = 1.5

ProgressCallback = typing.Callable[[str, typing.Mapping[str, int]], None]


class WaitTimeout(OpenApiException):
    """The job did not reach a final status in time."""

    def __init__(
        self, message: str, last_status: str, last_response: typing.Any
    ) -> None:
        super().__init__(message)
        self.last_status = last_status
        self.last_response = last_response


@dataclasses.dataclass(frozen=True)
class WaitResult:
    """How a job ended: the resource as last read, its status and item counts.

    PARTIALLY_SUCCEEDED is an outcome of its own: check ``status`` rather
    than treating it as a success or a failure.
    """

    batch: typing.Any
    status: str
    counts: typing.Mapping[str, int]

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    @property
    def partially_succeeded(self) -> bool:
        return self.status == "PARTIALLY_SUCCEEDED"

    @property
    def failed(self) -> bool:
        return self.status in ("FAILED", "STOPPED")


def wait_for_job(
    fetch: typing.Callable[[], typing.Any],
    count_items: typing.Optional[typing.Callable[[], typing.Mapping[str, int]]] = None,
    *,
    timeout: typing.Optional[float] = DEFAULT_TIMEOUT,
    on_progress: typing.Optional[ProgressCallback] = None,
    initial_interval: float = INITIAL_INTERVAL,
    max_interval: float = MAX_INTERVAL,
    sleep: typing.Callable[[float], None] = time.sleep,
    clock: typing.Callable[[], float] = time.monotonic,
) -> WaitResult:
    """Poll ``fetch()`` until the body's ``job.status`` is final.

    ``fetch`` returns an API response whose body has a ``job``;
    ``count_items`` returns item counts per status (called for progress and
    once at the end). ``timeout`` None waits for ever.
    """
    _check_seconds("initial_interval", initial_interval)
    _check_seconds("max_interval", max_interval)
    if timeout is not None:
        _check_seconds("timeout", timeout, zero_ok=True)  # 0: poll once
    if max_interval < initial_interval:
        msg = (
            "need initial_interval <= max_interval, got "
            f"{initial_interval!r} and {max_interval!r}"
        )
        raise ValueError(msg)

    deadline = None if timeout is None else clock() + timeout
    interval = initial_interval
    while True:
        response = fetch()
        status = _job_status(response.body)
        if status in FINAL_JOB_STATUSES:
            counts = count_items() if count_items is not None else {}
            if on_progress is not None:
                on_progress(status, counts)
            log.info("job finished with status %s", status)
            return WaitResult(response.body, status, counts)

        if on_progress is not None:
            on_progress(status, count_items() if count_items is not None else {})
        pause = interval
        if deadline is not None:
            remaining = deadline - clock()
            if remaining <= 0:
                msg = (
                    f"the job is still {status} after {timeout:g} s; "
                    "wait again or give a longer timeout"
                )
                raise WaitTimeout(msg, status, response)
            pause = min(interval, remaining)

        log.debug("job is %s; polling again in %.1f s", status, pause)
        sleep(pause)
        interval = min(interval * INTERVAL_GROWTH, max_interval)


def _check_seconds(name: str, value: object, zero_ok: bool = False) -> None:
    """A positive (or zero), finite number of seconds, or an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"{name} must be a number of seconds, got {value!r}"
        raise TypeError(msg)
    low_ok = value >= 0 if zero_ok else value > 0
    if not (low_ok and value < float("inf")):
        kind = "zero or more" if zero_ok else "positive"
        msg = f"{name} must be a {kind}, finite number of seconds, got {value!r}"
        raise ValueError(msg)


def _job_status(body: typing.Any) -> str:
    job = body.get("job") if hasattr(body, "get") else None
    status = job.get("status") if hasattr(job, "get") else None
    if not isinstance(status, str):
        raise OpenApiException(f"the response has no job status: {body!r:.200}")
    return status


def count_by_status(
    fetch_page: typing.Callable[..., typing.Any],
    path_params: typing.Mapping[str, typing.Any],
    statuses: typing.Sequence[str],
) -> typing.Dict[str, int]:
    """Items per status, one small offset-paged request per status.

    Reads ``totalItemCount`` of a one-item page filtered by each status.
    """
    counts = {}
    for status in statuses:
        query = {"status": [status], "pageSize": "1", "pageOffset": "0"}
        page = fetch_page(path_params=path_params, query_params=query).body
        total = page.get("totalItemCount")
        if not isinstance(total, int):
            msg = f"the item list gave no totalItemCount for status {status}"
            raise OpenApiException(msg)
        counts[status] = total
    return counts
