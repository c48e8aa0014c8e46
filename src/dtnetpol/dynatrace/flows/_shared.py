"""What several component modules of the flow table share.

Predicates over a :class:`~._types.FlowContext` (what brings a flow), symptom texts that
several flows show, the builders of the rows every component has (DNS, API server, kubelet
probe), and short names for the component ids the rows use.
"""

from __future__ import annotations

from dtnetpol.dynatrace.components import ComponentId, Scope, component
from dtnetpol.dynatrace.flows._types import (
    DestKind,
    FlowContext,
    FlowPort,
    FlowSpec,
    Predicate,
    SourceKind,
    Symptom,
    Where,
)
from dtnetpol.model import Protocol

_T = Protocol.TCP
_U = Protocol.UDP

# --- predicates ---------------------------------------------------------------------------


def csi(ctx: FlowContext) -> bool:
    return ctx.install.csi_driver


def ag(ctx: FlowContext) -> bool:
    return ctx.dk.activegate_deployed


def ag_kubemon(ctx: FlowContext) -> bool:
    return ag(ctx) and "kubernetes-monitoring" in ctx.dk.activegate_capabilities


def kubemon(ctx: FlowContext) -> bool:
    return ctx.install.kubemon_operand and ctx.dk.kubernetes_monitoring


def daemonset(ctx: FlowContext) -> bool:
    return ctx.dk.oneagent_daemonset


def injection(ctx: FlowContext) -> bool:
    return ctx.dk.injection


def otlp(ctx: FlowContext) -> bool:
    return ctx.dk.otlp_exporter is not None


def app_traffic(ctx: FlowContext) -> bool:
    return injection(ctx) or otlp(ctx)


def zone_confined(ctx: FlowContext) -> bool:
    return ctx.dk.network_zone is not None and ctx.dk.routing_activegate


def eec(ctx: FlowContext) -> bool:
    return ctx.dk.eec_deployed


def sql(ctx: FlowContext) -> bool:
    return bool(ctx.dk.extensions.databases)


def otel(ctx: FlowContext) -> bool:
    return ctx.dk.otel_collector_deployed


def kspm(ctx: FlowContext) -> bool:
    return ctx.dk.kspm


def logmon(ctx: FlowContext) -> bool:
    return ctx.dk.log_monitoring_standalone


# --- symptom texts (the operator's own log and status strings) ----------------------------

GO_NET_ERRORS = tuple(
    Symptom(text, Where.OPERATOR_LOG) for text in (
        "dial tcp <ip>:443: i/o timeout", "connect: connection refused", "no such host",
        "context deadline exceeded"))

TENANT_SYMPTOMS = (
    Symptom('get token scopes: HTTP request: Post "https://<host>/api/v2/apiTokens/lookup": '
            "...", Where.OPERATOR_LOG),
    *GO_NET_ERRORS,
    Symptom("status.phase: Error", Where.DYNAKUBE_STATUS),
    Symptom("condition Tokens, reason TokenError, message Token verification failed",
            Where.DYNAKUBE_CONDITION),
    Symptom("Token verification failed", Where.DYNAKUBE_CONDITION),
    Symptom("failed to get OneAgent connection info", Where.OPERATOR_LOG),
    Symptom("failed to get ActiveGate connection info", Where.OPERATOR_LOG),
    Symptom("DynatraceApiError", Where.DYNAKUBE_CONDITION),
    Symptom("A problem occurred when using the Dynatrace API", Where.DYNAKUBE_CONDITION),
)

CSI_WAIT = (
    Symptom("version or digest is not yet set, csi-provisioner hasn't finished setup yet for "
            "<dk> DynaKube", Where.POD_EVENT),
    Symptom("application pods wait up to 10 minutes in ContainerCreating "
            "(feature.dynatrace.com/max-csi-mount-timeout), then start unmonitored",
            Where.POD_STATUS, exact=False),
    Symptom("reached max mount attempts for pod, attaching dummy volume, monitoring disabled",
            Where.CSI_SERVER_LOG),
    Symptom("ERROR: ld.so: object '/opt/dynatrace/oneagent-paas/agent/lib64/liboneagentproc.so' "
            "from LD_PRELOAD cannot be preloaded", Where.APP_LOG),
)

#: The pod and namespace webhooks fail open (failurePolicy Ignore): the sign is what is
#: missing. ``oneagent.dynatrace.com/injected: "false"`` with a reason is written by the
#: webhook itself (pkg/webhook/mutation/pod/mutator/oneagent/config.go): it was reached.
WEBHOOK_SYMPTOMS = (
    Symptom("new pods in monitored namespaces have no Dynatrace annotations and no "
            "dynatrace-operator init container (the webhook was never reached; "
            'oneagent.dynatrace.com/injected: "false" with a reason means it was)',
            Where.POD_ANNOTATION, exact=False),
    Symptom("every pod create in monitored namespaces and every namespace create/update "
            "waits 10 s (mutating webhooks, failurePolicy Ignore), then proceeds without "
            "injection", Where.APISERVER_ERROR, exact=False),
    Symptom('failed calling webhook "...dynatrace.com": failed to call webhook: Post '
            '"https://dynatrace-webhook.dynatrace.svc:443/...": context deadline exceeded '
            "(shown only for DynaKube/EdgeConnect changes and CRD conversion; for pods and "
            "namespaces only in API-server logs and audit)", Where.APISERVER_ERROR),
    Symptom("DynaKube and EdgeConnect changes fail (validating webhooks default to "
            "failurePolicy Fail; the CRD conversion webhook uses the same Service)",
            Where.APISERVER_ERROR, exact=False),
)


