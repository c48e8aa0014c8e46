"""One test (or a few) per bullet of shared/reference/networkpolicy-semantics.md.

Every test asserts an outcome and, where the engine explains itself, the explanation: which
policies isolate a side and which rule (policy, direction, index) allows it.
"""

from __future__ import annotations

import itertools

import pytest

from dtnetpol.engine.analysis import HOST_NETWORK_NOTE, Analyzer
from dtnetpol.engine.explain import IPBLOCK_NOTE, Outcome, RuleRef, SideStatus, Verdict
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.ports import PortSet
from dtnetpol.model import Cluster, Protocol
from dtnetpol.model.cluster import NAME_LABEL
from dtnetpol.model.policy import default_policy_types

from .builders import (
    ALLOW_ALL,
    EGRESS,
    INGRESS,
    SCTP,
    TCP,
    UDP,
    cluster,
    expr,
    namespace,
    peer,
    pod,
    policy,
    port,
    rule,
    sel,
)

EXTERNAL = "203.0.113.7"


def reach(c: Cluster, src: str, dst: str, number: int | None = 8080,
          protocol: Protocol = TCP) -> Verdict:
    an = Analyzer(c)
    return an.can_reach(an.find(src), an.find(dst), number, protocol)


def allowed(c: Cluster, src: str, dst: str, number: int | None = 8080,
            protocol: Protocol = TCP) -> bool:
    return reach(c, src, dst, number, protocol).outcome is Outcome.ALLOWED


def ports_between(c: Cluster, src: str, dst: str) -> PortSet:
    an = Analyzer(c)
    return an.allowed_ports(an.find(src), an.find(dst))


def rref(pol: str, direction: object, index: int) -> RuleRef:
    assert direction in (INGRESS, EGRESS)
    return RuleRef(pol, INGRESS if direction is INGRESS else EGRESS, index)


# ------------------------------------------------------------------ selection and isolation

def test_policy_selects_pods_of_its_own_namespace_only() -> None:
    c = cluster(
        pods=[pod("a", "web", {"app": "web"}), pod("b", "web", {"app": "web"}),
              pod("a", "client", {"app": "client"})],
        policies=[policy("a", "deny-web", {"app": "web"})])
    v = reach(c, "a/client", "a/web")
    assert v.outcome is Outcome.BLOCKED
    assert v.ingress.status is SideStatus.BLOCKED
    assert v.ingress.isolating_policies == ("a/deny-web",)
    assert v.blocked_by == "ingress"
    other = reach(c, "a/client", "b/web")
    assert other.outcome is Outcome.ALLOWED
    assert other.ingress.status is SideStatus.NOT_ISOLATED
    assert other.ingress.isolating_policies == ()


def test_empty_pod_selector_selects_every_pod_of_the_namespace() -> None:
    c = cluster(
        pods=[pod("a", "x", {"app": "x"}), pod("a", "y", {}), pod("b", "z", {"app": "x"})],
        policies=[policy("a", "default-deny", sel())])
    for dst in ("a/x", "a/y"):
        v = reach(c, "b/z", dst)
        assert v.outcome is Outcome.BLOCKED
        assert v.ingress.isolating_policies == ("a/default-deny",)
    assert allowed(c, "a/x", "b/z")


def test_default_policy_types_function() -> None:
    assert default_policy_types(None, False) == {INGRESS}
    assert default_policy_types([], False) == {INGRESS}
    assert default_policy_types(None, True) == {INGRESS, EGRESS}
    assert default_policy_types([EGRESS], False) == {EGRESS}
    assert default_policy_types([EGRESS], True) == {EGRESS}
    assert default_policy_types([INGRESS], True) == {INGRESS}


def test_no_policy_types_and_empty_egress_does_not_isolate_egress() -> None:
    pol = policy("a", "p", sel(), egress=[])
    assert pol.policy_types == {INGRESS}
    c = cluster(pods=[pod("a", "x"), pod("b", "y")], policies=[pol])
    v = reach(c, "a/x", "b/y")
    assert v.outcome is Outcome.ALLOWED
    assert v.egress.status is SideStatus.NOT_ISOLATED
    assert reach(c, "a/x", EXTERNAL, 443).outcome is Outcome.ALLOWED
    # ...but it does isolate ingress (the default type).
    assert reach(c, "b/y", "a/x").blocked_by == "ingress"


def test_declared_egress_type_without_rules_denies_all_egress() -> None:
    pol = policy("a", "deny-egress", sel(), types=[EGRESS])
    c = cluster(pods=[pod("a", "x"), pod("a", "y"), pod("b", "z")], policies=[pol])
    for dst in ("a/y", "b/z", EXTERNAL):
        v = reach(c, "a/x", dst)
        assert v.outcome is Outcome.BLOCKED
        assert v.egress.status is SideStatus.BLOCKED
        assert v.egress.isolating_policies == ("a/deny-egress",)
        assert v.blocked_by == "egress"
    # Ingress is not isolated by an Egress-only policy.
    v = reach(c, "b/z", "a/x")
    assert v.outcome is Outcome.ALLOWED
    assert v.ingress.status is SideStatus.NOT_ISOLATED


