"""Properties of the layered engine (admin, NetworkPolicy + Cilium, baseline).

* The engine agrees with the reference (tests/property/layers_reference.py) on every pair of
  pods of the pod network and every boundary port.
* Adding a deny (an admin Deny rule of the highest priority, or a Cilium deny rule) never adds
  a connection.
* Results do not depend on the order of documents within a layer.
"""

from __future__ import annotations

import dataclasses

from hypothesis import example, given, note
from hypothesis import strategies as st

from dtnetpol.engine.analysis import Analyzer
from dtnetpol.engine.explain import Outcome
from dtnetpol.model import Cluster, Direction, LabelSelector, NetworkPolicy, PolicyPort, Protocol
from dtnetpol.model.admin import (
    AdminAction,
    AdminPeer,
    AdminPeerKind,
    AdminPolicy,
    AdminRule,
    AdminSubject,
    AdminTier,
)
from dtnetpol.model.cilium import (
    CCNP,
    CNP,
    CiliumPolicy,
    CiliumPort,
    CiliumPortRule,
    CiliumRule,
    CiliumSpec,
)

from . import layers_reference as ref
from .strategies import NAMESPACES, NS_LABELS, NUMBERS, POD_LABELS, clusters, selectors

Point = tuple[Protocol, int]
PORTS: tuple[Point, ...] = ((Protocol.TCP, 80), (Protocol.TCP, 443), (Protocol.UDP, 53),
                            (Protocol.TCP, 8080), (Protocol.TCP, 9090))


@st.composite
def admin_ports(draw: st.DrawFn) -> tuple[PolicyPort, ...]:
    if draw(st.booleans()):
        return ()
    out = []
    for _ in range(draw(st.integers(1, 2))):
        proto = draw(st.sampled_from((Protocol.TCP, Protocol.UDP)))
        if draw(st.integers(0, 3)) == 0:
            out.extend(PolicyPort(p, "http") for p in Protocol)
        elif draw(st.booleans()):
            lo = draw(st.sampled_from(NUMBERS))
            out.append(PolicyPort(proto, lo, min(65535, lo + draw(st.sampled_from((1, 400))))))
        else:
            out.append(PolicyPort(proto, draw(st.sampled_from(NUMBERS))))
    return tuple(out)


@st.composite
def admin_rules(draw: st.DrawFn, direction: Direction, index: int,
                actions: tuple[AdminAction, ...]) -> AdminRule:
    peers = []
    for _ in range(draw(st.integers(1, 2))):
        ns = draw(st.just(LabelSelector()) | selectors(NS_LABELS))   # broad peers often
        if draw(st.booleans()):
            peers.append(AdminPeer(AdminPeerKind.NAMESPACES, ns))
        else:
            peers.append(AdminPeer(AdminPeerKind.PODS, ns, draw(selectors(POD_LABELS))))
    return AdminRule(direction, index, draw(st.sampled_from(actions)), tuple(peers),
                     draw(admin_ports()))


@st.composite
def admin_policies(draw: st.DrawFn, name: str) -> AdminPolicy:
    tier = draw(st.sampled_from((AdminTier.ADMIN, AdminTier.BASELINE)))
    kind = draw(st.sampled_from(("AdminNetworkPolicy", "ClusterNetworkPolicy"))) \
        if tier is AdminTier.ADMIN else "BaselineAdminNetworkPolicy"
    actions = (AdminAction.ALLOW, AdminAction.DENY) if kind.startswith("Baseline") else \
        tuple(AdminAction)
    pod_sel = draw(st.none() | selectors(POD_LABELS))
    subject = AdminSubject(draw(st.just(LabelSelector()) | selectors(NS_LABELS)), pod_sel)
    rules = {d: tuple(draw(admin_rules(d, i, actions)) for i in range(draw(st.integers(0, 2))))
             for d in Direction}
    return AdminPolicy(kind, name, tier, draw(st.integers(1, 5)), subject,
                       rules[Direction.INGRESS], rules[Direction.EGRESS])


def _prefixed(sel: LabelSelector, prefix: str) -> LabelSelector:
    return LabelSelector(tuple((prefix + k, v) for k, v in sel.match_labels),
                         sel.match_expressions)


