"""``python -m benchmarks`` given bad input: one line, a nonzero exit, no file lost.

Every mistake is found before anything is measured, and an earlier run's
results file is never replaced by a partial or empty one. The steps are
swapped for quick stand-ins where a test is about the command, not the
figures (``test_benchmarks.py`` runs the real ones).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmarks import cli, results, run

EARLIER = '{"earlier": "run"}\n'


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    """Default output files in tmp_path, each holding an earlier run's text."""
    latest, tiny = tmp_path / "latest.json", tmp_path / "tiny.json"
    for path in (latest, tiny):
        path.write_text(EARLIER, encoding="utf-8")
    monkeypatch.setattr(cli, "DEFAULT_OUTPUT", latest)
    monkeypatch.setattr(cli, "TINY_OUTPUT", tiny)
    return latest, tiny


@pytest.fixture
def quick_steps(monkeypatch):
    """Every benchmark step replaced by one that adds a row with made-up samples."""
    ran = []

    def step_for(key):
        def step(runner):
            ran.append(key)
            row = runner.add(results.Row(key, f"{key} row", "s", "ratio", 2.0))
            row.samples = {"floor": [1.0], "icasdk": [1.5]}

        return step

    monkeypatch.setattr(run, "STEPS", {key: step_for(key) for key in run.BENCHMARKS})
    return ran


def _refused(argv, capsys, match):
    """Run the command; check it failed in one line of standard error."""
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert match in lines[0]
    return lines[0]


@pytest.mark.parametrize("only", ["", ",", " ", " , "])
def test_only_naming_nothing_is_refused(only, outputs, quick_steps, capsys):
    _refused(["--tiny", f"--only={only}"], capsys, "--only names none")
    assert quick_steps == []
    assert [path.read_text() for path in outputs] == [EARLIER, EARLIER]


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--only=parse,nonsense"], "--only: unknown nonsense"),
        (["--only=Parse"], "--only: unknown Parse"),
        (["--contenders=floor,icasdk,pydantic"], "--contenders: unknown pydantic"),
        (["--contenders="], "--contenders names none"),
        (["--contenders=icasdk"], "the floor and icasdk are always measured"),
        (["--contenders=libica"], "the floor and icasdk are always measured"),
        (["--output="], "--output needs a file name"),
    ],
)
def test_bad_options_are_refused_before_measuring(
    argv, match, outputs, quick_steps, capsys
):
    _refused(argv, capsys, match)
    assert quick_steps == []
    assert [path.read_text() for path in outputs] == [EARLIER, EARLIER]


def test_an_output_that_cannot_be_written_is_refused_first(
    tmp_path, outputs, quick_steps, capsys
):
    """A folder, or a path under a file, fails before the run, not after it."""
    folder = tmp_path / "folder"
    folder.mkdir()
    _refused([f"--output={folder}"], capsys, "is a folder")

    a_file = tmp_path / "file.json"
    a_file.write_text(EARLIER, encoding="utf-8")
    _refused([f"--output={a_file}/x.json"], capsys, "cannot write")

    assert quick_steps == []
    assert a_file.read_text() == EARLIER


def test_a_missing_output_folder_is_made(tmp_path, quick_steps, capsys):
    output = tmp_path / "new" / "deeper" / "run.json"
    assert cli.main([f"--output={output}"]) == 0
    assert json.loads(output.read_text())["rows"]
    assert [p.name for p in output.parent.iterdir()] == ["run.json"]  # no temp left


def test_missing_packages_are_named_before_measuring(
    monkeypatch, outputs, quick_steps, capsys
):
    monkeypatch.setattr(run, "missing_packages", lambda: ["jsonschema"])
    line = _refused([], capsys, "the benchmarks need jsonschema")
    assert "pip install -e '.[benchmarks]'" in line
    assert quick_steps == []


def test_duplicate_names_run_once(outputs, quick_steps, capsys):
    argv = ["--only=parse,parse,calls", "--contenders=floor,icasdk,icasdk,floor"]
    assert cli.main(argv) == 0
    assert quick_steps == ["parse", "calls"]
    report = json.loads(outputs[0].read_text())
    assert report["rows"][0]["contenders"]["icasdk"]["samples"] == [1.5]


