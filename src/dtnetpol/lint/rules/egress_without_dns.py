"""Pods isolated for egress that cannot reach the cluster DNS.

## What it does
Finds pods whose egress is isolated by at least one policy, and checks that the union of
the egress rules that apply to them allows **both** UDP and TCP on port 53 to the cluster
DNS pods (by default pods labelled `k8s-app: kube-dns` in `kube-system`; when the input
holds no such pod, an imagined one with the named ports `dns`/UDP and `dns-tcp`/TCP is
used). With real DNS pods, their own ingress policies count too. Reports each policy that
isolates egress of an affected pod, once.

Without workloads in the input, each egress-isolating policy is checked together with the
policies of its namespace that have the same or an empty podSelector.

## Why is this bad?
Under egress isolation nothing is allowed that a rule does not name, and DNS is no
exception: every lookup times out, so the pod fails on names even where the rules allow the
address it wanted. TCP 53 is needed too: answers too large for UDP and some resolvers'
retries use it. An `ipBlock` does not help: policies see DNS pod IPs, which ipBlocks are not
meant to match.

## Example
```yaml
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: {cidr: 0.0.0.0/0}
      ports:
        - port: 443
```

## Use instead
```yaml
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: {cidr: 0.0.0.0/0}
      ports:
        - port: 443
    - to:
        - namespaceSelector:
            matchLabels: {kubernetes.io/metadata.name: kube-system}
          podSelector:
            matchLabels: {k8s-app: kube-dns}
      ports:
        - {port: 53, protocol: UDP}
        - {port: 53, protocol: TCP}
```

## Options
- `namespace` (string, default `kube-system`): the namespace of the DNS pods.
- `pod-labels` (map of strings, default `{k8s-app: kube-dns}`): the labels of the DNS pods
  (CoreDNS keeps `kube-dns` for compatibility; OpenShift uses
  `dns.operator.openshift.io/daemonset-dns: default` in `openshift-dns`).
- `port` (integer, default 53): the DNS port on the pods (5353 on OpenShift).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dtnetpol.engine.analysis import Analyzer, CompiledRule, PodClass
from dtnetpol.engine.ports import PortSet
from dtnetpol.engine.selectors import compile_selector
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import policy_at, synthetic_class, workloads_text
from dtnetpol.model.cluster import ContainerPort
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction, LabelSelector, NetworkPolicy, Protocol

ID = "NPL006"
NAME = "egress-without-dns"
SEVERITY = Severity.WARNING
OPTIONS: Mapping[str, str] = {"namespace": "str", "pod-labels": "map", "port": "int"}
DEFAULT: Mapping[str, Any] = {"namespace": "kube-system", "pod-labels": {"k8s-app": "kube-dns"},
                              "port": 53}

_PROTOCOLS = (Protocol.UDP, Protocol.TCP)


def _dns_classes(ctx: LintContext, namespace: str,
                 labels: Mapping[str, str], port: int) -> tuple[list[PodClass], bool]:
    """The DNS pods of the input, or one imagined DNS pod; True when they are real."""
    match = compile_selector(LabelSelector(tuple(sorted(labels.items()))))
    real = [c for c in ctx.analyzer.classes
            if c.namespace == namespace and not c.host_network and match(c.labels)]
    if real:
        return real, True
    ports = (ContainerPort(port, Protocol.UDP, "dns"), ContainerPort(port, Protocol.TCP, "dns-tcp"))
    return [synthetic_class(0, namespace, labels, ports)], False


def _allowed(an: Analyzer, rules: Sequence[CompiledRule], dns: PodClass) -> PortSet:
    out = PortSet.none()
    for r in rules:
        if an.rule_matches_class(r, dns):
            out = out.union(r.ports.resolve(dns.ports))
    return out


def _missing(an: Analyzer, subject: PodClass | None, rules: Sequence[CompiledRule],
             dns: list[PodClass], real: bool, port: int) -> list[Protocol]:
    allowed = PortSet.none()
    for d in dns:
        if real and subject is not None:
            allowed = allowed.union(an.allowed_ports(subject, d))
        else:
            allowed = allowed.union(_allowed(an, rules, d))
    return [p for p in _PROTOCOLS if not allowed.contains(p, port)]


def _blame(policies: Sequence[NetworkPolicy]) -> NetworkPolicy:
    """The policy to report on: the first with egress rules (where a DNS rule belongs), else
    the first (a default-deny)."""
    ordered = sorted(policies, key=lambda p: p.ref)
    return next((p for p in ordered if p.egress), ordered[0])


def _where(ctx: LintContext, policy: NetworkPolicy) -> SourceLocation:
    if policy.egress:
        return policy_at(ctx, policy, "spec.egress")
    if policy.policy_types_declared:
        return policy_at(ctx, policy, "spec.policyTypes")
    return policy_at(ctx, policy, "spec")


def check(ctx: LintContext) -> Iterator[Finding]:
    opts = {**DEFAULT, **ctx.rule_options(ID)}
    namespace = str(opts["namespace"])
    labels: Mapping[str, str] = opts["pod-labels"]
    port = int(opts["port"])
    an = ctx.analyzer
    dns, real = _dns_classes(ctx, namespace, labels, port)
    dns_text = f"{namespace} pods {','.join(f'{k}={v}' for k, v in sorted(labels.items()))}"
    # policy ref -> (policy, affected classes, missing protocols)
    hits: dict[int, tuple[NetworkPolicy, list[PodClass], set[Protocol]]] = {}
    if ctx.has_pods:
        dns_idx = {d.index for d in dns}
        for cls in an.classes:
            if cls.index in dns_idx or not an.is_isolated(cls, Direction.EGRESS):
                continue
            missing = _missing(an, cls, an.rules_for(cls, Direction.EGRESS), dns, real, port)
            if not missing:
                continue
            pol = _blame(an.isolating_policies(cls, Direction.EGRESS))
            entry = hits.setdefault(id(pol), (pol, [], set()))
            entry[1].append(cls)
            entry[2].update(missing)
    else:
        for pol in ctx.cluster.policies:
            if not pol.isolates(Direction.EGRESS):
                continue
            rules = [r for p in ctx.companions(pol, Direction.EGRESS)
                     for r in an.compiled_rules(p, Direction.EGRESS)]
            missing = _missing(an, None, rules, dns, False, port)
            if missing:
                hits[id(pol)] = (pol, [], set(missing))
    for pol, classes, missing_set in hits.values():
        missing = [p for p in _PROTOCOLS if p in missing_set]
        blocked = " and ".join(f"{p.value} {port}" for p in missing)
        if classes:
            who = f"pods {workloads_text(classes)}"
        elif pol.pod_selector.is_empty:
            who = f"every pod of namespace {pol.namespace}"
        else:
            who = f"the pods {pol.pod_selector}"
        yield Finding(
            ID, SEVERITY,
            f"policy {pol.ref} isolates egress of {who}, but no egress rule allows DNS to "
            f"the {dns_text}: {blocked} blocked, so name lookups fail",
            _where(ctx, pol),
            f"add an egress rule to namespaceSelector {namespace} + podSelector "
            f"{','.join(f'{k}={v}' for k, v in sorted(labels.items()))} on UDP and TCP {port}")
