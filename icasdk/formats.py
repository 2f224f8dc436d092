"""The string formats the definition uses, and how each is checked and read.

A format check is a test true for valid text: ``uuid``, ``date-time``,
``date`` and ``uri`` are checked; other formats (``byte``, ``email``, ...)
are documentation only. ``parse_date_time`` reads a checked date-time as
an aware ``datetime``, which is what model attributes give.
"""

from __future__ import annotations

import datetime
import re
import sys
import typing

_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
# RFC 3339 date-time; any number of fraction digits (servers send nanoseconds).
# re.ASCII: its digits are 0-9 only, not any script's (and matching is faster).
# Offset minutes stop at 59 here: Python would read "+05:75" as +06:15, a
# datetime for text the format check refuses.
_DATE_TIME_RE = re.compile(
    r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:?[0-5]\d)", re.ASCII
)
# The same, with every field in range (days past 28 are checked by the calendar).
# Year 0000 is refused whatever the day: Python's dates start at year 1.
_DATE_TIME_IN_RANGE_RE = re.compile(
    r"(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[Tt](?:[01]\d|2[0-3]):[0-5]\d"
    r":[0-5]\d(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):?[0-5]\d)",
    re.ASCII,
)
_DATE_RE = re.compile(r"\d{4}-\d\d-\d\d", re.ASCII)
_URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S*|/\S*")


def is_date_time(value: str) -> bool:
    """True for an RFC 3339 date-time string whose fields are in range."""
    if not _DATE_TIME_IN_RANGE_RE.fullmatch(value):
        return False
    # Every month has day 28; only a later day needs the calendar.
    return value[8:10] <= "28" or _on_calendar(value[:10])


def is_date(value: str) -> bool:
    """True for a full date (YYYY-MM-DD) that is on the calendar."""
    return bool(_DATE_RE.fullmatch(value)) and _on_calendar(value)


def _on_calendar(date: str) -> bool:
    """True for a YYYY-MM-DD string (its shape already checked) that is a real day."""
    try:
        datetime.date.fromisoformat(date)
    except ValueError:
        return False
    return True


is_uuid = _UUID_RE.fullmatch
"""True (a match) for a UUID string: 8-4-4-4-12 hex digits."""


REMEMBERED_TEXTS = 1024
"""How many passed texts each format check keeps."""
REMEMBERED_LENGTH = 64
"""The longest text remembered: ids and time stamps are shorter. With the count,
and only ASCII texts kept (a byte a character), it bounds what a check keeps to
about 150 KiB, whatever a server sends."""


class RememberingCheck:
    """A format check that remembers the texts it has passed.

    Servers send the same ids and time stamps again and again: the tenant
    and owner on every object of a batch, the same batch on every poll of a
    wait. A text equal to one already passed is valid without being checked
    again, and a set lookup costs a fraction of a regular expression. Every
    text is still checked, against the set or the pattern; none is taken on
    trust. Only exact ``str`` texts are remembered or looked up (asked of
    ``type()``, which no subclass can fake), so a subclass with its own
    ``__eq__`` cannot pass as a valid text. The set holds the ASCII texts
    of at most ``REMEMBERED_LENGTH`` characters passed since it last started
    afresh, which it does on reaching ``limit`` of them, so its memory stays
    bounded.
    """

    __slots__ = ("check", "passed", "limit")

    def __init__(
        self, check: typing.Callable[[str], object], limit: int = REMEMBERED_TEXTS
    ) -> None:
        self.check = check
        self.passed: typing.Set[str] = set()
        """Texts that passed; cleared, never replaced (compiled code holds it)."""
        self.limit = limit

    def __call__(self, value: str) -> bool:
        exact = type(value) is str
        if exact and value in self.passed:
            return True
        if not self.check(value):
            return False
        if exact and len(value) <= REMEMBERED_LENGTH and value.isascii():
            passed = self.passed
            if len(passed) >= self.limit:
                passed.clear()
            passed.add(value)
        return True


FORMAT_CHECKS: typing.Dict[str, RememberingCheck] = {
    "uuid": RememberingCheck(is_uuid),
    "date-time": RememberingCheck(is_date_time),
    "date": RememberingCheck(is_date),
    "uri": RememberingCheck(_URI_RE.fullmatch),
}
"""The checked string formats, each with a test true for valid text."""


# From Python 3.11 on, datetime.fromisoformat reads every shape _DATE_TIME_RE lets
# through ("t", "Z", "+0100", fractions of any length, cut to microseconds, not
# rounded) and gives the same datetime as the normalising path, several times
# faster; it refuses "z" and fields out of range, which the normalising path then
# judges. Before 3.11 it reads little beyond isoformat()'s output, so every value
# goes the normalising way. test_schemas checks the two agree.
_FROMISOFORMAT_READS_RFC_3339 = sys.version_info >= (3, 11)


def parse_date_time(value: str) -> typing.Union[datetime.datetime, str]:
    """An aware datetime for an RFC 3339 string; the string itself if it is not one.

    Fractions beyond microseconds (nanosecond time stamps) are cut, not refused.
    """
    # The pattern keeps out what fromisoformat takes but RFC 3339 does not (week
    # dates, basic format, a space for "T", no time zone...).
    match = _DATE_TIME_RE.fullmatch(value)
    if match is None:
        return value
    if _FROMISOFORMAT_READS_RFC_3339:
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            pass
    return _parse_date_time_normalised(value, match)


def _parse_date_time_normalised(
    value: str, match: typing.Optional[re.Match[str]] = None
) -> typing.Union[datetime.datetime, str]:
    """``parse_date_time`` on any Python: the text rewritten in isoformat()'s shape.

    ``match`` is ``_DATE_TIME_RE``'s match of ``value``, when the caller has it.
    """
    if match is None:
        match = _DATE_TIME_RE.fullmatch(value)
        if match is None:
            return value

    fraction = match.group(1) or ""
    text = value[: match.start(1)] if fraction else value[: match.start(2)]
    zone = match.group(2)
    micro = fraction[1:7].ljust(6, "0") if fraction else "000000"
    zone = "+00:00" if zone in ("Z", "z") else zone
    if len(zone) == 5:  # +0100
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.datetime.fromisoformat(f"{text[:10]}T{text[11:]}.{micro}{zone}")
    except ValueError:
        return value
