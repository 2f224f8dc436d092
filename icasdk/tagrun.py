"""Running a ``TagPlan``: create each batch, wait for it, find what failed.

``run_plan`` creates every batch first (so the service works on them side
by side), then waits for each in turn and lists the items of any batch that
did not fully succeed. What a create call's error means for its data ids:

- a 4xx answer (or a request refused before sending): the batch was not
  created, the ids are ``failed`` with the error's message; after a 401, 403
  or 404 (which would hit every batch alike) the batches not yet sent are
  ``rejected`` instead of sent;
- no answer after the request may have reached the service (connection lost
  after sending, read timeout), a 5xx answer, or a 2xx answer that cannot be
  read: the batch may exist, so the ids are ``unknown`` and never resent;
- a connection that could not even be opened: ``failed`` (nothing was sent).

A batch created but not followed to its end (wait timeout, an error while
polling or listing) leaves its ids ``unknown``, with the batch id to check.

Ctrl-C (``KeyboardInterrupt``) during a run raises ``RunInterrupted``, a
``KeyboardInterrupt`` whose ``result`` keeps what is known: the batches
created so far (they go on in ICA), their ids ``unknown`` unless already
sorted, the ids of the batch whose create call was out ``unknown`` too, and
the ids of batches never sent ``rejected``.

Known gaps (issue #5):

- TODO(#5): a create whose answer was lost cannot be looked for: the API has
  no operation listing a project's batches, so its ids stay ``unknown``.
  Tag changes are idempotent, so sending those rows again (from the failed
  rows file) is safe once the user has decided to.
- TODO(#5): batches are created one after another, not in parallel; the
  service's limit on batches in flight per project is not documented, so
  the run does not guess one.
"""

from __future__ import annotations

import logging
import math
import time
import typing