def test_no_policy_types_and_one_egress_rule_isolates_egress() -> None:
    pol = policy("a", "p", sel(), egress=[rule([peer(pods={"app": "db"})])])
    assert pol.policy_types == {INGRESS, EGRESS}
    c = cluster(pods=[pod("a", "x"), pod("a", "db", {"app": "db"}), pod("b", "z")],
                policies=[pol])
    v = reach(c, "a/x", "a/db")
    assert v.egress.status is SideStatus.ALLOWED
    assert v.egress.allowing_rules == (rref("a/p", EGRESS, 0),)
    assert reach(c, "a/x", "b/z").blocked_by == "egress"
    assert reach(c, "a/x", EXTERNAL).blocked_by == "egress"


def test_ingress_only_policy_leaves_egress_open() -> None:
    pol = policy("a", "p", sel(), ingress=[rule([peer(pods={})])], types=[INGRESS])
    c = cluster(pods=[pod("a", "x"), pod("b", "y")], policies=[pol])
    v = reach(c, "a/x", "b/y")
    assert v.outcome is Outcome.ALLOWED
    assert v.egress.status is SideStatus.NOT_ISOLATED
    assert reach(c, "a/x", EXTERNAL).outcome is Outcome.ALLOWED


def test_isolation_is_per_direction() -> None:
    c = cluster(pods=[pod("a", "x", {"role": "x"}), pod("b", "y")],
                policies=[policy("a", "deny-egress-x", {"role": "x"}, types=[EGRESS])])
    # x's egress is isolated, but its ingress is not: y can still reach x.
    v = reach(c, "b/y", "a/x")
    assert v.outcome is Outcome.ALLOWED
    assert v.ingress.status is SideStatus.NOT_ISOLATED
    v = reach(c, "a/x", "b/y")
    assert v.outcome is Outcome.BLOCKED
    assert v.egress.status is SideStatus.BLOCKED
    # And the other way round: an ingress-isolated pod keeps its egress.
    c2 = cluster(c.pods, [policy("a", "deny-ingress-x", {"role": "x"}, types=[INGRESS])])
    assert allowed(c2, "a/x", "b/y")
    assert reach(c2, "b/y", "a/x").blocked_by == "ingress"


def test_allowed_traffic_is_the_union_of_rules_of_all_selecting_policies() -> None:
    c = cluster(
        pods=[pod("a", "web", {"app": "web"}, ports=[("http", 80, "TCP"), ("m", 9090, "TCP")]),
              pod("a", "fe", {"app": "fe"}), pod("a", "mon", {"app": "mon"})],
        policies=[
            policy("a", "from-fe", {"app": "web"},
                   ingress=[rule([peer(pods={"app": "fe"})], [port(80)])]),
            policy("a", "from-mon", sel(),
                   ingress=[rule([peer(pods={"app": "nobody"})]),
                            rule([peer(pods={"app": "mon"})], [port(9090)])]),
        ])
    v = reach(c, "a/fe", "a/web", 80)
    assert v.outcome is Outcome.ALLOWED
    assert set(v.ingress.isolating_policies) == {"a/from-fe", "a/from-mon"}
    assert v.ingress.allowing_rules == (rref("a/from-fe", INGRESS, 0),)
    v = reach(c, "a/mon", "a/web", 9090)
    assert v.outcome is Outcome.ALLOWED
    assert v.ingress.allowing_rules == (rref("a/from-mon", INGRESS, 1),)
    assert not allowed(c, "a/fe", "a/web", 9090)
    assert not allowed(c, "a/mon", "a/web", 80)
    assert ports_between(c, "a/fe", "a/web") == PortSet.of(TCP, IntervalSet.single(80))


def test_two_rules_allowing_the_same_traffic_are_both_cited() -> None:
    c = cluster(pods=[pod("a", "x"), pod("a", "y")],
                policies=[policy("a", "p1", sel(), ingress=[ALLOW_ALL]),
                          policy("a", "p2", sel(), ingress=[rule(ports=[port(8080)])])])
    v = reach(c, "a/x", "a/y")
    assert set(v.ingress.allowing_rules) == {rref("a/p1", INGRESS, 0), rref("a/p2", INGRESS, 0)}


def test_policy_order_never_matters() -> None:
    pols = [
        policy("a", "deny", sel()),
        policy("a", "allow-80", {"app": "web"}, ingress=[rule(ports=[port(80)])]),
        policy("a", "allow-mon", sel(), ingress=[rule([peer(namespaces={"team": "mon"})])]),
        policy("a", "egress", sel(), egress=[rule([peer(namespaces={})], [port(53, "UDP")])]),
    ]
    pods = [pod("a", "web", {"app": "web"}), pod("a", "db", {"app": "db"}),
            pod("mon", "prom", {"app": "prom"})]
    nss = [namespace("a"), namespace("mon", {"team": "mon"})]
    probes = [(s, d, n, p) for s in ("a/web", "a/db", "mon/prom") for d in ("a/web", "a/db",
              "mon/prom", EXTERNAL) if s != d for n, p in ((80, TCP), (53, UDP), (9090, TCP))]
    expected = None
    for perm in itertools.permutations(pols):
        c = cluster(pods, perm, nss)
        got = [(reach(c, s, d, n, p).outcome, frozenset(reach(c, s, d, n, p).ingress
                                                        .allowing_rules)) for s, d, n, p in probes]
        if expected is None:
            expected = got
        assert got == expected
    assert expected is not None
    assert {o for o, _ in expected} == {Outcome.ALLOWED, Outcome.BLOCKED}


