"""A benchmark run's results: its rows, the machine, and the JSON file they live in.

The JSON keeps every sample, so a saved run's table can be printed again
(``python -m benchmarks --show FILE``) and its figures checked by hand.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import json
import os
import pathlib
import platform
import subprocess
import tempfile
import typing

from benchmarks import measure
from benchmarks.contenders import CONTENDERS

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


class ResultsError(Exception):
    """A results file cannot be written or read; the message says which and why."""


@dataclasses.dataclass
class Row:
    """One line of the table: a figure per contender and the target for icasdk.

    ``kind`` says how the target is read:

    - ``ratio``: icasdk's median over the floor's, at most ``target``, and
      below libica's;
    - ``growth``: icasdk's figure over its own ``base`` figure (the same
      work at a tenth of the size), at most ``target``, and not above
      libica's figure;
    - ``cpu``: icasdk's median in seconds, at most ``target``;
    - ``info``: shown for context, no target.
    """

    key: str
    title: str
    unit: str
    kind: str = "info"
    target: typing.Optional[float] = None
    samples: typing.Dict[str, typing.List[float]] = dataclasses.field(
        default_factory=dict
    )
    base: typing.Dict[str, float] = dataclasses.field(default_factory=dict)
    skipped: typing.Dict[str, str] = dataclasses.field(default_factory=dict)
    note: str = ""

    def value(self, contender: str) -> typing.Optional[float]:
        samples = self.samples.get(contender)
        return measure.median(samples) if samples else None

    def ratio(self, contender: str) -> typing.Optional[float]:
        """The contender's figure over the floor's (or over its base, for growth)."""
        value = self.value(contender)
        if value is None:
            return None
        if self.kind == "growth":
            base = self.base.get(contender)
            return value / base if base else None
        floor = self.value("floor")
        return value / floor if floor else None

    def met(self) -> typing.Optional[bool]:
        """Whether icasdk meets the target; None when there is none or no figure."""
        if self.kind == "info" or self.target is None:
            return None
        ours = self.value("icasdk")
        if ours is None:
            return None
        if self.kind == "cpu":
            return ours <= self.target

        ratio = self.ratio("icasdk")
        if ratio is None or ratio > self.target:
            return False
        libica = self.value("libica")
        if libica is None:
            return True
        return ours <= libica if self.kind == "growth" else ours < libica

    @classmethod
    def from_json(cls, data: dict) -> Row:
        """A row as ``to_json`` wrote it, to print a saved run's table again."""
        row = cls(
            data["key"],
            data["title"],
            data["unit"],
            data["kind"],
            data["target"],
            note=data["note"],
        )
        for name, figures in data["contenders"].items():
            if "skipped" in figures:
                row.skipped[name] = figures["skipped"]
                continue
            row.samples[name] = figures["samples"]
            if "base" in figures:
                row.base[name] = figures["base"]
        return row

    def to_json(self) -> dict:
        contenders = {}
        for name in CONTENDERS:
            if name in self.skipped:
                contenders[name] = {"skipped": self.skipped[name]}
            elif name in self.samples:
                contenders[name] = {
                    "median": self.value(name),
                    "ratio": self.ratio(name),
                    "samples": self.samples[name],
                }
                if name in self.base:
                    contenders[name]["base"] = self.base[name]
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "kind": self.kind,
            "target": self.target,
            "met": self.met(),
            "note": self.note,
            "contenders": contenders,
        }


def machine() -> dict:
    """What the figures were taken on."""
    info = {
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "packages": {},
        "commit": _commit(),
    }
    for package in ("icasdk", "urllib3", "frozendict", "libica", "pydantic"):
        try:
            info["packages"][package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            info["packages"][package] = None
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> typing.Optional[float]:
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _commit() -> typing.Optional[str]:
    try:
        done = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def check_writable(path: pathlib.Path) -> None:
    """Raise ``ResultsError`` unless ``path`` can take a results file.

    Checked before anything is measured, so that a run is never lost to a
    bad ``--output`` at its end. A missing folder is made.
    """
    if path.is_dir():
        raise ResultsError(f"{path} is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}."):
            pass
    except OSError as err:
        raise ResultsError(f"cannot write {path}: {err.strerror or err}") from None


def save(report: dict, path: pathlib.Path) -> None:
    """Write ``report`` to ``path`` whole or not at all.

    The text goes to a temporary file beside it first, so an earlier run's
    file is replaced only by a complete one.
    """
    text = json.dumps(report, indent=2) + "\n"
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as err:
        raise ResultsError(f"cannot write {path}: {err.strerror or err}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ResultsError(f"cannot write {path}: {err.strerror or err}") from None


MACHINE_KEYS = ("platform", "python", "cpu", "cpus", "memory_gib", "packages", "commit")


def load(path: pathlib.Path) -> typing.Tuple[typing.List[Row], dict]:
    """The rows and the whole record (machine, sizes, ...) of a saved run.

    Raises ``ResultsError`` for a file that is missing, unreadable, or not
    one this runner wrote. Every figure the table shows is worked out here
    once, so that a damaged file fails now, with its name, not mid-table.
    """
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ResultsError(f"cannot read {path}: {err.strerror or err}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ResultsError(f"{path} is not JSON: {err}") from None
    try:
        rows = [Row.from_json(data) for data in saved["rows"]]
        for row in rows:
            row.met()
            for name in row.samples:
                row.ratio(name)
        missing = [key for key in MACHINE_KEYS if key not in saved["machine"]]
        if missing or not isinstance(saved["machine"]["packages"], dict):
            raise KeyError(", ".join(missing) or "packages")
    except (KeyError, TypeError, ValueError, AttributeError, ZeroDivisionError) as err:
        msg = (
            f"{path} is not a results file of this runner ({type(err).__name__}: {err})"
        )
        raise ResultsError(msg) from None
    return rows, saved
