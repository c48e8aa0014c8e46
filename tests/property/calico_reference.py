"""A reference Calico evaluator: one packet (protocol, port, address) at a time.

Written from Calico's documented semantics (see ``dtnetpol.engine.calico_eval``'s docstring),
with no port sets, no address sets and no shared code beyond the parsed model and the
selector matcher (itself checked against ``calico_selector_reference``): a loop over tiers,
policies and rules that returns at the first decision.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dtnetpol.engine.calico_selector import calico_matches
from dtnetpol.model import ContainerPort, Direction, Protocol
from dtnetpol.model.calico import (
    Action,
    CalicoPolicy,
    CalicoResources,
    CalicoRule,
    EntityRule,
    NetworkSet,
    builtin_tier,
)
from dtnetpol.model.calico_selector import All, And, CalicoSelector, Global, Node, Not, Or

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass
class Pod:
    namespace: str
    labels: dict[str, str]
    namespace_labels: dict[str, str]
    account: str
    ports: tuple[ContainerPort, ...]


End = Pod | Address


@dataclass
class Kube:
    """The Kubernetes NetworkPolicies of the subject, reduced to what Calico needs."""

    isolated: bool
    allows: frozenset[tuple[Protocol, int]]


def labels_of(pod: Pod) -> dict[str, str]:
    return {**pod.labels, "projectcalico.org/namespace": pod.namespace,
            "projectcalico.org/orchestrator": "k8s",
            "projectcalico.org/serviceaccount": pod.account}


def ns_labels_of(pod: Pod) -> dict[str, str]:
    return {**pod.namespace_labels, "projectcalico.org/name": pod.namespace}


def ns_eval(node: Node, labels: Mapping[str, str], is_global: bool) -> bool:
    """namespaceSelector: global() is true only for non-namespaced things."""
    if isinstance(node, Global):
        return is_global
    if isinstance(node, Not):
        return not ns_eval(node.operand, labels, is_global)
    if isinstance(node, And):
        return all(ns_eval(o, labels, is_global) for o in node.operands)
    if isinstance(node, Or):
        return any(ns_eval(o, labels, is_global) for o in node.operands)
    if isinstance(node, All):
        return True
    return calico_matches(CalicoSelector(str(node), node), labels)


def policy_applies(p: CalicoPolicy, pod: Pod, direction: Direction) -> bool:
    if direction not in p.types or p.host_endpoint_only:
        return False
    if p.namespace is not None and p.namespace != pod.namespace:
        return False
    if p.namespace_selector is not None and not ns_eval(p.namespace_selector.root,
                                                        ns_labels_of(pod), False):
        return False
    if p.service_account_selector is not None and not calico_matches(
            p.service_account_selector, {"projectcalico.org/name": pod.account}):
        return False
    return calico_matches(p.selector, labels_of(pod))


def in_nets(address: Address, nets: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
            ) -> bool:
    return any(address.version == n.version and address in n for n in nets)


def set_reached(p: CalicoPolicy, e: EntityRule, s: NetworkSet, sel: CalicoSelector) -> bool:
    if s.namespace is None:
        in_scope = (ns_eval(e.namespace_selector.root, {}, True) if e.namespace_selector
                    else p.namespace is None)
    elif e.namespace_selector is not None:
        in_scope = ns_eval(e.namespace_selector.root,
                           {"projectcalico.org/name": s.namespace}, False)
    else:
        in_scope = p.namespace is None or s.namespace == p.namespace
    return in_scope and calico_matches(sel, s.labels)


def entity_matches(p: CalicoPolicy, e: EntityRule, end: End,
                   sets: Sequence[NetworkSet]) -> bool:
    if isinstance(end, Pod):
        if e.nets:
            return False
        if e.namespace_selector is not None:
            scope = ns_eval(e.namespace_selector.root, ns_labels_of(end), False)
        else:
            scope = p.namespace is None or p.namespace == end.namespace
        labels = labels_of(end)
        if e.selector is not None and not (scope and calico_matches(e.selector, labels)):
            return False
        if e.selector is None and e.namespace_selector is not None and not scope:
            return False
        if e.not_selector is not None and scope and calico_matches(e.not_selector, labels):
            return False
        if e.service_accounts is not None:
            sa = e.service_accounts
            if not scope:
                return False
            if sa.names and end.account not in sa.names:
                return False
            if sa.selector is not None and not calico_matches(
                    sa.selector, {"projectcalico.org/name": end.account}):
                return False
        return True
    if e.nets and not in_nets(end, e.nets):
        return False
    if e.not_nets and in_nets(end, e.not_nets):
        return False
    if e.service_accounts is not None:
        return False
    if e.selector is not None or e.namespace_selector is not None:
        sel = e.selector or CalicoSelector("", All())
        if not any(set_reached(p, e, s, sel) and in_nets(end, s.nets) for s in sets):
            return False
    excluded = e.not_selector is not None and any(
        set_reached(p, e, s, e.not_selector) and in_nets(end, s.nets) for s in sets)
    return not excluded


def port_in(ports: Sequence[object], proto: Protocol, port: int,
            dst: End) -> bool:
    for pr in ports:
        name = getattr(pr, "name", None)
        if name is None:
            if pr.lo <= port <= pr.hi:  # type: ignore[attr-defined]
                return True
        elif isinstance(dst, Pod) and any(cp.name == name and cp.protocol is proto
                                          and cp.port == port for cp in dst.ports):
            return True
    return False


def proto_of(m: object) -> Protocol | None:
    name, number = getattr(m, "name", None), getattr(m, "number", None)
    if name in ("TCP", "UDP", "SCTP"):
        return Protocol(name)
    return {6: Protocol.TCP, 17: Protocol.UDP, 132: Protocol.SCTP}.get(number or -1)


def rule_matches(p: CalicoPolicy, r: CalicoRule, subject: Pod, other: End, proto: Protocol,
                 port: int, sets: Sequence[NetworkSet]) -> bool:
    if r.protocol is not None and proto_of(r.protocol) is not proto:
        return False
    if r.not_protocol is not None and proto_of(r.not_protocol) is proto:
        return False
    if r.source.ports:
        return False
    if r.ip_version is not None and not isinstance(other, Pod) and other.version != r.ip_version:
        return False
    src, dst = (other, subject) if r.direction is Direction.INGRESS else (subject, other)
    if not entity_matches(p, r.source, src, sets) or not entity_matches(p, r.destination, dst,
                                                                        sets):
        return False
    if r.destination.ports and not port_in(r.destination.ports, proto, port, dst):
        return False
    return not (r.destination.not_ports
                and port_in(r.destination.not_ports, proto, port, dst))


def allowed(res: CalicoResources, subject: Pod, direction: Direction, other: End,
            proto: Protocol, port: int, kube: Kube | None = None) -> bool:
    """Allow or not, for one packet, through every tier."""
    tiers = {p.tier for p in res.policies} | {t.name for t in res.tiers} | {"default"}
    for tier in sorted((res.tier(n) for n in tiers),
                       key=lambda t: (t.order is None, t.order or 0.0, t.name)):
        mine: list[tuple[tuple[bool, float, str, str], CalicoPolicy | None]] = [
            ((p.order is None, p.order or 0.0, p.name, p.namespace or ""), p)
            for p in res.policies if p.tier == tier.name and policy_applies(p, subject,
                                                                           direction)]
        if tier.name == "default" and kube is not None and kube.isolated:
            mine.append(((False, 1000.0, "knp.default.", ""), None))
        if not mine:
            continue
        decision = None
        for _, p in sorted(mine, key=lambda x: x[0]):
            if p is None:     # the Kubernetes policies: allow rules only
                assert kube is not None
                if (proto, port) in kube.allows:
                    decision = Action.ALLOW
            else:
                for r in p.rules(direction):
                    if rule_matches(p, r, subject, other, proto, port, res.network_sets):
                        if r.action is Action.LOG:
                            continue
                        decision = r.action
                        break
            if decision is not None:
                break
        if decision is None:
            decision = tier.default_action
        if decision is Action.ALLOW:
            return True
        if decision is Action.DENY:
            return False
        # Pass: on to the next tier
    return True


__all__ = ["Kube", "Pod", "allowed", "builtin_tier"]
