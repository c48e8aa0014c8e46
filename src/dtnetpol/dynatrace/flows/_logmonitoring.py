"""Flows of standalone log monitoring (spec.logMonitoring without a OneAgent DaemonSet)."""

from __future__ import annotations

from dtnetpol.dynatrace.components import Scope
from dtnetpol.dynatrace.flows._shared import LOGMON, dns_row, logmon, silent
from dtnetpol.dynatrace.flows._types import DestKind, FlowPort, FlowSpec, SourceKind, Where
from dtnetpol.model import Protocol

__all__ = ["ROWS"]

_T = Protocol.TCP
_D = Scope.DYNAKUBE

ROWS: tuple[FlowSpec, ...] = (
    FlowSpec(
        id="logmonitoring-to-endpoints", scope=_D,
        source_kind=SourceKind.COMPONENT, source=LOGMON.value,
        dest_kind=DestKind.ONEAGENT_ENDPOINTS, dest="oneagent-endpoints", ports=(),
        required=True, condition="spec.logMonitoring without a OneAgent DaemonSet (standalone)",
        applies=logmon, symptoms=silent("no logs in Dynatrace", Where.COMPONENT_LOG),
        tenant_traffic=True,
        description="standalone log monitoring → OneAgent communication endpoints",
    ),
    FlowSpec(
        id="logmonitoring-to-kubelet", scope=_D,
        source_kind=SourceKind.COMPONENT, source=LOGMON.value,
        dest_kind=DestKind.KUBELET, dest="kubelet", ports=(FlowPort(10250, _T),),
        required=True, condition="spec.logMonitoring without a OneAgent DaemonSet (standalone)",
        applies=logmon, symptoms=silent("logs lack pod metadata or are missing",
                                          Where.COMPONENT_LOG),
        description="standalone log monitoring → kubelet on the node IP",
    ),
    dns_row(LOGMON, _D, logmon, "standalone log monitoring"),
)
