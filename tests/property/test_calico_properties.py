"""Calico tiers: the engine's port-set evaluation against the per-packet reference, and
invariants of the semantics (a Deny never adds a connection; document order is irrelevant)."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from hypothesis import example, given, note, settings
from hypothesis import strategies as st
from tests.property import calico_reference as ref

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.calico_eval import CalicoEnd, Context, evaluate_side
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.ports import PortSet
from dtnetpol.manifest.calico_selector import parse_selector
from dtnetpol.model import ContainerPort, Direction, Protocol
from dtnetpol.model.calico import (
    Action,
    CalicoKind,
    CalicoPolicy,
    CalicoResources,
    CalicoRule,
    CalicoTier,
    EntityRule,
    NetworkSet,
    PortRange,
    ProtocolMatch,
    ServiceAccountMatch,
)

INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS
NAMESPACES = ("ns0", "ns1")
NS_LABELS = {"ns0": {"team": "red"}, "ns1": {"team": "blue"}}
SELECTORS = ("", "all()", "app == 'a'", "app != 'a'", "has(tier)", "!has(tier)",
             "app in {'a', 'b'}", "app not in {'b'}", "app starts with 'a'",
             "projectcalico.org/namespace == 'ns1'", "projectcalico.org/serviceaccount == 'robot'",
             "role == 'db'", "app == 'a' || tier == 'x'")
NS_SELECTORS = ("all()", "team == 'red'", "projectcalico.org/name == 'ns1'", "global()",
                "global() || team == 'blue'", "!global()")
NETS = ("10.0.0.0/8", "10.0.0.0/24", "192.168.0.0/16", "203.0.113.0/24", "0.0.0.0/0",
        "2001:db8::/32")
ADDRESSES = ("10.0.0.5", "10.1.2.3", "192.168.0.7", "203.0.113.9", "198.51.100.1",
             "2001:db8::1")
PORTS = ((Protocol.TCP, 53), (Protocol.TCP, 80), (Protocol.TCP, 85), (Protocol.TCP, 443),
         (Protocol.TCP, 8080), (Protocol.UDP, 53), (Protocol.UDP, 8080), (Protocol.SCTP, 80))
HTTP = ContainerPort(8080, Protocol.TCP, "http")


def sel(text: str):  # type: ignore[no-untyped-def]
    return parse_selector(text)


maybe = st.none().map(lambda _: None)
selectors = st.sampled_from(SELECTORS).map(sel)
ns_selectors = st.sampled_from(NS_SELECTORS).map(sel)
nets = st.lists(st.sampled_from(NETS).map(ipaddress.ip_network), max_size=2).map(tuple)
port_ranges = st.lists(st.sampled_from((PortRange(80, 80), PortRange(80, 90), PortRange(53, 53),
                                        PortRange(0, 65535), PortRange(name="http"),
                                        PortRange(name="dns"))), max_size=2).map(tuple)
protocols = st.one_of(maybe, st.sampled_from((ProtocolMatch(name="TCP"),
                                              ProtocolMatch(name="UDP"),
                                              ProtocolMatch(number=6),
                                              ProtocolMatch(number=132),
                                              ProtocolMatch(name="ICMP"))))


@st.composite
def entities(draw: st.DrawFn, ports: bool) -> EntityRule:
    return EntityRule(
        nets=draw(st.one_of(st.just(()), nets)),
        not_nets=draw(st.one_of(st.just(()), nets)),
        selector=draw(st.one_of(maybe, selectors)),
        not_selector=draw(st.one_of(maybe, maybe, selectors)),
        namespace_selector=draw(st.one_of(maybe, maybe, ns_selectors)),
        ports=draw(port_ranges) if ports else (),
        not_ports=draw(st.one_of(st.just(()), port_ranges)) if ports else (),
        service_accounts=draw(st.one_of(maybe, maybe, maybe, st.builds(
            ServiceAccountMatch, st.sampled_from(((), ("robot",), ("default", "x")))))),
    )


@st.composite
def rules(draw: st.DrawFn, direction: Direction, index: int) -> CalicoRule:
    return CalicoRule(
        direction, index, draw(st.sampled_from(list(Action))),
        protocol=draw(protocols), not_protocol=draw(st.one_of(maybe, maybe, protocols)),
        ip_version=draw(st.sampled_from((None, None, 4, 6))),
        source=draw(st.one_of(st.just(EntityRule()), entities(False))),
        destination=draw(st.one_of(st.just(EntityRule()), entities(True))))


@st.composite
def policies(draw: st.DrawFn, name: str) -> CalicoPolicy:
    global_ = draw(st.booleans())
    types = draw(st.sampled_from(({INGRESS}, {EGRESS}, {INGRESS, EGRESS})))
    ingress = [draw(rules(INGRESS, i)) for i in range(draw(st.integers(0, 3)))]
    egress = [draw(rules(EGRESS, i)) for i in range(draw(st.integers(0, 3)))]
    return CalicoPolicy(
        kind=CalicoKind.GLOBAL_NETWORK_POLICY if global_ else CalicoKind.NETWORK_POLICY,
        namespace=None if global_ else draw(st.sampled_from(NAMESPACES)),
        name=name, tier=draw(st.sampled_from(("default", "t1", "t2"))),
        order=draw(st.sampled_from((None, 5.0, 1000.0, 2000.0))),
        selector=draw(selectors), types=frozenset(types),
        ingress=tuple(ingress), egress=tuple(egress),
        namespace_selector=draw(st.one_of(maybe, ns_selectors)) if global_ else None)


@st.composite
def resources(draw: st.DrawFn) -> CalicoResources:
    names = draw(st.lists(st.sampled_from(("a", "b", "c", "knp.default.z", "d")),
                          max_size=4, unique=True))
    tiers = []
    if draw(st.booleans()):
        tiers.append(CalicoTier("t1", draw(st.sampled_from((None, 10.0, 2_000_000.0)))))
    if draw(st.booleans()):
        tiers.append(CalicoTier("t2", 50.0, draw(st.sampled_from((Action.DENY, Action.PASS)))))
    sets = (NetworkSet(None, "g", {"role": "db"}, (ipaddress.ip_network("203.0.113.0/24"),)),
            NetworkSet("ns0", "n", {"role": "db"}, (ipaddress.ip_network("10.1.0.0/16"),)))
    return CalicoResources(policies=tuple(draw(policies(n)) for n in names),
                           tiers=tuple(tiers), network_sets=sets)


@st.composite
def pods(draw: st.DrawFn) -> ref.Pod:
    ns = draw(st.sampled_from(NAMESPACES))
    labels = draw(st.dictionaries(st.sampled_from(("app", "tier", "role")),
                                  st.sampled_from(("a", "b", "x", "db")), max_size=2))
    return ref.Pod(ns, labels, NS_LABELS[ns], draw(st.sampled_from(("default", "robot"))),
                   draw(st.sampled_from(((), (HTTP,)))))


others = st.one_of(pods(), st.sampled_from(ADDRESSES).map(ipaddress.ip_address))
kubes = st.one_of(st.none(), st.builds(ref.Kube, st.booleans(), st.frozensets(
    st.sampled_from(PORTS), max_size=3)))


def end(x: ref.Pod | ref.Address) -> CalicoEnd:
    if isinstance(x, ref.Pod):
        return CalicoEnd(x.namespace, x.labels, x.namespace_labels, x.account, None, x.ports)
    return CalicoEnd(addresses=AddressSet.of_networks([ipaddress.ip_network(x)]))


def query() -> PortSet:
    out = PortSet.none()
    for proto, port in PORTS:
        out = out.union(PortSet.of(proto, IntervalSet.single(port)))
    return out


def engine_allowed(res: CalicoResources, subject: ref.Pod, direction: Direction,
                   other: ref.Pod | ref.Address, kube: ref.Kube | None
                   ) -> set[tuple[Protocol, int]]:
    share = None
    if kube is not None:
        k = kube
        def share(undecided: PortSet) -> tuple[bool, PortSet]:
            allowed = PortSet.none()
            for proto, port in k.allows:
                allowed = allowed.union(PortSet.of(proto, IntervalSet.single(port)))
            return k.isolated, allowed.intersection(undecided)
    r = evaluate_side(Context(res.network_sets), res, end(subject), direction, end(other),
                      query(), share)
    return {(p, n) for p, n in PORTS if r.allowed.contains(p, n)}


def reference_allowed(res: CalicoResources, subject: ref.Pod, direction: Direction,
                      other: ref.Pod | ref.Address, kube: ref.Kube | None
                      ) -> set[tuple[Protocol, int]]:
    # The destination's named ports: the subject's on ingress, the other pod's on egress.
    return {(p, n) for p, n in PORTS
            if ref.allowed(res, subject, direction, other, p, n, kube)}


@given(resources(), pods(), st.sampled_from((INGRESS, EGRESS)), others, kubes)
@example(CalicoResources(), ref.Pod("ns0", {}, {}, "default", ()), INGRESS,
         ipaddress.ip_address("10.0.0.5"), ref.Kube(True, frozenset()))
def test_engine_equals_reference(res: CalicoResources, subject: ref.Pod, direction: Direction,
                                 other: ref.Pod | ref.Address, kube: ref.Kube | None) -> None:
    note(f"policies: {res.policies}")
    assert engine_allowed(res, subject, direction, other, kube) == reference_allowed(
        res, subject, direction, other, kube)


@given(resources(), pods(), st.sampled_from((INGRESS, EGRESS)), others, kubes, st.data())
def test_adding_a_deny_never_adds_a_connection(res: CalicoResources, subject: ref.Pod,
                                               direction: Direction,
                                               other: ref.Pod | ref.Address,
                                               kube: ref.Kube | None, data: st.DataObject
                                               ) -> None:
    before = engine_allowed(res, subject, direction, other, kube)
    deny = data.draw(rules(direction, 0)).__class__
    rule = replace(data.draw(rules(direction, 0)), action=Action.DENY)
    assert deny is CalicoRule
    if res.policies and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(res.policies) - 1))
        p = res.policies[i]
        pos = data.draw(st.integers(0, len(p.rules(direction))))
        rs = list(p.rules(direction))
        rs.insert(pos, rule)
        p = replace(p, ingress=tuple(rs)) if direction is INGRESS else replace(
            p, egress=tuple(rs))
        changed = replace(res, policies=(*res.policies[:i], p, *res.policies[i + 1:]))
    else:
        new = replace(data.draw(policies("new")), ingress=(rule,) if direction is INGRESS
                      else (), egress=(rule,) if direction is EGRESS else ())
        changed = replace(res, policies=(*res.policies, new))
    assert engine_allowed(changed, subject, direction, other, kube) <= before


@given(resources(), pods(), st.sampled_from((INGRESS, EGRESS)), others, kubes, st.randoms())
def test_document_order_does_not_matter(res: CalicoResources, subject: ref.Pod,
                                        direction: Direction, other: ref.Pod | ref.Address,
                                        kube: ref.Kube | None, rnd: object) -> None:
    shuffled = list(res.policies)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    tiers = list(res.tiers)
    rnd.shuffle(tiers)  # type: ignore[attr-defined]
    again = replace(res, policies=tuple(shuffled), tiers=tuple(tiers))
    assert engine_allowed(again, subject, direction, other, kube) == engine_allowed(
        res, subject, direction, other, kube)


@st.composite
def one_rule(draw: st.DrawFn) -> CalicoResources:
    """One policy with one rule: every field of the rule decides the outcome."""
    direction = draw(st.sampled_from((INGRESS, EGRESS)))
    rule = draw(rules(direction, 0))
    # The entity that tests the other end names endpoints here (nets are tested above).
    far = replace(draw(entities(direction is EGRESS)), nets=(),
                  selector=draw(st.one_of(selectors, selectors, maybe)))
    rule = (replace(rule, source=far) if direction is INGRESS
            else replace(rule, destination=far))
    p = replace(draw(policies("only")), types=frozenset({direction}),
                ingress=(rule,) if direction is INGRESS else (),
                egress=(rule,) if direction is EGRESS else ())
    return replace(draw(resources()), policies=(p,))


@settings(max_examples=400)
@given(one_rule(), pods(), st.one_of(pods(), pods(), others), kubes)
def test_engine_equals_reference_rule_by_rule(res: CalicoResources, subject: ref.Pod,
                                              other: ref.Pod | ref.Address,
                                              kube: ref.Kube | None) -> None:
    p = res.policies[0]
    direction = next(iter(p.types))
    if p.namespace is not None:   # the subject is where the policy is (so that it applies)
        subject = replace(subject, namespace=p.namespace,
                          namespace_labels=NS_LABELS[p.namespace])
    assert engine_allowed(res, subject, direction, other, kube) == reference_allowed(
        res, subject, direction, other, kube)
