"""Sets of integers kept as sorted, disjoint, non-adjacent inclusive intervals.

Ports (1–65535) and addresses (IPv4 and IPv6 as integers) are both interval sets, so the
engine never enumerates a port or an address one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

Interval = tuple[int, int]


def _normalise(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    merged: list[list[int]] = []
    for lo, hi in sorted(intervals):
        if lo > hi:
            continue
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1][1] = hi
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


@dataclass(frozen=True)
class IntervalSet:
    """An immutable set of integers; operations return new sets."""

    intervals: tuple[Interval, ...] = ()

    @staticmethod
    def of(intervals: Iterable[Interval]) -> IntervalSet:
        return IntervalSet(_normalise(intervals))

    @staticmethod
    def single(lo: int, hi: int | None = None) -> IntervalSet:
        return IntervalSet(((lo, lo if hi is None else hi),)) if (hi is None or lo <= hi) \
            else IntervalSet()

    def __bool__(self) -> bool:
        return bool(self.intervals)

    def __iter__(self) -> Iterator[Interval]:
        return iter(self.intervals)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        lo_i, hi_i = 0, len(self.intervals)
        while lo_i < hi_i:
            mid = (lo_i + hi_i) // 2
            lo, hi = self.intervals[mid]
            if value < lo:
                hi_i = mid
            elif value > hi:
                lo_i = mid + 1
            else:
                return True
        return False

    def union(self, other: IntervalSet) -> IntervalSet:
        if not other.intervals:
            return self
        if not self.intervals:
            return other
        return IntervalSet(_normalise(self.intervals + other.intervals))

    def intersection(self, other: IntervalSet) -> IntervalSet:
        a, b = self.intervals, other.intervals
        if not a or a == b:
            return self
        if not b:
            return other
        out: list[Interval] = []
        i = j = 0
        while i < len(a) and j < len(b):
            lo = max(a[i][0], b[j][0])
            hi = min(a[i][1], b[j][1])
            if lo <= hi:
                out.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return IntervalSet(tuple(out))

    def difference(self, other: IntervalSet) -> IntervalSet:
        out: list[Interval] = []
        b = other.intervals
        j = 0
        for lo, hi in self.intervals:
            cur = lo
            while j < len(b) and b[j][1] < cur:
                j += 1
            k = j
            while k < len(b) and b[k][0] <= hi:
                if b[k][0] > cur:
                    out.append((cur, b[k][0] - 1))
                cur = max(cur, b[k][1] + 1)
                k += 1
            if cur <= hi:
                out.append((cur, hi))
        return IntervalSet(tuple(out))

    def issubset(self, other: IntervalSet) -> bool:
        return not self.difference(other)

    def size(self) -> int:
        return sum(hi - lo + 1 for lo, hi in self.intervals)
