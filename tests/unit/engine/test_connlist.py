"""connection_list: exact lists on small clusters."""

from __future__ import annotations

from dtnetpol.engine.analysis import Analyzer
from dtnetpol.engine.connlist import connection_list
from dtnetpol.model import Cluster

from .builders import (
    EGRESS,
    INGRESS,
    UDP,
    cluster,
    namespace,
    peer,
    pod,
    policy,
    port,
    rule,
    sel,
)

V4_ALL = "0.0.0.0-255.255.255.255"
V6_ALL = "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
X, Y = "a/x[Deployment]", "a/y[Deployment]"


def conns(c: Cluster) -> list[tuple[str, str, str]]:
    return [(cn.src, cn.dst, str(cn.ports)) for cn in connection_list(Analyzer(c))]


def test_empty_cluster() -> None:
    assert conns(cluster()) == []


def test_unisolated_pods_talk_to_everything_both_directions() -> None:
    assert conns(cluster([pod("a", "x"), pod("a", "y")])) == [
        (V4_ALL, X, "all ports"),
        (V4_ALL, Y, "all ports"),
        (X, V4_ALL, "all ports"),
        (X, Y, "all ports"),
        (Y, V4_ALL, "all ports"),
        (Y, X, "all ports"),
    ]


def test_single_pod_has_no_self_entry() -> None:
    assert conns(cluster([pod("a", "x")])) == [(V4_ALL, X, "all ports"), (X, V4_ALL, "all ports")]


def test_pods_of_one_owner_are_one_entry_and_never_a_self_entry() -> None:
    c = cluster([pod("a", "web-1", {"app": "web"}, owner="web"),
                 pod("a", "web-2", {"app": "web", "canary": "1"}, owner="web"),
                 pod("b", "db-0", {"app": "db"}, owner="db", kind="StatefulSet")],
                [policy("b", "db", sel(), ingress=[
                    rule([peer(pods={"canary": "1"}, namespaces={})], [port(5432)]),
                    rule([peer(pods={"app": "web"}, namespaces={})], [port(5433)])],
                    types=[INGRESS])])
    web, db = "a/web[Deployment]", "b/db[StatefulSet]"
    assert conns(c) == [
        (V4_ALL, web, "all ports"),
        (web, V4_ALL, "all ports"),
        (web, db, "TCP 5432-5433"),
        (db, V4_ALL, "all ports"),
        (db, web, "all ports"),
    ]


def test_egress_to_everything_except_a_range_splits_the_external_range() -> None:
    c = cluster([pod("a", "x"), pod("a", "y")],
                [policy("a", "eg", sel(), egress=[
                    rule([peer(cidr="0.0.0.0/0", excepts=["10.0.0.0/8"])])], types=[EGRESS])])
    assert conns(c) == [
        (V4_ALL, X, "all ports"),
        (V4_ALL, Y, "all ports"),
        (X, "0.0.0.0-9.255.255.255", "all ports"),
        (X, "11.0.0.0-255.255.255.255", "all ports"),
        (Y, "0.0.0.0-9.255.255.255", "all ports"),
        (Y, "11.0.0.0-255.255.255.255", "all ports"),
    ]


