"""The JSON file a run's results live in: where it may go, writing it, reading it back.

The file keeps every sample, so a saved run's table can be printed again
(``python -m benchmarks --show FILE``) and its figures checked by hand. A
file is written whole or not at all, only over a regular file, and read back
only if it has the shape this runner writes (checked with ``jsonschema``, so
that a damaged file fails at once, with its name, not half-way down a table).
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile
import typing

from benchmarks.contenders import CONTENDERS
from benchmarks.row import KINDS, Row

MAX_BYTES = 64 * 1024**2
"""Far above any real results file (about 100 KiB); anything bigger is not one."""


class ResultsError(Exception):
    """A results file cannot be written or read; the message says which and why."""


class SaveError(ResultsError):
    """Saving failed after the path was checked (a full disk, say): the run is lost."""


def output_path(text: str) -> pathlib.Path:
    """The file ``--output`` names, resolved, once it is known it can be written.

    Checked before anything is measured, so that a run is never lost to a
    bad path at its end. A symbolic link is followed (its target is written);
    what is there already must be a regular file: a device, a pipe or a
    folder is never replaced. Missing folders are made only when saving.
    """
    if not text:
        raise ResultsError("--output needs a file name")
    if text.endswith(("/", os.sep)):
        raise ResultsError(f"--output {text} names a folder; give a file name")
    try:
        path = pathlib.Path(os.path.realpath(os.path.expanduser(text)))
        if path.exists():
            if not path.is_file():
                kind = "a folder" if path.is_dir() else "not a regular file"
                raise ResultsError(f"--output {text} is {kind}; give a file name")
            if not os.access(path, os.W_OK):
                raise ResultsError(f"cannot write {path}: it is read-only")
        folder = path.parent
        while not folder.exists():
            folder = folder.parent
        if not folder.is_dir():
            raise ResultsError(f"cannot write {path}: {folder} is not a folder")
        # os.access says yes to root almost everywhere (/proc too): a file
        # made and removed is the only proof that saving can work.
        handle, probe = tempfile.mkstemp(
            dir=folder, prefix=".benchmarks-", suffix=".tmp"
        )
        os.close(handle)
        os.unlink(probe)
    except OSError as err:
        raise ResultsError(f"cannot write {text}: {err.strerror or err}") from None
    return path


def save(report: dict, path: pathlib.Path) -> None:
    """Write ``report`` to ``path`` (from ``output_path``) whole or not at all.

    The text goes to a temporary file beside it first, so an earlier run's
    file is replaced only by a complete one, with the earlier file's mode.
    """
    text = json.dumps(report, indent=2, allow_nan=False) + "\n"
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=".benchmarks-", suffix=".tmp"
        )
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except OSError as err:
        if temporary is not None:
            os.unlink(temporary)
        raise SaveError(f"cannot write {path}: {err.strerror or err}") from None


def _mode_for(path: pathlib.Path) -> int:
    """The earlier file's permissions, or what a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def load(path: pathlib.Path) -> typing.Tuple[typing.List[Row], dict]:
    """The rows and the whole record (machine, sizes, ...) of a saved run."""
    try:
        if not path.exists():
            raise ResultsError(f"cannot read {path}: no such file")
        if not path.is_file():
            raise ResultsError(f"cannot read {path}: not a regular file")
        if path.stat().st_size > MAX_BYTES:
            raise ResultsError(f"{path} is too large to be a results file")
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ResultsError(f"cannot read {path}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise ResultsError(f"{path} is not JSON: it is not UTF-8 text") from None
    try:
        saved = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as err:  # JSONDecodeError is a ValueError
        raise ResultsError(f"{path} is not JSON: {_first_line(err)}") from None

    problem = _shape_problem(saved)
    if problem:
        raise ResultsError(f"{path} is not a results file of this runner: {problem}")
    return [Row.from_json(data) for data in saved["rows"]], saved


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is no figure")


def _first_line(err: Exception) -> str:
    return (str(err) or type(err).__name__).splitlines()[0][:200]


def _shape_problem(saved: object) -> typing.Optional[str]:
    """What is wrong with the shape of a loaded file, or None if nothing."""
    import jsonschema  # the emulator's extra, which the benchmarks need anyway

    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(SCHEMA).iter_errors(saved)
    )
    if error is None:
        return None
    where = "".join(f"[{part!r}]" for part in error.absolute_path) or "the top level"
    return f"at {where}: {_first_line(error)}"


# JSON Schema numbers are never booleans. The bound keeps out numbers no run
# gives (seconds, bytes, ratios), among them integers too large for a float.
_FIGURE = {"type": "number", "minimum": 0, "maximum": 1e15}
_TEXT = {"type": "string"}
_MEASURED = {
    "type": "object",
    "required": ["samples"],
    "properties": {
        "samples": {"type": "array", "items": _FIGURE, "minItems": 1},
        "base": {**_FIGURE, "exclusiveMinimum": 0},
        "median": {"anyOf": [_FIGURE, {"type": "null"}]},
        "ratio": {"anyOf": [_FIGURE, {"type": "null"}]},
    },
    "additionalProperties": False,
}
_SKIPPED = {
    "type": "object",
    "required": ["skipped"],
    "properties": {"skipped": _TEXT},
    "additionalProperties": False,
}

SCHEMA: typing.Dict[str, typing.Any] = {
    "type": "object",
    "required": ["rows", "machine"],
    "properties": {
        "tiny": {"type": "boolean"},
        "rows": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "key",
                    "title",
                    "unit",
                    "kind",
                    "target",
                    "note",
                    "contenders",
                ],
                "properties": {
                    "key": _TEXT,
                    "title": _TEXT,
                    "unit": {"enum": ["s", "B"]},
                    "kind": {"enum": list(KINDS)},
                    "target": {
                        "anyOf": [{**_FIGURE, "exclusiveMinimum": 0}, {"type": "null"}]
                    },
                    "note": _TEXT,
                    "contenders": {
                        "type": "object",
                        "propertyNames": {"enum": list(CONTENDERS)},
                        "additionalProperties": {"oneOf": [_MEASURED, _SKIPPED]},
                    },
                },
            },
        },
        "machine": {
            "type": "object",
            "required": [
                "platform",
                "python",
                "cpu",
                "cpus",
                "memory_gib",
                "packages",
                "commit",
            ],
            "properties": {
                "platform": _TEXT,
                "python": _TEXT,
                "cpu": _TEXT,
                "cpus": {"type": ["integer", "null"]},
                "memory_gib": {"anyOf": [_FIGURE, {"type": "null"}]},
                "load_average": {"type": ["array", "null"], "items": _FIGURE},
                "packages": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "null"]},
                },
                "commit": {"type": ["string", "null"]},
            },
        },
    },
}
"""The shape ``cli.measure`` writes; ``load`` refuses anything else."""
