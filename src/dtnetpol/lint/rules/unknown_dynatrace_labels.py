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
Policies the API server would reject (see `invalid-policy`) are checked too, from the
document as written.

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

from dtnetpol.dynatrace.label_templates import DynatracePod, impossible
from dtnetpol.engine.selectors import compile_selector
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import join, peer_at, policy_at
from dtnetpol.manifest.selectors import read_selector
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import LabelSelector

ID = "NPL016"
NAME = "unknown-dynatrace-labels"
SEVERITY = Severity.WARNING
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}

def _finding(field: str, sel: LabelSelector, dp: DynatracePod, miss: list[str],
             loc: SourceLocation) -> Finding:
    wanted = ", ".join(f"{k}: {v}" for k, v in sorted(dp.stable_selector().items()))
    return Finding(
        ID, SEVERITY,
        f"{field} [{sel}] matches no pod the Dynatrace Operator creates; closest: "
        f"{dp.title}, which differs in {'; '.join(miss)}",
        loc,
        f"select the {dp.component.display_name} pods by their own labels: {{{wanted}}}")


def _raw_selector(value: Any, loc: SourceLocation) -> LabelSelector | None:
    """A selector read from an unconverted document, or None when it is malformed."""
    selector, problems = read_selector(value, loc)
    return None if problems else selector


def _rejected(ctx: LintContext) -> Iterator[Finding]:
    """Policies the loader left out (API validation problems), judged as written."""
    seen: set[tuple[str, int, str]] = set()
    for problem in ctx.problems:
        loc = problem.location
        prefix = loc.path[: loc.path.index("]") + 1] if loc.path.startswith("items[") else ""
        key = (loc.file, loc.document, prefix)
        if key in seen:
            continue
        seen.add(key)
        kind, _ = ctx.raw(loc, join(prefix, "kind"))
        if kind != "NetworkPolicy":
            continue
        value, found = ctx.raw(loc, join(prefix, "spec.podSelector"))
        selector = _raw_selector(value, loc) if found else None
        hit = impossible(selector)
        if hit is not None and selector is not None and ctx.has_pods and any(
                compile_selector(selector)(c.labels) for c in ctx.analyzer.classes):
            continue
        if hit is not None and selector is not None:
            yield _finding("podSelector", selector, *hit,
                           ctx.at(loc, join(prefix, "spec.podSelector")))


def check(ctx: LintContext) -> Iterator[Finding]:
    yield from _rejected(ctx)
    an = ctx.analyzer
    for policy in ctx.cluster.policies:
        hit = impossible(policy.pod_selector)
        if hit is not None and not (ctx.has_pods and ctx.selected_classes(policy)):
            yield _finding("podSelector", policy.pod_selector, *hit,
                           policy_at(ctx, policy, "spec.podSelector"))
        for rule in (*policy.ingress, *policy.egress):
            for peer in rule.peers:
                hit = impossible(peer.pod_selector)
                if hit is None or peer.pod_selector is None:
                    continue
                if ctx.has_pods and any(compile_selector(peer.pod_selector)(c.labels)
                                        for c in an.classes):
                    continue
                yield _finding("peer podSelector", peer.pod_selector, *hit,
                               peer_at(ctx, policy, rule, peer, "podSelector"))
