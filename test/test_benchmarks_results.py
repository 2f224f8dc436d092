"""The benchmark results file: where it may be written, and what is read back.

A results file is written only over a regular file (through a symbolic
link, never over a device, pipe or folder), whole, with the earlier file's
permissions; it is read back only if it has the runner's own shape.
"""

from __future__ import annotations

import copy
import json
import os
import stat

import pytest

from benchmarks import cli, results
from benchmarks.machine import describe
from benchmarks.row import Row

EARLIER = '{"earlier": "run"}\n'


def _report():
    row = Row("call_small", "3 call: small batch", "s", "ratio", 1.3, note="")
    row.samples = {"floor": [0.001, 0.0012], "icasdk": [0.0012, 0.0013]}
    row.skipped = {"libica": "libica is not installed"}
    return {"tiny": False, "machine": describe(), "rows": [row.to_json()]}


def _refused_output(text, match):
    with pytest.raises(results.ResultsError, match=match) as caught:
        results.output_path(text)
    assert "\n" not in str(caught.value)


# --------------------------------------------------------------------------
# Where a results file may go


@pytest.mark.parametrize("name", ["folder/", f"folder{os.sep}"])
def test_a_path_ending_in_a_separator_names_a_folder(tmp_path, name):
    _refused_output(f"{tmp_path}/{name}", "names a folder")
    assert not (tmp_path / "folder").exists()


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null here")
def test_a_device_is_never_replaced():
    _refused_output("/dev/null", "is not a regular file")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_never_replaced(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    _refused_output(str(pipe), "is not a regular file")
    link = tmp_path / "link-to-pipe"
    link.symlink_to(pipe)
    _refused_output(str(link), "is not a regular file")
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)


