"""A small, obviously correct reference for the policy layers, pod to pod, one port at a time.

Written from the specifications, not from the engine:

* admin tier (AdminNetworkPolicy, ClusterNetworkPolicy Admin): policies selecting the pod by
  priority, rules in order, the first rule whose peer and port match decides; Pass leaves the
  tier;
* NetworkPolicy and Cilium: a Cilium deny rule that matches denies; else any NetworkPolicy or
  Cilium allow allows; else the direction is denied once a NetworkPolicy isolates it or a
  selecting Cilium rule asks for default deny; else it goes on;
* baseline tier like the admin tier; then everything is allowed.

Host-network pods are left out (the callers skip them).
"""

from __future__ import annotations

from collections.abc import Mapping

from dtnetpol.model import Cluster, Direction, LabelSelector, Pod, PolicyPort, Protocol
from dtnetpol.model.admin import AdminAction, AdminPeerKind, AdminPolicy, AdminRule, AdminTier
from dtnetpol.model.cilium import CNP, CiliumPolicy, CiliumRule, CiliumSpec

from .reference import isolating, namespace_labels, port_matches, rule_allows, selector_matches

NS_KEY = "io.kubernetes.pod.namespace"
NS_PREFIX = "io.cilium.k8s.namespace.labels."


# ----------------------------------------------------------------------------- admin

def admin_selects(cluster: Cluster, policy: AdminPolicy, pod: Pod) -> bool:
    s = policy.subject
    return (selector_matches(s.namespace_selector, namespace_labels(cluster, pod.namespace))
            and (s.pod_selector is None or selector_matches(s.pod_selector, pod.labels)))


def admin_peer(cluster: Cluster, rule: AdminRule, other: Pod) -> bool:
    for peer in rule.peers:
        if peer.kind not in (AdminPeerKind.NAMESPACES, AdminPeerKind.PODS):
            continue
        assert peer.namespace_selector is not None
        if not selector_matches(peer.namespace_selector,
                                namespace_labels(cluster, other.namespace)):
            continue
        if peer.pod_selector is None or selector_matches(peer.pod_selector, other.labels):
            return True
    return False


def admin_tier(cluster: Cluster, tier: AdminTier, pod: Pod, direction: Direction, other: Pod,
               destination: Pod, protocol: Protocol, port: int) -> bool | None:
    """True (allow), False (deny) or None (no decision, or Pass)."""
    pols = sorted((p for p in cluster.admin_policies if p.tier is tier),
                  key=lambda p: (p.priority, p.kind, p.name))
    for pol in pols:
        if not admin_selects(cluster, pol, pod):
            continue
        for rule in pol.rules(direction):
            if not admin_peer(cluster, rule, other):
                continue
            if rule.ports and not any(port_matches(pp, destination, protocol, port)
                                      for pp in rule.ports):
                continue
            if rule.action is AdminAction.PASS:
                return None
            return rule.action is AdminAction.ALLOW
    return None


# ----------------------------------------------------------------------------- cilium

def _strip(key: str) -> str:
    for prefix in ("k8s:", "any:"):
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def _plain(sel: LabelSelector) -> LabelSelector:
    return LabelSelector(tuple((_strip(k), v) for k, v in sel.match_labels),
                         tuple(type(r)(_strip(r.key), r.operator, r.values)
                               for r in sel.match_expressions))


def cilium_labels(cluster: Cluster, pod: Pod) -> Mapping[str, str]:
    out = dict(pod.labels)
    out[NS_KEY] = pod.namespace
    for k, v in namespace_labels(cluster, pod.namespace).items():
        out[NS_PREFIX + k] = v
    return out


def cilium_selects(cluster: Cluster, policy: CiliumPolicy, spec: CiliumSpec, pod: Pod) -> bool:
    if spec.endpoint_selector is None:
        return False
    if policy.kind == CNP and pod.namespace != policy.namespace:
        return False
    return selector_matches(_plain(spec.endpoint_selector), cilium_labels(cluster, pod))


def cilium_peer(cluster: Cluster, policy: CiliumPolicy, rule: CiliumRule, other: Pod) -> bool:
    if not rule.has_peer:
        return bool(rule.to_ports)
    if {"cluster", "all"} & set(rule.entities):
        return True
    for sel in rule.endpoints or ():
        plain = _plain(sel)
        keys = {k for k, _ in plain.match_labels} | {r.key for r in plain.match_expressions}
        scoped = NS_KEY in keys or any(k.startswith(NS_PREFIX) for k in keys)
        if policy.kind == CNP and not scoped and other.namespace != policy.namespace:
            continue
        if selector_matches(plain, cilium_labels(cluster, other)):
            return True
    return False


def cilium_port(rule: CiliumRule, destination: Pod, protocol: Protocol, port: int) -> bool:
    if not rule.to_ports or any(not pr.ports for pr in rule.to_ports):
        return True
    for pr in rule.to_ports:
        for p in pr.ports:
            for proto in p.protocols:
                if port_matches(PolicyPort(proto, p.port, p.end_port), destination, protocol,
                                port):
                    return True
    return False


# ----------------------------------------------------------------------------- a side

def side(cluster: Cluster, pod: Pod, direction: Direction, other: Pod, protocol: Protocol,
         port: int) -> bool:
    destination = other if direction is Direction.EGRESS else pod
    admin = admin_tier(cluster, AdminTier.ADMIN, pod, direction, other, destination, protocol,
                       port)
    if admin is not None:
        return admin
    nps = isolating(cluster, pod, direction)
    specs = [(p, s) for p in cluster.cilium_policies for s in p.specs
             if cilium_selects(cluster, p, s, pod)]
    for p, s in specs:
        for rule in s.denies(direction):
            if cilium_peer(cluster, p, rule, other) and \
                    cilium_port(rule, destination, protocol, port):
                return False
    if any(rule_allows(cluster, pol, rule, other, destination, protocol, port)
           for pol in nps for rule in pol.rules(direction)):
        return True
    for p, s in specs:
        for rule in s.allows(direction):
            if cilium_peer(cluster, p, rule, other) and \
                    cilium_port(rule, destination, protocol, port):
                return True
    if nps or any(s.default_deny(direction) for _, s in specs):
        return False
    baseline = admin_tier(cluster, AdminTier.BASELINE, pod, direction, other, destination,
                          protocol, port)
    return True if baseline is None else baseline


def allowed(cluster: Cluster, src: Pod, dst: Pod, protocol: Protocol, port: int) -> bool:
    return (side(cluster, src, Direction.EGRESS, dst, protocol, port)
            and side(cluster, dst, Direction.INGRESS, src, protocol, port))
