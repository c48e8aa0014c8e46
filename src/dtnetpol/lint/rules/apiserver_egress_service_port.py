"""Egress to the API server allowed on the Service port (443) instead of the endpoint port.

## What it does
When the API server's endpoint is known (the `default/kubernetes` Endpoints or
EndpointSlice in the input, or `apiserver` in the configuration) and its port differs from
the `kubernetes` Service port (443), finds egress rules meant for the API server: rules
that allow port 443 to the endpoint's addresses, or whose `ipBlock` covers the `kubernetes`
Service's cluster IP. Reports such a rule when the pods it applies to are still not allowed
to reach the endpoint address on the endpoint port.

## Why is this bad?
`kubernetes.default.svc:443` is translated to the endpoint (often port 6443 on kubeadm,
k3s and OpenShift) before egress policy is applied, on Calico and Cilium alike. A rule for
443, or for the Service's cluster IP, never matches the translated packet: the operator,
webhook, ActiveGate and every other API client fail at start-up with
`dial tcp 10.96.0.1:443: i/o timeout`.

## Example
```yaml
egress:
  - to:
      - ipBlock: {cidr: 10.96.0.1/32}    # the kubernetes Service IP
    ports:
      - port: 443
```

## Use instead
```yaml
egress:
  - to:
      - ipBlock: {cidr: 192.168.10.5/32}  # the endpoint address
    ports:
      - port: 6443                        # the endpoint port
```

## Options
- `service-port` (integer, default 443): the port of the `kubernetes` Service.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.analysis import CompiledRule
from dtnetpol.lint.context import ApiServerEndpoint, LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import peer_at, port_at
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction, Protocol

ID = "NPL008"
NAME = "apiserver-egress-service-port"
SEVERITY = Severity.ERROR
OPTIONS: Mapping[str, str] = {"service-port": "int"}
DEFAULT: Mapping[str, Any] = {"service-port": 443}


def _meant(rule: CompiledRule, endpoint: ApiServerEndpoint, service_ips: AddressSet,
           service_port: int) -> bool:
    """Is this rule written for the API server? A narrow ipBlock (/16 or smaller) on the
    kubernetes Service IP, or on the endpoint address with the Service port."""
    for peer in rule.rule.peers:
        block = peer.ip_block
        if block is None or block.cidr.prefixlen < (16 if block.cidr.version == 4 else 64):
            continue
        addrs = AddressSet.of_block(block)
        if service_ips and addrs.intersection(service_ips):
            return True
        if (endpoint.addresses and addrs.intersection(endpoint.address_set)
                and rule.ports.numeric.contains(Protocol.TCP, service_port)):
            return True
    return False


def _reaches(rules: Sequence[CompiledRule], endpoint: ApiServerEndpoint) -> bool:
    """Do these rules together allow the endpoint port to every endpoint address?"""
    wanted = endpoint.address_set
    covered = AddressSet()
    for r in rules:
        if r.ports.numeric.contains(endpoint.protocol, endpoint.port):
            covered = covered.union(r.ip_addresses)
    if not endpoint.addresses:
        return False
    return not wanted.difference(covered)


def check(ctx: LintContext) -> Iterator[Finding]:
    opts = {**DEFAULT, **ctx.rule_options(ID)}
    service_port = int(opts["service-port"])
    endpoint = ctx.apiserver
    if endpoint is None or endpoint.port == service_port:
        return
    service_ips = AddressSet.of_networks(ctx.kubernetes_service_addresses)
    an = ctx.analyzer
    reported: set[int] = set()
    for policy in ctx.cluster.policies:
        if not policy.isolates(Direction.EGRESS):
            continue
        if ctx.has_pods:
            subjects = [list(an.rules_for(c, Direction.EGRESS))
                        for c in ctx.selected_classes(policy) if not c.host_network]
        else:
            subjects = [[r for p in ctx.companions(policy, Direction.EGRESS)
                         for r in an.compiled_rules(p, Direction.EGRESS)]]
        for mine in an.compiled_rules(policy, Direction.EGRESS):
            if id(mine) in reported or not _meant(mine, endpoint, service_ips, service_port):
                continue
            if not subjects or all(_reaches(rules, endpoint) for rules in subjects):
                continue
            reported.add(id(mine))
            rule = mine.rule
            port443 = next((p for p in rule.ports if p.port == service_port
                            and p.protocol is Protocol.TCP), None)
            loc: SourceLocation
            if port443 is not None:
                loc = port_at(ctx, policy, rule, port443)
            else:
                peer = next(p for p in rule.peers if p.ip_block is not None)
                loc = peer_at(ctx, policy, rule, peer, "ipBlock.cidr")
            yield Finding(
                ID, SEVERITY,
                f"egress meant for the API server allows the kubernetes Service "
                f"({service_port} or its cluster IP), but policies see the endpoint after "
                f"translation, {endpoint} ({endpoint.source}), which no rule allows",
                loc,
                f"allow TCP {endpoint.port} to the endpoint address(es) with an ipBlock")