@st.composite
def cilium_rules(draw: st.DrawFn, direction: Direction, deny: bool, index: int) -> CiliumRule:
    endpoints = None
    entities: tuple[str, ...] = ()
    form = draw(st.integers(0, 3))
    if form == 1:
        sels = []
        for _ in range(draw(st.integers(1, 2))):
            sel = _prefixed(draw(selectors(POD_LABELS)), draw(st.sampled_from(("", "k8s:"))))
            if draw(st.booleans()):
                ns = draw(st.sampled_from(NAMESPACES))
                sel = LabelSelector(tuple(sorted((*sel.match_labels,
                                                  ("k8s:io.kubernetes.pod.namespace", ns)))),
                                    sel.match_expressions)
            sels.append(sel)
        endpoints = tuple(sels)
    elif form == 2:
        entities = (draw(st.sampled_from(("cluster", "world", "all"))),)
    to_ports: tuple[CiliumPortRule, ...] = ()
    if draw(st.booleans()):
        ports = []
        for _ in range(draw(st.integers(1, 2))):
            protos = draw(st.sampled_from(((Protocol.TCP,), (Protocol.UDP,), tuple(Protocol))))
            number = draw(st.sampled_from((*NUMBERS, "http")))
            end = None
            if isinstance(number, int) and draw(st.booleans()):
                end = min(65535, number + 300)
            ports.append(CiliumPort(protos, number, end))
        to_ports = (CiliumPortRule(tuple(ports)),)
    return CiliumRule(direction, deny, index, endpoints, entities, to_ports=to_ports)


@st.composite
def cilium_policies(draw: st.DrawFn, name: str) -> CiliumPolicy:
    kind = draw(st.sampled_from((CNP, CCNP)))
    ns = draw(st.sampled_from(NAMESPACES)) if kind == CNP else None
    lists = {}
    for key, direction, deny in (("ingress", Direction.INGRESS, False),
                                 ("ingress_deny", Direction.INGRESS, True),
                                 ("egress", Direction.EGRESS, False),
                                 ("egress_deny", Direction.EGRESS, True)):
        lists[key] = tuple(draw(cilium_rules(direction, deny, i))
                           for i in range(draw(st.integers(0, 2))))
    spec = CiliumSpec(None, _prefixed(draw(selectors(POD_LABELS)),
                                      draw(st.sampled_from(("", "k8s:")))),
                      None, lists["ingress"], lists["ingress_deny"], lists["egress"],
                      lists["egress_deny"], draw(st.sampled_from((None, True, False))),
                      draw(st.sampled_from((None, True, False))))
    return CiliumPolicy(kind, ns, name, (spec,))


@st.composite
def layered_clusters(draw: st.DrawFn) -> Cluster:
    base = draw(clusters(max_pods=5, max_policies=2))
    policies = base.policies
    if draw(st.booleans()):   # a namespace in default deny, so that Pass and Deny differ
        ns = draw(st.sampled_from([p.namespace for p in base.pods]))
        policies += (NetworkPolicy(ns, "default-deny", LabelSelector(),
                                   frozenset(Direction)),)
    admin = tuple(draw(admin_policies(f"a{i}")) for i in range(draw(st.integers(0, 3))))
    cilium = tuple(draw(cilium_policies(f"c{i}")) for i in range(draw(st.integers(0, 3))))
    return Cluster(namespaces=base.namespaces, pods=base.pods, policies=policies,
                   admin_policies=admin, cilium_policies=cilium)


def engine_table(c: Cluster) -> dict[tuple[str, str, Point], bool]:
    an = Analyzer(c)
    out = {}
    pods = [p for p in c.pods if not p.host_network]
    for s in pods:
        for d in pods:
            for proto, port in PORTS:
                v = an.can_reach(an.class_of(s), an.class_of(d), port, proto)
                out[(s.ref, d.ref, (proto, port))] = v.outcome is Outcome.ALLOWED
    return out


def ref_table(c: Cluster) -> dict[tuple[str, str, Point], bool]:
    pods = [p for p in c.pods if not p.host_network]
    return {(s.ref, d.ref, (proto, port)): ref.allowed(c, s, d, proto, port)
            for s in pods for d in pods for proto, port in PORTS}


@given(layered_clusters())
def test_engine_matches_the_reference(c: Cluster) -> None:
    note(repr(c))
    engine, expected = engine_table(c), ref_table(c)
    wrong = {k: v for k, v in engine.items() if expected[k] != v}
    assert not wrong


