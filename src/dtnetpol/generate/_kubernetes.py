"""The plan as networking.k8s.io/v1 NetworkPolicies: model objects and their YAML form."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from functools import lru_cache
from typing import Any

from dtnetpol.generate._doc import MANAGED_BY, GeneratedDoc, Path, policy_header, rule_comment
from dtnetpol.generate._plan import PeerKind, PlanPeer, PlanPolicy, PlanRule
from dtnetpol.model import (
    Direction,
    IPBlock,
    LabelSelector,
    NetworkPolicy,
    Peer,
    PolicyPort,
    Rule,
)

API_VERSION = "networking.k8s.io/v1"
KIND = "NetworkPolicy"


@lru_cache(maxsize=1 << 12)
def _net(c: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The network of a CIDR (cached: each fix compares the same excepts with every CIDR)."""
    return ipaddress.ip_network(c, strict=False)


def ip_blocks(cidrs: tuple[str, ...], excepts: tuple[str, ...]) -> tuple[IPBlock, ...]:
    """One ipBlock per CIDR, each with the excepts that lie inside it."""
    out = []
    for c in cidrs:
        net = _net(c)
        inside = tuple(_net(e) for e in excepts
                       if _net(e).version == net.version and _net(e).subnet_of(net)  # type: ignore[arg-type]
                       and _net(e) != net)
        out.append(IPBlock(net, inside))
    return tuple(out)


def k8s_peers(peer: PlanPeer) -> tuple[Peer, ...]:
    """The NetworkPolicy peers that say what ``peer`` means."""
    if peer.kind in (PeerKind.PODS, PeerKind.ALL_PODS):
        return (Peer(pod_selector=peer.pod_selector, namespace_selector=peer.namespace_selector),)
    if peer.kind is PeerKind.APISERVER_SOURCE:
        return tuple(p for s in peer.sources for p in s.peers())
    if peer.kind is PeerKind.NODES and peer.sources:
        # OpenShift: host-network traffic is matched by the host-network namespace label.
        return tuple(p for s in peer.sources for p in s.peers())
    return tuple(Peer(ip_block=b) for b in ip_blocks(peer.cidrs, peer.excepts))


def _rule(direction: Direction, index: int, peers: tuple[Peer, ...], rule: PlanRule) -> Rule:
    ports = tuple(PolicyPort(p.protocol, p.number) for p in rule.ports)
    return Rule(direction, index, peers, ports)


def _merge(policy: PlanPolicy) -> list[tuple[tuple[Peer, ...], PlanRule]]:
    """Rules whose NetworkPolicy peers are equal become one (their ports united)."""
    out: list[tuple[tuple[Peer, ...], PlanRule]] = []
    for rule in policy.rules:
        peers = k8s_peers(rule.peer)
        for i, (seen, prev) in enumerate(out):
            if seen == peers:
                ports = tuple(sorted(set(prev.ports) | set(rule.ports)))
                notes = tuple(dict.fromkeys((*prev.peer.notes, *rule.peer.notes)))
                merged_peer = replace(prev.peer, description=_join(prev.peer.description,
                                                                    rule.peer.description),
                                      notes=notes)
                out[i] = (seen, PlanRule(merged_peer, ports, (*prev.flows, *rule.flows)))
                break
        else:
            out.append((peers, rule))
    return out


def _join(a: str, b: str) -> str:
    return a if a == b else f"{a}; {b}"


def network_policy(policy: PlanPolicy) -> tuple[NetworkPolicy, list[PlanRule]]:
    """The model object for a planned policy, and the (merged) rules in its order."""
    pairs = _merge(policy)
    merged = [r for _, r in pairs]
    rules = tuple(_rule(policy.direction, i, peers, r) for i, (peers, r) in enumerate(pairs))
    ingress = rules if policy.direction is Direction.INGRESS else ()
    egress = rules if policy.direction is Direction.EGRESS else ()
    np = NetworkPolicy(namespace=policy.selected.namespace, name=policy.name,
                       pod_selector=policy.selected.selector,
                       policy_types=frozenset({policy.direction}), ingress=ingress,
                       egress=egress, policy_types_declared=True)
    return np, merged


# --- model → plain data -----------------------------------------------------------------------


def selector_dict(sel: LabelSelector) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if sel.match_labels:
        out["matchLabels"] = dict(sel.match_labels)
    if sel.match_expressions:
        exprs = []
        for r in sel.match_expressions:
            item: dict[str, Any] = {"key": r.key, "operator": r.operator}
            if r.values:
                item["values"] = list(r.values)
            exprs.append(item)
        out["matchExpressions"] = exprs
    return out


def peer_dict(peer: Peer) -> dict[str, Any]:
    if peer.ip_block is not None:
        block: dict[str, Any] = {"cidr": str(peer.ip_block.cidr)}
        if peer.ip_block.excepts:
            block["except"] = [str(e) for e in peer.ip_block.excepts]
        return {"ipBlock": block}
    out: dict[str, Any] = {}
    if peer.namespace_selector is not None:
        out["namespaceSelector"] = selector_dict(peer.namespace_selector)
    if peer.pod_selector is not None:
        out["podSelector"] = selector_dict(peer.pod_selector)
    return out


def port_dict(port: PolicyPort) -> dict[str, Any]:
    out: dict[str, Any] = {"protocol": port.protocol.value}
    if port.port is not None:
        out["port"] = port.port
    if port.end_port is not None:
        out["endPort"] = port.end_port
    return out


def rule_dict(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {}
    key = "from" if rule.direction is Direction.INGRESS else "to"
    if rule.peers:
        out[key] = [peer_dict(p) for p in rule.peers]
    if rule.ports:
        out["ports"] = [port_dict(p) for p in rule.ports]
    return out


def policy_dict(np: NetworkPolicy, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A NetworkPolicy model object as the manifest the API server accepts."""
    meta: dict[str, Any] = {"name": np.name, "namespace": np.namespace}
    if labels:
        meta["labels"] = dict(labels)
    if np.annotations:
        meta["annotations"] = dict(np.annotations)
    spec: dict[str, Any] = {"podSelector": selector_dict(np.pod_selector),
                            "policyTypes": [d.value for d in Direction
                                            if d in np.policy_types]}
    if np.ingress:
        spec["ingress"] = [rule_dict(r) for r in np.ingress]
    if np.egress:
        spec["egress"] = [rule_dict(r) for r in np.egress]
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": meta, "spec": spec}


def kubernetes_doc(policy: PlanPolicy, extra_header: tuple[str, ...] = ()) -> GeneratedDoc:
    np, merged = network_policy(policy)
    body = policy_dict(np, MANAGED_BY)
    comments: dict[Path, tuple[str, ...]] = {}
    for i, rule in enumerate(merged):
        comments[("spec", policy.direction.word, i)] = rule_comment(rule)
    return GeneratedDoc(API_VERSION, KIND, np.namespace, np.name, body,
                        policy_header(policy, KIND, extra_header), comments,
                        tuple(f.id for f in policy.flows), np)
