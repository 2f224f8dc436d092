"""Reading what to tag: a manifest (CSV or TSV), or a list of ids with options.

A manifest has a ``dataId`` column and any of ``addUserTags``,
``removeUserTags``, ``addTechnicalTags`` and ``removeTechnicalTags``; a cell
holds several tags separated by ``;``. Column names are matched without
regard to case or surrounding spaces; other columns are ignored (``outcome``
and ``reason``, which ``write_manifest`` adds, silently). The delimiter is
taken from the header line when it shows only one of tab and comma, else
from the extension (``.tsv``/``.tab`` for tab), else comma.

Read as a user means it: a UTF-8 byte-order mark, Windows line endings,
blank lines and spaces around values are fine, and rows of the same id are
merged later, by the planner. Refused at once with ``ManifestError`` (the
file and line named, nothing sent): a file that is not UTF-8 text, an empty
file or one with a header and no rows, a header without ``dataId`` (or
without any tag column), a row with more values than the header has
columns, a tag that ``tagging.tag_problem`` refuses (such as a quoted cell
holding a line break), and a tag that tries to contain ``;``: an escaped
``a\\;b``, quotes around part of a cell (``"a;b";c``), or an option value
such as ``--add-user-tag 'a;b'``. ``;`` only ever separates
tags, so such a value could only be misread (as two tags, or as one tag that
a manifest written back could not hold). Quoting a whole cell is ordinary
CSV and fine: ``"a;b"`` is the two tags ``a`` and ``b``. A malformed id, or
an id asked both to add and to remove a tag, is left for the planner to
reject and report while the rest goes ahead.

Files are read line by line, never whole: the first ``SNIFF_BYTES`` tell
binary data from text before anything else is read, and no line may be
longer than ``MAX_LINE_CHARS``, so a wrong file (``/dev/zero``, a large
binary) is refused at once and memory grows only with the rows kept.

TODO(#5): the date fields of a data update group (``willBeArchivedAt``,
``willBeDeletedAt`` and their clear flags) have no manifest columns yet; the
issue asks only for tags.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import logging
import operator
import os
import re
import sys
import typing

from icasdk.exceptions import OpenApiException, shorten
from icasdk.tagging import SEPARATOR, TAG_RULE, Outcome, TagChanges, tag_problem

log = logging.getLogger(__name__)

ID_COLUMN = "dataId"
TAG_COLUMNS = (
    "addUserTags",
    "removeUserTags",
    "addTechnicalTags",
    "removeTechnicalTags",
)
"""The tag columns, in the order of ``TagChanges``'s fields."""
REPORT_COLUMNS = ("outcome", "reason")
"""Columns ``write_manifest`` adds after the tag columns; ignored when read."""
TAB_EXTENSIONS = (".tsv", ".tab")
_QUOTE_THEN_SEPARATOR = re.compile(r'(?<=[^,\t\r\n ])"' + SEPARATOR)
"""A quote right before ``;`` that does not open a cell: it closes one early."""
STDIN = "-"

SNIFF_BYTES = 8192
"""How many first bytes of a file tell binary data from text."""
MAX_LINE_CHARS = 100_000
"""The longest line read; a manifest row or an id is far shorter."""
BINARY = "is not a text file: it holds binary data (a NUL byte)"
SIGNATURES = (
    (
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE),
        "is UTF-16 text; save it as UTF-8 (with or without a byte-order mark)",
    ),
    (
        (b"PK\x03\x04",),
        "is a ZIP archive (an Excel workbook?), not text; export it as CSV",
    ),
    (
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
        "is an Office file (an old Excel workbook?), not text; export it as CSV",
    ),
    ((b"\x1f\x8b",), "is gzip-compressed, not text; decompress it first"),
)
"""First bytes that show a file is not text, and what to say about it."""
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
"""An undecodable byte, as ``surrogateescape`` decoding leaves it."""
_LINE_END = re.compile(rb"\r\n?|\n")

Row = typing.Tuple[str, TagChanges, int]


class ManifestError(OpenApiException, ValueError):
    """The input cannot be read as meant; nothing was sent.

    ``source`` is the file (or option) and ``line`` the line number, when
    the problem has one.
    """

    def __init__(
        self, message: str, source: str, line: typing.Optional[int] = None
    ) -> None:
        self.source = source
        self.line = line
        self.message = message
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class Manifest(typing.NamedTuple):
    """The rows read: ``(data id, TagChanges, line)`` each."""

    source: str
    rows: typing.List[Row]
    ignored_columns: typing.Tuple[str, ...] = ()


# --------------------------------------------------------------------------
# Reading files as text, line by line