def apiserver_symptoms(where: Where) -> tuple[Symptom, ...]:
    return (Symptom("dial tcp <kubernetes service IP>:443: i/o timeout (client errors at "
                    "start-up)", where, exact=False),)


PROBE_SYMPTOMS = (
    Symptom("Unhealthy: liveness/readiness probe failed; restarts (only on CNIs that police "
            "node-local traffic)", Where.POD_EVENT, exact=False),
)


def silent(text: str, where: Where = Where.TENANT_UI) -> tuple[Symptom, ...]:
    return (Symptom(text, where, exact=False),)




#: The startup probe of the operator, webhook and CSI driver resolves kubernetes.default.svc
#: (cmd/startupprobe/cmd.go, failureThreshold 1); it fails with these and the container
#: restarts, so the webhook never becomes ready.
STARTUP_DNS = (
    Symptom("DNS service not ready", Where.POD_EVENT),
    Symptom("no DNS record found for kubernetes.default.svc", Where.POD_EVENT),
    Symptom("startup probe failed: the container restarts again and again (CrashLoopBackOff); "
            "the webhook never becomes ready, so new pods start without injection",
            Where.POD_STATUS, exact=False),
)


def dns_row(cid: ComponentId, scope: Scope, applies: Predicate, condition: str,
         ident: str | None = None) -> FlowSpec:
    startup = STARTUP_DNS if scope is Scope.INSTALL else ()
    return FlowSpec(
        id=f"dns-from-{ident or cid.value}", scope=scope,
        source_kind=SourceKind.COMPONENT, source=cid.value,
        dest_kind=DestKind.DNS, dest="dns",
        ports=(FlowPort(53, _U, "dns"), FlowPort(53, _T, "dns-tcp")),
        required=True, condition=condition, applies=applies,
        symptoms=(*startup,
                  *silent("name lookups time out: every outbound call by host name fails",
                           Where.COMPONENT_LOG)),
        description=f"{component(cid).display_name} resolves host names via cluster DNS",
        notes=("Ports are the DNS pods' ports after Service translation (5353 on OpenShift: "
               "taken from the platform profile).",),
    )


def apiserver_row(cid: ComponentId, scope: Scope, applies: Predicate, condition: str,
               where: Where, ident: str | None = None, notes: tuple[str, ...] = ()) -> FlowSpec:
    return FlowSpec(
        id=f"{ident or cid.value}-to-apiserver", scope=scope,
        source_kind=SourceKind.COMPONENT, source=cid.value,
        dest_kind=DestKind.APISERVER, dest="apiserver", ports=(),
        required=True, condition=condition, applies=applies,
        symptoms=apiserver_symptoms(where),
        description=f"{component(cid).display_name} → kube-apiserver",
        notes=("kubernetes.default.svc:443 is translated to the real endpoint (often 6443): "
               "allow the endpoint IP and port.", *notes),
    )


def probe_row(cid: ComponentId, scope: Scope, ports: tuple[FlowPort, ...], applies: Predicate,
           condition: str, ident: str | None = None) -> FlowSpec:
    return FlowSpec(
        id=f"kubelet-to-{ident or cid.value}-probe", scope=scope,
        source_kind=SourceKind.KUBELET, source="kubelet",
        dest_kind=DestKind.COMPONENT, dest=cid.value, ports=ports,
        required=False, condition=condition, applies=applies,
        symptoms=PROBE_SYMPTOMS,
        description=f"kubelet probes {component(cid).display_name}",
        notes=("Most CNIs always admit traffic from the pod's own node; not all do.",),
    )


# --- component ids as the rows name them ---------------------------------------------------

OP = ComponentId.OPERATOR
WH = ComponentId.WEBHOOK
CSI = ComponentId.CSI_DRIVER
AG = ComponentId.ACTIVEGATE
OA = ComponentId.ONEAGENT
EEC = ComponentId.EXTENSION_CONTROLLER
OTEL = ComponentId.OTEL_COLLECTOR
KSPM = ComponentId.KSPM
LOGMON = ComponentId.LOG_MONITORING
SQL = ComponentId.SQL_EXECUTOR
EC = ComponentId.EDGECONNECT
KUBEMON = ComponentId.KUBEMON
CRD = ComponentId.CRD_STORAGE_MIGRATION
