"""Egress to every address on every port.

## What it does
Reports an egress rule that allows every TCP port (no `ports`, or a `ports` item without a
`port`) to `0.0.0.0/0` or `::/0` (with or without `except`), or to every peer (a rule with
no `to`).

## Why is this bad?
Such a rule turns egress isolation off for the pods it selects, for everything outside the
excepted ranges: a compromised pod can reach any host on any port, and the policy no longer
documents what the workload needs. Dynatrace components need a handful of destinations and
ports (the tenant or an ActiveGate on 443/9999, the API server, DNS); list them.

## Example
```yaml
egress:
  - to:
      - ipBlock: {cidr: 0.0.0.0/0}
```

## Use instead
```yaml
egress:
  - to:
      - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}
    ports:
      - port: 443
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
from dtnetpol.model.policy import Protocol

ID = "NPL013"
NAME = "broad-egress"
SEVERITY = Severity.WARNING
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}

FIX = "list the destinations and ports the pods need (e.g. TCP 443 to the tenant)"


def check(ctx: LintContext) -> Iterator[Finding]:
    for policy in ctx.cluster.policies:
        for rule in policy.egress:
            ports = compiled(ctx, policy, rule).ports
            if ports.numeric.get(Protocol.TCP) != ALL_PORTS:
                continue
            if not rule.peers:
                yield Finding(
                    ID, SEVERITY,
                    f"egress[{rule.index}] of policy {policy.ref} allows every destination on "
                    "every port (no 'to', no 'ports')",
                    rule_at(ctx, policy, rule), FIX)
                continue
            for peer in rule.peers:
                block = peer.ip_block
                if block is None or block.cidr.prefixlen != 0:
                    continue
                yield Finding(
                    ID, SEVERITY,
                    f"egress[{rule.index}] of policy {policy.ref} allows {block} on every "
                    "port",
                    peer_at(ctx, policy, rule, peer, "ipBlock.cidr"), FIX)
