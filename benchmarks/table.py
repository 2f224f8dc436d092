"""The results as the terminal and ``docs/performance.md`` show them."""

from __future__ import annotations

import typing

from benchmarks.row import Row


def format_value(value: typing.Optional[float], unit: str) -> str:
    """``0.00213`` s -> ``2.13 ms``; ``12_400_000`` B -> ``11.8 MiB``."""
    if value is None:
        return "-"
    if unit == "B":
        for scale, name in ((1024**2, "MiB"), (1024, "KiB")):
            if abs(value) >= scale:
                return f"{value / scale:.1f} {name}"
        return f"{value:.0f} B"
    for scale, name in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {name}"
    return f"{value * 1e9:.0f} ns"


def format_ratio(value: typing.Optional[float]) -> str:
    return "-" if value is None else f"{value:.2f}x"


def format_target(row: Row) -> str:
    if row.target is None:
        return ""
    if row.kind == "cpu":
        return f"<= {format_value(row.target, row.unit)}"
    if row.kind == "growth":
        return f"<= {row.target:g}x growth"
    return f"<= {row.target:g}x"


def format_met(row: Row) -> str:
    met = row.met()
    if met is None:
        return ""
    if not met:
        return "MISSED"
    return "met" if _beside_libica(row) else "met*"


def _beside_libica(row: Row) -> bool:
    """Whether the verdict could weigh libica too (planning has no peer to weigh)."""
    return row.kind == "cpu" or row.value("libica") is not None


UNWEIGHED_NOTE = "met*: within the target, but libica was not measured on this row"

TABLE_HEADER = ("benchmark", "floor", "icasdk", "ratio", "libica", "ratio")
TABLE_HEADER += ("target", "verdict")


def table_cells(rows: typing.Sequence[Row]) -> typing.List[typing.Tuple[str, ...]]:
    """Each row's cells: medians, ratios, target and verdict, as text."""
    lines = []
    for row in rows:
        libica = row.value("libica")
        libica_text = format_value(libica, row.unit)
        if libica is None and "libica" in row.skipped:
            reason = row.skipped["libica"]
            libica_text = "n/a" if reason.startswith("n/a") else "skipped"
        lines.append(
            (
                row.title,
                format_value(row.value("floor"), row.unit),
                format_value(row.value("icasdk"), row.unit),
                format_ratio(row.ratio("icasdk")),
                libica_text,
                format_ratio(row.ratio("libica")),
                format_target(row),
                format_met(row),
            )
        )
    return lines


def format_table(rows: typing.Sequence[Row]) -> str:
    """The table the terminal shows, in aligned columns."""
    lines = [TABLE_HEADER, *table_cells(rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(TABLE_HEADER))]
    out = []
    for number, line in enumerate(lines):
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:])]
        out.append("  ".join(cells).rstrip())
        if number == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def format_markdown(rows: typing.Sequence[Row]) -> str:
    """The same table in Markdown, for ``docs/performance.md``."""
    out = [
        "| " + " | ".join(TABLE_HEADER) + " |",
        "| --- |" + " ---: |" * (len(TABLE_HEADER) - 1),
    ]
    for cells in table_cells(rows):
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def format_machine(info: dict) -> str:
    """One line on what the figures were taken on."""
    load = info.get("load_average") or []
    shown = ", ".join(f"{value:.1f}" for value in load)
    packages = ", ".join(
        f"{name} {version}" for name, version in info["packages"].items() if version
    )
    return (
        f"{info['cpu']}, {info['cpus']} CPUs, {info['memory_gib']} GiB; "
        f"{info['platform']}; {info['python']}; {packages}; "
        f"commit {info['commit']}; load average at start {shown}"
    )


def format_notes(rows: typing.Sequence[Row]) -> str:
    """The notes under the table: what a ratio means, and what was skipped."""
    out = [
        "ratio: the figure over the floor's; for growth, over the same client "
        "at the smaller size."
    ]
    for row in rows:
        if row.note:
            out.append(f"{row.title}: {row.note}")
    if any(format_met(row) == "met*" for row in rows):
        out.append(UNWEIGHED_NOTE)
    reasons = sorted({reason for row in rows for reason in row.skipped.values()})
    out.extend(
        reason if reason.startswith("n/a") else f"skipped: {reason}"
        for reason in reasons
    )
    return "\n".join(out)


TINY_NOTE = (
    "tiny sizes, one sample each: a smoke run that only shows every path works; "
    "its figures and verdicts mean nothing"
)


def print_report(
    rows: typing.Sequence[Row], info: dict, *, markdown: bool, tiny: bool
) -> None:
    """The table, its notes and the machine line, on standard output."""
    if tiny:
        print(f"{TINY_NOTE}\n")
    print(format_markdown(rows) if markdown else format_table(rows))
    print()
    print(format_notes(rows))
    print()
    print(format_machine(info))
