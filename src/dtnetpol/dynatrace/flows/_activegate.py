"""Flows of the in-cluster ActiveGate."""

from __future__ import annotations

from dtnetpol.dynatrace.components import Scope
from dtnetpol.dynatrace.flows._shared import (
    AG,
    ag,
    ag_kubemon,
    apiserver_row,
    dns_row,
    probe_row,
    silent,
)
from dtnetpol.dynatrace.flows._types import DestKind, FlowPort, FlowSpec, SourceKind, Symptom, Where
from dtnetpol.model import Protocol

__all__ = ["ROWS"]

_T = Protocol.TCP
_D = Scope.DYNAKUBE

ROWS: tuple[FlowSpec, ...] = (
    FlowSpec(
        id="activegate-to-endpoints", scope=_D,
        source_kind=SourceKind.COMPONENT, source=AG.value,
        dest_kind=DestKind.ACTIVEGATE_ENDPOINTS, dest="activegate-endpoints", ports=(),
        required=True,
        condition="an ActiveGate is deployed (spec.activeGate capabilities, or extensions)",
        applies=ag,
        symptoms=(Symptom("OneAgent endpoints do not contain the local ActiveGate Service IP "
                          "yet, postponing OneAgent deployment", Where.OPERATOR_LOG),
                  Symptom("OneAgents are not yet able to communicate with tenant, no direct "
                          "route or ready ActiveGate available, postponing OneAgent deployment",
                          Where.OPERATOR_LOG),
                  Symptom("OneAgent endpoints do not yet advertise every local ActiveGate "
                          "Service IP, postponing OneAgent deployment until the ActiveGate has "
                          "re-registered", Where.OPERATOR_LOG),
                  Symptom("OneAgent endpoints do not advertise every local ActiveGate Service "
                          "IP; postponing OneAgent deployment until the ActiveGate has "
                          "re-registered", Where.DYNAKUBE_CONDITION),
                  *silent("ActiveGate not connected in Dynatrace")),
        tenant_traffic=True,
        description="ActiveGate → ActiveGate communication endpoints (the tenant)",
        notes=("The operator-log line shows with spec.networkZone when the ActiveGate has not "
               "registered.",),
    ),
    apiserver_row(AG, _D, ag_kubemon, "ActiveGate with kubernetes-monitoring capability",
               Where.COMPONENT_LOG),
    dns_row(AG, _D, ag, "an ActiveGate is deployed"),
    probe_row(AG, _D, (FlowPort(9999, _T, "https"),), ag, "an ActiveGate is deployed"),
)
