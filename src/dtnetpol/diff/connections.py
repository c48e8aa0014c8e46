"""What changes between two connection lists: connections added, removed, widened, narrowed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from dtnetpol.engine.connlist import Connection
from dtnetpol.engine.ports import PortSet


class Change(StrEnum):
    ADDED = "added"        # no connection before, some now
    REMOVED = "removed"    # some connection before, none now
    CHANGED = "changed"    # both have some; ports differ


@dataclass(frozen=True)
class ConnectionChange:
    src: str
    dst: str
    change: Change
    before: PortSet
    after: PortSet

    @property
    def gained(self) -> PortSet:
        return self.after.difference(self.before)

    @property
    def lost(self) -> PortSet:
        return self.before.difference(self.after)


def diff_connections(old: Sequence[Connection],
                     new: Sequence[Connection]) -> list[ConnectionChange]:
    """Changes keyed by (src, dst), sorted.

    External ranges are compared as the strings each list uses, so a range that is split
    differently on the two sides shows as removed plus added.
    """
    before = {(c.src, c.dst): c.ports for c in old}
    after = {(c.src, c.dst): c.ports for c in new}
    out: list[ConnectionChange] = []
    for key in sorted(before.keys() | after.keys()):
        b = before.get(key, PortSet.none())
        a = after.get(key, PortSet.none())
        if a == b:
            continue
        change = Change.ADDED if not b else Change.REMOVED if not a else Change.CHANGED
        out.append(ConnectionChange(key[0], key[1], change, b, a))
    return out