def test_connection_needs_egress_and_ingress() -> None:
    pods = [pod("a", "src", {"app": "src"}), pod("a", "dst", {"app": "dst"})]
    deny_eg = policy("a", "deny-egress", {"app": "src"}, types=[EGRESS])
    deny_in = policy("a", "deny-ingress", {"app": "dst"}, types=[INGRESS])
    allow_eg = policy("a", "allow-egress", {"app": "src"},
                      egress=[rule([peer(pods={"app": "dst"})])])
    allow_in = policy("a", "allow-ingress", {"app": "dst"},
                      ingress=[rule([peer(pods={"app": "src"})])])

    v = reach(cluster(pods, [deny_eg]), "a/src", "a/dst")
    assert (v.outcome, v.blocked_by) == (Outcome.BLOCKED, "egress")
    assert v.ingress.status is SideStatus.NOT_ISOLATED
    v = reach(cluster(pods, [deny_in]), "a/src", "a/dst")
    assert (v.outcome, v.blocked_by) == (Outcome.BLOCKED, "ingress")
    assert v.egress.status is SideStatus.NOT_ISOLATED
    v = reach(cluster(pods, [deny_eg, deny_in]), "a/src", "a/dst")
    assert (v.outcome, v.blocked_by) == (Outcome.BLOCKED, "both")
    # Egress allowed but ingress denied is still blocked, and vice versa.
    v = reach(cluster(pods, [allow_eg, deny_in]), "a/src", "a/dst")
    assert v.egress.status is SideStatus.ALLOWED
    assert (v.outcome, v.blocked_by) == (Outcome.BLOCKED, "ingress")
    v = reach(cluster(pods, [deny_eg, allow_in]), "a/src", "a/dst")
    assert v.ingress.status is SideStatus.ALLOWED
    assert (v.outcome, v.blocked_by) == (Outcome.BLOCKED, "egress")
    v = reach(cluster(pods, [allow_eg, allow_in]), "a/src", "a/dst")
    assert (v.outcome, v.blocked_by) == (Outcome.ALLOWED, None)
    assert v.egress.allowing_rules == (rref("a/allow-egress", EGRESS, 0),)
    assert v.ingress.allowing_rules == (rref("a/allow-ingress", INGRESS, 0),)


def test_allowed_ports_are_the_intersection_of_both_sides() -> None:
    pods = [pod("a", "src", {"app": "src"}), pod("a", "dst", {"app": "dst"})]
    c = cluster(pods, [
        policy("a", "eg", {"app": "src"}, egress=[rule(ports=[port(80, end=90)])]),
        policy("a", "in", {"app": "dst"}, ingress=[rule(ports=[port(85, end=100)])])])
    assert str(ports_between(c, "a/src", "a/dst")) == "TCP 85-90"
    assert allowed(c, "a/src", "a/dst", 85) and allowed(c, "a/src", "a/dst", 90)
    assert reach(c, "a/src", "a/dst", 84).blocked_by == "ingress"
    assert reach(c, "a/src", "a/dst", 91).blocked_by == "egress"
    # No port asked: blocked when the sides have no port in common, each side says what it allows.
    c2 = cluster(pods, [
        policy("a", "eg", {"app": "src"}, egress=[rule(ports=[port(80)])]),
        policy("a", "in", {"app": "dst"}, ingress=[rule(ports=[port(443)])])])
    v = reach(c2, "a/src", "a/dst", None)
    assert v.outcome is Outcome.BLOCKED
    assert any("TCP 80" in n for n in v.egress.notes)
    assert any("TCP 443" in n for n in v.ingress.notes)


# ------------------------------------------------------------------------- rules and peers

def test_empty_from_matches_every_peer_including_external_addresses() -> None:
    c = cluster(
        pods=[pod("a", "web", {"app": "web"}), pod("b", "other"), pod("kube-system", "dns")],
        policies=[policy("a", "p", {"app": "web"}, ingress=[rule(ports=[port(8080)])])])
    for src in ("b/other", "kube-system/dns", EXTERNAL, "2001:db8::1", "0.0.0.0/0"):
        v = reach(c, src, "a/web")
        assert v.outcome is Outcome.ALLOWED, src
        assert v.ingress.allowing_rules == (rref("a/p", INGRESS, 0),)
    assert reach(c, "b/other", "a/web", 8081).outcome is Outcome.BLOCKED


