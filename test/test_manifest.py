"""Tests for icasdk.manifest: reading manifests and ids files as a user means them."""

from __future__ import annotations

import io
import os
import uuid

import pytest

from icasdk import manifest
from icasdk.manifest import (
    ManifestError,
    changes_from_options,
    read_ids,
    read_manifest,
    write_manifest,
)
from icasdk.tagging import Outcome, TagChanges, plan_tag_updates

A = "fil." + "a" * 32
B = "fol." + "b" * 32


def write(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


def refused(path: str, match: str, line=None) -> ManifestError:
    with pytest.raises(ManifestError, match=match) as caught:
        read_manifest(path)
    assert caught.value.source == path
    assert caught.value.line == line
    assert str(caught.value).startswith(
        path + (f", line {line}: " if line is not None else ": ")
    )
    return caught.value


# -- reading as meant ---------------------------------------------------------


def test_a_csv_manifest_gives_one_row_per_line_with_its_tags():
    """Each row has its id, its four tag lists split on ';', and its line."""
    text = (
        "dataId,addUserTags,removeUserTags,addTechnicalTags,removeTechnicalTags\n"
        f"{A},subject_id=SBJ00123;assay=WGS,status=pending,qc=pass,\n"
    )
    rows = read_manifest("-", stdin=io.BytesIO(text.encode())).rows
    assert rows == [
        (
            A,
            TagChanges(
                ("subject_id=SBJ00123", "assay=WGS"), ("status=pending",), ("qc=pass",)
            ),
            2,
        )
    ]


def test_a_bom_windows_line_ends_blank_lines_and_spaces_are_fine(tmp_path):
    """BOM, CRLF, blank lines and spaces around values read as meant."""
    text = (
        "\ufeff dataId , addUserTags \r\n"
        "\r\n"
        f"  {A} ,  x ;  y ; \r\n"
        "   \r\n"
        ",,\r\n"
        f"{B},z\r\n"
    )
    rows = read_manifest(write(tmp_path, "m.csv", text)).rows
    assert rows == [(A, TagChanges(("x", "y")), 3), (B, TagChanges(("z",)), 6)]


def test_the_same_id_on_two_rows_is_merged_by_the_plan(tmp_path):
    """Two rows of one id become one id with both changes."""
    text = f"dataId,addUserTags\n{A},x\n{A},y\n"
    plan = plan_tag_updates(read_manifest(write(tmp_path, "m.csv", text)).rows)
    assert plan.data_ids == 1
    assert plan.groups[0].changes == TagChanges(("x", "y"))


def test_a_tsv_is_sniffed_from_its_header_whatever_its_extension(tmp_path):
    """A tab-separated header is read as TSV, even named .csv; commas stay in tags."""
    text = f"dataId\taddUserTags\n{A}\tnote=a,b;c\n"
    for name in ("m.tsv", "m.csv", "m.txt"):
        rows = read_manifest(write(tmp_path, name, text)).rows
        assert rows[0][1] == TagChanges(("note=a,b", "c")), name


def test_a_single_column_file_takes_its_delimiter_from_the_extension(tmp_path):
    """With no delimiter in the header, .tsv means tab."""
    text = f"dataId\n{A}\n"
    with pytest.raises(ManifestError, match="no tag column"):
        read_manifest(write(tmp_path, "m.tsv", text))


def test_column_names_ignore_case_and_other_columns_are_reported(tmp_path):
    """DATAID matches dataId; an unknown column is ignored and named."""
    text = f"DATAID,AddUserTags,path,outcome\n{A},x,/a.txt,failed\n"
    found = read_manifest(write(tmp_path, "m.csv", text))
    assert found.rows[0][:2] == (A, TagChanges(("x",)))
    assert found.ignored_columns == ("path",)


def test_a_quoted_cell_may_hold_the_column_delimiter(tmp_path):
    """CSV quoting keeps a comma inside one cell."""
    text = f'dataId,addUserTags\n{A},"note=a,b;c"\n'
    rows = read_manifest(write(tmp_path, "m.csv", text)).rows
    assert rows[0][1] == TagChanges(("note=a,b", "c"))


def test_malformed_ids_pass_through_for_the_plan_to_reject(tmp_path):
    """A malformed id is read, then rejected with its line while the rest goes on."""
    text = f"dataId,addUserTags\nfil.123,x\n{A},x\n,x\n"
    plan = plan_tag_updates(read_manifest(write(tmp_path, "m.csv", text)).rows)
    assert plan.to_send == 1
    assert plan.rejected["fil.123"].reason.startswith("line 2: malformed data id")
    assert plan.rejected[""].reason == "line 4: no data id given"


def test_a_conflicting_id_is_rejected_with_both_lines(tmp_path):
    """Adding and removing one tag across two rows is rejected, naming the lines."""
    text = f"dataId,addUserTags,removeUserTags\n{A},x,\n{B},x,\n{A},,x\n"
    plan = plan_tag_updates(read_manifest(write(tmp_path, "m.csv", text)).rows)
    assert plan.rejected[A].reason == (
        "lines 2, 4: asked both to add and to remove user tag 'x'"
    )
    assert plan.batches[0].data_ids == (B,)


# -- refused, naming file and line ----------------------------------------------


def test_a_missing_dataid_column_is_refused(tmp_path):
    """A header without dataId names the file, the line and what it found."""
    path = write(tmp_path, "m.csv", f"\n\nid,addUserTags\n{A},x\n")
    error = refused(path, "no 'dataId' column", line=3)
    assert "'id', 'addUserTags'" in str(error)


@pytest.mark.parametrize("content", ["", "\ufeff", "\n\r\n  \n", b""])
def test_an_empty_file_is_refused(tmp_path, content):
    """Empty, BOM-only and blank-only files are refused at line 1."""
    refused(write(tmp_path, "m.csv", content), "is empty", line=1)


@pytest.mark.parametrize(
    "content",
    ["dataId,addUserTags", "dataId,addUserTags\n", "\ndataId\taddUserTags\r\n\n\t\n"],
    ids=["no-newline", "newline", "blank-and-empty-rows"],
)
def test_a_header_with_no_rows_is_refused_as_empty(tmp_path, content):
    """A header and nothing else is refused like an empty ids file, naming the file."""
    path = write(tmp_path, "m.csv", content)
    line = 2 if content.startswith("\n") else 1
    refused(path, "has a header but no rows", line=line)


def test_a_header_with_no_tag_column_is_refused(tmp_path):
    """A manifest must name at least one tag column."""
    refused(write(tmp_path, "m.csv", f"dataId,path\n{A},/x\n"), "no tag column", 1)


def test_a_column_named_twice_is_refused(tmp_path):
    """Two dataId columns cannot be told apart."""
    path = write(tmp_path, "m.csv", f"dataId,dataId,addUserTags\n{A},{B},x\n")
    refused(path, "names the column 'dataId' twice", 1)


@pytest.mark.parametrize(
    "cell",
    ["a\\;b", '"""a;b"";c"', 'x;"y;z"'],
    ids=["escaped", "quoted-inside-a-cell", "quoted-mid-cell"],
)
def test_a_tag_trying_to_contain_the_separator_is_refused(tmp_path, cell):
    """A cell that tries to keep ';' inside a tag is refused at its line."""
    text = f"dataId,addUserTags\n{B},ok\n{A},{cell}\n"
    error = refused(write(tmp_path, "m.csv", text), "to put ';' inside a tag", 3)
    if "quotes" not in str(error):
        assert "addUserTags" in str(error)  # the cell check names its column


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_quotes_around_part_of_a_cell_are_refused(tmp_path, delimiter):
    """A quote that closes before the cell ends is refused, not silently dropped."""
    text = f'dataId{delimiter}addUserTags\n{B}{delimiter}ok\n{A}{delimiter}"a;b";c\n'
    refused(write(tmp_path, "m.txt", text), "quotes inside a cell try to put ';'", 3)


def test_quoted_cells_with_spaces_around_them_are_fine(tmp_path):
    """Spaces around a quoted cell, and a quoted trailing ';', read as meant."""
    text = f'dataId, addUserTags, removeUserTags\n{A}, "x;y" , ";z;"\n'
    rows = read_manifest(write(tmp_path, "m.csv", text)).rows
    assert rows[0][1] == TagChanges(("x", "y"), ("z",))


@pytest.mark.parametrize(
    "cell, problem",
    [
        ('"a\nb"', "a tag must not contain a line break, got 'a.nb'"),
        ('"a\r\nb"', "a tag must not contain a line break"),
        ('"x;a\x01b"', "a tag must not contain control characters"),
    ],
    ids=["newline", "crlf", "control"],
)
def test_a_quoted_cell_with_a_line_break_or_control_character_is_refused(
    tmp_path, cell, problem
):
    """A tag the Python API would refuse is refused in a manifest, by file and line."""
    text = f"dataId,addUserTags\n{B},ok\n{A},{cell}\n"
    error = refused(write(tmp_path, "m.csv", text), problem, 3)
    assert str(error).startswith(f"{error.source}, line 3: addUserTags: a tag must")


def test_a_row_with_more_values_than_columns_is_refused(tmp_path):
    """An unquoted comma in a tag shifts the row: refused, with a hint to quote."""
    text = f"dataId,addUserTags\n{A},x\n{B},note=a,b\n"
    refused(write(tmp_path, "m.csv", text), "3 values but the header has 2", 3)


def test_empty_trailing_cells_are_not_extra_values(tmp_path):
    """Trailing empty cells (as spreadsheets write them) are fine."""
    rows = read_manifest(
        write(tmp_path, "m.csv", f"dataId,addUserTags\n{A},x,,\n")
    ).rows
    assert rows[0][1] == TagChanges(("x",))


def test_a_binary_file_is_refused(tmp_path):
    """A NUL byte means binary: refused with its line."""
    content = b"dataId,addUserTags\n" + A.encode() + b",x\n\x00\x01\x02"
    refused(write(tmp_path, "m.csv", content), "not a text file", 3)


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    """Latin-1 bytes are refused, naming the byte and line."""
    content = f"dataId,addUserTags\n{A},caf".encode() + b"\xe9\n"
    refused(write(tmp_path, "m.csv", content), "not UTF-8 text: byte 0xe9", 2)


def test_a_utf16_file_is_refused_with_advice(tmp_path):
    """UTF-16 (as some spreadsheets save) is refused with advice to save as UTF-8."""
    content = "dataId,addUserTags\n".encode("utf-16")
    refused(write(tmp_path, "m.csv", content), "UTF-16 text; save it as UTF-8")


def test_a_spreadsheet_is_refused_with_advice(tmp_path):
    """An .xlsx (a ZIP archive) is refused with advice to export CSV."""
    refused(write(tmp_path, "m.xlsx", b"PK\x03\x04rest"), "export it as CSV")


def test_a_missing_file_is_refused(tmp_path):
    """A path that does not exist is refused with the reason."""
    refused(str(tmp_path / "nope.csv"), "cannot be read: No such file")


def test_gzip_and_old_office_files_are_refused_with_advice(tmp_path):
    """A gzip file or an old .xls is known from its first bytes."""
    refused(write(tmp_path, "m.csv.gz", b"\x1f\x8b\x08\x00rest"), "decompress it")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"
    refused(write(tmp_path, "m.xls", ole), "export it as CSV")


class Endless(io.RawIOBase):
    """A stream with no end (like /dev/zero), counting the bytes taken from it."""

    def __init__(self, head: bytes, fill: bytes) -> None:
        self.head, self.fill, self.taken = head, fill, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = len(buffer)
        data = (self.head + self.fill * (size // len(self.fill) + 1))[:size]
        self.head = self.head[size:]
        buffer[:size] = data
        self.taken += size
        return size


@pytest.mark.parametrize(
    "head, fill, message",
    [
        (b"", b"\x00", "<stdin>, line 1: is not a text file"),
        (b"dataId,addUserTags\n", b"\xff", "<stdin>, line 2: is not UTF-8 text"),
        (b"dataId,addUserTags\n", b"a", "<stdin>, line 2: has a line longer than"),
    ],
    ids=["zeros", "binary-after-a-header", "no-line-end"],
)
def test_an_endless_input_is_refused_after_a_bounded_read(head, fill, message):
    """Endless zeros, binary data or one endless line: refused having read little."""
    stream = Endless(head, fill)
    with pytest.raises(ManifestError) as caught:
        read_manifest("-", stdin=io.BufferedReader(stream))
    assert str(caught.value).startswith(message)
    assert stream.taken < 1_000_000


@pytest.mark.parametrize(
    "fill, message",
    [(b"\x00", "line 1: is not a text file"), (b"a", "line 1: has a line longer")],
)
def test_an_endless_ids_input_is_refused_after_a_bounded_read(fill, message):
    """An ids file of endless zeros or one endless line is refused having read little."""
    stream = Endless(b"", fill)
    with pytest.raises(ManifestError, match=message):
        read_ids("-", changes_from_options(["x"]), stdin=io.BufferedReader(stream))
    assert stream.taken < 1_000_000


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_dev_zero_as_a_manifest_is_refused_at_once():
    """--manifest /dev/zero is refused as binary instead of being read for ever."""
    refused("/dev/zero", "is not a text file", 1)


@pytest.mark.parametrize(
    "bad, message", [(b"\x00", "is not a text file"), (b"\xe9", "byte 0xe9")]
)
def test_bad_bytes_past_the_first_bytes_are_refused_at_their_line(
    tmp_path, bad, message
):
    """A NUL or a Latin-1 byte well after the sniffed start is refused by line."""
    rows = "".join(f"{A},x\n" for _ in range(400)).encode()
    assert len(rows) > manifest.SNIFF_BYTES
    content = b"dataId,addUserTags\n" + rows + b"fil.x,caf" + bad + b"\n"
    refused(write(tmp_path, "m.csv", content), message, 402)


def test_a_character_cut_by_the_end_of_the_sniffed_bytes_reads_fine(tmp_path):
    """A multi-byte character across the end of the first bytes looked at is fine."""
    start = b"dataId,addUserTags\n" + A.encode() + b",t="
    pad = manifest.SNIFF_BYTES - 1 - len(start)
    content = start + b"x" * pad + "é\n".encode()
    rows = read_manifest(write(tmp_path, "m.csv", content)).rows
    assert rows == [(A, TagChanges(("t=" + "x" * pad + "é",)), 2)]


def test_lone_carriage_returns_end_lines_too(tmp_path):
    """Old Mac line ends (a lone CR) read as lines, numbered as such."""
    content = f"dataId,addUserTags\r{A},x\r\rfil.BAD,y\r"
    rows = read_manifest(write(tmp_path, "m.csv", content)).rows
    assert [(row[0], row[2]) for row in rows] == [(A, 2), ("fil.BAD", 4)]


# -- ids files and options ------------------------------------------------------


def test_an_ids_file_gives_each_id_the_option_tags(tmp_path):
    """Blank lines, comments, spaces, CRLF, a BOM and a dataId header are fine."""
    text = f"\ufeffdataId\r\n# mine\r\n\r\n  {A}  \r\n{B}\r\n"
    change = changes_from_options(["x"], [], ["q"])
    found = read_ids(write(tmp_path, "ids.txt", text), change)
    assert found.rows == [(A, change, 4), (B, change, 5)]


def test_ids_come_from_stdin_with_a_dash():
    """'-' reads standard input."""
    change = changes_from_options(["x"])
    found = read_ids("-", change, stdin=io.BytesIO(f"{A}\n".encode()))
    assert found.source == "<stdin>"
    assert found.rows == [(A, change, 1)]


def test_an_ids_file_with_several_values_a_line_is_refused(tmp_path):
    """A CSV passed as --ids is refused with a pointer to --manifest."""
    path = write(tmp_path, "ids.txt", f"{A}\n{B},x\n")
    with pytest.raises(ManifestError, match="use --manifest") as caught:
        read_ids(path, changes_from_options(["x"]))
    assert caught.value.line == 2


def test_an_empty_ids_file_is_refused(tmp_path):
    """No ids at all is refused."""
    with pytest.raises(ManifestError, match="is empty"):
        read_ids(write(tmp_path, "ids.txt", "\n# none\n"), changes_from_options(["x"]))


def test_an_option_tag_containing_the_separator_is_refused():
    """--add-user-tag 'a;b' could mean two tags: refused, naming the option."""
    with pytest.raises(ManifestError, match="give --add-user-tag once per tag") as err:
        changes_from_options(["ok", "a;b"])
    assert err.value.source == "--add-user-tag"


def test_an_empty_option_tag_is_refused():
    """A blank tag value is refused."""
    with pytest.raises(ManifestError, match="cannot be empty"):
        changes_from_options([], [], [], ["  "])


def test_an_option_tag_with_a_line_break_is_refused():
    """--add-user-tag $'a\\nb' is refused by the same rule as the Python API."""
    with pytest.raises(ManifestError, match="a tag must not contain a line break"):
        changes_from_options(["a\nb"])


def test_option_tags_are_stripped_and_deduplicated():
    """Spaces go and repeats collapse."""
    change = changes_from_options([" a ", "a", "b"])
    assert change == TagChanges(("a", "b"))


# -- writing back ------------------------------------------------------------------


def test_written_rows_read_back_as_the_same_manifest(tmp_path):
    """write_manifest's CSV is a manifest: ids and changes come back unchanged."""
    outcomes = [
        Outcome(A, "failed", "Data was not found.", TagChanges(("x", "y"), ("z",))),
        Outcome(
            "bad id", "rejected", "malformed, with, commas", TagChanges((), (), ("q",))
        ),
    ]
    path = str(tmp_path / "out" / "failed.csv")
    assert write_manifest(path, outcomes) == 2
    back = read_manifest(path)
    assert back.ignored_columns == ()
    assert [(row[0], row[1]) for row in back.rows] == [
        (A, TagChanges(("x", "y"), ("z",))),
        ("bad id", TagChanges((), (), ("q",))),
    ]


def test_reading_100000_rows_is_quick(tmp_path):
    """A 100,000-row manifest reads in well under two seconds."""
    import time

    lines = ["dataId,addUserTags,removeUserTags"]
    lines += [
        f"fil.{uuid.uuid4().hex},s=SBJ{i % 30:05d};a=WGS,p" for i in range(100_000)
    ]
    path = write(tmp_path, "big.csv", "\n".join(lines))
    started = time.process_time()
    assert len(read_manifest(path).rows) == 100_000
    assert time.process_time() - started < 2.0
