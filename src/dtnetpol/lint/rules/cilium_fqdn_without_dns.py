"""A Cilium toFQDNs rule for pods that no DNS rule covers.

## What it does
Finds `toFQDNs` egress rules of CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies
whose selected pods have no Cilium egress rule with an L7 DNS rule (`toPorts` on the DNS
pods' port, 53, or 5353 for OpenShift's `dns-default`, with `rules.dns`) in any Cilium
policy that selects them. Without workloads in the input, the policy itself must carry the
DNS rule.

## Why is this bad?
Cilium learns the addresses behind a name only from the DNS answers its proxy sees, and the
proxy sees a pod's lookups only where a rule with `rules.dns` sends them there. Without one,
the `toFQDNs` rule matches nothing: the pod resolves the name (if DNS is allowed at all) and
its connection is dropped. The agent also needs `--enable-l7-proxy=true`.

## Example
```yaml
spec:
  endpointSelector: {matchLabels: {app.kubernetes.io/name: activegate}}
  egress:
    - toFQDNs: [{matchPattern: "*.live.dynatrace.com"}]
      toPorts: [{ports: [{port: "443", protocol: TCP}]}]
```

## Use instead
```yaml
spec:
  endpointSelector: {matchLabels: {app.kubernetes.io/name: activegate}}
  egress:
    - toFQDNs: [{matchPattern: "*.live.dynatrace.com"}]
      toPorts: [{ports: [{port: "443", protocol: TCP}]}]
    - toEndpoints:
        - matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s:k8s-app: kube-dns}
      toPorts:
        - ports: [{port: "53", protocol: ANY}]
          rules: {dns: [{matchPattern: "*"}]}
```

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.engine.cilium import CiliumIndex
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.model.cilium import CiliumSpec
from dtnetpol.model.location import SourceLocation

ID = "NPL019"
NAME = "cilium-fqdn-without-dns"
SEVERITY = Severity.ERROR
KINDS = ("Cilium",)
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}


def _has_dns(spec: CiliumSpec) -> bool:
    return any("dns" in pr.l7 for r in spec.egress for pr in r.to_ports)


def check(ctx: LintContext) -> Iterator[Finding]:
    policies = ctx.cluster.cilium_policies
    if not policies:
        return
    an = ctx.analyzer
    index = CiliumIndex(ctx.cluster)
    for policy in policies:
        for spec in policy.specs:
            rules = [r for r in spec.egress if r.fqdns]
            if not rules or spec.endpoint_selector is None:
                continue
            selected = [c for c in an.classes
                        if any(s is spec for _, s in index.selecting(an, c))]
            if selected:
                lacking = [c for c in selected
                           if not any(_has_dns(s) for _, s in index.selecting(an, c))]
                if not lacking:
                    continue
                who = ", ".join(c.name for c in lacking[:3]) + \
                    (f" and {len(lacking) - 3} more" if len(lacking) > 3 else "")
            elif _has_dns(spec):
                continue
            else:
                who = "the pods it selects"
            for rule in rules:
                names = ", ".join(str(f) for f in rule.fqdns)
                yield Finding(
                    ID, SEVERITY,
                    f"{policy.ref}: toFQDNs ({names}) for {who}, but no Cilium egress rule "
                    "selecting them has a DNS rule: Cilium never learns the addresses and "
                    "the rule matches nothing",
                    rule.location or policy.location or SourceLocation("<unknown>"),
                    "add an egress rule to the cluster DNS on its pods' port (53; 5353 on "
                    "OpenShift; protocol ANY) with "
                    "rules: {dns: [{matchPattern: \"*\"}]}")
