"""JSON values with the line of every mapping, key and item, found without a YAML parser.

JSON is YAML, and the YAML reader marks each node with the line of its first character. Here
the JSON parser builds the values, and the lines come from a few passes over the text, each a
string method or one regular expression (no Python step per character): in JSON that
parsed, a value or key starts exactly where a string, a number, ``true``, ``false``, ``null``,
``{`` or ``[`` starts, and these starts come in the order a walk of the parsed value meets
them (a mapping, then each key and its value; a sequence, then each item). No token spans a
line: a JSON string holds no raw line break. Lines are counted as the YAML reader counts them
outside strings (``\\n``, ``\\r\\n`` and a lone ``\\r`` each end one).

The walk is plain Python; it runs only on documents with something to report or read with
marks (the fast path keeps the JSON parser's plain values).
"""

from __future__ import annotations

import json
import re
from typing import Any

from dtnetpol.manifest.marks import MarkedList, MarkedMap

_SCALAR = re.compile(r"[-+.0-9a-zE]+")        # a number, true, false or null (outside strings)
_MAP_SCALAR = re.compile(r":(\n*)\"")           # a key's value that is a string or scalar
_BLANKS = str.maketrans({c: None for c in " \t"})
_CLOSERS = str.maketrans({c: None for c in ",:]}"})
_new_map = dict.__new__
_new_list = list.__new__


class DuplicateKey(ValueError):
    """A mapping of the text has a key twice (the YAML reader refuses that too): the key, its
    line, and the line where it was first given; the first duplicate the YAML reader finds."""

    def __init__(self, key: str, line: int, first: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


def mark_lines(text: str) -> list[int]:
    """The 1-based line of every mapping, sequence, key and sequence item of the JSON
    ``text``, in document order; not of a key's value that is no mapping or sequence (no
    mark records it)."""
    if "\\" in text:   # escapes (only strings hold a backslash): none is a quote then
        text = text.replace("\\\\", "").replace('\\"', "")
    # every string one '"', blanks gone, every other scalar one '"'
    reduced = '"'.join(text.split('"')[0::2]).translate(_BLANKS)
    if "\r" in reduced:
        reduced = reduced.replace("\r\n", "\n").replace("\r", "\n")
    reduced = _SCALAR.sub('"', reduced)
    # a key's scalar value left out; then only '"', '{', '[' (one a mark) and line breaks
    reduced = _MAP_SCALAR.sub(r":\1", reduced) if ":\n" in reduced else reduced.replace(':"', ":")
    reduced = reduced.translate(_CLOSERS)
    out: list[int] = []
    extend = out.extend
    for number, part in enumerate(reduced.split("\n"), 1):
        if part:
            extend([number] * len(part))
    return out


def marked(text: str, value: Any) -> Any:
    """``value`` (what the JSON parser made of ``text``) as :class:`MarkedMap` and
    :class:`MarkedList` with the line of every mapping, key and item.

    Raises:
        RecursionError: the value is nested deeper than Python's recursion allows.
    """
    it = iter(mark_lines(text))
    out = _mark(value, it.__next__)
    if next(it, None) is not None:
        raise AssertionError("the text has more values than the parsed value")
    return out


def _mark(value: Any, line: Any) -> Any:
    cls = type(value)
    if cls is dict:
        data: MarkedMap = _new_map(MarkedMap)
        data.line = line()
        data.update(value)
        data.key_lines = key_lines = {}
        for k, v in value.items():
            key_lines[k] = line()
            cls = type(v)
            if cls is dict or cls is list:
                data[k] = _mark(v, line)
        return data
    if cls is list:
        items: MarkedList = _new_list(MarkedList)
        items.line = line()
        item_lines: list[int] = []
        items.item_lines = item_lines
        add_line = item_lines.append
        add = items.append
        for v in value:
            cls = type(v)
            if cls is dict or cls is list:
                v = _mark(v, line)
                add_line(v.line)
            else:
                add_line(line())
            add(v)
        return items
    line()
    return value


class Pairs(list[tuple[str, Any]]):
    """A JSON object as its key-value pairs, duplicates kept (``object_pairs_hook``)."""

    __slots__ = ()


def first_duplicate(text: str) -> DuplicateKey | None:
    """The duplicate key the YAML reader reports for the JSON ``text`` (whose syntax is
    valid): it checks the keys of one mapping in order, the top mapping's first, then the
    mappings one level down, and so on; None when no key is given twice.

    Raises:
        ValueError: ``text`` is not JSON.
    """
    value = json.loads(text, object_pairs_hook=Pairs)
    tree = _pair_tree(value, iter(mark_lines(text)).__next__)
    level = [tree]
    while level:
        below: list[Any] = []
        for node in level:
            if node[0] == "map":
                seen: dict[str, int] = {}
                for key, key_line, child in node[1]:
                    if key in seen:
                        return DuplicateKey(key, key_line, seen[key])
                    seen[key] = key_line
                    if child is not None:
                        below.append(child)
            else:
                below.extend(child for child in node[1] if child is not None)
        level = below
    return None


def _pair_tree(value: Any, line: Any) -> Any:
    """("map", [(key, line, subtree or None)]) and ("seq", [subtree or None]), in the
    order of the text; None stands for a scalar (whose line is taken unless it is a key's)."""
    if type(value) is Pairs:
        line()
        return ("map", [(k, line(), _pair_tree(v, line) if type(v) in (Pairs, list) else None)
                        for k, v in value])
    line()
    if type(value) is list:
        return ("seq", [_pair_tree(v, line) for v in value])
    return None
