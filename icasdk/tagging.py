"""Bulk tagging: plan tag changes for many data ids, then send them in batches.

``plan_tag_updates`` takes any number of ``(data id, TagChanges)`` rows (a
third item, the row's line number, makes messages point at it). It checks
every id locally, merges the rows of an id, rejects ids that ask to add and
remove the same tag, groups ids that share one change into a
``DataUpdateGroup`` and packs the groups into batches of at most
``batch_size`` data ids. Nothing is sent: ``str(plan)`` describes it (a dry
run) and ``plan.run(api, project_id)`` sends it (see ``icasdk.tagrun``).

Every distinct id ends in exactly one outcome:

- ``updated``: the batch item reached UPDATED;
- ``failed``: the service refused or could not apply it (the reason is the
  item's ``additionalStatusInformation``, or the error of the create call);
- ``rejected``: never sent, with the reason (malformed id, conflicting
  changes, nothing to change, or the run stopped before its batch);
- ``unknown``: its batch may or may not exist (the create call got no
  answer) or could not be followed to the end; it is never resent blindly.

Planning is linear and cheap: a change is normalised once per distinct
change, and models are built once per group and batch, never per row.
"""

from __future__ import annotations

import logging
import re
import typing

if typing.TYPE_CHECKING:
    from icasdk.model.data_update_group import DataUpdateGroup
    from icasdk.tagrun import TagResult

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5_000
"""Data ids per create call: the service's advice."""
MAX_BATCH_SIZE = 100_000
"""The most data ids the service accepts in one create call."""

DATA_ID = re.compile(r"(?:fil|fol)\.[0-9a-f]{32}")
"""A file or folder id: ``fil.`` or ``fol.`` and 32 lowercase hex digits."""

UPDATED = "updated"
FAILED = "failed"
REJECTED = "rejected"
UNKNOWN = "unknown"
OUTCOMES = (UPDATED, FAILED, REJECTED, UNKNOWN)

# How many line numbers a message names before it says "and N more".
MAX_LINES_SHOWN = 5

Line = typing.Optional[int]


class TagChanges(typing.NamedTuple):
    """The tags to add and remove on one data id; each a tuple of strings."""

    add_user_tags: typing.Tuple[str, ...] = ()
    remove_user_tags: typing.Tuple[str, ...] = ()
    add_technical_tags: typing.Tuple[str, ...] = ()
    remove_technical_tags: typing.Tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        add_user_tags: typing.Iterable[str] = (),
        remove_user_tags: typing.Iterable[str] = (),
        add_technical_tags: typing.Iterable[str] = (),
        remove_technical_tags: typing.Iterable[str] = (),
    ) -> TagChanges:
        """A change from any iterables of tags (a lone string is refused)."""
        given = (
            add_user_tags,
            remove_user_tags,
            add_technical_tags,
            remove_technical_tags,
        )
        for name, tags in zip(cls._fields, given):
            if isinstance(tags, str):
                msg = f"{name} must be a list of tags, got the string {tags!r}"
                raise TypeError(msg)
        return cls(*(tuple(tags) for tags in given))

    @property
    def is_empty(self) -> bool:
        """True when nothing would change."""
        return not any(self)

    def merged(self, other: TagChanges) -> TagChanges:
        """Both changes together, each tag once, in the order first given."""
        return TagChanges(
            *(_unique(mine + theirs) for mine, theirs in zip(self, other))
        )

    def normalized(self) -> TagChanges:
        """The same change with each list sorted and free of repeats."""
        return TagChanges(*(tuple(sorted(set(tags))) for tags in self))

    def conflicts(self) -> typing.List[str]:
        """What this change asks both to add and to remove, in words."""
        found = []
        kinds = (
            ("user", self.add_user_tags, self.remove_user_tags),
            ("technical", self.add_technical_tags, self.remove_technical_tags),
        )
        for kind, added, removed in kinds:
            both = sorted(set(added) & set(removed))
            if both:
                shown = ", ".join(repr(tag) for tag in both)
                noun = "tag" if len(both) == 1 else "tags"
                found.append(f"asked both to add and to remove {kind} {noun} {shown}")
        return found

    def describe(self) -> str:
        """``+user: a, b; -technical: c``, or ``no change``."""
        labels = ("+user", "-user", "+technical", "-technical")
        parts = [
            f"{label}: {', '.join(tags)}" for label, tags in zip(labels, self) if tags
        ]
        return "; ".join(parts) or "no change"


