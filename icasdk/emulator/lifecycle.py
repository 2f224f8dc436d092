"""How a batch's job and items move, and the pace at which they do.

A batch has a *position* on one line: ``0 <= p < 1`` is the job's
INITIALIZED phase, ``1 <= p < 2`` WAITING_FOR_RESOURCES, and from 2 on the
job is RUNNING with ``floor(p - 2)`` items finished; at ``2 + n`` it is done.
With a rate the position grows with wall-clock time since the batch was
created; in step mode it moves only on :func:`advance` / :func:`finish`.

Nothing runs in the background: :func:`settle` is called before every read
and catches a batch up, really applying the tag changes of each item that has
reached its final status (folders recursively), so the data shows them.
Batches are settled oldest first, each as a whole, so two batches running at
once over the same data apply in the order they were created rather than
interleaved item by item.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from icasdk.emulator.state import Batch, Data, Item, State

log = logging.getLogger(__name__)

# Items in UPDATING at once, as if a pool of workers took them in order.
WORKERS = 10
# Seconds spent in each of INITIALIZED and WAITING_FOR_RESOURCES at a rate.
PHASE_SECONDS = 0.1
# Items per second when no pace is given: 1,000 items in about two seconds.
DEFAULT_RATE = 500.0

INITIALISED = "INITIALISED"
WAITING_RESOURCES = "WAITING_RESOURCES"
UPDATING = "UPDATING"
UPDATED = "UPDATED"
FAILED = "FAILED"


@dataclasses.dataclass(frozen=True)
class Pace:
    """Items per second, or ``None`` for step mode."""

    items_per_second: Union[float, None]
    phase_seconds: float = PHASE_SECONDS

    @property
    def step(self) -> bool:
        """Whether batches move only when told to."""
        return self.items_per_second is None

    def describe(self) -> str:
        """``"step"`` or the rate, as the CLI takes it."""
        return "step" if self.step else "%g" % self.items_per_second


STEP = Pace(None)


def make_pace(value: Union[Pace, str, float, None]) -> Pace:
    """Read a pace given as ``None`` (default), ``"step"``, a number or a Pace."""
    if isinstance(value, Pace):
        return value
    if value is None:
        return Pace(DEFAULT_RATE)
    if isinstance(value, str) and value.strip().lower() == "step":
        return STEP

    try:
        rate = float(value)
    except (TypeError, ValueError):
        msg = "pace must be 'step' or a number of items per second, got %r" % (value,)
        raise ValueError(msg) from None
    if not (rate > 0 and math.isfinite(rate)):
        msg = "pace must be a positive, finite number of items per second, got %r"
        raise ValueError(msg % (value,))
    return Pace(rate)


def position(batch: Batch, now: float) -> float:
    """Where ``batch`` stands at ``now`` (see the module docstring)."""
    pace = batch.pace
    if pace.step:
        return batch.steps

    elapsed = max(0.0, now - batch.created)
    phases = 2 * pace.phase_seconds
    if elapsed < phases:
        return elapsed / pace.phase_seconds
    return 2.0 + (elapsed - phases) * pace.items_per_second


def _moment(batch: Batch, where: float, now: float) -> float:
    """When ``batch`` reached position ``where``; never later than ``now``."""
    pace = batch.pace
    if pace.step:
        return now

    offset = 2 * pace.phase_seconds + (where - 2.0) / pace.items_per_second
    return min(now, batch.created + offset)


def job_status(batch: Batch) -> str:
    """The job's status as of the last :func:`settle`."""
    if batch.finished is not None:
        if not batch.failed:
            return "SUCCEEDED"
        if len(batch.failed) == len(batch.items):
            return "FAILED"
        return "PARTIALLY_SUCCEEDED"
    return ("INITIALIZED", "WAITING_FOR_RESOURCES", "RUNNING")[batch.phase]


