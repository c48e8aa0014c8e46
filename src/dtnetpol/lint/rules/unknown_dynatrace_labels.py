"""A selector on Dynatrace labels that no Dynatrace pod carries.

## What it does
Checks every podSelector (of a policy or of a peer) that uses Dynatrace labels (a key or
value containing `dynatrace`, or `app.kubernetes.io/name` set to an operand such as
`activegate`) against the label sets the Dynatrace Operator actually puts on its pods: the
install pods of the Helm chart and release manifests (operator, webhook, CSI driver, CRD
migration job) and the operands it creates (ActiveGate, OneAgent, extension controller,
OpenTelemetry collector, KSPM, log monitoring, SQL executor, EdgeConnect, ...). Only the
keys the operator owns are judged (`app.kubernetes.io/*`, `*.dynatrace.com/*`), so labels
users add through the DynaKube do not count against a selector. A selector that matches a
pod of the input is never reported. Names the closest component and what differs.

## Why is this bad?
Dynatrace has two label families, and guides on the web mix them: install pods carry
`app.kubernetes.io/name: dynatrace-operator` and differ by `app.kubernetes.io/component`,
while operands carry `app.kubernetes.io/name: <app>` with
`app.kubernetes.io/managed-by: dynatrace-operator`. `app.kubernetes.io/name:
dynatrace-webhook`, `dynatrace-activegate` or `dynatrace-oneagent-csi-node` exist on no
pod, and the operator's own sample policy requires `name: dynatrace-operator` together with
`managed-by: dynatrace-operator`, which no pod has. Such a policy selects nothing: the
Dynatrace pods it was written for stay open, or stay blocked under a default-deny.

## Example
```yaml
podSelector:
  matchLabels:
    app.kubernetes.io/name: dynatrace-webhook
```

## Use instead
```yaml
podSelector:
  matchLabels:
    app.kubernetes.io/name: dynatrace-operator
    app.kubernetes.io/component: webhook
```

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.dynatrace.components import APP_NAME, COMPONENTS, LabelFamily
from dtnetpol.engine.selectors import compile_selector
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import peer_at, policy_at
from dtnetpol.lint.rules._dynatrace import DynatracePod, dynatrace_pods, is_own_key, mismatches
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import LabelSelector

ID = "NPL016"
NAME = "unknown-dynatrace-labels"
SEVERITY = Severity.WARNING
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}

_OPERAND_APPS = frozenset(c.app_label for c in COMPONENTS.values()
                          if c.app_label and c.label_family is not LabelFamily.INSTALL)


def _looks_dynatrace(sel: LabelSelector) -> bool:
    for key, value in sel.match_labels:
        if "dynatrace" in key or "dynatrace" in value:
            return True
        if key == APP_NAME and value in _OPERAND_APPS:
            return True
    return any("dynatrace" in r.key or any("dynatrace" in v for v in r.values)
               for r in sel.match_expressions)


def _hints(dp: DynatracePod) -> tuple[str, ...]:
    c = dp.component
    words = {c.id.value, c.component_label or "", c.app_label or ""}
    return tuple(w for w in words if w and w not in ("dynatrace-operator",))


def _closest(sel: LabelSelector) -> tuple[DynatracePod, list[str]]:
    values = [v for _, v in sel.match_labels] + [v for r in sel.match_expressions
                                                 for v in r.values]
    ranked = []
    for order, dp in enumerate(dynatrace_pods()):
        miss = mismatches(sel, dp)
        hinted = any(h in v for h in _hints(dp) for v in values
                     if v not in ("dynatrace-operator",))
        ranked.append(((0 if hinted else 1, len(miss), order), dp, miss))
    ranked.sort(key=lambda r: r[0])
    return ranked[0][1], ranked[0][2]


def _judge(sel: LabelSelector | None) -> tuple[DynatracePod, list[str]] | None:
    if sel is None or sel.is_empty or not _looks_dynatrace(sel):
        return None
    if not any(is_own_key(k) for k, _ in sel.match_labels) and \
            not any(is_own_key(r.key) for r in sel.match_expressions):
        return None
    if any(not mismatches(sel, dp) for dp in dynatrace_pods()):
        return None
    return _closest(sel)


def _finding(field: str, sel: LabelSelector, dp: DynatracePod, miss: list[str],
             loc: SourceLocation) -> Finding:
    wanted = ", ".join(f"{k}: {v}" for k, v in sorted(dp.stable_selector().items()))
    return Finding(
        ID, SEVERITY,
        f"{field} [{sel}] matches no pod the Dynatrace Operator creates; closest: "
        f"{dp.title}, which differs in {'; '.join(miss)}",
        loc,
        f"select the {dp.component.display_name} pods by their own labels: {{{wanted}}}")


def check(ctx: LintContext) -> Iterator[Finding]:
    an = ctx.analyzer
    for policy in ctx.cluster.policies:
        hit = _judge(policy.pod_selector)
        if hit is not None and not (ctx.has_pods and ctx.selected_classes(policy)):
            yield _finding("podSelector", policy.pod_selector, *hit,
                           policy_at(ctx, policy, "spec.podSelector"))
        for rule in (*policy.ingress, *policy.egress):
            for peer in rule.peers:
                hit = _judge(peer.pod_selector)
                if hit is None or peer.pod_selector is None:
                    continue
                if ctx.has_pods and any(compile_selector(peer.pod_selector)(c.labels)
                                        for c in an.classes):
                    continue
                yield _finding("peer podSelector", peer.pod_selector, *hit,
                               peer_at(ctx, policy, rule, peer, "podSelector"))
