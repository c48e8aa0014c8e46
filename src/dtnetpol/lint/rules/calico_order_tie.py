"""Calico policies of one tier with the same order whose outcome then depends on their names.

## What it does
Reports two Calico policies (NetworkPolicy or GlobalNetworkPolicy) in the same tier with
the same `order` (or both without one) that apply to a common pod in a common direction
(any pod when the input holds none) and disagree: one has an `Allow` rule, the other a
`Deny` or `Pass` rule. Also a Calico policy of the `default` tier at order 1000 with
`Deny` or `Pass` rules that ties with the Kubernetes NetworkPolicies selecting the same
pods (Calico gives each of those order 1000 and the name `knp.default.<name>`).

## Why is this bad?
Calico runs policies of equal order by name. Which one decides then hangs on an
alphabetical accident: renaming a policy (or adding one whose name sorts between them)
silently swaps an allow for a deny.

## Example
```yaml
kind: NetworkPolicy            # projectcalico.org/v3
metadata: {name: allow-web, namespace: shop}
spec: {order: 100, selector: app == 'web', ingress: [{action: Allow}]}
---
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {order: 100, selector: all(), ingress: [{action: Deny}]}
```

## Use instead
Give the policy that must win the lower order:
```yaml
metadata: {name: allow-web, namespace: shop}
spec: {order: 90, selector: app == 'web', ingress: [{action: Allow}]}
```

## Options
None.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.engine.calico_eval import CalicoEnd, applies
from dtnetpol.engine.selectors import selector_matches
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.model.calico import DEFAULT_TIER, K8S_POLICY_ORDER, Action, CalicoPolicy
from dtnetpol.model.cluster import Pod
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction, NetworkPolicy

ID = "NPL018"
NAME = "calico-order-tie"
SEVERITY = Severity.WARNING
KINDS = ("Calico", "NetworkPolicy")
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}

_DECIDING = (Action.DENY, Action.PASS)


def _end(ctx: LintContext, pod: Pod) -> CalicoEnd:
    ns = ctx.cluster.namespace(pod.namespace)
    return CalicoEnd(pod.namespace, pod.labels, ns.labels, pod.service_account)


def _actions(p: CalicoPolicy, direction: Direction) -> set[Action]:
    return {r.action for r in p.rules(direction)}


def _order(p: CalicoPolicy) -> str:
    return "no order" if p.order is None else f"order {p.order:g}"


def _at(ctx: LintContext, p: CalicoPolicy) -> SourceLocation:
    prefix = p.location.path if p.location is not None else ""
    field = "spec.order" if p.order is not None else "spec"
    return ctx.at(p.location, f"{prefix}.{field}" if prefix else field)


def check(ctx: LintContext) -> Iterator[Finding]:
    pods = [p for p in ctx.cluster.pods if not p.host_network]
    ends = [(pod, _end(ctx, pod)) for pod in pods]

    def common(a: CalicoPolicy, b: CalicoPolicy | None, d: Direction) -> list[Pod] | None:
        """Pods both select for ``d`` (b None: the Kubernetes policies'); None: no pods."""
        if not ends:
            return None
        out = []
        for pod, end in ends:
            if not applies(a, end, d):
                continue
            if b is None:
                if any(k.namespace == pod.namespace and k.isolates(d)
                       and _k8s_selects(k, pod) for k in ctx.cluster.policies):
                    out.append(pod)
            elif applies(b, end, d):
                out.append(pod)
        return out

    policies = [p for p in ctx.cluster.calico.policies if not p.host_endpoint_only]
    for a, b in itertools.combinations(sorted(policies, key=lambda p: p.sort_key), 2):
        if a.tier != b.tier or a.order != b.order:
            continue
        for d in Direction:
            if d not in a.types or d not in b.types:
                continue
            xa, xb = _actions(a, d), _actions(b, d)
            clash = ((Action.ALLOW in xa and xb & set(_DECIDING))
                     or (Action.ALLOW in xb and xa & set(_DECIDING)))
            if not clash:
                continue
            shared = common(a, b, d)
            if shared is not None and not shared:
                continue
            who = _who(shared)
            yield Finding(
                ID, SEVERITY,
                f"Calico policies {a.ref} and {b.ref} of tier {a.tier} have the same "
                f"{_order(a)} and disagree on {d.word} of {who}: Calico runs them by name, so "
                f"{a.ref} decides first; renaming either one can turn an allow into a deny",
                _at(ctx, b),
                f"give the policy that must win a lower order than the other ({a.ref}, "
                f"{b.ref})")
            break
    if not ctx.cluster.policies:
        return
    for p in policies:
        if p.tier != DEFAULT_TIER or p.order != K8S_POLICY_ORDER:
            continue
        for d in Direction:
            if d not in p.types or not _actions(p, d) & set(_DECIDING):
                continue
            shared = common(p, None, d)
            if shared is not None and not shared:
                continue
            yield Finding(
                ID, SEVERITY,
                f"Calico policy {p.ref} has order 1000 in tier default, the order of every "
                f"Kubernetes NetworkPolicy, and denies or passes {d.word} of {_who(shared)}: "
                f"Calico runs them by name (knp.default.<name>), so whether its Deny/Pass "
                "comes first depends on the names",
                _at(ctx, p), "give it an order below 1000 (before) or above (after)")
            break


def _who(pods: list[Pod] | None) -> str:
    if pods is None:
        return "the pods both select"
    names = list(dict.fromkeys(str(p.owner) for p in pods))
    more = f" (+{len(names) - 3})" if len(names) > 3 else ""
    return ", ".join(names[:3]) + more


def _k8s_selects(policy: NetworkPolicy, pod: Pod) -> bool:
    return selector_matches(policy.pod_selector, pod.labels)