def test_empty_to_matches_every_peer_including_external_addresses() -> None:
    c = cluster(pods=[pod("a", "x"), pod("b", "y")],
                policies=[policy("a", "p", sel(), egress=[rule(ports=[port(443)])])])
    for dst in ("b/y", EXTERNAL, "2001:db8::1", "::/0", "0.0.0.0/0"):
        v = reach(c, "a/x", dst, 443)
        assert v.outcome is Outcome.ALLOWED, dst
        assert v.egress.allowing_rules == (rref("a/p", EGRESS, 0),)


def test_empty_ports_match_every_port_and_protocol() -> None:
    c = cluster(pods=[pod("a", "x"), pod("a", "y")],
                policies=[policy("a", "p", sel(), ingress=[rule([peer(pods={})])])])
    for number, proto in ((1, TCP), (65535, TCP), (53, UDP), (65535, UDP), (1, SCTP),
                          (9999, SCTP)):
        assert allowed(c, "a/x", "a/y", number, proto)
    assert ports_between(c, "a/x", "a/y").is_all


def test_ingress_with_one_empty_rule_allows_all() -> None:
    c = cluster(pods=[pod("a", "x"), pod("b", "y")],
                policies=[policy("a", "allow-all", sel(), ingress=[ALLOW_ALL])])
    v = reach(c, "b/y", "a/x", 12345, UDP)
    assert v.outcome is Outcome.ALLOWED
    assert v.ingress.status is SideStatus.ALLOWED
    assert v.ingress.allowing_rules == (rref("a/allow-all", INGRESS, 0),)
    assert reach(c, EXTERNAL, "a/x", 1, SCTP).outcome is Outcome.ALLOWED
    assert ports_between(c, "b/y", "a/x").is_all


def test_ingress_with_no_rules_allows_nothing() -> None:
    for pol in (policy("a", "deny", sel(), ingress=[]),
                policy("a", "deny", sel(), types=[INGRESS])):
        c = cluster(pods=[pod("a", "x"), pod("b", "y")], policies=[pol])
        v = reach(c, "b/y", "a/x")
        assert v.outcome is Outcome.BLOCKED
        assert v.ingress.allowing_rules == ()
        assert reach(c, EXTERNAL, "a/x").outcome is Outcome.BLOCKED
        assert not ports_between(c, "b/y", "a/x")


def test_pod_selector_alone_means_the_policy_namespace() -> None:
    c = cluster(
        pods=[pod("a", "web", {"app": "web"}), pod("a", "fe", {"app": "fe"}),
              pod("b", "fe", {"app": "fe"})],
        policies=[policy("a", "p", {"app": "web"}, ingress=[rule([peer(pods={"app": "fe"})])])])
    assert allowed(c, "a/fe", "a/web")
    v = reach(c, "b/fe", "a/web")
    assert v.outcome is Outcome.BLOCKED and v.blocked_by == "ingress"


def test_namespace_selector_alone_means_all_pods_of_matching_namespaces() -> None:
    c = cluster(
        pods=[pod("a", "web", {"app": "web"}), pod("mon", "prom", {"app": "prom"}),
              pod("mon", "other", {}), pod("dev", "prom", {"app": "prom"}),
              pod("a", "fe", {"app": "fe"})],
        policies=[policy("a", "p", {"app": "web"},
                         ingress=[rule([peer(namespaces={"team": "mon"})])])],
        namespaces=[namespace("a"), namespace("mon", {"team": "mon"}), namespace("dev")])
    assert allowed(c, "mon/prom", "a/web")
    assert allowed(c, "mon/other", "a/web")
    assert not allowed(c, "dev/prom", "a/web")
    assert not allowed(c, "a/fe", "a/web")          # its own namespace does not match


def test_empty_namespace_selector_means_all_namespaces() -> None:
    c = cluster(
        pods=[pod("a", "web", {"app": "web"}), pod("b", "x"), pod("unknown-ns", "y"),
              pod("a", "z")],
        policies=[policy("a", "p", {"app": "web"}, ingress=[rule([peer(namespaces={})])])],
        namespaces=[namespace("a"), namespace("b")])
    for src in ("b/x", "unknown-ns/y", "a/z"):
        assert allowed(c, src, "a/web"), src
    # ...but only pods: an external address is not in any namespace.
    assert reach(c, EXTERNAL, "a/web").outcome is Outcome.BLOCKED


def test_pod_and_namespace_selector_in_one_peer_are_anded() -> None:
    c = cluster(
        pods=[pod("a", "web", {"app": "web"}), pod("mon", "prom", {"app": "prom"}),
              pod("mon", "other", {"app": "other"}), pod("dev", "prom", {"app": "prom"}),
              pod("a", "prom", {"app": "prom"})],
        policies=[policy("a", "p", {"app": "web"}, ingress=[
            rule([peer(pods={"app": "prom"}, namespaces={"team": "mon"})])])],
        namespaces=[namespace("a"), namespace("mon", {"team": "mon"}), namespace("dev")])
    assert allowed(c, "mon/prom", "a/web")
    for src in ("mon/other", "dev/prom", "a/prom"):
        assert not allowed(c, src, "a/web"), src


