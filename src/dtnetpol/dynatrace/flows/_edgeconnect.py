"""Flows of EdgeConnect and of the operator on its behalf."""

from __future__ import annotations

from dtnetpol.dynatrace.components import Scope
from dtnetpol.dynatrace.flows._shared import EC, OP, dns_row, silent
from dtnetpol.dynatrace.flows._types import DestKind, FlowSpec, SourceKind, Where, always

__all__ = ["ROWS"]

_E = Scope.EDGECONNECT

ROWS: tuple[FlowSpec, ...] = (
    FlowSpec(
        id="edgeconnect-to-tenant", scope=_E,
        source_kind=SourceKind.COMPONENT, source=EC.value,
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True, condition="every EdgeConnect",
        symptoms=silent("EdgeConnect offline in Dynatrace", Where.COMPONENT_LOG),
        tenant_traffic=True,
        description="EdgeConnect → spec.apiServer (and the OAuth token endpoint)",
    ),
    FlowSpec(
        id="edgeconnect-to-apiserver", scope=_E,
        source_kind=SourceKind.COMPONENT, source=EC.value,
        dest_kind=DestKind.APISERVER, dest="apiserver", ports=(),
        required=True, condition="spec.kubernetesAutomation.enabled",
        applies=lambda ctx: ctx.ec.kubernetes_automation,
        symptoms=silent("Kubernetes automation workflows fail", Where.COMPONENT_LOG),
        description="EdgeConnect (Kubernetes automation) → kube-apiserver",
    ),
    FlowSpec(
        id="edgeconnect-to-targets", scope=_E,
        source_kind=SourceKind.COMPONENT, source=EC.value,
        dest_kind=DestKind.EXTERNAL, dest="EdgeConnect host patterns", ports=(),
        required=False, condition="spec.hostPatterns (what workflows reach through it)",
        applies=lambda ctx: bool(ctx.ec.host_patterns),
        symptoms=silent("workflow requests through EdgeConnect time out"),
        description="EdgeConnect → the hosts it forwards requests to",
    ),
    dns_row(EC, _E, always, "every EdgeConnect"),
    FlowSpec(
        id="operator-to-edgeconnect-api", scope=_E,
        source_kind=SourceKind.COMPONENT, source=OP.value,
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True, condition="spec.oauth.provisioner",
        applies=lambda ctx: ctx.ec.provisioner,
        symptoms=silent("EdgeConnect is not created/updated on the tenant",
                         Where.OPERATOR_LOG),
        tenant_traffic=True,
        description="operator provisions the EdgeConnect via spec.apiServer and OAuth",
        notes=("Found in the operator source (pkg/controllers/edgeconnect/controller.go).",),
    ),
    FlowSpec(
        id="operator-to-edgeconnect-registry", scope=_E,
        source_kind=SourceKind.COMPONENT, source=OP.value,
        dest_kind=DestKind.REGISTRY, dest="registry", ports=(),
        required=True, condition="default EdgeConnect image with autoUpdate (default)",
        applies=lambda ctx: ctx.ec.custom_image is None and ctx.ec.auto_update,
        symptoms=silent("EdgeConnect version status is not updated", Where.OPERATOR_LOG),
        tenant_traffic=True,
        description="operator reads the latest EdgeConnect image digest (docker.io)",
        notes=("Found in the operator source (pkg/controllers/edgeconnect/version).",),
    ),
)