def item_status(batch: Batch, index: int) -> str:
    """The status of item ``index`` as of the last :func:`settle`."""
    if index < batch.done:
        return batch.items[index].result
    if batch.phase == 0:
        return INITIALISED
    if batch.phase == 2 and index < batch.done + WORKERS:
        return UPDATING
    return WAITING_RESOURCES


def settle(state: State, batch: Batch, now: float) -> None:
    """Catch ``batch`` up to ``now``, applying the items that finished."""
    if batch.finished is not None:
        return

    total = len(batch.items)
    before = (batch.phase, batch.done, batch.started)
    where = min(position(batch, now), 2.0 + total)
    phase = 0 if where < 1 else 1 if where < 2 else 2
    done = int(where - 2.0) if phase == 2 else 0
    if phase == 2 and batch.started is None:
        batch.started = _moment(batch, 2.0, now)

    touched = {}
    for index in range(batch.done, done):
        item = batch.items[index]
        for data in _apply(state, batch, item):
            touched[data.id] = data
        if item.result == FAILED:
            batch.failed.append(index)
    changed = batch.items[batch.done : done]
    batch.phase, batch.done = phase, done
    if done == total and phase == 2:
        batch.finished = _moment(batch, 2.0 + total, now)
        log.debug("batch %s finished: %s", batch.id, job_status(batch))

    if (batch.phase, batch.done, batch.started) != before:
        state.save_data(touched.values())
        state.save_items(batch, changed)
        state.save_batch(batch)


def advance(batch: Batch, now: float, items: Union[int, None] = None) -> None:
    """Move ``batch`` on: one phase, or ``items`` more items when given.

    A batch paced by a rate is frozen where it stands and moves only on
    demand from then on. The caller settles the state afterwards.
    """
    if not batch.pace.step:
        batch.steps = position(batch, now)
        batch.pace = STEP

    end = 2.0 + len(batch.items)
    if items is None:
        nxt = float(int(batch.steps) + 1) if batch.steps < 2 else end
    else:
        nxt = max(batch.steps, 2.0) + items
    batch.steps = min(max(batch.steps, nxt), end)
    log.debug("batch %s advanced to position %s", batch.id, batch.steps)


def finish(batch: Batch, now: float) -> None:
    """Move ``batch`` to its end: every item final."""
    advance(batch, now, items=len(batch.items))


def _apply(state: State, batch: Batch, item: Item) -> list:
    """Apply one item's update; return the data it changed."""
    data = state.data.get(item.data_id)
    if data is None:
        item.result, item.info = FAILED, "Data %r was not found." % item.data_id
        return []
    if data.project_id != batch.project_id:
        item.result = FAILED
        item.info = "Data %r belongs to another project than %r." % (
            item.data_id,
            batch.project_id,
        )
        return []

    # TODO(#4): ICA can end a folder's item PARTIALLY_UPDATED when some of its
    # files cannot be changed; nothing here can fail part way, so it never does.
    group = batch.groups[item.group]
    targets = [data]
    if data.is_folder:
        targets.extend(state.descendants(data))
    for target in targets:
        _update(target, group)
    item.result, item.info = UPDATED, None
    return targets


def _update(data: Data, group: dict) -> None:
    """Apply a data update group to one data: tags first, then dates."""
    pairs = ((data.user_tags, "userTags"), (data.technical_tags, "technicalTags"))
    for tags, key in pairs:
        change = group.get(key) or {}
        for tag in change.get("addTags") or ():
            if tag not in tags:
                tags.append(tag)
        for tag in change.get("removeTags") or ():
            if tag in tags:
                tags.remove(tag)

    for when, clear in (
        ("willBeArchivedAt", "clearWillBeArchivedAt"),
        ("willBeDeletedAt", "clearWillBeDeletedAt"),
    ):
        if group.get(when):
            data.dates[when] = group[when]
        if group.get(clear):
            data.dates.pop(when, None)
