"""A `from`/`to` peer whose selectors match no namespace or no pod.

## What it does
For every peer written with `namespaceSelector` and/or `podSelector`, reports when the
namespace selector matches no namespace of the input, or when the pod selector matches no
pod in the namespaces it applies to (the policy's own namespace when `namespaceSelector` is
absent). Names the pod or namespace that came closest. The rule runs only when the input
holds workloads. A pod selector is judged only when every namespace it applies to holds
workloads in the input and the namespace selector is not `{}` (the peer's pods may simply
not be part of the input). A namespace selector is judged only when it names, or nearly
names, a namespace or a namespace label value of the input (else the namespace may just not
be part of the input), and only when the labels of every namespace are known (Namespace
objects in the input) or it selects by name.

## Why is this bad?
A peer that matches nothing allows nothing: the connection the rule was written for stays
blocked. The usual causes are a label typo, a pod selector that silently applies to the
policy's own namespace because `namespaceSelector` is missing, and a namespace selector on
a label the namespace does not carry (`name: kube-system` instead of
`kubernetes.io/metadata.name: kube-system`). Selectors never match host-network pods.

## Example
```yaml
ingress:
  - from:
      - namespaceSelector:
          matchLabels: {name: monitoring}   # not a label namespaces carry by default
```

## Use instead
```yaml
ingress:
  - from:
      - namespaceSelector:
          matchLabels: {kubernetes.io/metadata.name: monitoring}
```

## Options
None.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.engine.label_index import LabelIndex
from dtnetpol.engine.selectors import compile_selector, explain_mismatch
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import peer_at, selector_text
from dtnetpol.lint.rules._nearest import nearest_miss
from dtnetpol.model.cluster import NAME_LABEL
from dtnetpol.model.policy import LabelSelector

ID = "NPL003"
NAME = "peer-matches-nothing"
SEVERITY = Severity.WARNING
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}


def _by_name_only(selector: LabelSelector) -> bool:
    return (all(k == NAME_LABEL for k, _ in selector.match_labels)
            and all(r.key == NAME_LABEL for r in selector.match_expressions))


def check(ctx: LintContext) -> Iterator[Finding]:
    if not ctx.has_pods:
        return
    an = ctx.analyzer
    cluster = ctx.cluster
    namespaces = sorted(set(cluster.namespaces) | {p.namespace for p in cluster.pods})
    labels_known = all(not cluster.namespace(n).assumed for n in namespaces)
    # Namespaces per distinct selector through a label index: a big input has thousands of
    # peers and namespaces, and testing each against each made the rule quadratic.
    index = LabelIndex((n, cluster.namespace(n).labels) for n in namespaces)
    namespaces_of: dict[LabelSelector, list[str]] = {}
    with_pods = {c.namespace for c in an.classes}
    known = _known_values(ctx, namespaces)
    for policy in cluster.policies:
        for rule in (*policy.ingress, *policy.egress):
            for peer in rule.peers:
                if peer.ip_block is not None:
                    continue
                if peer.namespace_selector is not None:
                    ns_sel = peer.namespace_selector
                    hits = namespaces_of.get(ns_sel)
                    if hits is None:
                        hits = namespaces_of[ns_sel] = sorted(index.select(ns_sel))
                    if not hits:
                        if not labels_known and not _by_name_only(ns_sel):
                            continue
                        if not _means_input_namespace(ns_sel, known):
                            continue  # likely a namespace the input does not show
                        yield Finding(
                            ID, SEVERITY,
                            f"namespaceSelector {selector_text(ns_sel)} matches no namespace "
                            f"of the input{_nearest_namespace(ctx, ns_sel, namespaces)}",
                            peer_at(ctx, policy, rule, peer, "namespaceSelector"),
                            "select namespaces by a label they carry, e.g. "
                            f"{NAME_LABEL}: <name>")
                        continue
                else:
                    hits = [policy.namespace]
                if peer.pod_selector is None:
                    continue
                if an.peer_classes(peer, policy.namespace):
                    continue
                if peer.namespace_selector is not None and peer.namespace_selector.is_empty:
                    continue  # every namespace: also those the input does not show
                if any(n not in with_pods for n in hits):
                    continue  # some of those namespaces' workloads are not in the input
                candidates = [c for c in an.classes if c.namespace in hits]
                pod_sel = selector_text(peer.pod_selector)
                shown = ", ".join(hits[:3]) + (f" and {len(hits) - 3} more"
                                               if len(hits) > 3 else "")
                where = (f"namespace {policy.namespace} (the policy's own: the peer has no "
                         "namespaceSelector)" if peer.namespace_selector is None
                         else f"namespace{'s' if len(hits) > 1 else ''} {shown}")
                hostnet = [c for c in candidates if c.host_network
                           and compile_selector(peer.pod_selector)(c.labels)]
                if hostnet:
                    detail = (f"it matches only host-network pods ({hostnet[0].name}), which "
                              "no selector ever matches")
                else:
                    detail = "no pod there carries these labels" + nearest_miss(
                        peer.pod_selector, [c for c in candidates if not c.host_network])
                yield Finding(
                    ID, SEVERITY,
                    f"podSelector {pod_sel} matches no pod in {where}: {detail}",
                    peer_at(ctx, policy, rule, peer, "podSelector"),
                    "match the labels of the peer's pod template, and add a "
                    "namespaceSelector when the peer lives in another namespace")


def _known_values(ctx: LintContext, namespaces: list[str]) -> list[str]:
    """The namespaces of the input and their label values, sorted."""
    return sorted(set(namespaces) | {v for n in namespaces
                                     for v in ctx.cluster.namespace(n).labels.values() if v})


def _means_input_namespace(selector: LabelSelector, known: list[str]) -> bool:
    """Does the selector name (or nearly name) a namespace, or a namespace label value, of
    the input (``known``: :func:`_known_values`)? Then a miss is a mistake, not a namespace
    left out of the input."""
    values = [v for _, v in selector.match_labels] + [v for r in selector.match_expressions
                                                      if r.operator == "In" for v in r.values]
    known_set = set(known)
    return any(v in known_set or difflib.get_close_matches(v, known, n=1, cutoff=0.8)
               for v in values)


def _nearest_namespace(ctx: LintContext, selector: LabelSelector,
                       namespaces: list[str]) -> str:
    best: tuple[int, str, list[str]] | None = None
    for n in namespaces:
        misses = explain_mismatch(selector, ctx.cluster.namespace(n).labels)
        if misses and (best is None or (len(misses), n) < best[:2]):
            best = (len(misses), n, misses)
    return "" if best is None else f"; closest: {best[1]} ({'; '.join(best[2])})"
