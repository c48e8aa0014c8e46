"""A policy whose podSelector selects no pod.

## What it does
Reports a NetworkPolicy whose `spec.podSelector` matches no pod (or workload pod template)
of its namespace in the input, and names the pod that came closest with the labels it
lacks. The rule runs only when the input holds workloads.

## Why is this bad?
A policy applies only to the pods it selects. One that selects nothing protects nothing
and allows nothing: the pods you meant stay unisolated (everything reaches them), or, under
a default-deny, stay cut off from the traffic this policy was written to allow. A typo in
a label, a label the chart does not set, or the policy in the wrong namespace are the usual
causes.

## Example
```yaml
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: frontend}     # the Deployment's pods carry app: web
```

## Use instead
```yaml
metadata: {name: allow-web, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: web}
```

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import policy_at, selector_text
from dtnetpol.lint.rules._nearest import nearest_miss

ID = "NPL002"
NAME = "pod-selector-matches-nothing"
SEVERITY = Severity.WARNING
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}


def check(ctx: LintContext) -> Iterator[Finding]:
    if not ctx.has_pods:
        return
    an = ctx.analyzer
    for policy in ctx.cluster.policies:
        if ctx.selected_classes(policy):
            continue
        in_ns = [c for c in an.classes if c.namespace == policy.namespace]
        sel = selector_text(policy.pod_selector)
        if not in_ns:
            detail = f"namespace {policy.namespace} holds no workload in the input"
        else:
            detail = (f"none of the {len(in_ns)} pod kinds in namespace {policy.namespace} "
                      f"carries these labels" + nearest_miss(policy.pod_selector, in_ns))
        yield Finding(
            ID, SEVERITY,
            f"podSelector {sel} of policy {policy.ref} selects no pod: {detail}",
            policy_at(ctx, policy, "spec.podSelector"),
            "match the labels the workload's pod template carries, or move the policy to "
            "the workload's namespace")
