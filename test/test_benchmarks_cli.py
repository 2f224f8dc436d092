"""``python -m benchmarks`` given bad input: one line, exit 2, no file lost.

Every mistake is found before anything is measured, and an earlier run's
results file is never replaced by a partial or empty one. The steps are
swapped for quick stand-ins where a test is about the command, not the
figures (``test_benchmarks.py`` runs the real ones); the tests of signals
and of standard output run the real command in a process of its own.
``test_benchmarks_results.py`` has the results file's own tests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from benchmarks import cli, results, run
from benchmarks.machine import REPO_ROOT
from benchmarks.row import Row

EARLIER = '{"earlier": "run"}\n'


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    """Default output files in tmp_path, each holding an earlier run's text."""
    paths = [tmp_path / name for name in ("latest.json", "partial.json", "tiny.json")]
    for path in paths:
        path.write_text(EARLIER, encoding="utf-8")
    monkeypatch.setattr(cli, "DEFAULT_OUTPUT", paths[0])
    monkeypatch.setattr(cli, "PARTIAL_OUTPUT", paths[1])
    monkeypatch.setattr(cli, "TINY_OUTPUT", paths[2])
    return paths


@pytest.fixture
def quick_steps(monkeypatch):
    """Every benchmark step replaced by one that adds a row with made-up samples."""
    ran = []

    def step_for(key):
        def step(runner):
            ran.append(key)
            row = runner.add(Row(key, f"{key} row", "s", "ratio", 2.0))
            row.samples = {"floor": [1.0], "icasdk": [1.5]}

        return step

    monkeypatch.setattr(run, "STEPS", {key: step_for(key) for key in run.BENCHMARKS})
    return ran


def _refused(argv, capsys, match):
    """Run the command; check it failed in one line of standard error."""
    try:
        code = cli.main(argv)
    except SystemExit as stop:  # argparse's own refusals
        code = stop.code
    assert code == 2
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
    assert [path.read_text() for path in outputs] == [EARLIER] * 3


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
    assert [path.read_text() for path in outputs] == [EARLIER] * 3


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

    folder = outputs[0].parent / "not" / "made"
    _refused([f"--output={folder}/run.json"], capsys, "need jsonschema")
    assert not (outputs[0].parent / "not").exists()


def test_duplicate_names_run_once(outputs, quick_steps, capsys):
    argv = ["--only=parse,parse,calls", "--contenders=floor,icasdk,icasdk,floor"]
    assert cli.main(argv) == 0
    assert quick_steps == ["parse", "calls"]
    report = json.loads(outputs[1].read_text())
    assert report["rows"][0]["contenders"]["icasdk"]["samples"] == [1.5]


def test_a_repeated_option_adds_to_itself(outputs, quick_steps, capsys):
    assert cli.main(["--only", "parse", "--only", "calls"]) == 0
    assert quick_steps == ["parse", "calls"]


def test_a_partial_run_keeps_the_full_runs_file(outputs, quick_steps, capsys):
    latest, partial, _ = outputs
    assert cli.main(["--only=parse"]) == 0
    assert cli.main(["--contenders=floor,icasdk"]) == 0
    assert latest.read_text() == EARLIER
    assert len(json.loads(partial.read_text())["rows"]) == len(run.BENCHMARKS)

    assert cli.main([]) == 0
    assert json.loads(latest.read_text())["rows"]


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--bogus"], "unrecognized arguments: --bogus (see --help)"),
        (["--show"], "argument --show: expected one argument (see --help)"),
        (["--o=x"], "ambiguous option: --o=x could match --only, --output"),
    ],
)
def test_argument_errors_are_one_line_too(argv, match, outputs, quick_steps, capsys):
    _refused(argv, capsys, match)
    assert quick_steps == []


def test_a_tiny_run_keeps_the_real_runs_file_and_says_it_is_tiny(
    outputs, quick_steps, capsys
):
    latest, partial, tiny = outputs
    assert cli.main(["--tiny", "--only=planning"]) == 0

    assert latest.read_text() == partial.read_text() == EARLIER
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
    assert [path.read_text() for path in outputs] == [EARLIER] * 3


def _libica_fails_calls(monkeypatch, before=lambda: None):
    """libica counts as installed, and its calls step fails (``before`` runs first)."""

    def libica_fails(runner):
        before()
        row = runner.add(Row("calls", "calls row", "s", "ratio", 2.0))
        row.samples = {"floor": [1.0], "icasdk": [1.5]}
        row.skipped["libica"] = "failed: libica calls was killed by signal 9:"
        runner.failed.add("libica")

    monkeypatch.setattr(run, "unavailable", lambda name: None)
    monkeypatch.setitem(run.STEPS, "calls", libica_fails)


def test_a_peer_failing_a_step_makes_the_run_partial(
    monkeypatch, outputs, quick_steps, capsys
):
    """A full run missing libica's figures goes to partial.json, as its note says."""
    _libica_fails_calls(monkeypatch)

    assert cli.main([]) == 0

    latest, partial, _ = outputs
    assert latest.read_text() == EARLIER
    assert json.loads(partial.read_text())["rows"]
    captured = capsys.readouterr()
    assert "libica failed a step, so this run goes to partial.json" in captured.err
    assert "met*" in captured.out


