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

import collections.abc
import logging
import re
import typing

from icasdk.exceptions import OpenApiException, shorten

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
# How many problems with the rows an error lists before it says "and N more".
MAX_PROBLEMS_SHOWN = 10

SEPARATOR = ";"
"""What separates the tags of a manifest cell; so no tag may contain it."""
TAG_RULE = (
    "a tag is a non-empty string with no ';', line break or other control "
    "character, and no spaces at either end"
)
_BAD_TAG = re.compile("[;\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]|^\\s|\\s$")
"""Any character or spacing that ``tag_problem`` refuses (a quick first look)."""
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

Line = typing.Optional[int]


class TagInputError(OpenApiException, ValueError):
    """Rows or tag changes that cannot be planned as given; nothing was planned.

    ``problems`` holds the problems found (up to ``MAX_PROBLEMS_SHOWN``),
    each naming the row or field it is about, what was expected and what
    was given; ``total`` counts them all.
    """

    def __init__(self, problems: typing.Sequence[str], total: int = 0) -> None:
        self.problems = tuple(problems)
        self.total = max(total, len(self.problems))
        super().__init__(self._message())

    def _message(self) -> str:
        if self.total == 1:
            return self.problems[0]

        lines = [f"{self.total:,} problems:"]
        lines += [f"  {problem}" for problem in self.problems]
        more = self.total - len(self.problems)
        if more > 0:
            lines.append(f"  ... and {more:,} more")
        return "\n".join(lines)


class TagInputTypeError(TagInputError, TypeError):
    """A row, a change or a tag of the wrong type or shape."""


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
        """A change from any iterables of tags, each checked (see ``tag_problem``).

        Raises ``TagInputTypeError`` (a TypeError) for a lone string or a
        tag that is not a string, else ``TagInputError`` for a tag that
        ``tag_problem`` refuses; the message names each field and tag at fault.
        """
        given = (
            add_user_tags,
            remove_user_tags,
            add_technical_tags,
            remove_technical_tags,
        )
        change, problems, wrong_type = _check_fields(given)
        if change is None:
            raise (TagInputTypeError if wrong_type else TagInputError)(problems)
        return change

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
# Checking tags and rows: one set of rules for manifests, options and Python


def tag_problem(tag: object) -> str:
    """What ``tag`` breaks of the rule for tags (``must ...``); "" when it is fine.

    The same rule holds wherever a tag comes from (a manifest cell, an
    option, the Python API); see ``TAG_RULE``. A tag holding ``;`` could not
    be written back to a manifest, and one with a line break or a control
    character is never what was meant.
    """
    if not isinstance(tag, str):
        return "must be a string"
    if tag and _BAD_TAG.search(tag) is None:
        return ""

    if not tag:
        return "must not be empty"
    if not tag.strip():
        return "must not be only whitespace"
    if SEPARATOR in tag:
        return f"must not contain {SEPARATOR!r}, which separates tags"
    if any(char in _LINE_BREAKS for char in tag):
        return "must not contain a line break"
    if any("\ud800" <= char <= "\udfff" for char in tag):
        return "must be valid Unicode text (it holds a lone surrogate)"
    if tag != tag.strip():
        return "must not have spaces at either end"
    return "must not contain control characters"


def _check_fields(
    fields: typing.Sequence[typing.Any],
) -> typing.Tuple[typing.Optional[TagChanges], typing.List[str], bool]:
    """The change with each field a tuple of checked tags, or None and the problems.

    The third value is True when a problem is one of type or shape.
    """
    problems: typing.List[str] = []
    wrong_type = False
    parsed = []
    for name, tags in zip(TagChanges._fields, fields):
        if not _is_tag_list(tags):
            problems.append(f"{name} must be a list of tags, got {_given(tags)}")
            wrong_type = True
            continue

        tags = tuple(tags)
        for index, tag in enumerate(tags):
            problem = tag_problem(tag)
            if problem:
                wrong_type = wrong_type or not isinstance(tag, str)
                problems.append(f"{name}[{index}] {problem}, got {_given(tag)}")
        parsed.append(tags)
    if problems:
        return None, problems, wrong_type
    return TagChanges(*parsed), [], False


def _is_tag_list(value: typing.Any) -> bool:
    """True for an iterable that is not a string, bytes or a mapping."""
    if isinstance(value, (str, bytes, collections.abc.Mapping)):
        return False
    try:
        iter(value)
    except TypeError:
        return False
    return True


def _check_change(
    change: typing.Any,
) -> typing.Tuple[typing.Optional[TagChanges], typing.List[str], bool]:
    """``_check_fields`` for a TagChanges, or a tuple or list of up to four lists."""
    if isinstance(change, TagChanges):
        return _check_fields(change)
    if isinstance(change, (tuple, list)) and len(change) <= len(TagChanges._fields):
        padding = ((),) * (len(TagChanges._fields) - len(change))
        return _check_fields(tuple(change) + padding)

    problem = (
        "expected the tag changes as a TagChanges (e.g. "
        f"TagChanges.of(add_user_tags=[...])), got {_given(change)}"
    )
    return None, [problem], True