def test_a_symbolic_link_is_written_through(tmp_path):
    target = tmp_path / "real.json"
    target.write_text(EARLIER, encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(target)

    path = results.output_path(str(link))
    results.save(_report(), path)

    assert link.is_symlink()
    assert json.loads(target.read_text())["rows"]


def test_a_dangling_link_gets_its_target_made(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "made" / "real.json")
    results.save(_report(), results.output_path(str(link)))
    assert link.is_symlink()
    assert json.loads((tmp_path / "made" / "real.json").read_text())["rows"]


def test_a_home_folder_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert results.output_path("~/run.json") == tmp_path / "run.json"


def test_a_parent_that_is_a_file_is_refused(tmp_path):
    a_file = tmp_path / "file.json"
    a_file.write_text(EARLIER, encoding="utf-8")
    _refused_output(f"{a_file}/deeper/x.json", "is not a folder")
    assert a_file.read_text() == EARLIER


def test_a_name_too_long_for_the_file_system_is_one_line(tmp_path):
    _refused_output(f"{tmp_path}/{'x' * 300}.json", "cannot write")


def test_the_longest_name_the_file_system_takes_is_taken(tmp_path):
    """The temporary file's name does not grow with the results file's."""
    path = results.output_path(str(tmp_path / ("x" * 250 + ".json")))
    results.save(_report(), path)
    assert path.exists()


# --------------------------------------------------------------------------
# Writing


def test_an_earlier_files_permissions_are_kept(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(EARLIER, encoding="utf-8")
    path.chmod(0o640)
    results.save(_report(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_new_file_gets_the_umasks_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        results.save(_report(), tmp_path / "run.json")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "run.json").stat().st_mode) == 0o644


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_a_folder_no_file_can_be_made_in_is_refused_even_for_root():
    """/proc looks writable to os.access as root; a file made there proves otherwise."""
    _refused_output("/proc/results.json", "cannot write")


def test_a_failed_write_leaves_the_earlier_file_and_no_temporary(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(EARLIER, encoding="utf-8")
    report = _report()
    report["rows"][0]["contenders"]["icasdk"]["samples"] = [float("nan")]
    with pytest.raises(ValueError):  # never a NaN in a results file
        results.save(report, path)
    assert path.read_text() == EARLIER
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_what_is_saved_loads_back(tmp_path):
    path = tmp_path / "run.json"
    results.save(_report(), path)
    rows, saved = results.load(path)
    assert rows[0].title == "3 call: small batch"
    assert rows[0].skipped == {"libica": "libica is not installed"}
    assert saved["tiny"] is False


# --------------------------------------------------------------------------
# Reading back: anything but the runner's own shape is refused in one line


def _damaged(change):
    report = json.loads(json.dumps(_report()))
    change(report)
    return json.dumps(report)


def _set(*path_and_value):
    *path, value = path_and_value

    def change(report):
        target = report
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


ROW = ("rows", 0)
ICASDK = (*ROW, "contenders", "icasdk")

DAMAGED = {
    "empty": "",
    "not JSON": "{not json",
    "NaN sample": _damaged(_set(*ICASDK, "samples", [1.0])).replace("1.0", "NaN"),
    "Infinity sample": _damaged(_set(*ICASDK, "samples", [2.5])).replace(
        "2.5", "Infinity"
    ),
    "huge integer": '{"rows": [], "machine": ' + "9" * 5000 + "}",
    "deep nesting": "[" * 200_000,
    "a list": "[1, 2]",
    "an object of something else": '{"a": 1}',
    "rows as an object": _damaged(_set("rows", {})),
    "tiny as text": _damaged(_set("tiny", "false")),
    "negative sample": _damaged(_set(*ICASDK, "samples", [-1.0])),
    "boolean sample": _damaged(_set(*ICASDK, "samples", [True])),
    "text sample": _damaged(_set(*ICASDK, "samples", ["fast"])),
    "no samples": _damaged(_set(*ICASDK, "samples", [])),
    "skipped as a number": _damaged(_set(*ROW, "contenders", "libica", "skipped", 5)),
    "skipped beside samples": _damaged(_set(*ICASDK, "skipped", 5)),
    "skipped text beside samples": _damaged(_set(*ICASDK, "skipped", "no")),
    "sample too large for a float": _damaged(_set(*ICASDK, "samples", [10**400])),
    "memory overflowing to infinity": _damaged(
        _set("machine", "memory_gib", 2.0)
    ).replace('"memory_gib": 2.0', '"memory_gib": 1e999'),
    "text target": _damaged(_set(*ROW, "target", "1.3")),
    "unknown kind": _damaged(_set(*ROW, "kind", "speed")),
    "title a number": _damaged(_set(*ROW, "title", 5)),
    "title null": _damaged(_set(*ROW, "title", None)),
    "no title": _damaged(lambda report: report["rows"][0].pop("title")),
    "unknown contender": _damaged(
        _set(*ROW, "contenders", "pydantic", {"skipped": "x"})
    ),
    "load average as text": _damaged(_set("machine", "load_average", ["a"])),
    "no packages": _damaged(lambda report: report["machine"].pop("packages")),
}


@pytest.mark.parametrize("content", list(DAMAGED.values()), ids=list(DAMAGED))
def test_a_damaged_file_is_refused_at_once(tmp_path, capsys, content):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(results.ResultsError, match=str(path)):
        results.load(path)

    assert cli.main([f"--show={path}"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # not half a table
    assert len(captured.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda path: None, "no such file"),
        (lambda path: path.mkdir(), "not a regular file"),
        (lambda path: path.write_bytes(b"\xff\xfe\x00binary"), "not UTF-8"),
        (lambda path: path.symlink_to(path), "cannot read"),
    ],
    ids=["missing", "folder", "binary", "symlink loop"],
)
def test_a_file_that_cannot_be_read_is_refused(tmp_path, make, match):
    path = tmp_path / "bad.json"
    make(path)
    with pytest.raises(results.ResultsError, match=match):
        results.load(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_an_endless_device_is_not_read():
    with pytest.raises(results.ResultsError, match="not a regular file"):
        results.load(results.pathlib.Path("/dev/zero"))


def test_a_file_too_large_to_be_results_is_not_read(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    results.save(_report(), path)
    monkeypatch.setattr(results, "MAX_BYTES", 100)
    with pytest.raises(results.ResultsError, match="too large"):
        results.load(path)


def test_every_row_the_runner_writes_fits_the_shape(tmp_path):
    """The schema is no stricter than the runner: rows of every kind load."""
    report = _report()
    for kind, target in (("growth", 1.2), ("cpu", 1.0), ("info", None)):
        row = Row(kind, kind, "B", kind, target)
        row.samples = {"icasdk": [3.0]}
        row.base = {"icasdk": 2.0} if kind == "growth" else {}
        report["rows"].append(row.to_json())
    path = tmp_path / "run.json"
    results.save(copy.deepcopy(report), path)
    rows, _ = results.load(path)
    assert [row.kind for row in rows] == ["ratio", "growth", "cpu", "info"]
