"""PortSet algebra, PortSpec.compile/resolve (named ports, ranges, protocols), port queries."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.ports import ALL_PORTS, PortSet, PortSpec, parse_port_query
from dtnetpol.model import ContainerPort, PolicyPort, Protocol

from .builders import SCTP, TCP, UDP, port


def ps(tcp: Sequence[tuple[int, int]] = (), udp: Sequence[tuple[int, int]] = (),
       sctp: Sequence[tuple[int, int]] = ()) -> PortSet:
    return PortSet(IntervalSet.of(tcp), IntervalSet.of(udp), IntervalSet.of(sctp))


def test_portset_all_and_none() -> None:
    assert PortSet.all().is_all
    assert bool(PortSet.all())
    assert not PortSet.none()
    assert not PortSet.none().is_all
    assert PortSet(ALL_PORTS, ALL_PORTS, ALL_PORTS).is_all     # by value, not identity
    assert not PortSet(ALL_PORTS, ALL_PORTS).is_all
    assert str(PortSet.all()) == "all ports"
    assert str(PortSet.none()) == "nothing"


def test_portset_of_get_contains() -> None:
    p = PortSet.of(UDP, IntervalSet.single(53))
    assert p.get(UDP) == IntervalSet.single(53)
    assert not p.get(TCP) and not p.get(SCTP)
    assert p.contains(UDP, 53)
    assert not p.contains(TCP, 53)
    assert not p.contains(UDP, 54)
    assert p.items() == [(UDP, IntervalSet.single(53))]


def test_portset_union_intersection_difference() -> None:
    a = ps(tcp=[(80, 90)], udp=[(53, 53)])
    b = ps(tcp=[(85, 100)], sctp=[(1, 1)])
    assert a.union(b) == ps(tcp=[(80, 100)], udp=[(53, 53)], sctp=[(1, 1)])
    assert a.intersection(b) == ps(tcp=[(85, 90)])
    assert a.difference(b) == ps(tcp=[(80, 84)], udp=[(53, 53)])
    assert a.union(PortSet.none()) == a
    assert a.union(PortSet.all()).is_all
    assert a.intersection(PortSet.all()) == a
    assert PortSet.all().intersection(a) == a
    assert not a.intersection(PortSet.none())
    assert PortSet.all().difference(PortSet.all()) == PortSet.none()
    assert PortSet.all().difference(a).contains(TCP, 79)
    assert not PortSet.all().difference(a).contains(TCP, 80)


def test_portset_str() -> None:
    assert str(ps(tcp=[(80, 80), (8000, 8080)], udp=[(53, 53)])) == "TCP 80,8000-8080; UDP 53"
    assert str(PortSet.of(SCTP, ALL_PORTS)) == "SCTP all"
    assert str(ps(tcp=[(1, 65535)], udp=[(1, 1)])) == "TCP all; UDP 1"


def test_compile_empty_ports_is_everything() -> None:
    spec = PortSpec.compile([])
    assert spec.numeric.is_all and spec.named == ()
    assert spec.resolve(None).is_all
    assert spec.resolve(()).is_all


def test_compile_numeric_ranges_and_protocols() -> None:
    spec = PortSpec.compile([port(80), port(8000, TCP, 8010), port(53, UDP), port(None, SCTP),
                             port(81)])
    assert spec.named == ()
    assert spec.numeric == PortSet(IntervalSet.of([(80, 81), (8000, 8010)]),
                                   IntervalSet.single(53), ALL_PORTS)


def test_compile_end_port_is_inclusive_and_equal_end_is_one_port() -> None:
    spec = PortSpec.compile([port(100, TCP, 100)])
    assert spec.numeric == PortSet.of(TCP, IntervalSet.single(100))
    spec = PortSpec.compile([port(1, TCP, 65535)])
    assert spec.numeric.get(TCP) == ALL_PORTS


def test_compile_named_ports_deduplicated_and_sorted() -> None:
    spec = PortSpec.compile([port("web"), port("dns", UDP), port("web"), port("dns", TCP)])
    assert spec.named == (("dns", TCP), ("dns", UDP), ("web", TCP))
    assert not spec.numeric


CPORTS = (ContainerPort(8080, TCP, "web"), ContainerPort(53, UDP, "dns"),
          ContainerPort(5353, TCP, "dns"), ContainerPort(9090, TCP, None))


def test_resolve_named_by_name_and_protocol() -> None:
    spec = PortSpec.compile([port("dns", UDP)])
    assert spec.resolve(CPORTS) == PortSet.of(UDP, IntervalSet.single(53))
    spec = PortSpec.compile([port("dns")])
    assert spec.resolve(CPORTS) == PortSet.of(TCP, IntervalSet.single(5353))
    spec = PortSpec.compile([port("web", UDP)])
    assert not spec.resolve(CPORTS)


def test_resolve_named_plus_numeric() -> None:
    spec = PortSpec.compile([port("web"), port(443)])
    assert spec.resolve(CPORTS) == PortSet.of(TCP, IntervalSet.of([(443, 443), (8080, 8080)]))
    # Not a pod (None) or a pod without ports: only the numeric part.
    assert spec.resolve(None) == PortSet.of(TCP, IntervalSet.single(443))
    assert spec.resolve(()) == PortSet.of(TCP, IntervalSet.single(443))


def test_resolve_unknown_name_matches_nothing() -> None:
    assert not PortSpec.compile([port("metrics")]).resolve(CPORTS)
    assert not PortSpec.compile([port("metrics")]).resolve(None)


def test_resolve_name_shared_by_two_container_ports() -> None:
    cports = (ContainerPort(80, TCP, "http"), ContainerPort(8080, TCP, "http"))
    assert PortSpec.compile([port("http")]).resolve(cports) == \
        PortSet.of(TCP, IntervalSet.of([(80, 80), (8080, 8080)]))


def test_policy_port_str() -> None:
    assert str(PolicyPort()) == "all/TCP"
    assert str(port(80, UDP)) == "80/UDP"
    assert str(port(80, TCP, 90)) == "80-90/TCP"
    assert str(port("http")) == "http/TCP"


@pytest.mark.parametrize(("text", "expected"), [
    ("8443", (8443, TCP)),
    ("8443/TCP", (8443, TCP)),
    ("53/udp", (53, UDP)),
    ("53/UDP", (53, UDP)),
    ("9/sctp", (9, SCTP)),
    ("1", (1, TCP)),
    ("65535", (65535, TCP)),
])
def test_parse_port_query(text: str, expected: tuple[int, Protocol]) -> None:
    assert parse_port_query(text) == expected


@pytest.mark.parametrize("text", ["", "http", "0", "65536", "-1", "80/icmp", "80/tcp/x",
                                  "/tcp", "8o", "80:tcp"])
def test_parse_port_query_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_port_query(text)


def test_parse_port_query_range_error_names_the_port() -> None:
    with pytest.raises(ValueError, match="70000"):
        parse_port_query("70000")
