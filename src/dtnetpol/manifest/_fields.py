"""A cursor over a loaded document that knows its field path and line.

Parsers walk documents through :class:`Field` so that every error and problem carries the exact
path (``spec.template.spec.containers[0].ports[1].containerPort``) and the line of that field.
The ``need_*``/``opt_*`` helpers raise :class:`InputError` for structural errors, the ones that
make an object meaningless; the NetworkPolicy validator collects problems instead.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from dtnetpol.errors import InputError
from dtnetpol.manifest.marks import MarkedMap, item_line, key_line, own_line
from dtnetpol.model.location import SourceLocation


def type_name(value: object) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def is_int(value: object) -> bool:
    """True for integers; YAML booleans are ints in Python but not in Kubernetes."""
    return isinstance(value, int) and not isinstance(value, bool)


class Field:
    """A value inside a document, with its location (``loc.path`` and ``loc.line``).

    The :class:`SourceLocation` is built only when asked for (``loc``): most fields are read
    and never reported, and building a location for each of them was a large part of
    loading a big cluster.
    """

    __slots__ = ("_base", "_line", "_loc", "path", "value")

    def __init__(self, value: Any, loc: SourceLocation) -> None:
        self.value = value
        self._loc: SourceLocation | None = loc
        self._base = loc
        self.path: str = loc.path
        self._line: int | None = loc.line

    @classmethod
    def _child(cls, value: Any, base: SourceLocation, path: str, line: int | None) -> Field:
        f = cls.__new__(cls)
        f.value = value
        f._loc = None
        f._base = base
        f.path = path
        f._line = line
        return f

    @property
    def loc(self) -> SourceLocation:
        loc = self._loc
        if loc is None:
            base = self._base
            # The path interned: documents repeat the same paths, and a shared string crosses
            # a process boundary once per batch of documents, not once per location.
            loc = self._loc = SourceLocation(base.file, base.document, self._line,
                                             sys.intern(self.path))
        return loc

    @property
    def line(self) -> int | None:
        return self._line

    def __repr__(self) -> str:
        return f"Field(value={self.value!r}, loc={self.loc!r})"

    def _join(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def child_path(self, key: str) -> str:
        return self._join(key)

    def has(self, key: str) -> bool:
        value = self.value
        return isinstance(value, Mapping) and key in value

    def get(self, key: str) -> Field | None:
        """The field ``key`` of a mapping, or None when absent (or this is no mapping)."""
        value = self.value
        if type(value) is MarkedMap:
            if key not in value:
                return None
            line = value.key_lines.get(key)
        elif type(value) is dict:   # read by a parser that keeps no marks: no line
            if key not in value:
                return None
            line = None
        elif isinstance(value, Mapping) and key in value:
            line = key_line(value, key)
        else:
            return None
        path = self.path
        return Field._child(value[key], self._base, f"{path}.{key}" if path else key,
                            self._line if line is None else line)

    def items(self) -> list[Field]:
        """The items of a list (none when this is no list)."""
        value = self.value
        if not isinstance(value, list):
            return []
        out = []
        base, path, own = self._base, self.path, self._line
        for i, item in enumerate(value):
            line = item_line(value, i) or own_line(item)
            out.append(Field._child(item, base, f"{path}[{i}]", own if line is None else line))
        return out

    def entries(self) -> list[tuple[Any, Field]]:
        """The entries of a mapping as (key, value field); paths read ``labels[app]``."""
        value = self.value
        if not isinstance(value, Mapping):
            return []
        base, path, own = self._base, self.path, self._line
        out = []
        for k, v in value.items():
            line = key_line(value, k)
            out.append((k, Field._child(v, base, f"{path}[{k}]", own if line is None else line)))
        return out


def root(body: Any, loc: SourceLocation) -> Field:
    """The cursor for a whole object (``loc.path`` is its prefix, e.g. ``items[3]``)."""
    return Field(body, loc)


# --- structural helpers: raise InputError -------------------------------------------------


def fail(f: Field, message: str) -> InputError:
    return InputError(message, f.loc)


def missing(parent: Field, key: str) -> InputError:
    return InputError("required field is missing", parent.loc.at(parent.child_path(key)))


def wrong_type(f: Field, expected: str) -> InputError:
    return InputError(f"must be {expected}, not {type_name(f.value)}", f.loc)


def opt_map(parent: Field, key: str) -> Field | None:
    """A mapping field; absent or null gives None."""
    f = parent.get(key)
    if f is None or f.value is None:
        return None
    if not isinstance(f.value, Mapping):
        raise wrong_type(f, "a mapping")
    return f


def need_map(parent: Field, key: str) -> Field:
    f = opt_map(parent, key)
    if f is None:
        raise missing(parent, key)
    return f


def opt_list(parent: Field, key: str) -> list[Field]:
    """The items of a list field; absent or null gives no items."""
    f = parent.get(key)
    if f is None or f.value is None:
        return []
    if not isinstance(f.value, list):
        raise wrong_type(f, "a list")
    return f.items()


def map_items(parent: Field, key: str) -> list[Field]:
    """The items of a list of mappings (null items count as empty mappings, as in the API)."""
    items = opt_list(parent, key)
    for item in items:
        if item.value is not None and not isinstance(item.value, Mapping):
            raise wrong_type(item, "a mapping")
    return items


def opt_str(parent: Field, key: str) -> str | None:
    f = parent.get(key)
    if f is None or f.value is None:
        return None
    if not isinstance(f.value, str):
        raise wrong_type(f, "a string")
    return f.value


def need_str(parent: Field, key: str) -> str:
    value = opt_str(parent, key)
    if not value:
        raise missing(parent, key)
    return value


def opt_int(parent: Field, key: str) -> int | None:
    f = parent.get(key)
    if f is None or f.value is None:
        return None
    if not is_int(f.value):
        raise wrong_type(f, "an integer")
    return int(f.value)


def opt_bool(parent: Field, key: str) -> bool:
    f = parent.get(key)
    if f is None or f.value is None:
        return False
    if not isinstance(f.value, bool):
        raise wrong_type(f, "a boolean")
    return f.value


def string_map(parent: Field, key: str) -> dict[str, str]:
    """A ``map[string]string`` such as labels; a null value reads as "" as in the API."""
    f = opt_map(parent, key)
    if f is None:
        return {}
    out: dict[str, str] = {}
    for k, entry in f.entries():
        if not isinstance(k, str):
            raise InputError(f"key {k!r} must be a string, not {type_name(k)}", entry.loc)
        if entry.value is None:
            out[k] = ""
        elif isinstance(entry.value, str):
            out[k] = entry.value
        else:
            raise InputError(f"value must be a string, not {type_name(entry.value)}"
                             + quote_hint(k, entry.value), entry.loc)
    return out


def quote_hint(key: object, value: object) -> str:
    """' (quote it: key: "1")' for a scalar YAML read as a number or boolean."""
    if isinstance(value, bool):
        return f' (quote it: {key}: "{str(value).lower()}")'
    if isinstance(value, int | float):
        return f' (quote it: {key}: "{value}")'
    return ""
