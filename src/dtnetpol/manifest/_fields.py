"""A cursor over a loaded document that knows its field path and line.

Parsers walk documents through :class:`Field` so that every error and problem carries the exact
path (``spec.template.spec.containers[0].ports[1].containerPort``) and the line of that field.
The ``need_*``/``opt_*`` helpers raise :class:`InputError` for structural errors, the ones that
make an object meaningless; the NetworkPolicy validator collects problems instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dtnetpol.errors import InputError
from dtnetpol.manifest.marks import item_line, key_line, own_line
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


@dataclass(frozen=True)
class Field:
    """A value inside a document, with its location (``loc.path`` and ``loc.line``)."""

    value: Any
    loc: SourceLocation

    @property
    def path(self) -> str:
        return self.loc.path

    @property
    def line(self) -> int | None:
        return self.loc.line

    def _join(self, name: str) -> str:
        return f"{self.loc.path}.{name}" if self.loc.path else name

    def child_path(self, key: str) -> str:
        return self._join(key)

    def has(self, key: str) -> bool:
        return isinstance(self.value, Mapping) and key in self.value

    def get(self, key: str) -> Field | None:
        """The field ``key`` of a mapping, or None when absent (or this is no mapping)."""
        if not self.has(key):
            return None
        return Field(self.value[key], self.loc.at(self._join(key), key_line(self.value, key)))

    def items(self) -> list[Field]:
        """The items of a list (none when this is no list)."""
        if not isinstance(self.value, list):
            return []
        out = []
        for i, item in enumerate(self.value):
            line = item_line(self.value, i) or own_line(item)
            out.append(Field(item, self.loc.at(f"{self.loc.path}[{i}]", line)))
        return out

    def entries(self) -> list[tuple[Any, Field]]:
        """The entries of a mapping as (key, value field); paths read ``labels[app]``."""
        if not isinstance(self.value, Mapping):
            return []
        return [(k, Field(v, self.loc.at(f"{self.loc.path}[{k}]", key_line(self.value, k))))
                for k, v in self.value.items()]


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
