"""A named port that no destination pod declares.

## What it does
For every named `port` of a rule, looks up the container ports of the destination pods (the
selected pods for an ingress rule, the peer pods for an egress rule) and reports the name
when none of them declares a container port of that name and protocol. A named port in an
egress rule whose peers are all `ipBlock`s is always reported: it can never match an
address. Pod lookups run only when the input holds workloads.

## Why is this bad?
A named port resolves on each destination pod separately; a pod without that name matches
nothing, silently. Typos (`metric` for `metrics`), a name declared with another protocol,
and ports that the container listens on without declaring them (the OpenTelemetry
collector's, for instance) all leave the rule allowing nothing.

## Example
```yaml
ingress:
  - ports:
      - port: https-webhook    # the webhook container calls it server-port
```

## Use instead
```yaml
ingress:
  - ports:
      - port: server-port      # or the number, 8443
```

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import port_at, workloads_text
from dtnetpol.model.policy import Direction

ID = "NPL005"
NAME = "unknown-named-port"
SEVERITY = Severity.ERROR
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}


def check(ctx: LintContext) -> Iterator[Finding]:
    an = ctx.analyzer
    for policy in ctx.cluster.policies:
        for rule in (*policy.ingress, *policy.egress):
            named = [p for p in rule.ports if isinstance(p.port, str)]
            if not named:
                continue
            ip_only = (rule.direction is Direction.EGRESS and bool(rule.peers)
                       and all(p.ip_block is not None for p in rule.peers))
            if ip_only:
                for pp in named:
                    yield Finding(
                        ID, SEVERITY,
                        f"named port {pp.port!r} in an egress rule whose peers are all "
                        "ipBlocks: a named port never matches an address",
                        port_at(ctx, policy, rule, pp),
                        "write the port number")
                continue
            if not ctx.has_pods:
                continue
            if rule.direction is Direction.INGRESS:
                dests = ctx.selected_classes(policy)
            elif not rule.peers:
                dests = list(an.classes)
            else:
                idx: set[int] = set()
                for peer in rule.peers:
                    if peer.ip_block is None:
                        idx |= an.peer_classes(peer, policy.namespace)
                dests = [an.classes[i] for i in sorted(idx)]
            if not dests:
                continue
            for pp in named:
                if any(cp.name == pp.port and cp.protocol is pp.protocol
                       for c in dests for cp in c.ports):
                    continue
                other = sorted({f"{cp.port}/{cp.protocol.value}" for c in dests
                                for cp in c.ports if cp.name == pp.port})
                names = sorted({cp.name for c in dests for cp in c.ports if cp.name})
                if other:
                    detail = (f"the pods declare {pp.port!r} only as {', '.join(other)}, not "
                              f"{pp.protocol.value}")
                elif names:
                    detail = f"their named ports are {', '.join(names)}"
                else:
                    detail = "they declare no named port"
                yield Finding(
                    ID, SEVERITY,
                    f"named port {pp.port!r}/{pp.protocol.value} is declared by none of the "
                    f"destination pods ({workloads_text(dests)}): {detail}",
                    port_at(ctx, policy, rule, pp),
                    "use a name the container declares (ports[].name) or the port number")