@contextlib.contextmanager
def text_lines(
    path: str, stdin: typing.Optional[typing.BinaryIO] = None
) -> typing.Iterator[TextLines]:
    """The lines of a file (``-``: standard input) as text, checked as they come.

    The first ``SNIFF_BYTES`` tell binary data from text before anything
    else is read; then each line is decoded from UTF-8 (a byte-order mark is
    dropped) and refused, by line, if it holds a NUL or an undecodable byte
    or is longer than ``MAX_LINE_CHARS``. Memory stays bounded whatever the
    file holds (``/dev/zero``, a 500 MB binary, a text with no line ends).
    """
    source = source_name(path)
    if path == STDIN:
        stream = stdin or getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise ManifestError("cannot be read: standard input is closed", source)
        yield TextLines(stream, source)
        return

    try:
        handle = open(path, "rb")
    except OSError as err:
        raise ManifestError(f"cannot be read: {err.strerror}", path) from None
    with handle:
        yield TextLines(handle, source)


def source_name(path: str) -> str:
    """How messages name ``path``: ``<stdin>`` for ``-``."""
    return "<stdin>" if path == STDIN else path


class TextLines:
    """An iterator over the checked lines of a byte stream, each with its ending.

    ``number`` is the number of the line last given (counted from 1).
    """

    def __init__(self, stream: typing.BinaryIO, source: str) -> None:
        self.source = source
        self.number = 0
        prefix = self._read(stream.read, SNIFF_BYTES)
        sniff(prefix, source)
        self._text = io.TextIOWrapper(
            io.BufferedReader(_Prefixed(prefix, stream)),
            encoding="utf-8-sig",
            errors="surrogateescape",
            newline="",
        )

    def __iter__(self) -> TextLines:
        return self

    def __next__(self) -> str:
        try:  # not through _read: one call less on each of many lines
            line = self._text.readline(MAX_LINE_CHARS + 2)
        except OSError as err:
            raise self._unreadable(err) from None
        if not line:
            raise StopIteration
        self.number += 1

        if len(line) > MAX_LINE_CHARS and len(line.rstrip("\r\n")) > MAX_LINE_CHARS:
            msg = (
                f"has a line longer than {MAX_LINE_CHARS:,} characters; expected "
                "one short row a line (is this the file you meant?)"
            )
            raise ManifestError(msg, self.source, self.number)
        if not line.isascii():
            bad = _ESCAPED_BYTE.search(line)
            if bad is not None:
                byte = ord(bad.group()) - 0xDC00
                raise ManifestError(_not_utf8(byte), self.source, self.number)
        if "\x00" in line:
            raise ManifestError(BINARY, self.source, self.number)
        return line

    def _read(self, read: typing.Callable[[int], typing.Any], size: int):
        try:
            return read(size)
        except OSError as err:
            raise self._unreadable(err) from None

    def _unreadable(self, err: OSError) -> ManifestError:
        msg = f"cannot be read: {err.strerror or err}"
        return ManifestError(msg, self.source, self.number + 1)


