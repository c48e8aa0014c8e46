"""Flows of the experimental kubemon operand (Helm experimental.enableKubemonOperand)."""

from __future__ import annotations

from dtnetpol.dynatrace.components import Scope
from dtnetpol.dynatrace.flows._shared import (
    KSPM,
    KUBEMON,
    apiserver_row,
    dns_row,
    kspm,
    kubemon,
    silent,
)
from dtnetpol.dynatrace.flows._types import DestKind, FlowPort, FlowSpec, SourceKind, Where
from dtnetpol.model import Protocol

__all__ = ["ROWS"]

_T = Protocol.TCP
_D = Scope.DYNAKUBE

ROWS: tuple[FlowSpec, ...] = (
    FlowSpec(
        id="kubemon-to-endpoints", scope=_D,
        source_kind=SourceKind.COMPONENT, source=KUBEMON.value,
        dest_kind=DestKind.ACTIVEGATE_ENDPOINTS, dest="activegate-endpoints", ports=(),
        required=True,
        condition="Helm experimental.enableKubemonOperand and spec.kubernetesMonitoring",
        applies=kubemon, symptoms=silent("Kubernetes monitoring data missing"),
        tenant_traffic=True,
        description="kubemon operand → its communication endpoints",
        notes=("Experimental operand found in the operator source (pkg/controllers/dynakube/"
               "kubemon).",),
    ),
    apiserver_row(KUBEMON, _D, kubemon, "kubemon operand enabled", Where.COMPONENT_LOG),
    dns_row(KUBEMON, _D, kubemon, "kubemon operand enabled"),
    FlowSpec(
        id="kspm-to-kubemon", scope=_D,
        source_kind=SourceKind.COMPONENT, source=KSPM.value,
        dest_kind=DestKind.COMPONENT, dest=KUBEMON.value,
        ports=(FlowPort(9999, _T, "https"),),
        required=True, condition="spec.kspm with the kubemon operand",
        applies=lambda ctx: kspm(ctx) and kubemon(ctx),
        symptoms=silent("no KSPM node findings", Where.COMPONENT_LOG),
        description="KSPM node collector → kubemon operand (instead of the ActiveGate)",
    ),
)
