"""Flows of the OneAgent, the code modules and the monitored application pods."""

from __future__ import annotations

from dtnetpol.dynatrace.components import Scope
from dtnetpol.dynatrace.flows._shared import (
    AG,
    OA,
    ag,
    app_traffic,
    daemonset,
    injection,
    otlp,
    silent,
    zone_confined,
)
from dtnetpol.dynatrace.flows._types import DestKind, FlowPort, FlowSpec, SourceKind, Where
from dtnetpol.model import Protocol

__all__ = ["ROWS"]

_T = Protocol.TCP
_U = Protocol.UDP
_D = Scope.DYNAKUBE

ROWS: tuple[FlowSpec, ...] = (
    FlowSpec(
        id="oneagent-to-endpoints", scope=_D,
        source_kind=SourceKind.COMPONENT, source=OA.value,
        dest_kind=DestKind.ONEAGENT_ENDPOINTS, dest="oneagent-endpoints", ports=(),
        required=True,
        condition="a OneAgent DaemonSet runs (cloudNativeFullStack, hostMonitoring, "
                  "classicFullStack)",
        applies=daemonset,
        symptoms=silent("hosts missing or offline in Dynatrace; OneAgent log shows "
                         "connection failures"),
        tenant_traffic=True,
        description="OneAgent (host network) → OneAgent communication endpoints",
        notes=("Host network: pod NetworkPolicies do not govern this egress (node firewall, "
               "cloud security groups or host policies do).",),
    ),
    FlowSpec(
        id="oneagent-to-activegate", scope=_D,
        source_kind=SourceKind.ONEAGENT_NODES, source="oneagent-nodes",
        dest_kind=DestKind.COMPONENT, dest=AG.value,
        ports=(FlowPort(9999, _T, "https"),),
        required=False,
        required_if=lambda ctx: daemonset(ctx) and zone_confined(ctx),
        condition="a OneAgent DaemonSet runs and the in-cluster ActiveGate has the routing "
                  "capability (required with spec.networkZone)",
        applies=lambda ctx: daemonset(ctx) and ctx.dk.routing_activegate,
        symptoms=silent("OneAgents fall back to other endpoints or, confined to the network "
                         "zone, cannot send data"),
        description="OneAgent traffic from node IPs → in-cluster ActiveGate",
        notes=("The source is node IPs: allow them (ipBlock) on the ActiveGate's ingress.",),
    ),
    FlowSpec(
        id="codemodules-to-endpoints", scope=_D,
        source_kind=SourceKind.APP_PODS, source="app-pods",
        dest_kind=DestKind.ONEAGENT_ENDPOINTS, dest="oneagent-endpoints", ports=(),
        required=True, condition="mode injects code modules",
        applies=injection,
        symptoms=silent("monitored processes show no data; code-module log reports "
                         "connection failures", Where.APP_LOG),
        tenant_traffic=True,
        description="code modules in monitored pods → OneAgent communication endpoints",
    ),
    FlowSpec(
        id="app-to-activegate-9999", scope=_D,
        source_kind=SourceKind.APP_PODS, source="app-pods",
        dest_kind=DestKind.COMPONENT, dest=AG.value,
        ports=(FlowPort(9999, _T, "https"),),
        required=False,
        required_if=lambda ctx: otlp(ctx) or (injection(ctx) and zone_confined(ctx)),
        condition="an in-cluster ActiveGate and monitored pods (injection or OTLP exporter "
                  "configuration); required for OTLP export, or with spec.networkZone and a "
                  "routing ActiveGate",
        applies=lambda ctx: ag(ctx) and app_traffic(ctx),
        symptoms=silent("OTLP export or code-module traffic through the ActiveGate fails",
                         Where.APP_LOG),
        description="monitored/instrumented pods → in-cluster ActiveGate (communication, OTLP)",
    ),
    FlowSpec(
        id="app-to-activegate-9998", scope=_D,
        source_kind=SourceKind.APP_PODS, source="app-pods",
        dest_kind=DestKind.COMPONENT, dest=AG.value,
        ports=(FlowPort(9998, _T, "http"),),
        required=False,
        condition="an in-cluster ActiveGate and monitored pods (metric ingest over plain http)",
        applies=lambda ctx: ag(ctx) and app_traffic(ctx),
        symptoms=silent("metrics pushed over http to the ActiveGate are lost", Where.APP_LOG),
        description="application pods → ActiveGate http port (metric ingest)",
    ),
    FlowSpec(
        id="app-otlp-to-tenant", scope=_D,
        source_kind=SourceKind.APP_PODS, source="app-pods",
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True,
        condition="spec.otlpExporterConfiguration without an in-cluster ActiveGate",
        applies=lambda ctx: otlp(ctx) and not ag(ctx),
        symptoms=silent("OTLP exporters in instrumented pods fail to export", Where.APP_LOG),
        description="instrumented pods export OTLP directly to <apiUrl>/v2/otlp",
        notes=("Found in the operator source (pkg/controllers/dynakube/otelc/endpoint, "
               "webhook OTLP mutator): without an ActiveGate the injected endpoint is the "
               "tenant.",
               "The operator sets no proxy for application pods: the application's own proxy "
               "settings apply."),
    ),
    FlowSpec(
        id="dns-from-app-pods", scope=_D,
        source_kind=SourceKind.APP_PODS, source="app-pods",
        dest_kind=DestKind.DNS, dest="dns",
        ports=(FlowPort(53, _U, "dns"), FlowPort(53, _T, "dns-tcp")),
        required=True, condition="mode injects code modules or OTLP exporter configuration",
        applies=app_traffic,
        symptoms=silent("code modules/exporters cannot resolve endpoint host names",
                         Where.APP_LOG),
        description="monitored pods resolve the endpoints' host names",
    ),
)