class _Prefixed(io.RawIOBase):
    """A raw stream giving ``prefix`` first, then the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: typing.BinaryIO) -> None:
        self._prefix = prefix
        self._read = getattr(stream, "read1", stream.read)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = len(buffer)
        if self._prefix:
            data, self._prefix = self._prefix[:size], self._prefix[size:]
        else:
            data = self._read(size)
        buffer[: len(data)] = data
        return len(data)


def sniff(prefix: bytes, source: str) -> None:
    """Refuse the first bytes of a file when they show it is not UTF-8 text."""
    for marks, message in SIGNATURES:
        if prefix.startswith(marks):
            raise ManifestError(message, source)

    nul = prefix.find(b"\x00")
    if nul >= 0:
        raise ManifestError(BINARY, source, _line_at(prefix, nul))
    try:
        codecs.getincrementaldecoder("utf-8")().decode(prefix, final=False)
    except UnicodeDecodeError as err:
        line = _line_at(prefix, err.start)
        raise ManifestError(_not_utf8(prefix[err.start]), source, line) from None


def _line_at(data: bytes, offset: int) -> int:
    """The line (counted from 1, as ``TextLines`` counts) of ``data[offset]``."""
    return len(_LINE_END.findall(data, 0, offset)) + 1


def _not_utf8(byte: int) -> str:
    return f"is not UTF-8 text: byte 0x{byte:02x} cannot be decoded; save it as UTF-8"


# --------------------------------------------------------------------------
# Manifests


def read_manifest(
    path: str, stdin: typing.Optional[typing.BinaryIO] = None
) -> Manifest:
    """Read a CSV or TSV manifest (``-`` for standard input), line by line."""
    source = source_name(path)
    with text_lines(path, stdin) as lines:
        blanks = 0
        for first in lines:
            if first.strip():
                break
            blanks += 1
        else:
            msg = f"is empty; expected a header line with a {ID_COLUMN!r} column"
            raise ManifestError(msg, source, 1)

        delimiter = _delimiter(path, first)
        again = itertools.chain(itertools.repeat("\n", blanks), (first,), lines)
        reader = csv.reader(
            _refusing_partly_quoted(again, source),
            delimiter=delimiter,
            skipinitialspace=True,
        )
        try:
            return _read_rows(reader, source)
        except csv.Error as err:
            kind = "TSV" if delimiter == "\t" else "CSV"
            msg = f"is not valid {kind} here ({err})"
            raise ManifestError(msg, source, reader.line_num) from None


def _read_rows(reader, source: str) -> Manifest:
    header, header_line = _header(reader, source)
    id_at, tags_at, ignored = _columns(header, source, header_line)

    rows: typing.List[Row] = []
    parse = _CellParser(source)
    parsed = parse.cache  # looked up here first: most rows repeat a set of cells
    width = len(header)
    # A missing tag column reads the always-empty cell after the last column.
    tag_cells = operator.itemgetter(*(width if at is None else at for at in tags_at))
    last = reader.line_num
    for cells in reader:
        # A row is named by the line it starts on (a quoted cell may span lines).
        line, last = last + 1, reader.line_num
        if len(cells) > width and "".join(cells[width:]).strip():
            msg = (
                f"has {len(cells)} values but the header has {width} columns; "
                "quote cells that hold the delimiter"
            )
            raise ManifestError(msg, source, line)
        if not "".join(cells).strip():
            continue

        cells += [""] * (width + 1 - len(cells))
        tags = tag_cells(cells)
        changes = parsed.get(tags)
        if changes is None:
            changes = parse(tags, line)
        rows.append((cells[id_at].strip(), changes, line))

    if not rows:
        msg = (
            f"has a header but no rows; expected a {ID_COLUMN} and its tags on each "
            "line after it"
        )
        raise ManifestError(msg, source, header_line)
    if ignored:
        log.info("%s: ignoring columns %s", source, ", ".join(ignored))
    log.debug("%s: %d rows read", source, len(rows))
    return Manifest(source, rows, ignored)


def _refusing_partly_quoted(
    lines: typing.Iterable[str], source: str
) -> typing.Iterator[str]:
    """The lines, refusing ``"a;b";c``: a quote that closes inside a cell.

    The CSV reader would silently drop those quotes and read three tags.
    """
    for number, line in enumerate(lines, start=1):
        if '"' in line and _QUOTE_THEN_SEPARATOR.search(line):
            msg = (
                f"quotes inside a cell try to put {SEPARATOR!r} inside a tag; a tag "
                f"cannot contain {SEPARATOR!r}, which separates tags"
            )
            raise ManifestError(msg, source, number)
        yield line


def _delimiter(path: str, header: str) -> str:
    """Tab or comma: from the header line when clear, else from the extension."""
    has_tab, has_comma = "\t" in header, "," in header
    if has_tab != has_comma:
        return "\t" if has_tab else ","
    return "\t" if path.lower().endswith(TAB_EXTENSIONS) else ","


def _header(reader, source: str) -> typing.Tuple[typing.List[str], int]:
    for cells in reader:
        if any(cell.strip() for cell in cells):
            return [cell.strip() for cell in cells], reader.line_num
    msg = f"is empty; expected a header line with a {ID_COLUMN!r} column"
    raise ManifestError(msg, source, 1)


def _columns(header: typing.List[str], source: str, line: int):
    """Where the id and each tag column are, and the names of ignored columns."""
    known = {name.lower(): name for name in (ID_COLUMN, *TAG_COLUMNS)}
    found: typing.Dict[str, int] = {}
    ignored = []
    for index, cell in enumerate(header):
        name = known.get(cell.lower())
        if name is None:
            if cell and cell.lower() not in REPORT_COLUMNS:
                ignored.append(cell)
            continue
        if name in found:
            msg = f"names the column {name!r} twice"
            raise ManifestError(msg, source, line)
        found[name] = index

    if ID_COLUMN not in found:
        shown = ", ".join(repr(cell) for cell in header)
        msg = f"has no {ID_COLUMN!r} column in its header; found {shown}"
        raise ManifestError(msg, source, line)
    tags_at = tuple(found.get(name) for name in TAG_COLUMNS)
    if all(at is None for at in tags_at):
        msg = f"has no tag column; expected any of {', '.join(TAG_COLUMNS)}"
        raise ManifestError(msg, source, line)
    return found[ID_COLUMN], tags_at, tuple(ignored)


class _CellParser:
    """Turns four raw tag cells into a TagChanges, once per distinct set of cells."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.cache: typing.Dict[typing.Tuple[str, ...], TagChanges] = {}

    def __call__(self, cells: typing.Tuple[str, ...], line: int) -> TagChanges:
        changes = self.cache.get(cells)
        if changes is None:
            parsed = [
                split_tags(cell, self.source, line, column)
                for cell, column in zip(cells, TAG_COLUMNS)
            ]
            changes = self.cache[cells] = TagChanges(*parsed)
        return changes


