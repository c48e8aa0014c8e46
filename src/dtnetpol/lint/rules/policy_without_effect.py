"""A policy, or a part of one, that changes nothing.

## What it does
Reports:
- a policy whose podSelector selects only host-network pods (when the input holds
  workloads): NetworkPolicy does not govern them on most CNIs;
- `ingress` (or `egress`) rules in a policy whose declared `policyTypes` lacks `Ingress`
  (`Egress`): the API server keeps them, and every CNI ignores them;
- `egress: []` (or `egress:` with no rules) in a policy without `Egress` in `policyTypes`:
  an empty list does not isolate egress. With `policyTypes` omitted the API server
  defaults it to `[Ingress]`, so such a policy denies all **ingress** and leaves egress open,
  usually the opposite of what was meant.

## Why is this bad?
The policy reads as a restriction or an allowance that does not exist. The `egress: []`
case is the trap the API reference warns about: it does not deny egress.

## Example
```yaml
spec:
  podSelector: {}
  egress: []          # meant: deny all egress; does: deny all ingress
```

## Use instead
```yaml
spec:
  podSelector: {}
  policyTypes: [Egress]
```

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import join, policy_at, workloads_text
from dtnetpol.model.policy import Direction

ID = "NPL011"
NAME = "policy-without-effect"
SEVERITY = Severity.WARNING
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}


def check(ctx: LintContext) -> Iterator[Finding]:
    for policy in ctx.cluster.policies:
        if ctx.has_pods:
            selected = ctx.selected_classes(policy)
            if selected and all(c.host_network for c in selected):
                yield Finding(
                    ID, SEVERITY,
                    f"policy {policy.ref} selects only host-network pods "
                    f"({workloads_text(selected)}): NetworkPolicy does not govern them on most "
                    "CNIs, and their traffic carries the node's address",
                    policy_at(ctx, policy, "spec.podSelector"),
                    "protect host-network pods with host firewall rules or CNI host policies "
                    "(Calico HostEndpoint, Cilium host policy), and delete this policy")
        types = ", ".join(sorted(d.value for d in policy.policy_types))
        for direction in Direction:
            word = direction.word
            if policy.isolates(direction):
                continue
            if policy.rules(direction):
                yield Finding(
                    ID, SEVERITY,
                    f"spec.{word} of policy {policy.ref} is ignored: policyTypes is [{types}], "
                    f"without {direction.value}",
                    policy_at(ctx, policy, f"spec.{word}"),
                    f"add {direction.value} to policyTypes, or delete the {word} rules")
                continue
            if direction is not Direction.EGRESS:
                continue
            prefix = policy.location.path if policy.location is not None else ""
            value, present = ctx.raw(policy.location, join(prefix, "spec.egress"))
            if not present or value:
                continue
            if policy.policy_types_declared:
                detail = (f"policyTypes [{types}] does not list Egress, so egress is not "
                          "isolated")
            else:
                detail = ("policyTypes is omitted, so the API server sets it to [Ingress]: "
                          "this policy denies all ingress and leaves egress open")
            yield Finding(
                ID, SEVERITY,
                f"'egress: []' of policy {policy.ref} does not deny egress: {detail}",
                policy_at(ctx, policy, "spec.egress"),
                "to deny all egress, list Egress in policyTypes (an absent or empty egress "
                "then allows nothing)")
