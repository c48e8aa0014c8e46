"""IP address sets (IPv4 and IPv6 kept apart) as interval sets over integers."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.model.policy import IPBlock, IPNetwork

V4_MAX = (1 << 32) - 1
V6_MAX = (1 << 128) - 1
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def network_interval(net: IPNetwork) -> tuple[int, int]:
    return int(net.network_address), int(net.broadcast_address)


@dataclass(frozen=True)
class AddressSet:
    """A set of IPv4 and IPv6 addresses, as intervals of integers."""

    v4: IntervalSet = IntervalSet()
    v6: IntervalSet = IntervalSet()

    @staticmethod
    def everything() -> AddressSet:
        return AddressSet(IntervalSet.single(0, V4_MAX), IntervalSet.single(0, V6_MAX))

    @staticmethod
    def of_networks(nets: Iterable[IPNetwork]) -> AddressSet:
        v4: list[tuple[int, int]] = []
        v6: list[tuple[int, int]] = []
        for n in nets:
            (v4 if n.version == 4 else v6).append(network_interval(n))
        return AddressSet(IntervalSet.of(v4), IntervalSet.of(v6))

    @staticmethod
    def of_block(block: IPBlock) -> AddressSet:
        return _of_block(block)

    def union(self, other: AddressSet) -> AddressSet:
        return AddressSet(self.v4.union(other.v4), self.v6.union(other.v6))

    def intersection(self, other: AddressSet) -> AddressSet:
        if not self or self == other:
            return self
        if not other:
            return other
        return AddressSet(self.v4.intersection(other.v4), self.v6.intersection(other.v6))

    def difference(self, other: AddressSet) -> AddressSet:
        return AddressSet(self.v4.difference(other.v4), self.v6.difference(other.v6))

    def contains(self, address: IPAddress) -> bool:
        return int(address) in (self.v4 if address.version == 4 else self.v6)

    def __bool__(self) -> bool:
        return bool(self.v4 or self.v6)

    def ranges(self) -> list[str]:
        """Inclusive ranges as text, ``first-last`` (a single address alone)."""
        out = []
        for lo, hi in self.v4:
            out.append(format_range(4, lo, hi))
        for lo, hi in self.v6:
            out.append(format_range(6, lo, hi))
        return out

    def __str__(self) -> str:
        return ", ".join(self.ranges()) if self else "no address"


def format_range(version: int, lo: int, hi: int) -> str:
    cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    return f"{cls(lo)}-{cls(hi)}"


def parse_address(text: str) -> IPAddress:
    return ipaddress.ip_address(text)


@lru_cache(maxsize=16384)
def _of_block(block: IPBlock) -> AddressSet:
    """Once per distinct ipBlock: thousands of policies repeat the same few (address
    arithmetic with :mod:`ipaddress` costs about 0.1 ms a block)."""
    return AddressSet.of_networks([block.cidr]).difference(AddressSet.of_networks(block.excepts))