def test_two_separate_peers_are_ored_the_classic_mistake() -> None:
    pods = [pod("a", "web", {"app": "web"}), pod("mon", "prom", {"app": "prom"}),
            pod("mon", "other", {"app": "other"}), pod("dev", "prom", {"app": "prom"}),
            pod("a", "prom", {"app": "prom"})]
    nss = [namespace("a"), namespace("mon", {"team": "mon"}), namespace("dev")]
    # `- namespaceSelector: ...` and `- podSelector: ...`: two items, one dash too many.
    c = cluster(pods, [policy("a", "p", {"app": "web"}, ingress=[
        rule([peer(namespaces={"team": "mon"}), peer(pods={"app": "prom"})])])], nss)
    assert allowed(c, "mon/prom", "a/web")
    assert allowed(c, "mon/other", "a/web")       # any pod of mon: first item
    assert allowed(c, "a/prom", "a/web")          # prom of the policy's namespace: second item
    assert not allowed(c, "dev/prom", "a/web")    # prom elsewhere matches neither


def test_ip_block_with_except_ipv4() -> None:
    c = cluster(pods=[pod("a", "x")], policies=[policy("a", "p", sel(), egress=[
        rule([peer(cidr="10.0.0.0/8", excepts=["10.1.0.0/16", "10.2.3.4/32"])])])])
    assert allowed(c, "a/x", "10.0.0.1")
    assert allowed(c, "a/x", "10.255.255.255")
    assert allowed(c, "a/x", "10.2.3.5")
    for dst in ("10.1.0.0", "10.1.255.255", "10.2.3.4", "11.0.0.0", "9.255.255.255"):
        v = reach(c, "a/x", dst)
        assert v.outcome is Outcome.BLOCKED, dst
        assert v.blocked_by == "egress"
    assert allowed(c, "a/x", "10.3.0.0/16")
    v = reach(c, "a/x", "10.0.0.0/8")
    assert v.outcome is Outcome.CONDITIONAL
    assert v.egress.status is SideStatus.PARTIAL
    assert v.egress.allowed_addresses is not None
    assert v.egress.allowed_addresses.ranges() == [
        "10.0.0.0-10.0.255.255", "10.2.0.0-10.2.3.3", "10.2.3.5-10.255.255.255"]
    assert "10.0.0.0/8" in v.condition


def test_ip_block_with_except_ipv6() -> None:
    c = cluster(pods=[pod("a", "x")], policies=[policy("a", "p", sel(), ingress=[
        rule([peer(cidr="2001:db8::/32", excepts=["2001:db8:1::/48"])])])])
    assert allowed(c, "2001:db8::1", "a/x")
    assert allowed(c, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "a/x")
    for src in ("2001:db8:1::1", "2001:db9::", "10.0.0.1", "::ffff:a00:1"):
        assert reach(c, src, "a/x").outcome is Outcome.BLOCKED, src
    # An IPv4 block does not match IPv6 addresses and vice versa.
    c4 = cluster(pods=[pod("a", "x")],
                 policies=[policy("a", "p", sel(), ingress=[rule([peer(cidr="0.0.0.0/0")])])])
    assert allowed(c4, "198.51.100.1", "a/x")
    assert not allowed(c4, "2001:db8::1", "a/x")


def test_ip_block_never_matches_pod_ips_and_the_notes_say_why() -> None:
    c = cluster(
        pods=[pod("a", "x", ips=["10.0.0.5"]), pod("b", "y", ips=["10.0.0.6"])],
        policies=[policy("a", "p", sel(), ingress=[rule([peer(cidr="10.0.0.0/8")])],
                         egress=[rule([peer(cidr="10.0.0.0/8")])])])
    an = Analyzer(c)
    assert an.find("10.0.0.6") is an.find("b/y")     # the pod, not an external address
    v = an.can_reach(an.find("b/y"), an.find("a/x"), 8080, TCP)
    assert v.outcome is Outcome.BLOCKED
    assert v.ingress.status is SideStatus.BLOCKED
    assert IPBLOCK_NOTE in v.ingress.notes
    v = an.can_reach(an.find("a/x"), an.find("10.0.0.6"), 8080, TCP)
    assert v.outcome is Outcome.BLOCKED and v.blocked_by == "egress"
    assert IPBLOCK_NOTE in v.egress.notes
    # An address of the same range that is no pod is allowed.
    assert an.can_reach(an.find("a/x"), an.find("10.0.0.7"), 8080, TCP).allowed


# ------------------------------------------------------------------------------- selectors

def _selected(labels: dict[str, str], selector_labels: dict[str, str] | None,
              *exprs: object) -> bool:
    """Is a pod with ``labels`` selected by a policy with that podSelector?"""
    c = cluster(pods=[pod("a", "t", labels), pod("b", "probe")],
                policies=[policy("a", "p", sel(selector_labels, *exprs))])  # type: ignore[arg-type]
    return reach(c, "b/probe", "a/t").outcome is Outcome.BLOCKED


