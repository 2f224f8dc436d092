"""The benchmark runner: it runs end to end on tiny sizes, so it cannot rot.

No figure is checked: a smoke run on a shared machine measures nothing. What
is checked is that every benchmark ran for the floor and icasdk, that libica
was measured or skipped with a reason, and that the table and JSON came out.
"""

from __future__ import annotations

import json
import os

import pytest

from benchmarks import bodies, cli, planning, run, table
from benchmarks.contenders import unavailable
from benchmarks.row import Row

pytestmark = pytest.mark.timeout(600)


def test_tiny_run_measures_every_benchmark(tmp_path, capsys):
    """A tiny run fills every row for the floor and icasdk and writes the JSON."""
    output = tmp_path / "results.json"

    assert cli.main(["--tiny", f"--output={output}"]) == 0

    report = json.loads(output.read_text(encoding="utf-8"))
    keys = [row["key"] for row in report["rows"]]
    assert keys == [
        "import",
        "parse_small",
        "parse_large",
        "retained_large",
        "call_page",
        "call_small",
        "create",
        "paging",
        "paging_peak_base",
        "paging_peak",
        "planning",
    ]
    libica_missing = unavailable("libica")
    for row in report["rows"]:
        contenders = row["contenders"]
        assert contenders["icasdk"]["median"] > 0, row["key"]
        if row["key"] == "planning":  # only icasdk plans, libica installed or not
            planner = "has no bulk-tagging planner"
            assert contenders["libica"]["skipped"].endswith(planner)
            continue
        assert contenders["floor"]["median"] > 0, row["key"]
        if libica_missing:
            assert contenders["libica"] == {"skipped": libica_missing}
        else:
            assert "median" in contenders["libica"] or "skipped" in contenders["libica"]
    assert report["tiny"] is True
    assert report["machine"]["cpus"]

    table = capsys.readouterr().out
    assert "2 parse 10 items" in table
    assert "6 plan 100 manifest rows (CPU)" in table

    assert cli.main([f"--show={output}", "--markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "| 2 parse 10 items |" in markdown
    assert f"commit {report['machine']['commit']}" in markdown


def test_bodies_match_the_definition():
    """Every body the benchmarks send or parse passes both validators."""
    bodies.check_valid("ProjectDataUpdateBatch", bodies.batch())
    bodies.check_valid("ProjectDataUpdateBatchItemPagedList", bodies.items_page(40))
    bodies.check_valid(
        "ProjectDataUpdateBatchItemPagedList", bodies.items_page(3, last=True)
    )
    bodies.check_valid(
        "CreateProjectDataUpdateBatch", bodies.create_request(bodies.data_ids(5))
    )


def test_a_broken_body_is_refused():
    """A body that breaks the definition stops the runner before any timing."""
    page = bodies.items_page(2)
    page["items"][1]["processing"]["status"] = "DONE"

    with pytest.raises(bodies.InvalidBody, match="processing"):
        bodies.check_valid("ProjectDataUpdateBatchItemPagedList", page)


def test_planning_manifest_is_planned_as_meant(tmp_path):
    """The manifest's repeats merge and its bad rows are rejected, none lost."""
    text, distinct = planning.manifest_text(4_000)
    path = tmp_path / "manifest.csv"
    path.write_text(text, encoding="utf-8")

    planned, requests = planning.plan(str(path))

    planning.check(planned, 4_000, distinct)
    assert len(requests) == len(planned.batches) == 1
    assert len(planned.rejected) == 2


def _row(kind, target, floor, icasdk, libica=None, base=None):
    row = Row("key", "title", "s", kind, target)
    row.samples = {"floor": [floor], "icasdk": [icasdk]}
    if libica is not None:
        row.samples["libica"] = [libica]
    if base is not None:
        row.base = {"icasdk": base, "libica": base}
    return row


def test_a_target_needs_the_ratio_and_a_lead_over_libica():
    """Met means within the ratio of the floor and faster than libica."""
    assert _row("ratio", 2.0, 1.0, 1.9, libica=3.0).met() is True
    assert _row("ratio", 2.0, 1.0, 2.1, libica=3.0).met() is False
    assert _row("ratio", 2.0, 1.0, 1.9, libica=1.5).met() is False
    assert _row("ratio", 2.0, 1.0, 1.9).met() is True


def test_growth_and_cpu_targets():
    """Growth compares a client with itself at the small size; CPU is absolute."""
    assert _row("growth", 1.2, 5.0, 11.0, libica=12.0, base=10.0).met() is True
    assert _row("growth", 1.2, 5.0, 13.0, libica=14.0, base=10.0).met() is False
    assert _row("cpu", 1.0, 0.0, 0.9).met() is True
    assert _row("cpu", 1.0, 0.0, 1.1).met() is False
    assert _row("info", None, 1.0, 9.0).met() is None


@pytest.mark.skipif(os.name != "posix", reason="the stand-in Python is a shell script")
def test_a_peer_that_fails_is_skipped_with_what_failed_and_how(tmp_path):
    """libica's failure is kept on the row, named, and the run goes on."""
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\nkill -9 $$\n", encoding="utf-8")
    python.chmod(0o755)
    runner = run.Runner(run.TINY, ["floor", "icasdk"], python=str(python))
    runner.contenders = ["libica"]  # stands in for an installed libica
    row = Row("parse_small", "2 parse", "s", "ratio", 4.0)

    runner.each(row, "parse", size=1)

    assert row.skipped == {
        "libica": "failed: libica parse was killed by signal 9: "
        "(it wrote no error output)"
    }
    assert runner.failed == {"libica"}


def test_a_libica_that_cannot_be_imported_is_skipped_not_fatal(tmp_path, monkeypatch):
    """An installed but broken libica fails its import row; the run goes on."""
    package = tmp_path / "libica"
    package.mkdir()
    (package / "__init__.py").write_text('raise ImportError("broken on purpose")\n')
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr(run, "unavailable", lambda name: None)
    runner = run.Runner(run.TINY, ["floor", "icasdk", "libica"])

    run.bench_import(runner)

    (row,) = runner.rows
    assert row.skipped["libica"].startswith("failed: libica import failed (exit 1)")
    assert row.skipped["libica"].endswith("ImportError: broken on purpose")
    assert set(row.samples) == {"floor", "icasdk"}
    assert runner.failed == {"libica"}


def test_a_verdict_without_libica_is_marked_and_explained():
    """met* when libica has no figure on the row; planning has no peer to weigh."""
    alone = _row("ratio", 2.0, 1.0, 1.9)
    beside = _row("ratio", 2.0, 1.0, 1.9, libica=3.0)
    planning = _row("cpu", 1.0, 0.0, 0.5)

    assert [table.format_met(row) for row in (alone, beside, planning)] == [
        "met*",
        "met",
        "met",
    ]
    assert table.UNWEIGHED_NOTE in table.format_notes([alone])
    assert table.UNWEIGHED_NOTE not in table.format_notes([beside, planning])
    assert table.TABLE_HEADER[-1] == "verdict"


def test_values_read_as_a_person_would():
    """Seconds and bytes come out in the unit that fits."""
    assert table.format_value(0.00213, "s") == "2.13 ms"
    assert table.format_value(1.5, "s") == "1.5 s"
    assert table.format_value(3 * 1024**2, "B") == "3.0 MiB"
    assert table.format_value(None, "s") == "-"


@pytest.mark.skipif(os.name != "posix", reason="the stand-in Python is a shell script")
@pytest.mark.parametrize(
    "script, match",
    [
        ("echo garbage", "icasdk parse printed no result: 'garbage\\\\n'"),
        ("true", "icasdk parse printed nothing"),
        ("echo boom >&2; exit 3", "icasdk parse failed \\(exit 3\\):\nboom"),
        ("exit 3", "failed \\(exit 3\\):\n\\(it wrote no error output\\)"),
        ("kill -9 $$", "icasdk parse was killed by signal 9:\n\\(it wrote no"),
        ("exec sleep 30", "icasdk parse took over 1 s"),
    ],
    ids=["no JSON", "nothing", "failure", "silent failure", "killed", "hang"],
)
def test_a_worker_that_gives_no_result_is_a_worker_error(
    tmp_path, monkeypatch, script, match
):
    """Whatever a worker does wrong, the runner says so in a WorkerError."""
    python = tmp_path / "python"
    python.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    python.chmod(0o755)
    monkeypatch.setattr(run, "WORKER_TIMEOUT", 1.0)
    runner = run.Runner(run.TINY, ["floor", "icasdk"], python=str(python))

    with pytest.raises(run.WorkerError, match=match):
        runner.work("icasdk", "parse")