@given(layered_clusters(), st.data())
def test_adding_a_deny_never_adds_a_connection(c: Cluster, data: st.DataObject) -> None:
    before = engine_table(c)
    if data.draw(st.booleans()):
        rule = data.draw(admin_rules(data.draw(st.sampled_from(list(Direction))), 0,
                                     (AdminAction.DENY,)))
        deny = AdminPolicy("AdminNetworkPolicy", "zz-deny", AdminTier.ADMIN, 0,
                           AdminSubject(LabelSelector()),
                           (rule,) if rule.direction is Direction.INGRESS else (),
                           (rule,) if rule.direction is Direction.EGRESS else ())
        after_cluster = Cluster(namespaces=c.namespaces, pods=c.pods, policies=c.policies,
                                admin_policies=(*c.admin_policies, deny),
                                cilium_policies=c.cilium_policies)
    else:
        d = data.draw(st.sampled_from(list(Direction)))
        rule = data.draw(cilium_rules(d, True, 0))
        spec = CiliumSpec(None, LabelSelector(), None,
                          ingress_deny=(rule,) if d is Direction.INGRESS else (),
                          egress_deny=(rule,) if d is Direction.EGRESS else (),
                          default_deny_ingress=False, default_deny_egress=False)
        after_cluster = Cluster(namespaces=c.namespaces, pods=c.pods, policies=c.policies,
                                admin_policies=c.admin_policies,
                                cilium_policies=(*c.cilium_policies,
                                                 CiliumPolicy(CCNP, None, "zz-deny", (spec,))))
    after = engine_table(after_cluster)
    gained = [k for k, v in after.items() if v and not before[k]]
    assert not gained


@given(layered_clusters(), st.randoms(use_true_random=False))
def test_document_order_within_a_layer_does_not_matter(c: Cluster, rnd: object) -> None:
    import random
    assert isinstance(rnd, random.Random)
    shuffled = Cluster(namespaces=c.namespaces, pods=c.pods,
                       policies=tuple(rnd.sample(c.policies, len(c.policies))),
                       admin_policies=tuple(rnd.sample(c.admin_policies,
                                                       len(c.admin_policies))),
                       cilium_policies=tuple(rnd.sample(c.cilium_policies,
                                                        len(c.cilium_policies))))
    assert engine_table(shuffled) == engine_table(c)


def _host_network_v6_cluster() -> Cluster:
    """Found by the dev profile: host-network pods only, and a NetworkPolicy selecting them
    whose rule names ``::/0``. The layered list left out IPv6 ranges (it looked for IPv6
    rules among pod-network classes only); the plain list shows them."""
    import ipaddress

    from dtnetpol.model import IPBlock, Peer, Pod, Rule, WorkloadRef
    pods = tuple(Pod(namespace="ns0", name=f"hn{i}",
                     owner=WorkloadRef("ns0", f"node-agent-{i}", "DaemonSet"),
                     labels={"hostpod": f"h{i}"}, ports=(), host_network=True,
                     ips=(f"fd00::{i + 1}",), node=None) for i in range(2))
    rule = Rule(Direction.EGRESS, 0, (Peer(ip_block=IPBlock(ipaddress.ip_network("::/0"),
                                                             ())),), ())
    policy = NetworkPolicy("ns0", "p0", LabelSelector(),
                           frozenset({Direction.EGRESS, Direction.INGRESS}), (), (rule,))
    return Cluster(namespaces={}, pods=pods, policies=(policy,))


@given(clusters(max_pods=6, max_policies=4))
@example(_host_network_v6_cluster())
def test_an_inert_layer_leaves_the_connection_list_as_it_is(c: Cluster) -> None:
    """The layered connection list (pair by pair) equals the NetworkPolicy join when the
    only layer selects nothing: host-network pods, ipBlocks and named ports included."""
    from dtnetpol.engine.connlist import connection_list
    inert = AdminPolicy("AdminNetworkPolicy", "inert", AdminTier.ADMIN, 1,
                        AdminSubject(LabelSelector(), LabelSelector((("selects", "none"),))))
    # the same cluster (its Nodes too: they give host-network pods their addresses)
    layered = dataclasses.replace(c, admin_policies=(inert,))
    assert Analyzer(layered).layers is not None
    assert connection_list(Analyzer(layered)) == connection_list(Analyzer(c))
