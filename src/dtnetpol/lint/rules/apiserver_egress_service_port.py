"""Egress to the API server allowed on the Service port (443) instead of the endpoint port.

## What it does
When the API server's endpoint is known (the `default/kubernetes` Endpoints or
EndpointSlice in the input, or `apiserver` in the configuration) and its port differs from
the `kubernetes` Service port (443), finds egress rules meant for the API server: rules
that allow port 443 to the endpoint's addresses through a narrow `ipBlock` (/16 or smaller), or
whose `ipBlock` covers the `kubernetes` Service's cluster IP; for pods known to need the API
server (the Dynatrace operator, webhook, CSI driver, ActiveGate, extension controller,
OpenTelemetry collector, EdgeConnect) any `ipBlock` with port 443 that covers the endpoint
address counts (such as `0.0.0.0/0`). Reports such a rule when the pods it applies to are
still not allowed to reach the endpoint address on the endpoint port.

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

from dtnetpol.dynatrace.components import ComponentId, recognise
from dtnetpol.dynatrace.label_templates import could_select, dynatrace_pods
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

#: Dynatrace components that talk to the API server (their egress needs its endpoint).
API_CLIENTS = frozenset({ComponentId.OPERATOR, ComponentId.WEBHOOK, ComponentId.CSI_DRIVER,
                         ComponentId.ACTIVEGATE, ComponentId.EXTENSION_CONTROLLER,
                         ComponentId.OTEL_COLLECTOR, ComponentId.EDGECONNECT,
                         ComponentId.KUBEMON})


def _meant(rule: CompiledRule, endpoint: ApiServerEndpoint, service_ips: AddressSet,
           service_port: int, api_client: bool) -> bool:
    """Is this rule written for the API server? A narrow ipBlock (/16 or smaller) on the
    kubernetes Service IP, or on the endpoint address with the Service port; for pods known
    to be API clients (Dynatrace components) any ipBlock on the endpoint address counts."""
    for peer in rule.rule.peers:
        block = peer.ip_block
        if block is None:
            continue
        if not api_client and block.cidr.prefixlen < (16 if block.cidr.version == 4 else 64):
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
        subjects: list[tuple[list[CompiledRule], str | None]] = []
        if ctx.has_pods:
            for c in ctx.selected_classes(policy):
                if not c.host_network:
                    comp = recognise(c.labels)
                    client = c.name if comp in API_CLIENTS else None
                    subjects.append((list(an.rules_for(c, Direction.EGRESS)), client))
        else:
            rules = [r for p in ctx.companions(policy, Direction.EGRESS)
                     for r in an.compiled_rules(p, Direction.EGRESS)]
            client = next((f"the {dp.component.display_name} pods" for dp in dynatrace_pods()
                           if dp.component.id in API_CLIENTS
                           and not policy.pod_selector.is_empty
                           and could_select(policy.pod_selector, dp)), None)
            subjects.append((rules, client))
        for mine in an.compiled_rules(policy, Direction.EGRESS):
            if id(mine) in reported:
                continue
            broken = [client for rules, client in subjects
                      if _meant(mine, endpoint, service_ips, service_port, client is not None)
                      and not _reaches(rules, endpoint)]
            if not broken:
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
            clients = sorted({c for c in broken if c})
            if clients:
                what = (f"egress of {', '.join(clients)}, which need the API server, allows "
                        f"port {service_port} towards it")
            else:
                what = (f"egress meant for the API server allows the kubernetes Service "
                        f"(port {service_port} or its cluster IP)")
            yield Finding(
                ID, SEVERITY,
                f"{what}, but policies see the endpoint after Service translation, "
                f"{endpoint} ({endpoint.source}), which no rule allows",
                loc,
                f"allow TCP {endpoint.port} to the endpoint address(es) with an ipBlock")