from icasdk import exceptions, waiters
from icasdk.tagging import (
    FAILED,
    OUTCOMES,
    REJECTED,
    UNKNOWN,
    UPDATED,
    Outcome,
    PlannedBatch,
    TagPlan,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 3600.0
"""Seconds to wait, for all the batches together, before giving up on them."""
LIST_PAGE_SIZE = 1000
"""Items per page when listing a batch's items."""

ITEM_UPDATED = "UPDATED"
ITEM_FINAL = frozenset({"UPDATED", "PARTIALLY_UPDATED", "FAILED"})
NOT_UPDATED = (
    "FAILED",
    "PARTIALLY_UPDATED",
    "INITIALISED",
    "WAITING_RESOURCES",
    "UPDATING",
)
"""The item statuses other than UPDATED that the API defines."""
WAIT_OPTIONS = frozenset({"initial_interval", "max_interval"})
"""The ``wait_options`` that ``run_plan`` passes on to the waiter."""
STOPPING_STATUSES = frozenset({401, 403, 404})
"""Create errors that would hit every later batch too: stop sending."""

CREATE = "create"
WAIT = "wait"
DONE = "done"


class Progress(typing.NamedTuple):
    """Where a run stands, for an ``on_progress`` callback."""

    stage: str
    """``create``, ``wait`` or ``done``."""
    batch: int
    """The batch being created or waited for, counted from 1."""
    batches: int
    done: int
    """Items final (updated or failed) in the batches waited for so far."""
    total: int
    """Data ids the batches carry."""
    job_status: str = ""
    batch_id: typing.Optional[str] = None


ProgressCallback = typing.Callable[[Progress], None]


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run; ``result`` is the ``TagResult`` of what is known.

    Every id has an outcome: ``unknown`` for a batch that was created (or
    may have been) and not followed to its end, ``rejected`` for a batch
    never sent. The batches created go on in ICA.
    """

    def __init__(self, result: TagResult) -> None:
        super().__init__("the run was interrupted")
        self.result = result


class TagResult:
    """Every data id's ``Outcome``, and the batches that were created."""

    def __init__(
        self,
        outcomes: typing.Dict[str, Outcome],
        batches: typing.Dict[str, str],
        errors: typing.List[exceptions.OpenApiException],
    ) -> None:
        self.outcomes = outcomes
        self.batches = batches
        """Job status (or ``unknown``) of each created batch, by batch id."""
        self.errors = errors
        """The errors met along the way, in order."""

    @property
    def counts(self) -> typing.Dict[str, int]:
        """How many ids ended in each outcome; they add up to every id."""
        counts = dict.fromkeys(OUTCOMES, 0)
        for outcome in self.outcomes.values():
            counts[outcome.outcome] += 1
        return counts

    @property
    def ok(self) -> bool:
        """True when every id was updated."""
        return all(o.outcome == UPDATED for o in self.outcomes.values())

    @property
    def problems(self) -> typing.List[Outcome]:
        """The outcomes that are not updates, in input order."""
        return [o for o in self.outcomes.values() if o.outcome != UPDATED]

    @property
    def auth_error(self) -> typing.Optional[exceptions.ApiException]:
        """The first 401 or 403 met, if any."""
        for error in self.errors:
            if isinstance(error, exceptions.ApiException) and error.status in (
                401,
                403,
            ):
                return error
        return None

    def to_dict(self) -> dict:
        """The result as plain JSON-ready data (problems only, not every update)."""
        return {
            "counts": self.counts,
            "batches": [
                {"id": batch_id, "status": status}
                for batch_id, status in self.batches.items()
            ],
            "problems": [
                {
                    "dataId": o.data_id,
                    "outcome": o.outcome,
                    "reason": o.reason,
                    "batchId": o.batch_id,
                    "itemStatus": o.item_status,
                }
                for o in self.problems
            ],
        }

    def __repr__(self) -> str:
        shown = " ".join(f"{name}={count}" for name, count in self.counts.items())
        return f"<TagResult {shown}>"


def run_plan(
    plan: TagPlan,
    api: typing.Any,
    project_id: str,
    *,
    timeout: typing.Optional[float] = DEFAULT_TIMEOUT,
    on_progress: typing.Optional[ProgressCallback] = None,
    wait_options: typing.Optional[typing.Mapping[str, typing.Any]] = None,
    clock: typing.Callable[[], float] = time.monotonic,
) -> TagResult:
    """Send ``plan`` to ``project_id`` through ``api`` and collect the outcomes.

    ``timeout`` bounds the waiting for all batches together, in seconds
    (None: no bound; 0: one look at each batch); ``wait_options`` go to
    ``api.wait_for_project_data_update_batch`` (its poll intervals). They
    are checked before anything is sent: a bad value raises ``ValueError``
    or ``TypeError`` rather than leave created batches behind. Errors are
    never raised for a batch: they become outcomes, and ``TagResult.errors``
    keeps them.
    """
    check_run_options(timeout, wait_options, on_progress)
    run = _Run(plan, api, project_id, on_progress or _ignore, wait_options or {})
    try:
        run.create_all()
        deadline = None if timeout is None else clock() + timeout
        for planned, batch_id in list(run.created):
            left = None if deadline is None else max(0.0, deadline - clock())
            run.follow(planned, batch_id, left)
    except KeyboardInterrupt:
        run.interrupted()
        raise RunInterrupted(run.result()) from None
    run.report(DONE, len(plan.batches))
    return run.result()


def check_run_options(
    timeout: typing.Optional[float],
    wait_options: typing.Optional[typing.Mapping[str, typing.Any]] = None,
    on_progress: typing.Optional[ProgressCallback] = None,
) -> None:
    """Raise ``ValueError`` or ``TypeError`` for options a run could not keep to."""
    if timeout is not None:
        _check_seconds("timeout", timeout, zero_ok=True)
    options = dict(wait_options or {})
    unknown = sorted(set(options) - WAIT_OPTIONS)
    if unknown:
        msg = (
            f"wait_options takes {' and '.join(sorted(WAIT_OPTIONS))}, got "
            f"{', '.join(repr(name) for name in unknown)}"
        )
        raise TypeError(msg)
    for name, value in options.items():
        _check_seconds(f"wait_options[{name!r}]", value)
    first = options.get("initial_interval", waiters.INITIAL_INTERVAL)
    most = options.get("max_interval", waiters.MAX_INTERVAL)
    if most < first:
        msg = (
            "wait_options needs initial_interval <= max_interval (default "
            f"{waiters.MAX_INTERVAL:g}), got {first!r} and {most!r}"
        )
        raise ValueError(msg)
    if on_progress is not None and not callable(on_progress):
        msg = f"on_progress must be a callable or None, got {on_progress!r}"
        raise TypeError(msg)


def _check_seconds(name: str, value: typing.Any, zero_ok: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"{name} must be a number of seconds, got {value!r}"
        raise TypeError(msg)
    low_ok = value >= 0 if zero_ok else value > 0
    if not low_ok or not math.isfinite(value):
        kind = "zero or a positive" if zero_ok else "a positive"
        msg = f"{name} must be {kind}, finite number of seconds, got {value!r}"
        if name == "timeout" and value == math.inf:
            msg += " (None waits for ever)"
        raise ValueError(msg)


class _Run:
    """The state of one run: outcomes so far, created batches, progress."""

    def __init__(self, plan, api, project_id, on_progress, wait_options) -> None:
        self.plan = plan
        self.api = api
        self.project_id = project_id
        self.on_progress = on_progress
        self.wait_options = wait_options
        self.outcomes: typing.Dict[str, Outcome] = dict(plan.rejected)
        self.batches: typing.Dict[str, str] = {}
        self.created: typing.List[typing.Tuple[PlannedBatch, str]] = []
        self.sending: typing.Optional[PlannedBatch] = None
        """The batch whose create call is out, if any."""
        self.errors: typing.List[exceptions.OpenApiException] = []
        self.done = 0

    def result(self) -> TagResult:
        return TagResult(self.outcomes, self.batches, self.errors)

    def report(self, stage: str, batch: int, **extra: typing.Any) -> None:
        progress = Progress(
            stage, batch, len(self.plan.batches), self.done, self.plan.to_send, **extra
        )
        self.on_progress(progress)

    def settle(self, planned: PlannedBatch, outcome: str, reason: str, **extra) -> None:
        """Give every id of ``planned`` that has no outcome yet this one."""
        for data_id in planned.data_ids:
            if data_id not in self.outcomes:
                changes = self.plan.changes_of(data_id)
                self.outcomes[data_id] = Outcome(
                    data_id, outcome, reason, changes, **extra
                )

    def interrupted(self) -> None:
        """After Ctrl-C, give each id still without an outcome the one it has."""
        log.warning(
            "run interrupted; %d created batches go on in ICA", len(self.created)
        )
        if self.sending is not None:
            reason = (
                f"batch {self.sending.number} may or may not have been created: the "
                "run was interrupted while sending it (not resent)"
            )
            self.settle(self.sending, UNKNOWN, reason)
        for planned, batch_id in self.created:
            reason = (
                f"batch {batch_id} was created, but the run was interrupted before "
                f"its end (check it with: icasdk batch wait {self.project_id} "
                f"{batch_id})"
            )
            self.settle(planned, UNKNOWN, reason, batch_id=batch_id)
        for planned in self.plan.batches:
            reason = f"not sent: the run was interrupted before batch {planned.number}"
            self.settle(planned, REJECTED, reason)

    # -- creating -----------------------------------------------------------

    def create_all(self) -> None:
        """Create each batch in turn; ``created`` lists the ones that exist."""
        stopped_by = None
        for planned in self.plan.batches:
            if stopped_by is not None:
                reason = f"not sent: the run stopped after {stopped_by}"
                self.settle(planned, REJECTED, reason)
                continue

            self.report(CREATE, planned.number)
            stop = self.create(planned)
            if stop:
                stopped_by = f"batch {planned.number} was refused ({stop})"

    def create(self, planned: PlannedBatch) -> typing.Optional[str]:
        """Create one batch (noted in ``created``); why to stop sending, if so."""
        self.sending = planned
        try:
            response = self.api.create_project_data_update_batch(
                body=planned.body(), path_params={"projectId": self.project_id}
            )
            batch_id = str(response.body["id"])
        except exceptions.OpenApiException as err:
            self.sending = None
            self.errors.append(err)
            outcome = _create_failure_outcome(err)
            reason = f"batch {planned.number} was not created: {describe_error(err)}"
            if outcome == UNKNOWN:
                reason = (
                    f"batch {planned.number} may or may not have been created "
                    f"(not resent): {describe_error(err)}"
                )
            log.warning("creating batch %d: %s", planned.number, describe_error(err))
            self.settle(planned, outcome, reason)
            status = getattr(err, "status", None)
            stop = status in STOPPING_STATUSES and isinstance(
                err, exceptions.ApiException
            )
            return f"HTTP {status}" if stop else None

        log.info(
            "created batch %d of %d: %s (%d data ids)",
            planned.number,
            len(self.plan.batches),
            batch_id,
            len(planned.data_ids),
        )
        self.batches[batch_id] = UNKNOWN
        self.created.append((planned, batch_id))
        self.sending = None
        return None

    # -- following ----------------------------------------------------------

    def follow(
        self, planned: PlannedBatch, batch_id: str, timeout: typing.Optional[float]
    ) -> None:
        """Wait for a created batch and give each of its ids an outcome."""
        path = {"projectId": self.project_id, "batchId": batch_id}
        before = self.done

        def progress(status: str, counts: typing.Mapping[str, int]) -> None:
            final = sum(n for s, n in counts.items() if s in ITEM_FINAL)
            self.done = before + min(final, len(planned.data_ids))
            self.report(WAIT, planned.number, job_status=status, batch_id=batch_id)

        try:
            waited = self.api.wait_for_project_data_update_batch(
                path_params=path,
                timeout=timeout,
                on_progress=progress,
                **self.wait_options,
            )
            self.batches[batch_id] = waited.status
            self.sort_items(planned, batch_id, waited.status, waited.counts)
        except exceptions.OpenApiException as err:
            self.errors.append(err)
            last = getattr(err, "last_status", None)
            if last:
                self.batches[batch_id] = last
            reason = (
                f"batch {batch_id} was created but could not be followed to its end "
                f"(check it with: icasdk batch wait): {describe_error(err)}"
            )
            log.warning("following batch %s: %s", batch_id, describe_error(err))
            self.settle(planned, UNKNOWN, reason, batch_id=batch_id)
        self.done = before + len(planned.data_ids)

    def sort_items(
        self,
        planned: PlannedBatch,
        batch_id: str,
        job_status: str,
        counts: typing.Mapping[str, int],
    ) -> None:
        """Mark the batch's ids updated or failed, from the job and its items."""
        size = len(planned.data_ids)
        updated = counts.get(ITEM_UPDATED)
        if job_status == "SUCCEEDED" and updated == size:
            log.debug("batch %s: every item UPDATED, no listing needed", batch_id)
            self.settle(
                planned, UPDATED, "", batch_id=batch_id, item_status=ITEM_UPDATED
            )
            return

        path = {"projectId": self.project_id, "batchId": batch_id}
        page_size = str(LIST_PAGE_SIZE)
        if updated is not None:
            query = {"status": list(NOT_UPDATED), "pageSize": page_size}
            found = self.mark_items(planned, batch_id, job_status, path, query)
            if found + updated == size:
                self.settle(
                    planned, UPDATED, "", batch_id=batch_id, item_status=ITEM_UPDATED
                )
                return
            log.debug(
                "batch %s: %d items not UPDATED and %d UPDATED of %d; listing all",
                batch_id,
                found,
                updated,
                size,
            )

        self.mark_items(planned, batch_id, job_status, path, {"pageSize": page_size})
        reason = f"batch {batch_id} did not list this data id among its items"
        self.settle(planned, UNKNOWN, reason, batch_id=batch_id)

    def mark_items(self, planned, batch_id, job_status, path, query) -> int:
        """Give the listed items their outcome; how many were not UPDATED."""
        wanted = set(planned.data_ids)
        not_updated = 0
        items = self.api.iter_project_data_update_batch_items(
            path_params=path, query_params=query
        )
        for item in items:
            data_id = item["request"]["dataId"]
            if data_id not in wanted:
                log.warning(
                    "batch %s lists data id %r it was not sent", batch_id, data_id
                )
                continue

            processing = item["processing"]
            status = processing["status"]
            if status == ITEM_UPDATED:
                reason, outcome = "", UPDATED
            else:
                not_updated += 1
                outcome = FAILED
                info = processing.get("additionalStatusInformation")
                reason = info or f"item ended {status} (job {job_status})"
            changes = self.plan.changes_of(data_id)
            self.outcomes[data_id] = Outcome(
                data_id, outcome, reason, changes, batch_id, status
            )
        return not_updated


def _create_failure_outcome(err: exceptions.OpenApiException) -> str:
    """``failed`` when the batch surely was not created, else ``unknown``."""
    if isinstance(err, exceptions.ApiException):
        status = err.status or 0
        return FAILED if 400 <= status <= 499 else UNKNOWN
    if isinstance(err, exceptions.ApiConnectionError):
        from icasdk.retries import is_not_sent

        cause = err.__cause__
        return FAILED if cause is not None and is_not_sent(cause) else UNKNOWN
    if getattr(err, "response", None) is not None:
        return UNKNOWN  # a 2xx answer that could not be read: it was created
    return FAILED  # refused before sending (a request validation error)


def describe_error(err: BaseException) -> str:
    """``ClassName: message`` on one line."""
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _ignore(progress: Progress) -> None:
    pass
