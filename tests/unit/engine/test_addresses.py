"""AddressSet: IPv4 and IPv6 kept apart, ipBlock with excepts, ranges as text."""

from __future__ import annotations

import ipaddress

import pytest

from dtnetpol.engine.addresses import (
    V4_MAX,
    V6_MAX,
    AddressSet,
    format_range,
    network_interval,
    parse_address,
)
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.model import IPBlock

from .builders import cidr


def block(net: str, *excepts: str) -> AddressSet:
    return AddressSet.of_block(IPBlock(cidr(net), tuple(cidr(e) for e in excepts)))


def test_network_interval() -> None:
    assert network_interval(cidr("10.0.0.0/8")) == (10 << 24, (11 << 24) - 1)
    assert network_interval(cidr("0.0.0.0/0")) == (0, V4_MAX)
    assert network_interval(cidr("::/0")) == (0, V6_MAX)
    assert network_interval(cidr("192.0.2.7/32")) == (int(ipaddress.ip_address("192.0.2.7")),) * 2


def test_everything_covers_both_families() -> None:
    e = AddressSet.everything()
    assert e.v4 == IntervalSet.single(0, V4_MAX)
    assert e.v6 == IntervalSet.single(0, V6_MAX)
    assert e.ranges() == ["0.0.0.0-255.255.255.255", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]


def test_of_networks_separates_families() -> None:
    s = AddressSet.of_networks([cidr("10.0.0.0/24"), cidr("2001:db8::/64"), cidr("10.0.1.0/24")])
    assert s.ranges() == ["10.0.0.0-10.0.1.255", "2001:db8::-2001:db8::ffff:ffff:ffff:ffff"]
    assert s.contains(parse_address("10.0.1.255"))
    assert not s.contains(parse_address("10.0.2.0"))
    # An IPv4 address and an IPv6 address with the same integer are not confused.
    v4only = AddressSet.of_networks([cidr("0.0.0.0/0")])
    assert not v4only.contains(parse_address("::1"))
    assert not v4only.contains(parse_address("::ffff:10.0.0.1"))


def test_of_block_with_excepts() -> None:
    s = block("10.0.0.0/8", "10.1.0.0/16", "10.255.255.255/32")
    assert s.ranges() == ["10.0.0.0-10.0.255.255", "10.2.0.0-10.255.255.254"]
    assert not s.contains(parse_address("10.1.2.3"))
    assert s.contains(parse_address("10.2.0.0"))
    assert block("0.0.0.0/0", "10.0.0.0/8").ranges() == [
        "0.0.0.0-9.255.255.255", "11.0.0.0-255.255.255.255"]
    assert not block("10.0.0.0/8", "10.0.0.0/8")
    assert str(block("10.0.0.0/8", "10.0.0.0/8")) == "no address"


def test_of_block_ipv6_with_except() -> None:
    s = block("2001:db8::/32", "2001:db8::/33")
    assert s.ranges() == ["2001:db8:8000::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"]
    assert s.contains(parse_address("2001:db8:8000::1"))
    assert not s.contains(parse_address("2001:db8::1"))


def test_set_operations() -> None:
    a = AddressSet.of_networks([cidr("10.0.0.0/8"), cidr("fd00::/8")])
    b = AddressSet.of_networks([cidr("10.128.0.0/9"), cidr("192.168.0.0/16")])
    assert a.intersection(b).ranges() == ["10.128.0.0-10.255.255.255"]
    assert a.difference(b).ranges() == ["10.0.0.0-10.127.255.255",
                                        "fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]
    assert a.union(b).ranges() == ["10.0.0.0-10.255.255.255", "192.168.0.0-192.168.255.255",
                                   "fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]
    assert not AddressSet()
    assert not a.difference(a)


def test_str_and_format_range() -> None:
    assert str(AddressSet.of_networks([cidr("192.0.2.1/32")])) == "192.0.2.1-192.0.2.1"
    assert str(AddressSet()) == "no address"
    assert format_range(4, 0, 255) == "0.0.0.0-0.0.0.255"
    assert format_range(6, 1, 1) == "::1-::1"


def test_parse_address() -> None:
    assert parse_address("10.0.0.1") == ipaddress.IPv4Address("10.0.0.1")
    assert parse_address("2001:db8::1").version == 6
    with pytest.raises(ValueError):
        parse_address("10.0.0.0/8")
    with pytest.raises(ValueError):
        parse_address("example.com")
