"""One line of the results table: each contender's samples, and icasdk's target."""

from __future__ import annotations

import dataclasses
import typing

from benchmarks import measure
from benchmarks.contenders import CONTENDERS

KINDS = ("ratio", "growth", "cpu", "info")


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
