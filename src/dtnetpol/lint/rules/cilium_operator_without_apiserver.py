"""A Cilium policy that isolates the Dynatrace operator's egress without the API server.

## What it does
Finds CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies that put pods of the
operator namespace (option `namespace`) into egress default deny while no Cilium egress rule
that selects them reaches the `kube-apiserver` entity (`kube-apiserver`, `cluster` or
`all`, or a rule with `toPorts` and no peer). Without workloads in the input, the policies of
that namespace (and the clusterwide ones) are looked at together.

## Why is this bad?
The operator, its webhook and the CSI driver talk to the Kubernetes API all the time: they
watch DynaKubes, write Secrets and update status. Under egress default deny the API server
must be allowed explicitly, and on Cilium the way to name it is the `kube-apiserver` entity:
`toCIDR` never matches it (the API server has its own identity, not a CIDR one) and
`toServices` of `default/kubernetes` is not enough on every datapath.

## Example
```yaml
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: operator, namespace: dynatrace}
spec:
  endpointSelector: {}
  egress:
    - toFQDNs: [{matchPattern: "*.live.dynatrace.com"}]
      toPorts: [{ports: [{port: "443", protocol: TCP}]}]
```

## Use instead
```yaml
spec:
  endpointSelector: {}
  egress:
    - toEntities: [kube-apiserver]
      toPorts: [{ports: [{port: "6443", protocol: TCP}, {port: "443", protocol: TCP}]}]
```

## Options
- `namespace` (string, default `dynatrace`): the namespace of the Dynatrace operator.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dtnetpol.engine.cilium import CiliumIndex
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.model.cilium import CNP, CiliumPolicy, CiliumSpec
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction

ID = "NPL020"
NAME = "cilium-operator-without-apiserver"
SEVERITY = Severity.ERROR
KINDS = ("Cilium",)
OPTIONS: Mapping[str, str] = {"namespace": "str"}
DEFAULT: Mapping[str, Any] = {"namespace": "dynatrace"}

_ENTITIES = frozenset({"kube-apiserver", "cluster", "all"})


def _reaches_apiserver(spec: CiliumSpec) -> bool:
    return any(set(r.entities) & _ENTITIES or (not r.has_peer and r.to_ports)
               for r in spec.egress)


def check(ctx: LintContext) -> Iterator[Finding]:
    policies = ctx.cluster.cilium_policies
    if not policies:
        return
    namespace = str(ctx.rule_options(ID).get("namespace", DEFAULT["namespace"]))
    an = ctx.analyzer
    index = CiliumIndex(ctx.cluster)
    blamed: dict[int, tuple[CiliumPolicy, list[str]]] = {}
    classes = list(an.classes_in(namespace))
    if classes:
        for c in classes:
            specs = index.selecting(an, c)
            if not any(s.default_deny(Direction.EGRESS) for _, s in specs):
                continue
            if any(_reaches_apiserver(s) for _, s in specs):
                continue
            for p, s in specs:
                if s.default_deny(Direction.EGRESS):
                    blamed.setdefault(id(p), (p, []))[1].append(c.name)
    else:
        mine = [(p, s) for p in policies for s in p.specs
                if s.endpoint_selector is not None
                and (p.namespace == namespace or p.kind != CNP)]
        local = [(p, s) for p, s in mine if p.namespace == namespace]
        if any(s.default_deny(Direction.EGRESS) for _, s in local) and \
                not any(_reaches_apiserver(s) for _, s in mine):
            for p, s in local:
                if s.default_deny(Direction.EGRESS):
                    blamed.setdefault(id(p), (p, []))[1].append(f"pods of {namespace}")
    for policy, who in blamed.values():
        names = ", ".join(dict.fromkeys(who))
        yield Finding(
            ID, SEVERITY,
            f"{policy.ref} isolates the egress of {names} in the operator namespace "
            f"{namespace}, and no Cilium egress rule for them reaches the kube-apiserver "
            "entity: the operator, webhook and CSI driver lose the Kubernetes API",
            ctx.at(policy.location, "spec") if policy.location else
            SourceLocation("<unknown>"),
            "add an egress rule with toEntities: [kube-apiserver] and the API server's port "
            "(6443 self-hosted, 443 managed)")