def test_match_labels_and_match_expressions_are_anded() -> None:
    s = ({"app": "web"}, expr("tier", "In", "fe", "be"))
    assert _selected({"app": "web", "tier": "fe"}, *s)
    assert not _selected({"app": "web", "tier": "db"}, *s)
    assert not _selected({"app": "api", "tier": "fe"}, *s)
    assert not _selected({"tier": "fe"}, *s)
    assert _selected({"app": "web", "tier": "be", "x": "y"}, *s)
    # Two match labels and two expressions: all four must hold.
    assert _selected({"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "2"},
                     expr("c", "Exists"), expr("d", "DoesNotExist"))
    assert not _selected({"a": "1", "b": "2", "c": "3", "d": ""}, {"a": "1", "b": "2"},
                         expr("c", "Exists"), expr("d", "DoesNotExist"))
    assert not _selected({"a": "1", "c": "3"}, {"a": "1", "b": "2"}, expr("c", "Exists"))


@pytest.mark.parametrize(("requirement", "labels", "expected"), [
    (expr("env", "In", "prod", "stage"), {"env": "prod"}, True),
    (expr("env", "In", "prod", "stage"), {"env": "dev"}, False),
    (expr("env", "In", "prod"), {}, False),
    (expr("env", "In", ""), {"env": ""}, True),
    (expr("env", "NotIn", "prod"), {"env": "dev"}, True),
    (expr("env", "NotIn", "prod"), {"env": "prod"}, False),
    (expr("env", "NotIn", "prod"), {}, True),                 # lacks the key: matches
    (expr("env", "NotIn", "prod"), {"other": "prod"}, True),
    (expr("env", "Exists"), {"env": ""}, True),
    (expr("env", "Exists"), {"envx": "1"}, False),
    (expr("env", "DoesNotExist"), {}, True),                  # lacks the key: matches
    (expr("env", "DoesNotExist"), {"env": "x"}, False),
    (expr("env", "DoesNotExist"), {"ENV": "x"}, True),        # keys are case-sensitive
])
def test_selector_operators(requirement: object, labels: dict[str, str], expected: bool) -> None:
    assert _selected(labels, None, requirement) is expected


def test_operators_in_namespace_selectors() -> None:
    pods = [pod("a", "web", {"app": "web"}), pod("prod", "x"), pod("dev", "x"), pod("plain", "x")]
    nss = [namespace("a"), namespace("prod", {"env": "prod"}), namespace("dev", {"env": "dev"}),
           namespace("plain")]

    def sources(*exprs: object) -> set[str]:
        c = cluster(pods, [policy("a", "p", {"app": "web"}, ingress=[
            rule([peer(namespaces=sel(None, *exprs))])])], nss)  # type: ignore[arg-type]
        return {s for s in ("prod/x", "dev/x", "plain/x") if allowed(c, s, "a/web")}

    assert sources(expr("env", "In", "prod")) == {"prod/x"}
    assert sources(expr("env", "NotIn", "prod")) == {"dev/x", "plain/x"}
    assert sources(expr("env", "Exists")) == {"prod/x", "dev/x"}
    assert sources(expr("env", "DoesNotExist")) == {"plain/x"}


def test_namespaces_carry_the_metadata_name_label_automatically() -> None:
    c = cluster(
        pods=[pod("a", "web", {"app": "web"}), pod("monitoring", "prom"), pod("b", "x")],
        policies=[policy("a", "p", {"app": "web"}, ingress=[
            rule([peer(namespaces={NAME_LABEL: "monitoring"})])])])
    # No Namespace object was loaded: Kubernetes would still give it the name label.
    assumed = c.namespace("monitoring")
    assert assumed.assumed is True
    assert assumed.labels == {NAME_LABEL: "monitoring"}
    assert allowed(c, "monitoring/prom", "a/web")
    assert not allowed(c, "b/x", "a/web")
    # A loaded namespace is used as is.
    loaded = namespace("monitoring", {"team": "obs"})
    c2 = cluster(c.pods, c.policies, [loaded])
    assert c2.namespace("monitoring") is loaded
    assert allowed(c2, "monitoring/prom", "a/web")


# ----------------------------------------------------------------------------------- ports

def test_protocol_defaults_to_tcp() -> None:
    assert port(53).protocol is TCP
    c = cluster(pods=[pod("a", "x"), pod("a", "y")],
                policies=[policy("a", "p", sel(), ingress=[rule(ports=[port(53)])])])
    assert allowed(c, "a/x", "a/y", 53, TCP)
    assert not allowed(c, "a/x", "a/y", 53, UDP)
    assert not allowed(c, "a/x", "a/y", 53, SCTP)


@pytest.mark.parametrize("proto", [UDP, SCTP])
def test_udp_and_sctp_ports(proto: Protocol) -> None:
    c = cluster(pods=[pod("a", "x"), pod("a", "y")],
                policies=[policy("a", "p", sel(), ingress=[rule(ports=[port(5000, proto)])])])
    assert allowed(c, "a/x", "a/y", 5000, proto)
    assert not allowed(c, "a/x", "a/y", 5000, TCP)
    assert ports_between(c, "a/x", "a/y") == PortSet.of(proto, IntervalSet.single(5000))


def test_protocol_without_port_allows_every_port_of_that_protocol() -> None:
    c = cluster(pods=[pod("a", "x"), pod("a", "y")],
                policies=[policy("a", "p", sel(), ingress=[rule(ports=[port(None, UDP)])])])
    assert allowed(c, "a/x", "a/y", 1, UDP) and allowed(c, "a/x", "a/y", 65535, UDP)
    assert not allowed(c, "a/x", "a/y", 1, TCP)
    assert str(ports_between(c, "a/x", "a/y")) == "UDP all"


def test_named_port_resolves_on_the_selected_pod_for_ingress() -> None:
    c = cluster(
        pods=[pod("a", "web", {"app": "web"}, ports=[("http", 8080, "TCP")]),
              pod("a", "api", {"app": "api"}, ports=[("http", 9000, "TCP")]),
              pod("a", "client", {"app": "client"}, ports=[("http", 7777, "TCP")])],
        policies=[policy("a", "p", sel(), ingress=[rule(ports=[port("http")])])])
    assert allowed(c, "a/client", "a/web", 8080)
    assert not allowed(c, "a/client", "a/web", 9000)
    assert not allowed(c, "a/client", "a/web", 7777)   # the source's http port is irrelevant
    assert allowed(c, "a/client", "a/api", 9000)
    assert not allowed(c, "a/client", "a/api", 8080)
    assert str(ports_between(c, "a/client", "a/api")) == "TCP 9000"
    v = reach(c, "a/client", "a/web", 8080)
    assert v.ingress.allowing_rules == (rref("a/p", INGRESS, 0),)


def test_named_port_resolves_on_the_peer_pod_for_egress() -> None:
    c = cluster(
        pods=[pod("a", "client", {"app": "client"}, ports=[("http", 7777, "TCP")]),
              pod("a", "web", {"app": "web"}, ports=[("http", 8080, "TCP")]),
              pod("b", "api", {"app": "api"}, ports=[("http", 9000, "TCP")])],
        policies=[policy("a", "p", {"app": "client"}, egress=[rule(ports=[port("http")])])])
    assert allowed(c, "a/client", "a/web", 8080)
    assert allowed(c, "a/client", "b/api", 9000)
    assert not allowed(c, "a/client", "b/api", 8080)
    assert not allowed(c, "a/client", "a/web", 7777)   # the selected pod's own port is irrelevant
    assert str(ports_between(c, "a/client", "b/api")) == "TCP 9000"


def test_named_port_matches_by_name_and_protocol() -> None:
    dns_ports = [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]
    c = cluster(pods=[pod("kube-system", "coredns", {"k8s-app": "kube-dns"}, ports=dns_ports),
                      pod("a", "x")],
                policies=[policy("kube-system", "p", sel(), ingress=[rule(ports=[port("dns")])])])
    # "dns" with the default protocol TCP: the pod's "dns" port is UDP, so nothing matches.
    assert not ports_between(c, "a/x", "kube-system/coredns")
    assert not allowed(c, "a/x", "kube-system/coredns", 53, UDP)
    assert not allowed(c, "a/x", "kube-system/coredns", 53, TCP)
    c2 = cluster(c.pods, [policy("kube-system", "p", sel(),
                                 ingress=[rule(ports=[port("dns", UDP), port("dns-tcp")])])])
    assert allowed(c2, "a/x", "kube-system/coredns", 53, UDP)
    assert allowed(c2, "a/x", "kube-system/coredns", 53, TCP)
    assert not allowed(c2, "a/x", "kube-system/coredns", 9153, TCP)
    assert str(ports_between(c2, "a/x", "kube-system/coredns")) == "TCP 53; UDP 53"


def test_pod_without_the_named_port_matches_nothing() -> None:
    c = cluster(pods=[pod("a", "x", ports=[]), pod("a", "y", ports=[("other", 80, "TCP")]),
                      pod("a", "z")],
                policies=[policy("a", "p", sel(), ingress=[rule(ports=[port("http")])])])
    for dst in ("a/x", "a/y"):
        assert not ports_between(c, "a/z", dst)
        v = reach(c, "a/z", dst, 80)
        assert v.outcome is Outcome.BLOCKED and v.blocked_by == "ingress"
        assert reach(c, "a/z", dst, None).outcome is Outcome.BLOCKED


def test_named_port_never_matches_an_ip_block_destination() -> None:
    c = cluster(pods=[pod("a", "x", ports=[("https", 443, "TCP")])],
                policies=[policy("a", "p", sel(), egress=[
                    rule([peer(cidr="0.0.0.0/0")], [port("https")]),
                    rule([peer(cidr="192.0.2.0/24")], [port(8443)])])])
    for dst in (EXTERNAL, "192.0.2.1"):
        assert reach(c, "a/x", dst, 443).outcome is Outcome.BLOCKED
    assert allowed(c, "a/x", "192.0.2.1", 8443)
    assert not ports_between(c, "a/x", EXTERNAL)
    # The same for an empty `to` with a named port: external destinations get nothing.
    c2 = cluster(c.pods, [policy("a", "p", sel(), egress=[rule(ports=[port("https")])])])
    assert reach(c2, "a/x", EXTERNAL, 443).outcome is Outcome.BLOCKED


def test_named_port_for_ingress_from_an_ip_block_resolves_on_the_destination_pod() -> None:
    c = cluster(pods=[pod("a", "x", ports=[("https", 8443, "TCP")])],
                policies=[policy("a", "p", sel(), ingress=[
                    rule([peer(cidr="0.0.0.0/0")], [port("https")])])])
    assert allowed(c, EXTERNAL, "a/x", 8443)
    assert not allowed(c, EXTERNAL, "a/x", 443)


def test_end_port_ranges_are_inclusive() -> None:
    c = cluster(pods=[pod("a", "x"), pod("a", "y")],
                policies=[policy("a", "p", sel(), ingress=[rule(ports=[port(32000, "TCP", 32768),
                                                                      port(1, UDP, 1)])])])
    assert allowed(c, "a/x", "a/y", 32000) and allowed(c, "a/x", "a/y", 32768)
    assert not allowed(c, "a/x", "a/y", 31999) and not allowed(c, "a/x", "a/y", 32769)
    assert allowed(c, "a/x", "a/y", 1, UDP) and not allowed(c, "a/x", "a/y", 2, UDP)
    assert str(ports_between(c, "a/x", "a/y")) == "TCP 32000-32768; UDP 1"


# ------------------------------------------------------------------- not governed / stateful

def test_host_network_pods_are_not_governed() -> None:
    c = cluster(
        pods=[pod("a", "agent", {"app": "agent"}, host_network=True, ips=["192.168.1.10"]),
              pod("a", "web", {"app": "web"})],
        policies=[policy("a", "deny-all", sel(), types=[INGRESS, EGRESS])])
    # As the source: its egress is not governed, even though deny-all selects it.
    v = reach(c, "a/agent", "a/web")
    assert v.egress.status is SideStatus.NOT_GOVERNED
    assert HOST_NETWORK_NOTE in v.egress.notes
    assert v.blocked_by == "ingress"                       # web's ingress still applies
    # As the destination: its ingress is not governed.
    v = reach(c, "a/web", "a/agent")
    assert v.ingress.status is SideStatus.NOT_GOVERNED
    assert v.blocked_by == "egress"
    # Both host network: allowed whatever the policies say.
    c2 = cluster([*c.pods, pod("a", "node-exporter", {"app": "ne"}, host_network=True,
                               ips=["192.168.1.11"])], c.policies)
    v = reach(c2, "a/agent", "a/node-exporter", 9100)
    assert v.outcome is Outcome.ALLOWED
    assert (v.egress.status, v.ingress.status) == (SideStatus.NOT_GOVERNED,
                                                   SideStatus.NOT_GOVERNED)
    assert reach(c2, "a/agent", EXTERNAL).outcome is Outcome.ALLOWED
    assert reach(c2, EXTERNAL, "a/agent").outcome is Outcome.ALLOWED


def test_host_network_source_is_matched_by_its_node_address_not_by_selectors() -> None:
    agent = pod("a", "agent", {"app": "agent"}, host_network=True, ips=["192.168.1.10"])
    web = pod("a", "web", {"app": "web"})
    by_selector = policy("a", "p", {"app": "web"}, ingress=[rule([peer(pods={"app": "agent"})])])
    v = reach(cluster([agent, web], [by_selector]), "a/agent", "a/web")
    assert v.outcome is Outcome.BLOCKED
    assert any("host-network" in n for n in v.ingress.notes)
    by_block = policy("a", "p", {"app": "web"}, ingress=[rule([peer(cidr="192.168.1.0/24")])])
    v = reach(cluster([agent, web], [by_block]), "a/agent", "a/web")
    assert v.outcome is Outcome.ALLOWED
    assert v.ingress.allowing_rules == (rref("a/p", INGRESS, 0),)


def test_replies_are_not_evaluated_only_the_opening_direction_matters() -> None:
    # web accepts from client; client accepts nothing. client→web is allowed (and its replies
    # with it, statefully); web→client, a *new* connection the other way, is not.
    c = cluster(pods=[pod("a", "client", {"app": "client"}), pod("a", "web", {"app": "web"})],
                policies=[policy("a", "web-in", {"app": "web"},
                                 ingress=[rule([peer(pods={"app": "client"})])]),
                          policy("a", "client-in", {"app": "client"}, types=[INGRESS])])
    assert allowed(c, "a/client", "a/web")
    v = reach(c, "a/web", "a/client")
    assert v.outcome is Outcome.BLOCKED and v.blocked_by == "ingress"
    # The verdict for client→web looks only at client's egress and web's ingress.
    v = reach(c, "a/client", "a/web")
    assert v.egress.subject == "a/client[Deployment]"
    assert v.ingress.subject == "a/web[Deployment]"
