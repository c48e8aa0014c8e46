"""Webhook ingress meant for the kube-apiserver, written as a namespace or pod selector.

## What it does
Finds the pods that serve admission or conversion webhooks: the Dynatrace webhook pods,
and the pods behind every Service that a `ValidatingWebhookConfiguration`,
`MutatingWebhookConfiguration` or CRD conversion webhook in the input calls. For each
ingress rule of a policy selecting them that covers the webhook port (the pod port, 8443
for Dynatrace, or the Service port in front of it), reports the rule when all its peers are
namespace/pod selectors and no rule of the pod allows that port from an `ipBlock`, from
every peer, or from a peer that does carry API-server traffic on some platforms (the
OpenShift host-network namespace label without a podSelector, or `konnectivity-agent` pods).

Without workloads in the input, policies whose podSelector can select the Dynatrace
webhook pods are checked.
When a policy selects no pod but its labels name a Dynatrace component
(`app.kubernetes.io/name: dynatrace-webhook`), its rules are judged against that
component's pods, and the message says so.

## Why is this bad?
The API server is not a pod. Its calls come from a control-plane or node address, so
`namespaceSelector: {}` or any pod selector never matches them: every admission call times
out. For the Dynatrace webhook, pod creation in monitored namespaces then waits 10 s and
proceeds without injection, and DynaKube changes are rejected. (On OpenShift with
OVN-Kubernetes a `namespaceSelector` without `podSelector` that matches the namespace
labelled `policy-group.network.openshift.io/host-network` does admit it; so do
konnectivity-agent pods on clusters that tunnel through them.)

## Example
```yaml
spec:
  podSelector:
    matchLabels: {app.kubernetes.io/component: webhook}
  ingress:
    - from:
        - namespaceSelector: {}   # "the API server": matches pods only
      ports:
        - port: 8443
```

## Use instead
```yaml
spec:
  podSelector:
    matchLabels: {app.kubernetes.io/component: webhook}
  ingress:
    - from:
        - ipBlock: {cidr: 10.0.0.0/24}   # the control-plane / node range
      ports:
        - port: 8443
```

## Options
- `webhook-ports` (list of integers, default `[8443]`): the pod ports of the Dynatrace
  webhook (Helm `webhook.ports.server`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dtnetpol.dynatrace.components import ComponentId, recognise
from dtnetpol.dynatrace.label_templates import pods_for
from dtnetpol.engine.analysis import CompiledRule
from dtnetpol.engine.ports import PortSpec
from dtnetpol.engine.selectors import compile_selector
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import compiled, intended_classes, peer_at, selector_text
from dtnetpol.model.cluster import NAME_LABEL, ContainerPort, RawObject, Service
from dtnetpol.model.policy import Direction, NetworkPolicy, Peer, Protocol

ID = "NPL007"
NAME = "apiserver-peer-as-selector"
SEVERITY = Severity.ERROR
OPTIONS: Mapping[str, str] = {"webhook-ports": "list[int]"}
DEFAULT: Mapping[str, Any] = {"webhook-ports": [8443]}

WEBHOOK_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
OPENSHIFT_HOST_NETWORK = "policy-group.network.openshift.io/host-network"
KONNECTIVITY = ({"app": "konnectivity-agent"}, {"k8s-app": "konnectivity-agent"})


@dataclass(frozen=True)
class _Target:
    """Pods serving a webhook: their ports, the pod ports called, the Service ports."""

    what: str
    pod_ports: tuple[ContainerPort, ...]
    targets: tuple[int, ...]
    service_ports: tuple[int, ...]
    note: str = ""


def _webhook_services(others: Sequence[RawObject]) -> list[tuple[str, str, int, str]]:
    """(namespace, name, port, referrer) of every Service a webhook configuration calls."""
    out: list[tuple[str, str, int, str]] = []

    def add(client: Any, referrer: str) -> None:
        svc = client.get("service") if isinstance(client, Mapping) else None
        if not isinstance(svc, Mapping):
            return
        ns, name, port = svc.get("namespace"), svc.get("name"), svc.get("port", 443)
        if isinstance(ns, str) and isinstance(name, str) and isinstance(port, int):
            out.append((ns, name, port, referrer))

    for obj in others:
        if obj.kind in WEBHOOK_KINDS:
            for hook in obj.body.get("webhooks") or ():
                if isinstance(hook, Mapping):
                    add(hook.get("clientConfig"), f"{obj.kind} {obj.name}")
        elif obj.kind == "CustomResourceDefinition":
            spec = obj.body.get("spec")
            conv = spec.get("conversion") if isinstance(spec, Mapping) else None
            hook = conv.get("webhook") if isinstance(conv, Mapping) else None
            if isinstance(hook, Mapping):
                add(hook.get("clientConfig"), f"CRD {obj.name} conversion")
    return out


def _target_ports(svc: Service, port: int, pod_ports: Sequence[ContainerPort]) -> list[int]:
    out = []
    for sp in svc.ports:
        if sp.port != port or sp.protocol is not Protocol.TCP:
            continue
        if isinstance(sp.target_port, int):
            out.append(sp.target_port)
        else:
            out.extend(cp.port for cp in pod_ports if cp.name == sp.target_port)
    return out


def _reaches_apiserver(peer: Peer) -> bool:
    """A selector peer that carries API-server traffic on some platform."""
    if peer.ip_block is not None:
        return True
    ns = peer.namespace_selector
    if ns is not None and peer.pod_selector is None and not ns.is_empty \
            and any(k == OPENSHIFT_HOST_NETWORK for k, _ in ns.match_labels):
        return True
    pod = peer.pod_selector
    if pod is not None and not pod.is_empty:
        match = compile_selector(pod)
        if any(match(labels) for labels in KONNECTIVITY):
            return ns is not None and compile_selector(ns)({NAME_LABEL: "kube-system"})
    return False


def _admits(rule: CompiledRule) -> bool:
    return rule.all_peers or any(_reaches_apiserver(p) for p in rule.rule.peers)


def _covers(spec: PortSpec, target: _Target) -> tuple[int, ...]:
    ports = spec.resolve(target.pod_ports or None)
    return tuple(p for p in (*target.targets, *target.service_ports)
                 if ports.contains(Protocol.TCP, p))


def _targets_with_pods(ctx: LintContext, policy: NetworkPolicy,
                       webhook_ports: Sequence[int]) -> list[tuple[_Target, list[CompiledRule]]]:
    an = ctx.analyzer
    out = []
    services = _webhook_services(ctx.cluster.others)
    classes, note = intended_classes(ctx, policy)
    own = list(an.compiled_rules(policy, Direction.INGRESS))
    for cls in classes:
        if cls.host_network:
            continue
        rules = list(an.rules_for(cls, Direction.INGRESS))
        rules += [r for r in own if r not in rules]
        if recognise(cls.labels) is ComponentId.WEBHOOK:
            out.append((_Target(f"the Dynatrace webhook pods ({cls.name})", cls.ports,
                                tuple(webhook_ports), (443,), note), rules))
        for ns, name, port, referrer in services:
            for svc in ctx.cluster.services:
                if svc.namespace != ns or svc.name != name or not svc.selector:
                    continue
                if ns != cls.namespace or any(cls.labels.get(k) != v
                                              for k, v in svc.selector.items()):
                    continue
                targets = _target_ports(svc, port, cls.ports)
                if targets:
                    out.append((_Target(f"{cls.name}, called by {referrer} through Service "
                                        f"{ns}/{name}", cls.ports, tuple(targets), (port,)),
                                rules))
    return out


def _targets_without_pods(ctx: LintContext, policy: NetworkPolicy,
                          webhook_ports: Sequence[int]
                          ) -> list[tuple[_Target, list[CompiledRule]]]:
    an = ctx.analyzer
    rules = [r for p in ctx.companions(policy, Direction.INGRESS)
             for r in an.compiled_rules(p, Direction.INGRESS)]
    out = []
    candidates, note = pods_for(policy.pod_selector)
    for dp in candidates:
        if dp.component.id is ComponentId.WEBHOOK:
            out.append((_Target("the Dynatrace webhook pods", dp.ports,
                                tuple(webhook_ports), (443,), note), rules))
            break
    match = compile_selector(policy.pod_selector)
    for ns, name, port, referrer in _webhook_services(ctx.cluster.others):
        for svc in ctx.cluster.services:
            if (svc.namespace == ns == policy.namespace and svc.name == name and svc.selector
                    and match(svc.selector)):
                targets = _target_ports(svc, port, ())
                if targets:
                    out.append((_Target(f"the pods of Service {ns}/{name}, called by "
                                        f"{referrer}", (), tuple(targets), (port,)), rules))
    return out


def check(ctx: LintContext) -> Iterator[Finding]:
    opts = {**DEFAULT, **ctx.rule_options(ID)}
    webhook_ports = [int(p) for p in opts["webhook-ports"]]
    for policy in ctx.cluster.policies:
        if not policy.isolates(Direction.INGRESS) or not policy.ingress:
            continue
        found = (_targets_with_pods(ctx, policy, webhook_ports) if ctx.has_pods
                 else _targets_without_pods(ctx, policy, webhook_ports))
        if not found:
            continue
        for rule in policy.ingress:
            mine = compiled(ctx, policy, rule)
            if _admits(mine):
                continue
            for target, rules in found:
                covered = _covers(mine.ports, target)
                if not covered:
                    continue
                if any(_admits(r) and any(
                        r.ports.resolve(target.pod_ports or None).contains(Protocol.TCP, t)
                        for t in target.targets) for r in rules if r is not mine):
                    continue
                peer = rule.peers[0]
                peers = "; ".join(_describe(p) for p in rule.peers)
                ports = ", ".join(str(p) if p in target.targets else
                                  f"{p} (the Service port; the pods listen on "
                                  f"{target.targets[0]})" for p in covered)
                yield Finding(
                    ID, SEVERITY,
                    f"ingress on webhook port {ports} of {target.what} is allowed only from "
                    f"{peers}: the kube-apiserver is not a pod, so no namespace or pod "
                    f"selector matches its calls and the webhook times out{target.note}",
                    peer_at(ctx, policy, rule, peer),
                    f"allow TCP {target.targets[0]} from the API server's addresses with an "
                    "ipBlock (control-plane or node CIDR); on OpenShift use a namespaceSelector "
                    f"on {OPENSHIFT_HOST_NETWORK} without podSelector")
                break


def _describe(peer: Peer) -> str:
    parts = []
    if peer.namespace_selector is not None:
        parts.append(f"namespaceSelector {selector_text(peer.namespace_selector)}")
    if peer.pod_selector is not None:
        parts.append(f"podSelector {selector_text(peer.pod_selector)}")
    return " + ".join(parts)
