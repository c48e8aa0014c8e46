"""Field paths (``spec.ingress[0].from[1].podSelector``) resolved to lines in loaded documents.

The model keeps a location per policy, rule, peer and port; a rule that points at a finer
field (a selector, ``policyTypes``, a ``matchLabels`` key) looks its line up here, in the
document bodies the loader read (mappings and lists that remember their lines).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dtnetpol.manifest.marks import item_line, key_line, own_line

__all__ = ["lookup", "split_path"]

Segment = str | int


def split_path(path: str) -> list[Segment]:
    """``spec.ingress[0].from[1].podSelector.matchLabels[app.kubernetes.io/name]`` → segments.

    A bracketed number is a list index; any other bracketed text is a map key (so keys with
    dots or slashes survive).
    """
    out: list[Segment] = []
    i, n = 0, len(path)
    while i < n:
        c = path[i]
        if c == ".":
            i += 1
        elif c == "[":
            end = path.find("]", i)
            if end < 0:
                out.append(path[i + 1:])
                break
            text = path[i + 1:end]
            out.append(int(text) if text.isdigit() else text)
            i = end + 1
        else:
            j = i
            while j < n and path[j] not in ".[":
                j += 1
            out.append(path[i:j])
            i = j
    return out


def lookup(body: Any, path: str) -> tuple[Any, int | None, bool]:
    """Walk ``path`` from ``body``.

    Returns:
        (value, line, found): the value at the path (None when a step is missing), the line of
        the deepest step that exists, and whether the whole path exists.
    """
    value = body
    line = own_line(body)
    for seg in split_path(path):
        if isinstance(seg, int) and isinstance(value, list):
            if not 0 <= seg < len(value):
                return None, line, False
            line = item_line(value, seg) or own_line(value[seg]) or line
            value = value[seg]
        elif isinstance(value, Mapping) and str(seg) in value:
            key = str(seg)
            line = key_line(value, key) or line
            value = value[key]
        elif isinstance(value, Mapping) and seg in value:
            line = key_line(value, seg) or line
            value = value[seg]
        else:
            return None, line, False
    return value, line, True