def split_tags(
    cell: str, source: str, line: typing.Optional[int], column: str
) -> typing.Tuple[str, ...]:
    """The tags of one cell: split on ``;``, stripped, empty ones dropped.

    Each tag must then pass ``tagging.tag_problem``, the rule the Python API
    applies too: a quoted cell holding a line break or a control character
    is refused here, by file and line.
    """
    if not cell:
        return ()
    if "\\" + SEPARATOR in cell or ('"' in cell and SEPARATOR in cell):
        msg = (
            f"{column} {cell.strip()!r} tries to put {SEPARATOR!r} inside a tag; "
            f"a tag cannot contain {SEPARATOR!r}, which separates tags"
        )
        raise ManifestError(msg, source, line)
    tags = tuple(dict.fromkeys(tag.strip() for tag in cell.split(SEPARATOR)))
    for tag in tags:
        problem = tag_problem(tag) if tag else ""
        if problem:
            msg = f"{column}: a tag {problem}, got {shorten(tag)}; {TAG_RULE}"
            raise ManifestError(msg, source, line)
    return tuple(tag for tag in tags if tag)


# --------------------------------------------------------------------------
# Ids files and tag options


def changes_from_options(
    add_user_tags: typing.Sequence[str] = (),
    remove_user_tags: typing.Sequence[str] = (),
    add_technical_tags: typing.Sequence[str] = (),
    remove_technical_tags: typing.Sequence[str] = (),
) -> TagChanges:
    """The change given by command-line options, one tag per value.

    Refuses an empty value and a value holding ``;`` (it could be meant as
    two tags, and could not be written back into a manifest).
    """
    given = (add_user_tags, remove_user_tags, add_technical_tags, remove_technical_tags)
    options = ("--add-user-tag", "--remove-user-tag")
    options += ("--add-technical-tag", "--remove-technical-tag")
    parsed = []
    for option, values in zip(options, given):
        tags = []
        for value in values:
            tag = value.strip()
            if not tag:
                raise ManifestError(f"{value!r}: a tag cannot be empty", option)
            if SEPARATOR in tag:
                msg = (
                    f"{value!r}: a tag cannot contain {SEPARATOR!r}, which separates "
                    f"tags in manifests; give {option} once per tag"
                )
                raise ManifestError(msg, option)
            problem = tag_problem(tag)
            if problem:
                msg = f"a tag {problem}, got {shorten(value)}; {TAG_RULE}"
                raise ManifestError(msg, option)
            tags.append(tag)
        parsed.append(tuple(dict.fromkeys(tags)))
    return TagChanges(*parsed)


def read_ids(
    path: str, changes: TagChanges, stdin: typing.Optional[typing.BinaryIO] = None
) -> Manifest:
    """Read one data id per line (``-`` for standard input), each with ``changes``.

    Blank lines and lines starting with ``#`` are skipped, and so is a first
    line that is just ``dataId``.
    """
    source = source_name(path)
    rows: typing.List[Row] = []
    with text_lines(path, stdin) as lines:
        for raw in lines:
            value = raw.strip()
            if not value or value.startswith("#"):
                continue
            if not rows and value.lower() == ID_COLUMN.lower():
                continue
            if any(mark in value for mark in (",", "\t", SEPARATOR, " ")):
                msg = (
                    f"holds more than one value ({shorten(value)}); an ids file has "
                    "one data id a line (use --manifest for a CSV or TSV file)"
                )
                raise ManifestError(msg, source, lines.number)
            rows.append((value, changes, lines.number))

    if not rows:
        raise ManifestError("is empty; expected one data id a line", source, 1)
    return Manifest(source, rows)


# --------------------------------------------------------------------------
# Writing rows back


def write_manifest(path: str, outcomes: typing.Iterable[Outcome]) -> int:
    """Write ``outcomes`` as a CSV manifest that can be read again; rows written.

    Each row has the id, its merged tag changes, and the outcome and reason.
    """
    count = 0
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow((ID_COLUMN, *TAG_COLUMNS, *REPORT_COLUMNS))
        for outcome in outcomes:
            cells = [SEPARATOR.join(tags) for tags in outcome.changes]
            writer.writerow((outcome.data_id, *cells, outcome.outcome, outcome.reason))
            count += 1
    log.debug("wrote %d rows to %s", count, path)
    return count