def _given(value: typing.Any) -> str:
    """``the string 'x'``, ``None``, ``a dict {...}``: a value, for a message."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"the string {shorten(value)}"
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    if isinstance(value, collections.abc.Sized) and len(value) > MAX_PROBLEMS_SHOWN:
        return f"{article} {name} of {len(value):,} items"
    return f"{article} {name} {shorten(value)}"


def _row_name(index: int, data_id: typing.Any = None, line: typing.Any = None) -> str:
    """``rows[3] (data id 'fil.…', line 5)``: a row, for a message."""
    details = []
    if isinstance(data_id, str):
        details.append(f"data id {shorten(data_id)}")
    if type(line) is int:
        details.append(f"line {line}")
    return f"rows[{index}]" + (f" ({', '.join(details)})" if details else "")


class _Problems:
    """Problems with the rows: the first few kept, all of them counted."""

    def __init__(self) -> None:
        self.shown: typing.List[str] = []
        self.total = 0
        self.wrong_type = False

    def add(self, where: str, problems: typing.Sequence[str], wrong_type: bool) -> None:
        for problem in problems:
            self.total += 1
            if len(self.shown) < MAX_PROBLEMS_SHOWN:
                self.shown.append(f"{where}: {problem}")
        self.wrong_type = self.wrong_type or wrong_type

    def raise_any(self) -> None:
        """Raise one error for every problem noted, if there is any."""
        if self.total:
            kind = TagInputTypeError if self.wrong_type else TagInputError
            raise kind(self.shown, self.total)


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
    """Plan the batches for ``rows`` of ``(data_id, TagChanges[, line])``.

    Every row is checked first: its shape, the data id's type and each tag
    (see ``tag_problem``). Any problem raises one ``TagInputError`` naming
    every row at fault, and nothing is planned. A malformed id, or an id
    asked both to add and to remove a tag, is no error: that id is rejected
    in the plan while the rest goes ahead.
    """
    check_batch_size(batch_size)
    changes, lines, count = _merge_rows(rows)

    rejected: typing.Dict[str, Outcome] = {}
    by_change: typing.Dict[TagChanges, ChangeGroup] = {}
    verdicts: typing.Dict[TagChanges, typing.Tuple[TagChanges, TagChanges, str]] = {}
    well_formed = DATA_ID.fullmatch
    last_change, verdict = None, None
    for data_id, change in changes.items():
        if change is not last_change:  # runs of ids share one change: no hashing
            verdict = verdicts.get(change)
            if verdict is None:
                verdict = verdicts[change] = _judge(change)
            last_change = change
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
    Each row is checked, a change once per distinct value; the problems
    found are raised together at the end, as one ``TagInputError``.
    """
    if not _is_tag_list(rows):
        msg = (
            "rows must be an iterable of (data id, TagChanges) tuples, got "
            f"{_given(rows)} (for a dict of data id to TagChanges, pass its .items())"
        )
        raise TagInputTypeError([msg])

    changes: typing.Dict[str, TagChanges] = {}
    lines: typing.Dict[str, typing.Any] = {}
    checked: typing.Dict[typing.Any, TagChanges] = {}
    problems = _Problems()
    count = 0
    last_given: typing.Any = None
    last_change: typing.Optional[TagChanges] = None
    for index, row in enumerate(rows):
        count += 1
        if (
            type(row) is tuple
            and len(row) == 3
            and type(row[0]) is str
            and (type(row[2]) is int or row[2] is None)
        ):
            data_id, given, line = row  # a manifest's row: no closer look needed
        else:
            parts = _row_parts(index, row, problems)
            if parts is None:
                continue
            data_id, given, line = parts
        if given is last_given:
            change = last_change  # a run of rows sharing one TagChanges: no hashing
        else:
            try:
                change = checked.get(given)
                hashable = True
            except TypeError:  # lists instead of tuples, or a dict
                change, hashable = None, False
            if change is None:
                change, found, wrong_type = _check_change(given)
                if change is None:
                    problems.add(_row_name(index, data_id, line), found, wrong_type)
                    continue
                if hashable:
                    checked[given] = change
            if hashable:  # only then can it not have changed by the next row
                last_given, last_change = given, change
        if problems.total:
            continue  # only looking for more problems now: nothing will be planned

        before = changes.get(data_id)
        if before is None:
            changes[data_id] = change
            if line is not None:
                lines[data_id] = line
            continue

        if before is not change and before != change:
            changes[data_id] = before.merged(change)
        if line is not None:
            seen_at = lines.get(data_id)
            if isinstance(seen_at, list):
                seen_at.append(line)
            else:
                lines[data_id] = [seen_at, line] if seen_at is not None else [line]
    problems.raise_any()
    return changes, lines, count


def _row_parts(
    index: int, row: typing.Any, problems: _Problems
) -> typing.Optional[typing.Tuple[str, typing.Any, Line]]:
    """``(data id, change as given, line)`` of a row, or None once noted why not."""
    if not isinstance(row, (tuple, list)) or not 2 <= len(row) <= 3:
        problem = (
            "expected a (data id, TagChanges) or (data id, TagChanges, line) "
            f"tuple, got {_given(row)}"
        )
        problems.add(_row_name(index), [problem], True)
        return None

    data_id, line = row[0], row[2] if len(row) > 2 else None
    if type(data_id) is not str:
        problem = f"expected the data id as a string, got {_given(data_id)}"
        problems.add(_row_name(index, line=line), [problem], True)
        return None
    if line is not None and type(line) is not int:
        problem = f"expected the line number as an int or None, got {_given(line)}"
        problems.add(_row_name(index, data_id), [problem], True)
        return None
    return data_id, row[1], line


def _judge(change: TagChanges) -> typing.Tuple[TagChanges, TagChanges, str]:
    """The grouping key, the change as sent, and why it cannot be sent ("" if it can).

    The key is order-free (sorted); the change sent keeps the tags in the
    order first given, each once.
    """
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