class Outcome(typing.NamedTuple):
    """How one data id ended; ``reason`` is empty for an update."""

    data_id: str
    outcome: str
    reason: str
    changes: TagChanges
    batch_id: typing.Optional[str] = None
    item_status: typing.Optional[str] = None


class ChangeGroup(typing.NamedTuple):
    """Data ids that share one change."""

    changes: TagChanges
    data_ids: typing.List[str]


class PlannedBatch(typing.NamedTuple):
    """One create call: its groups as models and as plain changes."""

    number: int
    """Counted from 1."""
    groups: typing.Tuple[DataUpdateGroup, ...]
    changes: typing.Tuple[TagChanges, ...]
    """The change of each group, in the same order."""
    data_ids: typing.Tuple[str, ...]
    """Every data id of the batch, group after group."""

    def body(self):
        """The ``CreateProjectDataUpdateBatch`` to send."""
        from icasdk.model.create_project_data_update_batch import (
            CreateProjectDataUpdateBatch,
        )

        return CreateProjectDataUpdateBatch(dataUpdateGroups=self.groups)


# --------------------------------------------------------------------------
# Checking ids


def is_data_id(value: str) -> bool:
    """True for a well-formed file or folder id."""
    return DATA_ID.fullmatch(value) is not None


def data_id_problem(value: str) -> str:
    """Why ``value`` is not a data id, in words."""
    if not value:
        return "no data id given"

    expected = "expected 'fil.' or 'fol.' followed by 32 lowercase hex digits"
    prefix, dot, digits = value.partition(".")
    hint = ""
    if dot and prefix in ("fil", "fol"):
        if digits.lower() != digits and re.fullmatch(r"[0-9a-fA-F]{32}", digits):
            hint = " (the hex digits must be lowercase)"
        elif re.fullmatch(r"[0-9a-fA-F]*", digits):
            hint = f" (got {len(digits)} hex digits)"
    return f"malformed data id {value!r}: {expected}{hint}"


# --------------------------------------------------------------------------
# Planning


class TagPlan:
    """What a bulk tagging run will send, and what it rejected up front.

    ``batches`` are the create calls in order; ``rejected`` maps each
    rejected id to its ``Outcome``. ``rows`` counts the rows read and
    ``data_ids`` the distinct ids among them (sent or rejected).
    """

    def __init__(
        self,
        *,
        batches: typing.Sequence[PlannedBatch],
        groups: typing.Sequence[ChangeGroup],
        rejected: typing.Mapping[str, Outcome],
        changes: typing.Mapping[str, TagChanges],
        rows: int,
        batch_size: int,
    ) -> None:
        self.batches = tuple(batches)
        self.groups = tuple(groups)
        self.rejected = dict(rejected)
        self._changes = changes
        self.rows = rows
        self.batch_size = batch_size

    @property
    def to_send(self) -> int:
        """How many data ids the batches carry."""
        return sum(len(batch.data_ids) for batch in self.batches)

    @property
    def data_ids(self) -> int:
        """Distinct data ids read: sent and rejected."""
        return self.to_send + len(self.rejected)

    def changes_of(self, data_id: str) -> TagChanges:
        """The merged change asked for ``data_id``."""
        return self._changes[data_id]

    def run(
        self,
        api: typing.Any,
        project_id: str,
        **options: typing.Any,
    ) -> TagResult:
        """Create the batches, wait for each and collect every id's outcome.

        ``api`` is a ``ProjectDataUpdateBatchApi``; see
        ``icasdk.tagrun.run_plan`` for the options (``timeout``,
        ``on_progress``, ``wait_options``).
        """
        from icasdk.tagrun import run_plan

        return run_plan(self, api, project_id, **options)

    def to_dict(self) -> dict:
        """The plan as plain JSON-ready data."""
        return {
            "rows": self.rows,
            "dataIds": self.data_ids,
            "toSend": self.to_send,
            "batchSize": self.batch_size,
            "groups": [
                {
                    "changes": _changes_dict(group.changes),
                    "dataIds": len(group.data_ids),
                }
                for group in self.groups
            ],
            "batches": [
                {"number": batch.number, "dataIds": len(batch.data_ids)}
                for batch in self.batches
            ],
            "rejected": [
                {"dataId": outcome.data_id, "reason": outcome.reason}
                for outcome in self.rejected.values()
            ],
        }

    def __str__(self) -> str:
        lines = [
            f"{self.rows:,} rows, {self.data_ids:,} distinct data ids: "
            f"{self.to_send:,} to send in {len(self.batches)} "
            f"{_plural(len(self.batches), 'batch', 'batches')} "
            f"of at most {self.batch_size:,}, {len(self.rejected):,} rejected",
        ]
        for group in self.groups:
            lines.append(f"  {len(group.data_ids):>8,} ids  {group.changes.describe()}")
        for outcome in self.rejected.values():
            lines.append(f"  rejected {outcome.data_id or '(empty)'}: {outcome.reason}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<TagPlan rows={self.rows} to_send={self.to_send} "
            f"batches={len(self.batches)} rejected={len(self.rejected)}>"
        )


