"""A namespace with workloads and no default-deny policy.

## What it does
For every namespace of the input that runs workloads (other than host-network pods), checks
each direction in `directions` for a default-deny: a policy with an empty `podSelector`
(`{}`) whose `policyTypes` include the direction and that has no rule allowing every peer on
every port in it, or Cilium policies that put every pod of the namespace into default deny
for the direction. Reports the namespace once, naming the directions without one. Namespaces
in `exclude-namespaces` are skipped.

## Why is this bad?
Pods that no policy isolates accept and open every connection. A default-deny per
namespace makes every allowed flow explicit and keeps new workloads closed until someone
writes the policy they need. This is posture advice, reported as info.

## Example
```yaml
# namespace shop: a Deployment, and only this policy
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: web}
  ingress:
    - ports:
        - port: 8080
```

## Use instead
```yaml
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
```
(and the allow policies the workloads need, DNS among them)

## Options
- `directions` (list, default `[Ingress, Egress]`): the directions a default-deny must
  cover.
- `exclude-namespaces` (list, default `[kube-system, kube-public, kube-node-lease]`):
  namespaces not to check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.engine.ports import ALL_PORTS
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import compiled, join
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction, NetworkPolicy, Protocol

ID = "NPL015"
NAME = "missing-default-deny"
SEVERITY = Severity.INFO
KINDS = ("NetworkPolicy", "Cilium")
OPTIONS: Mapping[str, str] = {"directions": "list[str]", "exclude-namespaces": "list[str]"}
DEFAULT: Mapping[str, Any] = {"directions": ["Ingress", "Egress"],
                              "exclude-namespaces": ["kube-system", "kube-public",
                                                     "kube-node-lease"]}


def _denies(ctx: LintContext, policy: NetworkPolicy, direction: Direction) -> bool:
    if not policy.pod_selector.is_empty or not policy.isolates(direction):
        return False
    for rule in policy.rules(direction):
        c = compiled(ctx, policy, rule)
        if c.all_peers and c.ports.numeric.get(Protocol.TCP) == ALL_PORTS:
            return False
    return True


def _cilium_denies(ctx: LintContext, namespace: str, direction: Direction) -> bool:
    """Every pod of ``namespace`` is in Cilium's default deny for ``direction`` (a
    CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy is the namespace's default deny)."""
    if not ctx.cluster.cilium_policies:
        return False
    from dtnetpol.engine.cilium import CiliumIndex
    an = ctx.analyzer
    index = CiliumIndex(ctx.cluster)
    classes = [c for c in an.classes_in(namespace) if not c.host_network]
    return bool(classes) and all(
        any(s.default_deny(direction) for _, s in index.selecting(an, c)) for c in classes)


def check(ctx: LintContext) -> Iterator[Finding]:
    if not ctx.has_pods:
        return
    opts = {**DEFAULT, **ctx.rule_options(ID)}
    directions = [Direction(str(d).capitalize()) for d in opts["directions"]]
    exclude = {str(n) for n in opts["exclude-namespaces"]}
    classes = ctx.analyzer.classes
    for name in sorted({c.namespace for c in classes if not c.host_network}):
        if name in exclude:
            continue
        policies = [p for p in ctx.cluster.policies if p.namespace == name]
        missing = [d for d in directions if not any(_denies(ctx, p, d) for p in policies)
                   and not _cilium_denies(ctx, name, d)]
        if not missing:
            continue
        pods = [p for c in classes if c.namespace == name and not c.host_network
                for p in c.pods]
        workloads = sorted({str(p.owner) for p in pods})
        ns = ctx.cluster.namespaces.get(name)
        loc: SourceLocation
        if ns is not None and ns.location is not None:
            loc = ctx.at(ns.location, join(ns.location.path, "metadata.name"))
        else:
            located = sorted(p.location for p in pods if p.location is not None)
            loc = located[0] if located else SourceLocation("<unknown>")
        dirs = " and ".join(d.value for d in missing)
        yield Finding(
            ID, SEVERITY,
            f"namespace {name} runs {len(workloads)} workload(s) "
            f"({', '.join(workloads[:3])}{' ...' if len(workloads) > 3 else ''}) and has no "
            f"default-deny policy for {dirs}",
            loc,
            f"add a policy with podSelector: {{}} and policyTypes "
            f"[{', '.join(d.value for d in missing)}] to namespace {name}, plus the allow "
            "policies its workloads need")