def test_a_peer_failing_uses_the_partial_path_checked_before_measuring(
    monkeypatch, outputs, quick_steps, capsys
):
    """After measuring, no path is looked at again: a run cannot be lost to it."""
    checked = results.output_path
    measuring = []

    def no_checks_once_measuring(text):
        if measuring:
            raise results.ResultsError(f"cannot write {text}: checked too late")
        return checked(text)

    monkeypatch.setattr(results, "output_path", no_checks_once_measuring)
    _libica_fails_calls(monkeypatch, before=lambda: measuring.append(True))

    assert cli.main([]) == 0

    latest, partial, _ = outputs
    assert latest.read_text() == EARLIER
    assert json.loads(partial.read_text())["rows"]


def test_a_write_failing_after_measuring_prints_the_table_and_fails(
    monkeypatch, outputs, quick_steps, capsys
):
    def disk_full(report, path):
        raise results.SaveError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr(results, "save", disk_full)

    assert cli.main(["--tiny"]) == 1

    captured = capsys.readouterr()
    assert "import row" in captured.out
    last = captured.err.strip().splitlines()[-1]  # after the runner's progress
    assert "No space left on device; the table above is all that is left" in last
    assert [path.read_text() for path in outputs] == [EARLIER] * 3


def _saved_run(tmp_path, quick_steps):
    path = tmp_path / "saved.json"
    assert cli.main([f"--output={path}"]) == 0
    return path


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--show="], "--show needs the path of a results file"),
        (["--show=x.json", "--tiny"], "--tiny cannot go with it"),
        (["--show=x.json", "--only=parse"], "--only cannot go with it"),
        (["--show=x.json", "--output=y.json"], "--output cannot go with it"),
        (["--show=x.json", "--only="], "--only cannot go with it"),
    ],
)
def test_show_takes_no_measuring_option(argv, match, outputs, quick_steps, capsys):
    _refused(argv, capsys, match)
    assert quick_steps == []


# --------------------------------------------------------------------------
# The real command in its own process: signals, and standard output


def _command(*args):
    return [sys.executable, "-m", "benchmarks", *args]


def _wait_for(process, text, timeout=60.0):
    """Read the process's standard error until ``text``; return what was read."""
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        line = process.stderr.readline()
        assert line and time.monotonic() < deadline, f"no {text!r} in {seen!r}"
        seen += line
    return seen


def _children(pid):
    """The ids of a process's children, from /proc."""
    tasks = f"/proc/{pid}/task"
    found = []
    for task in os.listdir(tasks):
        with open(f"{tasks}/{task}/children", encoding="ascii") as handle:
            found += [int(child) for child in handle.read().split()]
    return found


def _gone(pid, timeout=15.0):
    """True once ``pid`` has ended (or is only a zombie no one reaped yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
@pytest.mark.parametrize(
    "stop, code, said",
    [
        ("term", 143, "terminated; nothing was written"),
        ("ctrl-c", 130, "interrupted; nothing was written"),
    ],
)
def test_a_stopped_run_stops_its_server_and_writes_nothing(tmp_path, stop, code, said):
    """SIGTERM to the runner, or Ctrl-C to its group, while the canned server runs."""
    output = tmp_path / "run.json"
    output.write_text(EARLIER, encoding="utf-8")
    argv = ["--tiny", "--only=calls", "--contenders=floor,icasdk", f"--output={output}"]
    process = subprocess.Popen(
        _command(*argv),
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own group, as a terminal gives a command
    )
    try:
        _wait_for(process, "3 call: 10-item page: floor")
        children = _children(process.pid)
        assert children  # the canned server, at least
        if stop == "term":
            process.send_signal(signal.SIGTERM)
        else:  # a terminal's Ctrl-C reaches every process of the group
            os.killpg(process.pid, signal.SIGINT)
        rest = process.stderr.read()
        assert process.wait(timeout=60) == code
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert said in rest
    assert "Traceback" not in rest
    assert all(_gone(child) for child in children)
    assert output.read_text() == EARLIER


@pytest.fixture
def saved_run(tmp_path, quick_steps, capsys):
    path = tmp_path / "saved.json"
    assert cli.main([f"--output={path}"]) == 0
    capsys.readouterr()
    return path


def _show(path, **how):
    return subprocess.run(
        _command(f"--show={path}"),
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        **how,
    )


def test_show_into_a_closed_pipe_ends_quietly(saved_run):
    """Piped into a reader that stops early (``| head -0``): no traceback."""
    reader = subprocess.Popen(["head", "-c", "0"], stdin=subprocess.PIPE)
    reader.wait()  # gone before anything is written: every write fails
    done = _show(saved_run, stdout=reader.stdin)
    reader.stdin.close()
    assert done.returncode == 0
    assert done.stderr == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_show_onto_a_full_disk_says_so_in_one_line(saved_run):
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = _show(saved_run, stdout=full)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "python -m benchmarks: cannot print the table: No space left on device"
    ]


@pytest.mark.skipif(os.name != "posix", reason="closes a POSIX file descriptor")
def test_show_with_standard_output_closed_ends_quietly(saved_run):
    done = _show(saved_run, preexec_fn=lambda: os.close(1))  # noqa: PLW1509
    assert done.returncode == 0
    assert done.stderr == ""
