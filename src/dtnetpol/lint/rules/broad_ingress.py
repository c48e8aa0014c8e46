"""Ingress from every namespace (or every address) on every port.

## What it does
Reports an ingress rule that allows every TCP port (no `ports`, or a `ports` item without a
`port`) from every peer (no `from`), from `namespaceSelector: {}` (all pods of all
namespaces, with no or an empty `podSelector`), or from `0.0.0.0/0` / `::/0`.

## Why is this bad?
The rule undoes ingress isolation for the selected pods: any pod of the cluster (or any
address) reaches every port they open, including metrics and debug endpoints. Name the
clients and the ports they use.

## Example
```yaml
ingress:
  - from:
      - namespaceSelector: {}
```

## Use instead
```yaml
ingress:
  - from:
      - namespaceSelector:
          matchLabels: {dynakube.internal.dynatrace.com/instance: dynakube}
    ports:
      - port: 9999
```

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.engine.ports import ALL_PORTS
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import compiled, peer_at, rule_at
from dtnetpol.model.policy import Peer, Protocol

ID = "NPL014"
NAME = "broad-ingress"
SEVERITY = Severity.WARNING
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}

FIX = "list the clients (namespace and pod selectors) and the ports they use"


def _everyone(peer: Peer) -> str | None:
    if peer.ip_block is not None:
        return str(peer.ip_block) if peer.ip_block.cidr.prefixlen == 0 else None
    ns = peer.namespace_selector
    if ns is not None and ns.is_empty and (peer.pod_selector is None
                                           or peer.pod_selector.is_empty):
        return "every pod of every namespace (namespaceSelector: {})"
    return None


def check(ctx: LintContext) -> Iterator[Finding]:
    for policy in ctx.cluster.policies:
        for rule in policy.ingress:
            ports = compiled(ctx, policy, rule).ports
            if ports.numeric.get(Protocol.TCP) != ALL_PORTS:
                continue
            if not rule.peers:
                yield Finding(
                    ID, SEVERITY,
                    f"ingress[{rule.index}] of policy {policy.ref} allows every source on "
                    "every port (no 'from', no 'ports')",
                    rule_at(ctx, policy, rule), FIX)
                continue
            for peer in rule.peers:
                who = _everyone(peer)
                if who is None:
                    continue
                rel = "ipBlock.cidr" if peer.ip_block is not None else "namespaceSelector"
                yield Finding(
                    ID, SEVERITY,
                    f"ingress[{rule.index}] of policy {policy.ref} allows {who} on every port",
                    peer_at(ctx, policy, rule, peer, rel), FIX)
