"""A naive reference evaluator for the benchmarks: every pod pair, every rule, no caching.

It answers the question ``connlist`` answers for pods (which ports may each workload open
towards each other workload) the slow, obvious way, written from
``shared/reference/networkpolicy-semantics.md`` and independent of the engine's classes,
selector caches and per-peer sets:

1. for every pod, test every NetworkPolicy: does it select the pod (same namespace, podSelector
   matches) and does it isolate the pod for ingress / egress (its effective policyTypes)?
2. for every ordered pair of pods (src, dst), evaluate src's egress side and dst's ingress side
   against every rule of every policy found in 1, matching each peer's selectors against the
   other pod's labels and its namespace's labels, and resolving named ports on dst;
3. a connection exists where both sides allow some port: the intersection of the two sides.

Host-network pods are not governed by policies (their own side allows everything) and are
seen by the other side as their node addresses, which only ipBlocks or an empty peer list can
match; when those addresses are unknown only an empty peer list matches. An ipBlock never
matches a pod IP (the engine's documented choice). This is the same semantics as
``tests/property/reference.py``, which works per port; here the result is a port set, kept as
sorted ``(lo, hi)`` ranges per protocol so that it can be compared with the engine's output.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from dtnetpol.model import Cluster, Direction, LabelSelector, NetworkPolicy, Peer, Pod, Rule
from dtnetpol.model.cluster import NAME_LABEL

Ranges = tuple[tuple[int, int], ...]
Ports = dict[str, Ranges]                       # protocol ("TCP", ...) -> sorted ranges
ConnMap = dict[tuple[str, str], Ports]          # (src workload, dst workload) -> ports
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

PROTOCOLS = ("TCP", "UDP", "SCTP")
ALL: Ports = {p: ((1, 65535),) for p in PROTOCOLS}


def merge(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Sorted, non-overlapping, non-adjacent ranges."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def union(a: Ports, b: Ports) -> Ports:
    return {p: merge(a.get(p, ()) + b.get(p, ())) for p in PROTOCOLS if a.get(p) or b.get(p)}


def intersect(a: Ports, b: Ports) -> Ports:
    out: Ports = {}
    for p in PROTOCOLS:
        hits = [(max(lo, lo2), min(hi, hi2)) for lo, hi in a.get(p, ())
                for lo2, hi2 in b.get(p, ()) if max(lo, lo2) <= min(hi, hi2)]
        if hits:
            out[p] = merge(hits)
    return out


def selector_matches(selector: LabelSelector, labels: Mapping[str, str]) -> bool:
    for key, value in selector.match_labels:
        if labels.get(key) != value:
            return False
    for req in selector.match_expressions:
        has = req.key in labels
        if req.operator == "In":
            ok = has and labels[req.key] in req.values
        elif req.operator == "NotIn":
            ok = not has or labels[req.key] not in req.values
        elif req.operator == "Exists":
            ok = has
        elif req.operator == "DoesNotExist":
            ok = not has
        else:
            raise ValueError(f"unknown operator {req.operator!r}")
        if not ok:
            return False
    return True


def namespace_labels(cluster: Cluster, name: str) -> dict[str, str]:
    ns = cluster.namespaces.get(name)
    labels = dict(ns.labels) if ns is not None else {}
    labels[NAME_LABEL] = name
    return labels


def policy_types(policy: NetworkPolicy) -> set[Direction]:
    if policy.policy_types_declared:
        return set(policy.policy_types)
    return {Direction.INGRESS, Direction.EGRESS} if policy.egress else {Direction.INGRESS}


def rule_ports(rule: Rule, dst: Pod | None) -> Ports:
    """The ports of one rule on the destination (named ports resolve on pods only)."""
    if not rule.ports:
        return ALL
    found: dict[str, list[tuple[int, int]]] = {}
    for pp in rule.ports:
        proto = pp.protocol.value
        if pp.port is None:
            found.setdefault(proto, []).append((1, 65535))
        elif isinstance(pp.port, int):
            end = pp.end_port if pp.end_port is not None else pp.port
            found.setdefault(proto, []).append((pp.port, end))
        elif dst is not None:
            for cp in dst.ports:
                if cp.name == pp.port and cp.protocol.value == proto:
                    found.setdefault(proto, []).append((cp.port, cp.port))
    return {p: merge(r) for p, r in found.items() if r}


def in_peer_block(peer: Peer, address: Address) -> bool:
    block = peer.ip_block
    if block is None or address.version != block.cidr.version or address not in block.cidr:
        return False
    return not any(e.version == address.version and address in e for e in block.excepts)


def peer_matches_pod(cluster: Cluster, policy: NetworkPolicy, peer: Peer, other: Pod) -> bool:
    if peer.ip_block is not None:
        return False
    if peer.namespace_selector is None:
        ns_ok = other.namespace == policy.namespace
    else:
        ns_ok = selector_matches(peer.namespace_selector,
                                 namespace_labels(cluster, other.namespace))
    return ns_ok and (peer.pod_selector is None or selector_matches(peer.pod_selector,
                                                                    other.labels))


def side(cluster: Cluster, policies: list[NetworkPolicy], direction: Direction, other: Pod,
         dst: Pod) -> Ports:
    """Ports the side with isolating ``policies`` allows towards ``other`` (dst: who listens)."""
    allowed: Ports = {}
    if other.host_network:
        # Seen as node addresses (its own IPs, else its node's): a port counts if it is
        # allowed towards every address.
        ips = other.ips or next((n.addresses for n in cluster.nodes if n.name == other.node), ())
        addresses = [ipaddress.ip_address(ip) for ip in ips]
        per_address: list[Ports] = [{} for _ in addresses]
        for pol in policies:
            for rule in (pol.ingress if direction is Direction.INGRESS else pol.egress):
                ports = rule_ports(rule, dst)
                if not rule.peers:
                    allowed = union(allowed, ports)
                    continue
                for i, address in enumerate(addresses):
                    if any(in_peer_block(p, address) for p in rule.peers):
                        per_address[i] = union(per_address[i], ports)
        if not addresses:
            return allowed
        out = union(allowed, per_address[0])
        for extra in per_address[1:]:
            out = intersect(out, union(allowed, extra))
        return out
    for pol in policies:
        for rule in (pol.ingress if direction is Direction.INGRESS else pol.egress):
            if not rule.peers or any(peer_matches_pod(cluster, pol, p, other)
                                     for p in rule.peers):
                allowed = union(allowed, rule_ports(rule, dst))
    return allowed


Isolation = dict[tuple[int, Direction], list[NetworkPolicy]]


def isolation(cluster: Cluster) -> Isolation:
    """For every pod (by index) and direction, the policies that select and isolate it."""
    isolating: Isolation = {}
    for i, pod in enumerate(cluster.pods):
        for direction in Direction:
            isolating[(i, direction)] = [] if pod.host_network else [
                pol for pol in cluster.policies
                if pol.namespace == pod.namespace and direction in policy_types(pol)
                and selector_matches(pol.pod_selector, pod.labels)]
    return isolating


def connections(cluster: Cluster, sources: Iterable[int] | None = None,
                isolating: Isolation | None = None) -> ConnMap:
    """Allowed ports for every ordered pair of workloads (pods of one workload excluded).

    ``sources``: only these source pods (indices), against every destination pod — a sample
    from which the time of all pairs can be extrapolated. ``isolating``: :func:`isolation`,
    when the caller timed it apart.
    """
    if isolating is None:
        isolating = isolation(cluster)
    out: ConnMap = {}
    pods = cluster.pods
    chosen = range(len(pods)) if sources is None else sorted(set(sources))
    for i in chosen:
        src = pods[i]
        egress_pols = isolating[(i, Direction.EGRESS)]
        for j, dst in enumerate(pods):
            if src.owner == dst.owner:
                continue
            eg = side(cluster, egress_pols, Direction.EGRESS, dst, dst) if egress_pols else ALL
            if not eg:
                continue
            ingress_pols = isolating[(j, Direction.INGRESS)]
            ing = side(cluster, ingress_pols, Direction.INGRESS, src, dst) \
                if ingress_pols else ALL
            ports = intersect(eg, ing)
            if ports:
                key = (str(src.owner), str(dst.owner))
                prev = out.get(key)
                out[key] = ports if prev is None else union(prev, ports)
    return out
