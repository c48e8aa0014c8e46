"""Paths into a parsed document, and the document with the value at one path replaced: what
the tests that try odd values field by field (fast readers against the validator, the fuzz
strategies) walk."""

from __future__ import annotations

import copy
from typing import Any


def document_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in a document (keys and list indexes), the root ``()`` first."""
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found.extend(document_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.extend(document_paths(v, (*prefix, i)))
    return found


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """``value`` with ``new`` at ``path``; the mappings and lists on the path are copied (as
    what they are: a reader's mapping with line marks stays one), the rest is shared
    (``value`` itself is left as it was)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    container = copy.copy(value)
    container[head] = replaced(value[head], rest, new)
    return container
