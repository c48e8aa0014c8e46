"""Hypothesis strategies: small random clusters and NetworkPolicies of every form.

Vocabularies are tiny on purpose, so selectors, named ports and ipBlocks hit often.

Host-network pods: each gets one node address and a unique ``hostpod`` label and is its own
DaemonSet, so the engine never groups two of them (it groups pods by namespace, labels, ports
and hostNetwork, not by address) and the per-pod reference applies unchanged. By default their
container ports are unnamed (``host_named_ports=False``): named ports towards a host-network
pod are a known engine divergence, exercised on purpose only by the xfail property test.
Some host-network pods have no IP of their own but a ``node`` whose Node object carries the
address (node traffic then carries the node's address).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import replace

from hypothesis import strategies as st

from dtnetpol.model import (
    Cluster,
    ContainerPort,
    Direction,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Node,
    Peer,
    Pod,
    PolicyPort,
    Protocol,
    Requirement,
    Rule,
    WorkloadRef,
)
from dtnetpol.model.cluster import NAME_LABEL
from dtnetpol.model.policy import default_policy_types

INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS
PROTOCOLS = (Protocol.TCP, Protocol.UDP, Protocol.SCTP)

NAMESPACES = ("ns0", "ns1", "ns2", "ns3")
NS_LABELS = {"team": ("red", "blue"), "env": ("prod", "dev")}
POD_LABELS = {"app": ("a", "b"), "tier": ("x", "y"), "env": ("prod", "dev")}
# Container port options per name (a pod takes at most one per name) and unnamed ones.
NAMED_PORTS = {
    "http": ((80, Protocol.TCP), (8080, Protocol.TCP)),
    "dns": ((53, Protocol.UDP), (53, Protocol.TCP), (5353, Protocol.UDP)),
    "metrics": ((9090, Protocol.TCP), (9090, Protocol.SCTP)),
}
UNNAMED_PORTS = ((443, Protocol.TCP), (8080, Protocol.TCP), (53, Protocol.UDP))
PORT_NAMES = (*NAMED_PORTS, "nope")
NUMBERS = (1, 53, 79, 80, 81, 443, 5353, 8080, 9090, 65535)
CIDRS = ("0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/24", "10.0.0.16/28", "192.168.0.0/24",
         "192.168.0.0/30", "203.0.113.0/24", "::/0", "fd00::/8", "2001:db8::/32")
POD_NET, NODE_NET = "10.0.0.", "192.168.0."


def labels_from(vocab: dict[str, tuple[str, ...]]) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(sorted(vocab)), st.sampled_from(("a", "b"))).map(
        lambda d: {k: vocab[k][0 if v == "a" else 1] for k, v in d.items()})


@st.composite
def requirements(draw: st.DrawFn, vocab: dict[str, tuple[str, ...]]) -> Requirement:
    key = draw(st.sampled_from(sorted(vocab)))
    op = draw(st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")))
    if op in ("Exists", "DoesNotExist"):
        return Requirement(key, op)
    values = draw(st.lists(st.sampled_from(vocab[key]), min_size=1, max_size=2, unique=True))
    return Requirement(key, op, tuple(values))


@st.composite
def selectors(draw: st.DrawFn, vocab: dict[str, tuple[str, ...]],
              extra: tuple[tuple[str, str], ...] = ()) -> LabelSelector:
    """matchLabels and matchExpressions over ``vocab`` (``extra``: more possible labels)."""
    if draw(st.integers(0, 3)) == 0:
        return LabelSelector()
    pool = [(k, v) for k, vs in vocab.items() for v in vs] + list(extra)
    labels = draw(st.lists(st.sampled_from(pool), max_size=2, unique_by=lambda kv: kv[0]))
    exprs = draw(st.lists(requirements(vocab), max_size=2))
    return LabelSelector(tuple(sorted(labels)), tuple(exprs))


@st.composite
def ip_blocks(draw: st.DrawFn) -> IPBlock:
    cidr = ipaddress.ip_network(draw(st.sampled_from(CIDRS)))
    excepts = []
    for _ in range(draw(st.integers(0, 2))):
        plen = draw(st.integers(min(cidr.prefixlen + 1, cidr.max_prefixlen),
                                min(cidr.prefixlen + 8, cidr.max_prefixlen)))
        if plen <= cidr.prefixlen:
            break
        offset = draw(st.integers(0, cidr.num_addresses - 1))
        excepts.append(ipaddress.ip_network(f"{cidr.network_address + offset}/{plen}",
                                            strict=False))
    return IPBlock(cidr, tuple(excepts))


@st.composite
def peers(draw: st.DrawFn) -> Peer:
    form = draw(st.sampled_from(("pods", "namespaces", "both", "ipBlock")))
    if form == "ipBlock":
        return Peer(ip_block=draw(ip_blocks()))
    ns_extra = tuple((NAME_LABEL, n) for n in NAMESPACES)
    pod_sel = draw(selectors(POD_LABELS)) if form in ("pods", "both") else None
    ns_sel = draw(selectors(NS_LABELS, ns_extra)) if form in ("namespaces", "both") else None
    return Peer(pod_sel, ns_sel)


@st.composite
def policy_ports(draw: st.DrawFn) -> PolicyPort:
    proto = draw(st.sampled_from(PROTOCOLS))
    form = draw(st.sampled_from(("number", "range", "named", "all")))
    if form == "all":
        return PolicyPort(proto)
    if form == "named":
        return PolicyPort(proto, draw(st.sampled_from(PORT_NAMES)))
    number = draw(st.sampled_from(NUMBERS))
    if form == "number":
        return PolicyPort(proto, number)
    end = draw(st.sampled_from([n for n in NUMBERS if n >= number] + [number + 9]))
    return PolicyPort(proto, number, min(end, 65535))


@st.composite
def rule_bodies(draw: st.DrawFn) -> tuple[tuple[Peer, ...], tuple[PolicyPort, ...]]:
    return (tuple(draw(st.lists(peers(), max_size=2))),
            tuple(draw(st.lists(policy_ports(), max_size=2))))


def make_policy(namespace: str, name: str, selector: LabelSelector,
                ingress: Sequence[tuple[tuple[Peer, ...], tuple[PolicyPort, ...]]],
                egress: Sequence[tuple[tuple[Peer, ...], tuple[PolicyPort, ...]]],
                declared: Sequence[Direction] | None) -> NetworkPolicy:
    """A policy as the loader builds it: policyTypes defaulted when not declared."""
    return NetworkPolicy(
        namespace, name, selector, default_policy_types(list(declared or []), bool(egress)),
        tuple(Rule(INGRESS, i, p, q) for i, (p, q) in enumerate(ingress)),
        tuple(Rule(EGRESS, i, p, q) for i, (p, q) in enumerate(egress)),
        policy_types_declared=bool(declared))


@st.composite
def policies(draw: st.DrawFn, namespaces: Sequence[str], name: str) -> NetworkPolicy:
    ns = draw(st.sampled_from(list(namespaces)))
    declared = draw(st.one_of(st.none(), st.sampled_from(
        ([INGRESS], [EGRESS], [INGRESS, EGRESS], []))))
    return make_policy(ns, name, draw(selectors(POD_LABELS)),
                       draw(st.lists(rule_bodies(), max_size=2)),
                       draw(st.lists(rule_bodies(), max_size=2)), declared)


@st.composite
def container_ports(draw: st.DrawFn, named: bool = True) -> tuple[ContainerPort, ...]:
    out = []
    if named:
        for pname, options in NAMED_PORTS.items():
            if draw(st.booleans()):
                number, proto = draw(st.sampled_from(options))
                out.append(ContainerPort(number, proto, pname))
    for number, proto in draw(st.lists(st.sampled_from(UNNAMED_PORTS), max_size=2, unique=True)):
        out.append(ContainerPort(number, proto))
    return tuple(out)


@st.composite
def pods(draw: st.DrawFn, index: int, namespaces: Sequence[str],
         host_named_ports: bool = False) -> Pod:
    ns = draw(st.sampled_from(list(namespaces)))
    labels = draw(labels_from(POD_LABELS))
    if draw(st.integers(0, 7)) == 0:
        v6 = draw(st.integers(0, 4)) == 0
        ip = f"fd00::{index + 1:x}" if v6 else f"{NODE_NET}{index + 1}"
        return Pod(ns, f"hn{index}", WorkloadRef(ns, f"node-agent-{index}", "DaemonSet"),
                   {**labels, "hostpod": f"h{index}"}, draw(container_ports(host_named_ports)),
                   True, (ip,))
    owner = draw(st.sampled_from(("w0", "w1", "w2")))
    ips = (f"{POD_NET}{index + 10}",) if draw(st.booleans()) else ()
    return Pod(ns, f"p{index}", WorkloadRef(ns, owner, "Deployment"), labels,
               draw(container_ports()), False, ips)


@st.composite
def clusters(draw: st.DrawFn, max_pods: int = 8, max_policies: int = 4,
             host_named_ports: bool = False) -> Cluster:
    """2–4 namespaces (some only assumed), 1–``max_pods`` pods, 0–``max_policies`` policies."""
    names = draw(st.lists(st.sampled_from(NAMESPACES), min_size=2, max_size=4, unique=True))
    namespaces = {}
    for n in names:
        if draw(st.integers(0, 3)) > 0:       # else only assumed: the name label alone
            namespaces[n] = Namespace(n, {NAME_LABEL: n, **draw(labels_from(NS_LABELS))})
    pod_list = [draw(pods(i, names, host_named_ports))
                for i in range(draw(st.integers(1, max_pods)))]
    nodes = []
    for i, pod in enumerate(pod_list):
        if pod.host_network and draw(st.booleans()):   # the address only on its Node
            nodes.append(Node(f"node-{i}", addresses=pod.ips))
            pod_list[i] = replace(pod, ips=(), node=f"node-{i}")
    pol_list = [draw(policies(names, f"p{i}")) for i in range(draw(st.integers(0, max_policies)))]
    return Cluster(namespaces=namespaces, pods=tuple(pod_list), policies=tuple(pol_list),
                   nodes=tuple(nodes))


@st.composite
def inert_policies(draw: st.DrawFn, cluster: Cluster) -> NetworkPolicy:
    """A policy whose podSelector selects no pod of the cluster (its rules are anything)."""
    pol = draw(policies(NAMESPACES, "inert"))
    return replace(pol, pod_selector=LabelSelector(match_labels=(("selects", "nothing"),)))


# ----------------------------------------------------------------------- sample points

def sample_ports(cluster: Cluster) -> list[tuple[Protocol, int]]:
    """Every boundary of every port set the cluster can produce, and its neighbours.

    Allowed ports are unions of intervals whose ends are policy ports, endPorts or container
    port numbers; checking each of those and its neighbours checks every interval.
    """
    points = {1, 65535}
    for pol in cluster.policies:
        for rule in (*pol.ingress, *pol.egress):
            for p in rule.ports:
                if isinstance(p.port, int):
                    points.update((p.port, p.port - 1, p.port + 1))
                    if p.end_port is not None:
                        points.update((p.end_port, p.end_port + 1))
    for pod in cluster.pods:
        for cp in pod.ports:
            points.update((cp.port, cp.port - 1, cp.port + 1))
    numbers = sorted(n for n in points if 1 <= n <= 65535)
    return [(proto, n) for proto in PROTOCOLS for n in numbers]


def sample_addresses(cluster: Cluster) -> list[str]:
    """Ends of every ipBlock and except (and their neighbours), pod and node IPs, and two more."""
    out: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = {
        ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("2001:4860::8888")}
    nets = []
    for pol in cluster.policies:
        for rule in (*pol.ingress, *pol.egress):
            for peer in rule.peers:
                if peer.ip_block is not None:
                    nets.append(peer.ip_block.cidr)
                    nets.extend(peer.ip_block.excepts)
    top = {4: (1 << 32) - 1, 6: (1 << 128) - 1}
    for net in nets:
        for value in (int(net.network_address) - 1, int(net.network_address),
                      int(net.broadcast_address), int(net.broadcast_address) + 1):
            if 0 <= value <= top[net.version]:
                out.add(ipaddress.ip_address(value) if net.version == 4
                        else ipaddress.IPv6Address(value))
    for pod in cluster.pods:
        out.update(ipaddress.ip_address(ip) for ip in pod.ips)
    return sorted((str(a) for a in out), key=lambda s: (":" in s, s))
