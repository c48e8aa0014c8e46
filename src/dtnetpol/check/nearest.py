"""The nearest miss: the rule that almost lets a blocked flow through, and what differs.

A blocked side is explained by the rules written for that direction in the subject's
namespace. Each rule is compared on three things: does its policy select the subject, does
its peer match the other end, does it allow the port. A rule that fails one or two of them is
a near miss, and each failure is said in words: the label no pod carries, the selector that
can never match the API server, the Service port written instead of the pod port.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from dtnetpol.dynatrace.components import recognise
from dtnetpol.dynatrace.label_templates import intended_component
from dtnetpol.engine.analysis import Analyzer, CompiledRule, Endpoint, ExternalEndpoint, PodClass
from dtnetpol.engine.explain import IPBLOCK_NOTE, Action, RuleRef, SideVerdict, Step
from dtnetpol.engine.ports import PortSet
from dtnetpol.engine.selectors import compile_selector, explain_mismatch
from dtnetpol.model import (
    Cluster,
    ContainerPort,
    Direction,
    LabelSelector,
    NetworkPolicy,
    Peer,
    Protocol,
)

#: A rule is a near miss when its differences weigh at most this much. A difference weighs 1,
#: or 0.5 when it looks like a mistake about the same target: a policy that selects no pod
#: but names the subject's component, a Service port where the pod port is needed, an
#: everything-selector meant for a non-pod peer, policyTypes that leave the direction out.
_MAX_WEIGHT = 1.0
_SLIP = 0.5
#: A peer of the wrong kind (pod selectors for a non-pod, ipBlocks for a pod) is no near miss.
_WRONG_KIND = 1.5


@dataclass(frozen=True)
class NearMiss:
    """One rule that almost allows a side, and the differences in words."""

    rule: RuleRef
    differences: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.rule} almost allows it: {'; '.join(self.differences)}"


def _selector_text(sel: LabelSelector | None) -> str:
    if sel is None:
        return "-"
    if sel.is_empty:
        return "{}"
    terms = [f"{k}={v}" for k, v in sel.match_labels]
    terms += [f"{r.key} {r.operator} {list(r.values)}" for r in sel.match_expressions]
    return "{" + ", ".join(terms) + "}"


def _peer_text(peer: Peer) -> str:
    if peer.ip_block is not None:
        return f"ipBlock {peer.ip_block}"
    parts = []
    if peer.namespace_selector is not None:
        parts.append(f"namespaceSelector {_selector_text(peer.namespace_selector)}")
    if peer.pod_selector is not None:
        parts.append(f"podSelector {_selector_text(peer.pod_selector)}")
    return " + ".join(parts)


def _peer_matches(an: Analyzer, rule: CompiledRule, other: Endpoint) -> bool:
    if isinstance(other, PodClass) and not other.host_network:
        return an.rule_matches_class(rule, other)
    if rule.all_peers:
        return True
    if isinstance(other, ExternalEndpoint) and other.as_namespace is not None and any(
            p.pod_selector is None and p.namespace_selector is not None and
            an.namespace_matches(p.namespace_selector, other.as_namespace)
            for p in rule.selector_peers):
        return True
    wanted = other.addresses
    if wanted is None:
        return bool(rule.ip_addresses)
    return bool(rule.ip_addresses.intersection(wanted))


def _why_peer_misses(an: Analyzer, rule: CompiledRule, other: Endpoint) -> str:
    peers = rule.rule.peers
    listed = ", ".join(_peer_text(p) for p in peers)
    if isinstance(other, ExternalEndpoint) or (isinstance(other, PodClass) and
                                               other.host_network):
        what = other.name
        if rule.selector_peers and not rule.has_ip_blocks:
            kind = "runs on the host network" if isinstance(other, PodClass) else "is not a pod"
            return f"its peers ({listed}) select pods; {what} {kind}, so no selector matches it"
        return f"its ipBlocks ({listed}) do not contain the addresses of {what}"
    if not rule.selector_peers:
        return f"its peers are ipBlocks only ({listed}); {IPBLOCK_NOTE}"
    best: list[str] | None = None
    for p in rule.selector_peers:
        misses: list[str] = []
        if p.namespace_selector is None:
            if other.namespace != rule.policy.namespace:
                misses.append(f"peer {_peer_text(p)} has no namespaceSelector, so it means "
                              f"pods of namespace {rule.policy.namespace} only, and "
                              f"{other.name} is in {other.namespace}")
        elif not an.namespace_matches(p.namespace_selector, other.namespace):
            misses.extend(f"namespace {other.namespace}: {m}" for m in explain_mismatch(
                p.namespace_selector, an.namespace_labels(other.namespace)))
        if p.pod_selector is not None:
            misses.extend(f"{other.name}: {m}" for m in explain_mismatch(p.pod_selector,
                                                                         other.labels))
        if best is None or len(misses) < len(best):
            best = misses
    return f"its peers ({listed}) do not match {other.name}: " + "; ".join(best or [])


def _label_gaps(selector: LabelSelector, labels: Mapping[str, str]) -> list[str]:
    """What the labels have where the selector (already shown) wants something else:
    ``it has app=web``, ``it has no label team``; expressions as the engine words them."""
    out: list[str] = []
    for k, v in selector.match_labels:
        if labels.get(k) != v:
            out.append(f"it has {k}={labels[k]}" if k in labels else f"it has no label {k}")
    wanted = LabelSelector(match_expressions=selector.match_expressions)
    out.extend(explain_mismatch(wanted, labels))
    return out


def _service_port_hint(cluster: Cluster, dst: Endpoint, rule_ports: PortSet,
                       port: int, protocol: Protocol) -> str:
    """``443 is the port of Service ns/name; its pods listen on 8443`` when that fits."""
    if isinstance(dst, ExternalEndpoint) and dst.name == "kube-apiserver":
        for svc in cluster.services:
            if (svc.namespace, svc.name) != ("default", "kubernetes"):
                continue
            for sp in svc.ports:
                if sp.target_port == port and sp.port != port and \
                        rule_ports.contains(protocol, sp.port):
                    return (f"kubernetes.default.svc:{sp.port} is the Service; policies "
                            f"see {port}")
        return ""
    if not isinstance(dst, PodClass):
        return ""
    for svc in cluster.services:
        if svc.namespace != dst.namespace or not svc.selector:
            continue
        if not all(dst.labels.get(k) == v for k, v in svc.selector.items()):
            continue
        for sp in svc.ports:
            target = sp.target_port
            if isinstance(target, str):
                target = next((cp.port for cp in dst.ports if cp.name == target), -1)
            if target == port and sp.protocol is protocol and sp.port != port and \
                    rule_ports.contains(protocol, sp.port):
                return (f"{sp.port} is the port of Service {svc.namespace}/{svc.name}; "
                        f"policies see pod port {port}")
    return ""


def _means_everything(rule: CompiledRule) -> bool:
    return any(p.namespace_selector is not None and p.namespace_selector.is_empty
               for p in rule.selector_peers)


class NamespaceIndex:
    """Policies and pod classes per namespace, built once for many nearest-miss questions."""

    def __init__(self, an: Analyzer) -> None:
        self.policies: dict[str, list[NetworkPolicy]] = defaultdict(list)
        self.classes: dict[str, list[PodClass]] = defaultdict(list)
        for p in an.cluster.policies:
            self.policies[p.namespace].append(p)
        for c in an.classes:
            self.classes[c.namespace].append(c)


def nearest_misses(an: Analyzer, subject: PodClass, direction: Direction, other: Endpoint,
                   dst: Endpoint, port: int | None, protocol: Protocol | None,
                   limit: int = 2, index: NamespaceIndex | None = None
                   ) -> tuple[NearMiss, ...]:
    """Rules of ``subject``'s namespace that fail one or two conditions of this side.

    ``dst`` is the destination of the connection (named ports resolve on it); ``index``
    saves rescanning the cluster when many sides are explained.
    """
    dst_ports: tuple[ContainerPort, ...] | None = dst.ports if isinstance(dst, PodClass) \
        else None
    index = index or NamespaceIndex(an)
    classes = index.classes.get(subject.namespace, [])
    found: list[tuple[float, int, NearMiss]] = []
    order = 0
    subject_component = recognise(subject.labels)
    for policy in index.policies.get(subject.namespace, []):
        selects = compile_selector(policy.pod_selector)
        for rule in an.compiled_rules(policy, direction):
            order += 1
            diffs: list[str] = []
            weight = 0.0
            meant_for_subject = False
            if not selects(subject.labels):
                misses = "; ".join(_label_gaps(policy.pod_selector, subject.labels))
                orphan = not any(selects(c.labels) for c in classes)
                meant = intended_component(policy.pod_selector)
                slip = orphan and meant is not None and meant.id is subject_component
                weight += _SLIP if slip else 1
                diffs.append(f"its podSelector {_selector_text(policy.pod_selector)} does not "
                             f"select {subject.name} ({misses})" +
                             ("; it selects no pod" if orphan else "") +
                             (f"; its labels name the {meant.display_name}"
                              if slip and meant else ""))
                meant_for_subject = slip
            elif not policy.isolates(direction):
                weight += _SLIP
                diffs.append(f"its policyTypes leave out {direction.value}, so its "
                             f"{direction.word} rules are ignored")
            if not _peer_matches(an, rule, other):
                external = not isinstance(other, PodClass) or other.host_network
                if external and _means_everything(rule):
                    weight += _SLIP
                elif external != bool(rule.has_ip_blocks) and not rule.all_peers:
                    weight += _WRONG_KIND
                else:
                    weight += 1
                diffs.append(_why_peer_misses(an, rule, other))
            resolved = rule.ports.resolve(dst_ports)
            if port is not None and protocol is not None and \
                    not resolved.contains(protocol, port):
                allowed = str(resolved) if resolved else \
                    "no port of this destination (named ports it does not declare)"
                text = f"it allows {allowed}, not {port}/{protocol.value}"
                hint = _service_port_hint(an.cluster, dst, resolved, port, protocol)
                weight += _SLIP if hint else 1
                diffs.append(f"{text} ({hint})" if hint else text)
            if diffs and (weight <= _MAX_WEIGHT or meant_for_subject):
                found.append((weight, order, NearMiss(rule.ref, tuple(diffs))))
    found.sort(key=lambda t: (t[0], t[1]))
    return tuple(m for _, _, m in found[:limit])


# --- layers beyond NetworkPolicy ------------------------------------------------------------

_ADMIN = ("ANP", "CNP:Admin")
_BASELINE = ("BANP", "CNP:Baseline")
_CILIUM = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")


def deciding_denies(side: SideVerdict, port: int | None,
                     protocol: Protocol | None) -> list[Step]:
    """The Deny steps of ``side`` that decided the port asked (every Deny when none is)."""
    return [s for s in side.steps if s.action is Action.DENY and
            (port is None or protocol is None or s.ports.contains(protocol, port))]


def _rule_text(step: Step) -> str:
    """The deciding rule without the policy the step already names: ``egress[0] (f:8)``."""
    text = str(step.rule)
    for prefix in (f"{step.layer} {step.policy} ", f"{step.policy} "):
        if step.policy and text.startswith(prefix):
            return text[len(prefix):]
    return text


def _responsible(step: Step, side: SideVerdict, subject: PodClass) -> str | None:
    """Which policy of which layer is responsible for a Deny, and what would change it.

    None for a default deny of NetworkPolicy or Cilium: the policies that isolate the side
    are named with the nearest misses (or why none comes close).
    """
    where = f"{step} by {_rule_text(step)}" if step.rule is not None else ""
    passed = [s for s in side.steps if s.action is Action.PASS]
    if passed:
        where += f" (after {' -> '.join(dict.fromkeys(str(s) for s in passed))})"
    layer = step.layer
    if layer in _ADMIN:
        return (f"{where}: an admin Deny beats every NetworkPolicy; narrow it, or add an "
                "admin Allow of higher precedence")
    if layer in _BASELINE:
        return f"{where}: a baseline Deny; a NetworkPolicy that allows it overrides it"
    if layer in _CILIUM and step.rule is not None:
        return f"{where}: a Cilium deny beats every allow; narrow it"
    if layer.startswith("Calico "):
        tier = layer.removeprefix("Calico ")
        if step.rule is not None:
            return f"{where}: a Calico Deny; an Allow of lower order decides first"
        return (f"[{layer}] end of tier: tier {tier} selects {subject.name} for "
                f"{side.direction.value} and no rule matches; add an Allow or Pass in "
                f"tier {tier}")
    return None


def _other_port_allows(an: Analyzer, subject: PodClass, direction: Direction,
                       other: Endpoint, dst: Endpoint, port: int, protocol: Protocol,
                       limit: int) -> list[NearMiss]:
    """Rules of the layers that allow this very peer, but on other ports (a near miss)."""
    layers = an.layers
    if layers is None:
        return []
    dst_ports = dst.ports if isinstance(dst, PodClass) else None
    side, _ = layers.side(an, subject, direction, other, dst_ports, PortSet.all())
    out: list[NearMiss] = []
    for s in side.steps:
        if s.action is not Action.ALLOW or s.rule is None or s.layer == "NetworkPolicy" \
                or s.ports.contains(protocol, port):
            continue
        miss = NearMiss(s.rule, (f"it allows {other.name} on {s.ports}, not "
                                 f"{port}/{protocol.value}",))
        if miss not in out:
            out.append(miss)
    return out[:limit]


def layer_misses(an: Analyzer, side: SideVerdict, subject: PodClass, other: Endpoint,
                 dst: Endpoint, port: int | None, protocol: Protocol | None,
                 limit: int = 2) -> tuple[tuple[str, ...], tuple[NearMiss, ...]] | None:
    """What explains a side blocked by a layer beyond NetworkPolicy: the responsible policy
    (an admin or baseline Deny, a Cilium deny or default deny, a Calico Deny rule or a tier's
    end-of-tier drop) and the layer rules that allow this peer on other ports.

    None when NetworkPolicies decided the side alone (:func:`nearest_misses` explains it).
    """
    if not side.steps:
        return None
    causes = [c for c in (_responsible(s, side, subject)
                          for s in deciding_denies(side, port, protocol)) if c]
    near: list[NearMiss] = []
    if port is not None and protocol is not None:
        near = _other_port_allows(an, subject, side.direction, other, dst, port, protocol,
                                  limit)
    if not causes and not near:
        return None
    return tuple(dict.fromkeys(causes)), tuple(near)
