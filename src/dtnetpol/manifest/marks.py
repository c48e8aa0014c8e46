"""Containers that remember source lines, so every problem can point at the line of its field.

The YAML loader builds these instead of plain ``dict``/``list``; the parsers read lines through
:func:`key_line` and :func:`item_line`, which also accept plain containers (then no line is
known and callers fall back to the enclosing object's line).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class MarkedMap(dict[Any, Any]):
    """A mapping with the 1-based line of itself (``line``) and of each key (``key_lines``)."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int | None = None) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class MarkedList(list[Any]):
    """A sequence with the 1-based line of itself (``line``) and of each item (``item_lines``)."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int | None = None) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


def own_line(value: object) -> int | None:
    """The line where a mapping or sequence starts, if the loader recorded it."""
    line = getattr(value, "line", None)
    return line if isinstance(line, int) else None


def key_line(mapping: object, key: object) -> int | None:
    """The line of ``key`` in ``mapping``, if recorded."""
    if isinstance(mapping, MarkedMap):
        return mapping.key_lines.get(key)
    return None


def item_line(sequence: object, index: int) -> int | None:
    """The line of item ``index`` of ``sequence``, if recorded."""
    if isinstance(sequence, MarkedList) and 0 <= index < len(sequence.item_lines):
        return sequence.item_lines[index]
    return None


class LinedMap(dict[Any, Any]):
    """A document read by a parser that keeps no marks, with what a report needs instead.

    ``item_lines``: the 1-based line of every item of its block sequences, in document order
    (one ``-`` per item: the loader checks the text has no flow sequence or multi-line
    scalar); ``remark()``: the same document read again with every line mark (a
    :class:`MarkedMap`), for whatever is to be reported from it.
    """

    __slots__ = ("item_lines", "remark")

    item_lines: list[int]
    remark: Callable[[], Any]
