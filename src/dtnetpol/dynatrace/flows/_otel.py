"""Flows of the OpenTelemetry collector (telemetry ingest, Prometheus extension)."""

from __future__ import annotations

from dtnetpol.dynatrace.components import Scope
from dtnetpol.dynatrace.flows._shared import (
    AG,
    EEC,
    OTEL,
    ag,
    apiserver_row,
    dns_row,
    otel,
    probe_row,
    silent,
)
from dtnetpol.dynatrace.flows._types import DestKind, FlowPort, FlowSpec, SourceKind, Where
from dtnetpol.model import Protocol

__all__ = ["ROWS"]

_T = Protocol.TCP
_D = Scope.DYNAKUBE

ROWS: tuple[FlowSpec, ...] = (
    FlowSpec(
        id="app-to-otel-collector", scope=_D,
        source_kind=SourceKind.APP_PODS, source="app-pods",
        dest_kind=DestKind.COMPONENT, dest=OTEL.value, ports=(),
        required=True, condition="spec.telemetryIngest (ports follow its protocols)",
        applies=lambda ctx: ctx.dk.telemetry_ingest is not None,
        symptoms=silent("telemetry sent to the telemetry-ingest Service is lost",
                         Where.APP_LOG),
        description="telemetry senders (any namespace) → OTel collector ingest ports",
        notes=("The collector declares no container ports: use numbers, not names.",),
    ),
    FlowSpec(
        id="otel-to-activegate", scope=_D,
        source_kind=SourceKind.COMPONENT, source=OTEL.value,
        dest_kind=DestKind.COMPONENT, dest=AG.value, ports=(FlowPort(9999, _T, "https"),),
        required=True,
        condition="OTel collector (telemetryIngest or prometheus extension) and an ActiveGate",
        applies=lambda ctx: otel(ctx) and ag(ctx),
        symptoms=silent("ingested telemetry never reaches Dynatrace", Where.COMPONENT_LOG),
        description="OTel collector exports to the in-cluster ActiveGate",
    ),
    FlowSpec(
        id="otel-to-tenant", scope=_D,
        source_kind=SourceKind.COMPONENT, source=OTEL.value,
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True, condition="OTel collector without an in-cluster ActiveGate",
        applies=lambda ctx: otel(ctx) and not ag(ctx),
        symptoms=silent("ingested telemetry never reaches Dynatrace", Where.COMPONENT_LOG),
        tenant_traffic=True,
        description="OTel collector exports directly to <apiUrl>/v2/otlp",
        notes=("Found in the operator source (pkg/controllers/dynakube/otelc/endpoint): "
               "without an in-cluster ActiveGate the collector exports to the tenant itself.",),
    ),
    FlowSpec(
        id="otel-to-eec", scope=_D,
        source_kind=SourceKind.COMPONENT, source=OTEL.value,
        dest_kind=DestKind.COMPONENT, dest=EEC.value,
        ports=(FlowPort(14599, _T, "collector-com"),),
        required=True, condition="spec.extensions.prometheus",
        applies=lambda ctx: ctx.dk.extensions.prometheus,
        symptoms=silent("Prometheus extension data missing", Where.COMPONENT_LOG),
        description="OTel collector → EEC (Prometheus extension)",
    ),
    apiserver_row(OTEL, _D, otel, "OTel collector deployed", Where.COMPONENT_LOG, ident="otel"),
    dns_row(OTEL, _D, otel, "OTel collector deployed", "otel"),
    probe_row(OTEL, _D, (FlowPort(13133, _T),), otel, "OTel collector deployed", "otel"),
)