def check_batch_size(batch_size: int) -> int:
    """``batch_size`` if the service allows it; ValueError otherwise."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        msg = f"batch_size must be a whole number, got {batch_size!r}"
        raise TypeError(msg)
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        msg = (
            f"batch_size must be between 1 and {MAX_BATCH_SIZE:,} "
            f"(the most data ids the service takes in one batch), got {batch_size!r}"
        )
        raise ValueError(msg)
    return batch_size


def plan_tag_updates(
    rows: typing.Iterable[typing.Sequence[typing.Any]],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> TagPlan:
    """Plan the batches for ``rows`` of ``(data_id, TagChanges[, line])``."""
    check_batch_size(batch_size)
    changes, lines, count = _merge_rows(rows)

    rejected: typing.Dict[str, Outcome] = {}
    by_change: typing.Dict[TagChanges, ChangeGroup] = {}
    verdicts: typing.Dict[TagChanges, typing.Tuple[TagChanges, TagChanges, str]] = {}
    well_formed = DATA_ID.fullmatch
    for data_id, change in changes.items():
        try:
            verdict = verdicts.get(change)
        except TypeError:  # lists instead of tuples: not hashable
            change = changes[data_id] = TagChanges.of(*change)
            verdict = verdicts.get(change)
        if verdict is None:
            verdict = verdicts[change] = _judge(change)
        key, sent, problem = verdict
        if well_formed(data_id) is None:
            problem = data_id_problem(data_id)
        if problem:
            reason = _at_lines(problem, lines.get(data_id))
            rejected[data_id] = Outcome(data_id, REJECTED, reason, change)
            continue

        group = by_change.get(key)
        if group is None:
            group = by_change[key] = ChangeGroup(sent, [])
        group.data_ids.append(data_id)

    groups = list(by_change.values())
    batches = _pack(groups, batch_size)
    log.debug(
        "planned %d rows: %d groups in %d batches, %d rejected",
        count,
        len(groups),
        len(batches),
        len(rejected),
    )
    return TagPlan(
        batches=batches,
        groups=groups,
        rejected=rejected,
        changes=changes,
        rows=count,
        batch_size=batch_size,
    )


def _merge_rows(rows):
    """The merged change of each id, the lines it came from, and the row count.

    The lines map holds an int (one row) or a list of ints (several rows).
    """
    changes: typing.Dict[str, TagChanges] = {}
    lines: typing.Dict[str, typing.Any] = {}
    count = 0
    for row in rows:
        count += 1
        data_id = row[0]
        before = changes.get(data_id)
        if before is None:
            changes[data_id] = row[1]
            if len(row) > 2:
                lines[data_id] = row[2]
            continue

        change = row[1]
        if before is not change and before != change:
            changes[data_id] = _as_changes(before).merged(_as_changes(change))
        if len(row) > 2:
            seen_at = lines.get(data_id)
            if isinstance(seen_at, list):
                seen_at.append(row[2])
            else:
                lines[data_id] = [seen_at, row[2]] if seen_at is not None else [row[2]]
    return changes, lines, count


def _as_changes(change: typing.Any) -> TagChanges:
    if isinstance(change, TagChanges):
        return change
    return TagChanges.of(*change)


def _judge(change: TagChanges) -> typing.Tuple[TagChanges, TagChanges, str]:
    """The grouping key, the change as sent, and why it cannot be sent ("" if it can).

    The key is order-free (sorted); the change sent keeps the tags in the
    order first given, each once.
    """
    if not isinstance(change, TagChanges) or any(isinstance(t, str) for t in change):
        change = TagChanges.of(*change)
    key = change.normalized()
    sent = TagChanges(*(_unique(tags) for tags in change))
    if key.is_empty:
        return key, sent, "no tag change given"
    return key, sent, "; ".join(key.conflicts())


def _pack(groups: typing.Sequence[ChangeGroup], size: int) -> typing.List[PlannedBatch]:
    """Fill batches of at most ``size`` ids with the groups, splitting big ones."""
    from icasdk.model.data_update_group import DataUpdateGroup

    batches: typing.List[PlannedBatch] = []
    models: typing.List[DataUpdateGroup] = []
    kept: typing.List[TagChanges] = []
    ids: typing.List[str] = []

    def close() -> None:
        number = len(batches) + 1
        batches.append(PlannedBatch(number, tuple(models), tuple(kept), tuple(ids)))
        models.clear(), kept.clear(), ids.clear()

    for group in groups:
        fields = _group_fields(group.changes)
        start = 0
        while start < len(group.data_ids):
            room = size - len(ids)
            piece = group.data_ids[start : start + room]
            models.append(DataUpdateGroup(dataIds=piece, **fields))
            kept.append(group.changes)
            ids.extend(piece)
            start += len(piece)
            if len(ids) == size:
                close()
    if ids:
        close()
    return batches


def _group_fields(changes: TagChanges) -> typing.Dict[str, typing.Any]:
    """The ``userTags`` / ``technicalTags`` of a group, as TagUpdate models."""
    from icasdk.model.tag_update import TagUpdate

    fields = {}
    pairs = (
        ("userTags", changes.add_user_tags, changes.remove_user_tags),
        ("technicalTags", changes.add_technical_tags, changes.remove_technical_tags),
    )
    for name, added, removed in pairs:
        update = {}
        if added:
            update["addTags"] = added
        if removed:
            update["removeTags"] = removed
        if update:
            fields[name] = TagUpdate(update)
    return fields


def _at_lines(problem: str, lines: typing.Any) -> str:
    """``problem`` with the line or lines it came from, when they are known."""
    if lines is None:
        return problem
    if not isinstance(lines, list):
        return f"line {lines}: {problem}"

    shown = ", ".join(str(line) for line in lines[:MAX_LINES_SHOWN])
    more = len(lines) - MAX_LINES_SHOWN
    if more > 0:
        shown += f" and {more} more"
    word = "line" if len(lines) == 1 else "lines"
    return f"{word} {shown}: {problem}"


def _changes_dict(changes: TagChanges) -> typing.Dict[str, typing.List[str]]:
    """A change in the manifest's column names, for JSON output."""
    names = ("addUserTags", "removeUserTags", "addTechnicalTags", "removeTechnicalTags")
    return {name: list(tags) for name, tags in zip(names, changes) if tags}


def _unique(tags: typing.Iterable[str]) -> typing.Tuple[str, ...]:
    return tuple(dict.fromkeys(tags))


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many