def test_overlapping_blocks_are_swept_into_ranges_with_their_ports() -> None:
    c = cluster([pod("b", "y", owner="y", kind="StatefulSet")],
                [policy("b", "p", sel(), egress=[
                    rule([peer(cidr="10.0.0.0/8")], [port(443)]),
                    rule([peer(cidr="10.1.0.0/16")], [port(53, UDP)]),
                    rule([peer(cidr="10.2.0.0/16"), peer(cidr="10.3.0.0/16")], [port(443)]),
                    rule([peer(cidr="2001:db8::/32")], [port(443)])], types=[EGRESS])])
    y = "b/y[StatefulSet]"
    assert conns(c) == [
        (V4_ALL, y, "all ports"),
        (V6_ALL, y, "all ports"),                       # IPv6 shown once a policy uses it
        (y, "10.0.0.0-10.0.255.255", "TCP 443"),
        (y, "10.1.0.0-10.1.255.255", "TCP 443; UDP 53"),
        (y, "10.2.0.0-10.255.255.255", "TCP 443"),      # equal neighbours merged
        (y, "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "TCP 443"),
    ]


def test_ingress_from_blocks_and_named_ports_on_the_destination() -> None:
    c = cluster([pod("a", "x", ports=[("https", 8443, "TCP")])],
                [policy("a", "in", sel(), ingress=[
                    rule([peer(cidr="192.0.2.0/24")], [port("https")]),
                    rule([peer(cidr="198.51.100.0/24")], [port("nope")])]),
                 policy("a", "eg", sel(), egress=[
                     rule([peer(cidr="203.0.113.0/24")], [port("https")])])])
    # The ingress named port resolves on x; an egress named port never matches an ipBlock, and a
    # rule that resolves to no port at all gives no entry.
    assert conns(c) == [("192.0.2.0-192.0.2.255", X, "TCP 8443")]


def test_default_deny_gives_nothing() -> None:
    c = cluster([pod("a", "x"), pod("a", "y")],
                [policy("a", "deny", sel(), types=[INGRESS, EGRESS])])
    assert conns(c) == []


def test_named_port_for_egress_resolves_on_each_destination() -> None:
    c = cluster([pod("a", "client", {"app": "c"}, ports=[]),
                 pod("a", "web", {"app": "web"}, ports=[("http", 8080, "TCP")]),
                 pod("b", "api", {"app": "api"}, ports=[("http", 9000, "TCP")]),
                 pod("b", "db", {"app": "db"}, ports=[("pg", 5432, "TCP")])],
                [policy("a", "eg", {"app": "c"}, egress=[
                    rule([peer(namespaces={})], [port("http")])])])
    got = [t for t in conns(c) if t[0] == "a/client[Deployment]"]
    assert got == [("a/client[Deployment]", "a/web[Deployment]", "TCP 8080"),
                   ("a/client[Deployment]", "b/api[Deployment]", "TCP 9000")]


def test_workload_pairs_need_both_sides() -> None:
    c = cluster([pod("a", "x", {"app": "x"}), pod("a", "y", {"app": "y"}), pod("b", "z")],
                [policy("a", "x-eg", {"app": "x"}, egress=[rule([peer(pods={"app": "y"})],
                                                                [port(80, "TCP", 90)])]),
                 policy("a", "y-in", {"app": "y"}, ingress=[rule(ports=[port(85, "TCP", 100)])])],
                [namespace("a"), namespace("b")])
    got = conns(c)
    assert (X, Y, "TCP 85-90") in got
    assert not [t for t in got if t[0] == X and t[1] != Y]
    assert ("b/z[Deployment]", Y, "TCP 85-100") in got
    assert (V4_ALL, Y, "TCP 85-100") in got
    # x is ingress isolated by x-eg (default types) with no ingress rule: nobody reaches x.
    assert not [t for t in got if t[1] == X]


def test_host_network_source_is_matched_by_ip_blocks_only() -> None:
    c = cluster([pod("a", "agent", {"app": "agent"}, host_network=True, ips=["192.168.1.10"]),
                 pod("a", "web", {"app": "web"}), pod("a", "db", {"app": "db"})],
                [policy("a", "web", {"app": "web"},
                        ingress=[rule([peer(cidr="192.168.1.0/24")], [port(8080)])]),
                 policy("a", "db", {"app": "db"},
                        ingress=[rule([peer(pods={"app": "agent"})])])])
    got = conns(c)
    assert ("a/agent[Deployment]", "a/web[Deployment]", "TCP 8080") in got
    assert not [t for t in got if t[1] == "a/db[Deployment]" and t[0] != "a/web[Deployment]"]


def test_egress_ip_block_to_a_host_network_destination_is_listed() -> None:
    c = cluster([pod("a", "x", {"app": "x"}),
                 pod("a", "agent", {"app": "agent"}, host_network=True, ips=["192.168.1.10"])],
                [policy("a", "eg", {"app": "x"},
                        egress=[rule([peer(cidr="192.168.1.0/24")], [port(9999)])])])
    an = Analyzer(c)
    assert an.can_reach(an.find("a/x"), an.find("a/agent"), 9999).allowed
    assert ("a/x[Deployment]", "a/agent[Deployment]", "TCP 9999") in conns(c)


def test_dual_stack_host_network_source_covered_by_two_rules_is_listed() -> None:
    c = cluster([pod("a", "web", {"app": "web"}),
                 pod("a", "agent", {"app": "agent"}, host_network=True,
                     ips=["192.168.1.10", "fd00::10"])],
                [policy("a", "in", {"app": "web"}, ingress=[rule([peer(cidr="192.168.1.0/24")]),
                                                            rule([peer(cidr="fd00::/64")])])])
    an = Analyzer(c)
    assert an.can_reach(an.find("a/agent"), an.find("a/web"), 8080).allowed
    assert ("a/agent[Deployment]", "a/web[Deployment]", "all ports") in conns(c)


def test_connections_are_sorted_by_source_then_destination() -> None:
    c = cluster([pod("b", "q"), pod("a", "z"), pod("a", "m")])
    got = [(cn.src, cn.dst) for cn in connection_list(Analyzer(c))]
    assert got == sorted(got)
