"""A policy whose podSelector takes in several Dynatrace components at once.

## What it does
Reports a policy with rules whose podSelector selects the pods of more than one Dynatrace
component: the pods of the input recognised as operator, webhook, CSI driver, ActiveGate
and so on, or, when the input holds no workloads, the components the selector can match
by the labels the operator and its Helm chart set. Empty podSelectors (namespace-wide
defaults) and policies whose only rules allow DNS (port 53) are left alone.

## Why is this bad?
Every install pod carries `app.kubernetes.io/name: dynatrace-operator`, so a selector on
that label alone hands the operator's rules to the webhook and the CSI driver too: the
webhook gets egress to `0.0.0.0/0:443` although it never talks to the tenant, and ingress
meant for one component opens ports on all of them. The components need different traffic
(see `dtnetpol` flows); give each its own policy.

## Example
```yaml
podSelector:
  matchLabels:
    app.kubernetes.io/name: dynatrace-operator     # operator, webhook and CSI driver
```

## Use instead
```yaml
podSelector:
  matchLabels:
    app.kubernetes.io/name: dynatrace-operator
    app.kubernetes.io/component: operator
```

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.dynatrace.components import COMPONENTS, ComponentId, recognise
from dtnetpol.dynatrace.label_templates import could_select, dynatrace_pods
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import policy_at
from dtnetpol.model.policy import NetworkPolicy

ID = "NPL017"
NAME = "dynatrace-selector-spans-components"
SEVERITY = Severity.WARNING
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}


def _dns_only(policy: NetworkPolicy) -> bool:
    rules = (*policy.ingress, *policy.egress)
    return not policy.ingress and all(
        r.ports and all(p.port == 53 for p in r.ports) for r in rules)


def check(ctx: LintContext) -> Iterator[Finding]:
    for policy in ctx.cluster.policies:
        if policy.pod_selector.is_empty or not (policy.ingress or policy.egress):
            continue
        if _dns_only(policy):
            continue
        found: list[ComponentId] = []
        if ctx.has_pods:
            for cls in ctx.selected_classes(policy):
                comp = recognise(cls.labels)
                if comp is not None and comp not in found:
                    found.append(comp)
        else:
            for dp in dynatrace_pods():
                if dp.component.id not in found and could_select(policy.pod_selector, dp):
                    found.append(dp.component.id)
        if len(found) < 2:
            continue
        names = ", ".join(COMPONENTS[c].display_name for c in found)
        labels = ", ".join(sorted({COMPONENTS[c].component_label or COMPONENTS[c].app_label
                                   or c.value for c in found}))
        yield Finding(
            ID, SEVERITY,
            f"podSelector [{policy.pod_selector}] of policy {policy.ref} selects the pods of "
            f"{len(found)} Dynatrace components ({names}), which need different traffic; "
            "every rule of this policy applies to all of them",
            policy_at(ctx, policy, "spec.podSelector"),
            "select one component per policy with app.kubernetes.io/component "
            f"({labels})")
