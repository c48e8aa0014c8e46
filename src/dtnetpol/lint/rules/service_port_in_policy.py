"""A rule port that is a Service's port, not the pod port behind it.

## What it does
For every numeric port of a rule, looks at the pods the rule is about (the selected pods for
ingress, the peer pods for egress) and the Services in front of them. Reports the port when
it equals a Service `port` whose `targetPort` is a different pod port, the pods do not also
listen on it, and the rule does not allow the target port as well.

Without workloads in the input the rule still judges Services against the selectors, and
knows the Services the Dynatrace Operator creates (webhook 443 → 8443, ActiveGate
443 → 9999 and 80 → 9998).
When a policy selects no pod but its labels name a Dynatrace component
(`app.kubernetes.io/name: dynatrace-webhook`), its rules are judged against that
component's pods, and the message says so.

## Why is this bad?
NetworkPolicy matches packets after Service translation: it sees the **pod** port. A rule
that allows 443 to the Dynatrace webhook pods allows nothing the `dynatrace-webhook`
Service carries, since that traffic arrives on 8443; the API server's admission calls then
time out.

## Example
```yaml
spec:
  podSelector:
    matchLabels: {app.kubernetes.io/component: webhook}
  ingress:
    - ports:
        - port: 443          # the Service port
```

## Use instead
```yaml
spec:
  podSelector:
    matchLabels: {app.kubernetes.io/component: webhook}
  ingress:
    - ports:
        - port: 8443         # the targetPort (or its name: server-port)
```

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dtnetpol.dynatrace.label_templates import pods_for
from dtnetpol.engine.ports import PortSpec
from dtnetpol.engine.selectors import compile_selector
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import compiled, intended_classes, port_at
from dtnetpol.model.cluster import ContainerPort, Service
from dtnetpol.model.policy import Direction, LabelSelector, NetworkPolicy, Protocol, Rule

ID = "NPL004"
NAME = "service-port-in-policy"
SEVERITY = Severity.ERROR
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}


@dataclass(frozen=True)
class _Backend:
    service: str
    port: int
    protocol: Protocol
    target: int
    target_name: str | None


@dataclass(frozen=True)
class _Dest:
    what: str
    ports: tuple[ContainerPort, ...]
    backends: tuple[_Backend, ...]
    ports_known: bool
    note: str = ""


def _selects(svc: Service, labels: Mapping[str, str]) -> bool:
    return bool(svc.selector) and all(labels.get(k) == v for k, v in (svc.selector or {}).items())


def _resolve(svc: Service, ports: Sequence[ContainerPort]) -> list[_Backend]:
    out = []
    for sp in svc.ports:
        if isinstance(sp.target_port, int):
            out.append(_Backend(f"Service {svc.namespace}/{svc.name}", sp.port, sp.protocol,
                                sp.target_port, None))
            continue
        for cp in ports:
            if cp.name == sp.target_port and cp.protocol is sp.protocol:
                out.append(_Backend(f"Service {svc.namespace}/{svc.name}", sp.port,
                                    sp.protocol, cp.port, cp.name))
    return out


def _class_dests(ctx: LintContext, policy: NetworkPolicy, rule: Rule) -> list[_Dest]:
    an = ctx.analyzer
    note = ""
    if rule.direction is Direction.INGRESS:
        classes, note = intended_classes(ctx, policy)
    else:
        if not rule.peers:
            return []
        idx: set[int] = set()
        for peer in rule.peers:
            if peer.ip_block is None:
                idx |= an.peer_classes(peer, policy.namespace)
        classes = [an.classes[i] for i in sorted(idx)]
    out = []
    for cls in classes:
        backends = [b for svc in ctx.cluster.services
                    if svc.namespace == cls.namespace and _selects(svc, cls.labels)
                    for b in _resolve(svc, cls.ports)]
        if backends:
            out.append(_Dest(cls.name, cls.ports, tuple(backends), True, note))
    return out


def _pseudo_dests(ctx: LintContext, policy: NetworkPolicy, rule: Rule) -> list[_Dest]:
    """Destinations when the input has no pods: Services' selectors and Dynatrace pods."""
    an = ctx.analyzer
    selectors: list[tuple[LabelSelector | None, LabelSelector | None]] = []
    if rule.direction is Direction.INGRESS:
        selectors.append((policy.pod_selector, None))
    else:
        selectors.extend((p.pod_selector, p.namespace_selector) for p in rule.peers
                         if p.ip_block is None and p.pod_selector is not None)
    out: list[_Dest] = []
    for pod_sel, ns_sel in selectors:
        assert pod_sel is not None
        match = compile_selector(pod_sel)
        for svc in ctx.cluster.services:
            if not svc.selector:
                continue
            if ns_sel is None and svc.namespace != policy.namespace:
                continue
            if ns_sel is not None and not an.namespace_matches(ns_sel, svc.namespace):
                continue
            if match(svc.selector):
                backends = _resolve(svc, ())
                if backends:
                    out.append(_Dest(f"the pods of Service {svc.namespace}/{svc.name}", (),
                                     tuple(backends), False))
        if pod_sel.is_empty:
            continue
        seen: set[str] = set()
        candidates, note = pods_for(pod_sel)
        for dp in candidates:
            spec = dp.component.service
            if spec is None or dp.component.id in seen:
                continue
            seen.add(dp.component.id)
            name = spec.name_pattern.replace("<dk>", "<dynakube>")
            dt_backends = tuple(_Backend(f"Service {name} ({dp.component.display_name})", sp.port,
                                      sp.protocol, sp.target_port,
                                      next((p.name for p in dp.component.declared_ports
                                            if p.number == sp.target_port), None))
                             for sp in spec.ports)
            out.append(_Dest(f"the {dp.component.display_name} pods", dp.ports, dt_backends,
                             True, note))
    return out


def check(ctx: LintContext) -> Iterator[Finding]:
    for policy in ctx.cluster.policies:
        for rule in (*policy.ingress, *policy.egress):
            numeric = [p for p in rule.ports if isinstance(p.port, int) and p.end_port is None]
            if not numeric:
                continue
            dests = (_class_dests(ctx, policy, rule) if ctx.has_pods
                     else _pseudo_dests(ctx, policy, rule))
            spec = compiled(ctx, policy, rule).ports
            for pp in numeric:
                hit = _first_hit(pp.port, pp.protocol, dests, spec)
                if hit is None:
                    continue
                dest, b = hit
                name = f" (or its name {b.target_name})" if b.target_name else ""
                yield Finding(
                    ID, SEVERITY,
                    f"port {pp.port}/{pp.protocol.value} is the port of {b.service}, which "
                    f"forwards to pod port {b.target} of {dest.what}; NetworkPolicy sees the "
                    f"pod port after Service translation, so this allows none of that "
                    f"traffic{dest.note}",
                    port_at(ctx, policy, rule, pp),
                    f"write port: {b.target}{name}, the Service's targetPort")


def _first_hit(port: int | str | None, protocol: Protocol, dests: list[_Dest],
               spec: PortSpec) -> tuple[_Dest, _Backend] | None:
    for dest in dests:
        if dest.ports_known and any(cp.port == port and cp.protocol is protocol
                                    for cp in dest.ports):
            continue
        for b in dest.backends:
            if b.port != port or b.protocol is not protocol or b.target == port:
                continue
            if spec.resolve(dest.ports or None).contains(protocol, b.target):
                continue
            return dest, b
    return None
