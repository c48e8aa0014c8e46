"""Two `from`/`to` items that look like one peer split in two (OR where AND was meant).

## What it does
Reports a `from`/`to` list where an item with only a `namespaceSelector` sits next to an
item with only a (non-empty) `podSelector`. Written as two list items they are two peers,
ORed: *every* pod of the selected namespaces, **or** the selected pods of the policy's own
namespace. Written as one item (no `-` before `podSelector`) they are one peer, ANDed: the
selected pods **in** the selected namespaces.

## Why is this bad?
One `-` too many widens the rule to whole namespaces and, at the same time, looks for the
pods in the wrong namespace. It is the most common NetworkPolicy mistake, and nothing
rejects it.

## Example
```yaml
ingress:
  - from:
      - namespaceSelector:
          matchLabels: {kubernetes.io/metadata.name: monitoring}
      - podSelector:
          matchLabels: {app: prometheus}
```

## Use instead
```yaml
ingress:
  - from:
      - namespaceSelector:
          matchLabels: {kubernetes.io/metadata.name: monitoring}
        podSelector:
          matchLabels: {app: prometheus}
```
If you did mean both peers, keep them and suppress the finding with the policy annotation
`dtnetpol.dev/ignore: NPL009`.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import peer_at, peer_side, selector_text
from dtnetpol.model.policy import Peer

ID = "NPL009"
NAME = "and-or-confusion"
SEVERITY = Severity.WARNING
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}


def _ns_only(p: Peer) -> bool:
    return p.ip_block is None and p.namespace_selector is not None and p.pod_selector is None


def _pod_only(p: Peer) -> bool:
    return (p.ip_block is None and p.namespace_selector is None and p.pod_selector is not None
            and not p.pod_selector.is_empty)


def check(ctx: LintContext) -> Iterator[Finding]:
    for policy in ctx.cluster.policies:
        for rule in (*policy.ingress, *policy.egress):
            side = peer_side(rule)
            peers = rule.peers
            for i in range(len(peers) - 1):
                a, b = peers[i], peers[i + 1]
                if _ns_only(a) and _pod_only(b):
                    ns, pod = a, b
                elif _pod_only(a) and _ns_only(b):
                    ns, pod = b, a
                else:
                    continue
                ns_text = selector_text(ns.namespace_selector)
                pod_text = selector_text(pod.pod_selector)
                yield Finding(
                    ID, SEVERITY,
                    f"{side}[{i}] and {side}[{i + 1}] are two peers (OR): every pod in "
                    f"namespaces [{ns_text}], or pods [{pod_text}] in {policy.namespace}; "
                    f"one peer with both selectors (AND) would mean pods [{pod_text}] in "
                    f"namespaces [{ns_text}]",
                    peer_at(ctx, policy, rule, b),
                    f"if you meant the pods in those namespaces, remove the '-' before "
                    f"{'podSelector' if b is pod else 'namespaceSelector'} so that both "
                    "selectors form one peer")
