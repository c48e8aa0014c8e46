"""An ipBlock that covers pod or Service addresses.

## What it does
Compares every `ipBlock` (its `cidr` minus `except`) with the cluster's address ranges:
the pod CIDRs (`pod-cidrs` in the configuration, or the Nodes' `spec.podCIDRs` in the
input), the Service CIDRs (`service-cidrs` in the configuration) and the cluster IPs of the
Services in the input. Reports a block that lies inside one of these ranges or overlaps it
partly. A block that merely contains a whole cluster range (`0.0.0.0/0`, `10.0.0.0/8`) is
left alone unless the `supersets` option is on.

## Why is this bad?
`ipBlock` is meant for addresses outside the cluster. Whether it matches pod IPs is up to
the CNI: Cilium never matches pod IPs with it, Calico does, others differ; so the policy
means different things on different clusters. Service cluster IPs are never seen at all:
policies apply after the Service is translated to a pod address.

## Example
```yaml
egress:
  - to:
      - ipBlock: {cidr: 10.244.1.0/24}    # a node's pod range
```

## Use instead
```yaml
egress:
  - to:
      - namespaceSelector:
          matchLabels: {kubernetes.io/metadata.name: backend}
```

## Options
- `supersets` (boolean, default false): also report blocks that contain a whole pod or
  Service range.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import peer_at
from dtnetpol.model.policy import IPNetwork

ID = "NPL012"
NAME = "ipblock-overlaps-cluster"
SEVERITY = Severity.WARNING
OPTIONS: Mapping[str, str] = {"supersets": "bool"}
DEFAULT: Mapping[str, Any] = {"supersets": False}


def _contains(outer: IPNetwork, inner: IPNetwork) -> bool:
    return outer.version == inner.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def check(ctx: LintContext) -> Iterator[Finding]:
    opts = {**DEFAULT, **ctx.rule_options(ID)}
    supersets = bool(opts["supersets"])
    ranges: list[tuple[str, IPNetwork]] = [("pod CIDR", n) for n in ctx.pod_cidrs]
    ranges += [("Service CIDR", n) for n in ctx.service_cidrs]
    ranges += [("Service cluster IP", n) for n in ctx.service_addresses
               if not any(_contains(r, n) for _, r in ranges)]
    if not ranges:
        return
    for policy in ctx.cluster.policies:
        for rule in (*policy.ingress, *policy.egress):
            for peer in rule.peers:
                block = peer.ip_block
                if block is None:
                    continue
                addrs = AddressSet.of_block(block)
                for what, net in ranges:
                    if not addrs.intersection(AddressSet.of_networks([net])):
                        continue
                    if _contains(block.cidr, net) and block.cidr != net and not supersets:
                        continue
                    if what.startswith("pod"):
                        why = ("whether an ipBlock matches pod IPs is up to the CNI (Cilium "
                               "never, Calico does)")
                        fix = ("select the pods with podSelector/namespaceSelector, or put the "
                               "pod CIDR under except")
                    else:
                        why = ("policies see the pod address after Service translation, "
                               "never a Service IP")
                        fix = "select the Service's pods with podSelector/namespaceSelector"
                    yield Finding(
                        ID, SEVERITY,
                        f"ipBlock {block} overlaps the {what} {net}: {why}",
                        peer_at(ctx, policy, rule, peer, "ipBlock.cidr"),
                        fix)
                    break
