"""Python expressions as small trees, printed within a line width.

The generator builds type expressions as ``Call`` trees so that a long one
breaks at its arguments, recursively, the way a person would wrap it.
"""

from __future__ import annotations

import json
import typing

WIDTH = 88

Node = typing.Union["Call", "Literal", str]


def literal(value: object) -> str:
    """Python source for a JSON-like value, with double-quoted strings."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (tuple, list)):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


class Literal:
    """A tuple literal that may break one item a line."""

    def __init__(self, items: typing.Sequence[object]) -> None:
        self.items = list(items)

    def __str__(self) -> str:
        return literal(tuple(self.items))

    def render(self, indent: int, room: int) -> str:
        flat = str(self)
        if len(flat) <= room:
            return flat
        pad = " " * (indent + 4)
        lines = "".join(f"{pad}{literal(item)},\n" for item in self.items)
        return f"(\n{lines}{' ' * indent})"


class Call:
    """``name(arg, key=value)`` whose arguments are strings or nodes."""

    def __init__(self, name: str, *args: Node, **kwargs: Node) -> None:
        self.name = name
        self.args: typing.List[typing.Tuple[str, Node]] = [("", a) for a in args]
        self.args += list(kwargs.items())

    def keyword(self, key: str, value: Node) -> Call:
        self.args.append((key, value))
        return self

    def __str__(self) -> str:
        parts = [f"{k}={v}" if k else str(v) for k, v in self.args]
        return f"{self.name}({', '.join(parts)})"

    def render(self, indent: int, room: int) -> str:
        """This call starting at column ``indent``, with ``room`` columns left."""
        flat = str(self)
        if len(flat) <= room:
            return flat

        pad = " " * (indent + 4)
        lines = []
        for key, value in self.args:
            head = f"{key}=" if key else ""
            room_left = WIDTH - len(pad) - len(head) - 1
            text = (
                value.render(indent + 4, room_left)
                if not isinstance(value, str)
                else value
            )
            lines.append(f"{pad}{head}{text},\n")
        return f"{self.name}(\n{''.join(lines)}{' ' * indent})"


def render(node: Node, indent: int, used: int = 0) -> str:
    """Print ``node`` at column ``indent``; ``used`` columns of its line are taken."""
    if isinstance(node, str):
        return node
    return node.render(indent, WIDTH - max(indent, used) - 1)