def test_a_tiny_run_keeps_the_real_runs_file_and_says_it_is_tiny(
    outputs, quick_steps, capsys
):
    latest, tiny = outputs
    assert cli.main(["--tiny", "--only=planning"]) == 0

    assert latest.read_text() == EARLIER
    assert json.loads(tiny.read_text())["tiny"] is True
    out = capsys.readouterr().out
    assert out.startswith("tiny sizes, one sample each")

    assert cli.main([f"--show={tiny}"]) == 0
    assert capsys.readouterr().out.startswith("tiny sizes, one sample each")


@pytest.mark.parametrize(
    "failure, code, message",
    [
        (
            run.WorkerError("icasdk calls failed (exit 1):\nboom"),
            1,
            "nothing was written",
        ),
        (KeyboardInterrupt(), 130, "interrupted; nothing was written"),
    ],
)
def test_a_run_that_fails_midway_writes_nothing(
    monkeypatch, outputs, quick_steps, capsys, failure, code, message
):
    def failing(runner):
        raise failure

    monkeypatch.setitem(run.STEPS, "calls", failing)
    assert cli.main(["--tiny"]) == code
    assert message in capsys.readouterr().err
    assert quick_steps == ["import", "parse"]
    assert [path.read_text() for path in outputs] == [EARLIER, EARLIER]


def _saved_run(tmp_path, quick_steps):
    path = tmp_path / "saved.json"
    assert cli.main([f"--output={path}"]) == 0
    return path


@pytest.mark.parametrize(
    "content, match",
    [
        (None, "cannot read"),
        ("", "is not JSON"),
        ("{not json", "is not JSON"),
        (b"\xff\xfe\x00binary", "is not JSON"),
        ('{"a": 1}', "is not a results file of this runner"),
        ("[1, 2]", "is not a results file of this runner"),
        ('{"rows": [{"key": "x"}], "machine": {}}', "is not a results file"),
        ('{"rows": [], "machine": {"cpu": "x"}}', "is not a results file"),
    ],
)
def test_show_of_a_bad_file_is_refused(tmp_path, capsys, content, match):
    path = tmp_path / "bad.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    _refused([f"--show={path}"], capsys, match)


def test_show_of_a_damaged_row_is_refused(tmp_path, quick_steps, capsys):
    path = _saved_run(tmp_path, quick_steps)
    capsys.readouterr()
    saved = json.loads(path.read_text())
    saved["rows"][0]["contenders"]["icasdk"]["samples"] = ["fast"]
    path.write_text(json.dumps(saved), encoding="utf-8")
    _refused([f"--show={path}"], capsys, "is not a results file of this runner")


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--show="], "--show needs the path of a results file"),
        (["--show=x.json", "--tiny"], "--tiny cannot go with it"),
        (["--show=x.json", "--only=parse"], "--only cannot go with it"),
        (["--show=x.json", "--output=y.json"], "--output cannot go with it"),
    ],
)
def test_show_takes_no_measuring_option(argv, match, outputs, quick_steps, capsys):
    _refused(argv, capsys, match)
    assert quick_steps == []


def test_show_of_a_folder_is_refused(tmp_path, capsys):
    _refused([f"--show={tmp_path}"], capsys, "cannot read")


def test_show_into_a_closed_pipe_ends_quietly(tmp_path, quick_steps, capsys):
    """Piped into a reader that stops early (``| head -0``): no traceback."""
    path = _saved_run(tmp_path, quick_steps)
    command = [sys.executable, "-m", "benchmarks", f"--show={path}"]
    reader = subprocess.Popen(["head", "-c", "0"], stdin=subprocess.PIPE)
    reader.wait()  # gone before anything is written: every write fails
    done = subprocess.run(
        command,
        cwd=results.REPO_ROOT,
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    reader.stdin.close()
    assert done.returncode == 0
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr
