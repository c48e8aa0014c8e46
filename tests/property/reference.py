"""A reference evaluator written straight from shared/reference/networkpolicy-semantics.md.

Pod × pod × policy, no caching, no classes, no interval arithmetic: slow and obviously right.
Each function quotes the bullet it implements.

Host-network pods depend on the mode (``HostNetwork``). ``NODE`` (not governed; "their
traffic appears with the node's IP"): their own policies are ignored, and the other side sees
them as their node addresses (their own IPs, else their node's addresses), which only ipBlocks
(or an empty from/to) can match. A connection involving one is allowed when it is allowed for
every one of its addresses. ``POD``: they are pods like any other (``hostNetwork`` is ignored).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from dtnetpol.model import (
    Cluster,
    Direction,
    HostNetwork,
    IPBlock,
    LabelSelector,
    NetworkPolicy,
    Peer,
    Pod,
    PolicyPort,
    Protocol,
    Rule,
)
from dtnetpol.model.cluster import NAME_LABEL

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Other = Pod | Address          # the far end of a connection: a (non-host-network) pod or an IP
INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS
NODE, POD = HostNetwork.NODE, HostNetwork.POD


def node_traffic(pod: Pod, mode: HostNetwork) -> bool:
    """Under NODE a host-network pod is node traffic; under POD it is an ordinary pod."""
    return pod.host_network and mode is NODE


def namespace_labels(cluster: Cluster, name: str) -> dict[str, str]:
    """"Every namespace carries kubernetes.io/metadata.name: <name> automatically.\""""
    ns = cluster.namespaces.get(name)
    labels = dict(ns.labels) if ns is not None else {}
    labels[NAME_LABEL] = name
    return labels


def selector_matches(selector: LabelSelector, labels: Mapping[str, str]) -> bool:
    """"matchLabels and matchExpressions are ANDed ... NotIn and DoesNotExist match objects
    that lack the key." An empty selector matches everything."""
    for key, value in selector.match_labels:
        if key not in labels or labels[key] != value:
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
            raise ValueError(req.operator)
        if not ok:
            return False
    return True


def policy_types(policy: NetworkPolicy) -> set[Direction]:
    """"when empty, it becomes [Ingress], plus Egress if spec.egress has at least one rule.\""""
    if policy.policy_types_declared:
        return set(policy.policy_types)
    types = {INGRESS}
    if len(policy.egress) >= 1:
        types.add(EGRESS)
    return types


def selects(policy: NetworkPolicy, pod: Pod) -> bool:
    """"selects pods of that namespace only, by spec.podSelector.\""""
    return policy.namespace == pod.namespace and selector_matches(policy.pod_selector, pod.labels)


def isolating(cluster: Cluster, pod: Pod, direction: Direction) -> list[NetworkPolicy]:
    """"isolated for ingress (egress) if at least one policy that selects it has Ingress
    (Egress) in its policyTypes.\""""
    return [p for p in cluster.policies if selects(p, pod) and direction in policy_types(p)]


def in_block(block: IPBlock, address: Address) -> bool:
    """"addresses in cidr minus except." IPv4 and IPv6 never mix."""
    if address.version != block.cidr.version or address not in block.cidr:
        return False
    return not any(address.version == e.version and address in e for e in block.excepts)


def peer_matches(cluster: Cluster, policy: NetworkPolicy, peer: Peer, other: Other) -> bool:
    if isinstance(other, Pod):       # never node traffic here: seen_as turned that into IPs
        if peer.ip_block is not None:
            return False          # an ipBlock never matches pod IPs (engine's documented choice)
        if peer.namespace_selector is None:
            ns_ok = other.namespace == policy.namespace       # podSelector alone: own namespace
        else:
            ns_ok = selector_matches(peer.namespace_selector,
                                     namespace_labels(cluster, other.namespace))
        pod_ok = peer.pod_selector is None or selector_matches(peer.pod_selector, other.labels)
        return ns_ok and pod_ok                                # both in one peer: AND
    # An address: only an ipBlock can match it.
    return peer.ip_block is not None and in_block(peer.ip_block, other)


def port_matches(policy_port: PolicyPort, destination: Other, protocol: Protocol,
                 port: int) -> bool:
    """protocol TCP/UDP/SCTP; port number, range (endPort inclusive) or a named port resolved
    on the destination pod by name and protocol (never on an address)."""
    if policy_port.protocol != protocol:
        return False
    if policy_port.port is None:
        return True
    if isinstance(policy_port.port, int):
        end = policy_port.end_port if policy_port.end_port is not None else policy_port.port
        return policy_port.port <= port <= end
    if not isinstance(destination, Pod):
        return False
    return any(cp.name == policy_port.port and cp.protocol == protocol and cp.port == port
               for cp in destination.ports)


def rule_allows(cluster: Cluster, policy: NetworkPolicy, rule: Rule, other: Other,
                destination: Other, protocol: Protocol, port: int) -> bool:
    """"A rule matches when its peers match and its ports match. A missing or empty from/to
    matches every peer ... A missing or empty ports matches every port and protocol.\""""
    peers_ok = not rule.peers or any(peer_matches(cluster, policy, p, other) for p in rule.peers)
    ports_ok = not rule.ports or any(port_matches(pp, destination, protocol, port)
                                     for pp in rule.ports)
    return peers_ok and ports_ok


def side_allows(cluster: Cluster, pod: Pod, direction: Direction, other: Other,
                protocol: Protocol, port: int, mode: HostNetwork = NODE) -> bool:
    """One side: not isolated (or node traffic) allows all; else the union of the rules."""
    if node_traffic(pod, mode):
        return True
    pols = isolating(cluster, pod, direction)
    if not pols:
        return True
    destination = other if direction is EGRESS else pod
    return any(rule_allows(cluster, pol, rule, other, destination, protocol, port)
               for pol in pols for rule in (pol.ingress if direction is INGRESS else pol.egress))


def seen_as(cluster: Cluster, pod: Pod, mode: HostNetwork = NODE) -> list[Other]:
    """How the far side sees a pod: itself, or for node traffic its node addresses (its own
    IPs, else the addresses of the Node it runs on)."""
    if not node_traffic(pod, mode):
        return [pod]
    ips = pod.ips or next((n.addresses for n in cluster.nodes if n.name == pod.node), ())
    assert ips, "a host-network pod needs its node address for the reference"
    return [ipaddress.ip_address(ip) for ip in ips]


def ref_allowed(cluster: Cluster, src: Pod, dst: Pod, protocol: Protocol, port: int,
                mode: HostNetwork = NODE) -> bool:
    """"A connection from A to B is allowed iff A's egress allows it and B's ingress allows
    it." Replies are not evaluated."""
    egress = all(side_allows(cluster, src, EGRESS, d, protocol, port, mode)
                 for d in seen_as(cluster, dst, mode))
    ingress = all(side_allows(cluster, dst, INGRESS, s, protocol, port, mode)
                  for s in seen_as(cluster, src, mode))
    return egress and ingress


def ref_allowed_external(cluster: Cluster, pod: Pod, address: str | Address,
                         direction: Direction, protocol: Protocol, port: int,
                         mode: HostNetwork = NODE) -> bool:
    """``pod`` → ``address`` (EGRESS) or ``address`` → ``pod`` (INGRESS): only the pod's side."""
    addr = ipaddress.ip_address(address) if isinstance(address, str) else address
    return side_allows(cluster, pod, direction, addr, protocol, port, mode)
