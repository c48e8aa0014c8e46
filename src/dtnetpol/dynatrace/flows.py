"""The network flows the Dynatrace Operator needs, as one data table, and their selection.

:data:`FLOW_SPECS` lists every flow of reference §3 (plus a few found in the operator source,
marked in their notes). Each :class:`FlowSpec` says who talks to whom on which **pod** port
(NetworkPolicy matches the pod port after Service translation: 8443 for the webhook, never
443), whether the flow is required, what brings it (a predicate over the DynaKube and the
install facts) and what breaks when it is blocked (exact strings where the reference gives
them, with where they show).

:func:`applicable_flows` turns the table into concrete :class:`Flow` objects for one or more
DynaKubes (and EdgeConnects): sources and destinations resolved to namespaces, pod labels,
hosts and ports. Install-wide flows (operator, webhook, CSI driver) appear once; per-DynaKube
flows are qualified ``<dynakube>/<flow id>`` when there is more than one DynaKube.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from dtnetpol.dynatrace.components import (
    APP_COMPONENT,
    APP_NAME,
    CSI_SELECTOR_LABELS,
    INSTALL_APP_NAME,
    INSTANCE_NAMESPACE_LABEL,
    OPERATOR_SELECTOR_KEY,
    TELEMETRY_PROTOCOL_PORTS,
    WEBHOOK_SELECTOR_LABELS,
    ComponentId,
    LabelFamily,
    Scope,
    component,
    install_labels,
    operand_labels,
    operand_selector,
)
from dtnetpol.dynatrace.dynakube import DynaKube, EdgeConnect, HostPort, parse_proxy_url
from dtnetpol.dynatrace.platforms import PLATFORMS, Platform, PlatformProfile
from dtnetpol.errors import InputError
from dtnetpol.model import ContainerPort, HostNetwork, LabelSelector, Protocol

__all__ = [
    "FLOW_SPECS",
    "DestKind",
    "Flow",
    "FlowContext",
    "FlowEnd",
    "FlowPort",
    "FlowSpec",
    "InstallFacts",
    "SourceKind",
    "Symptom",
    "Where",
    "applicable_flows",
    "expected_pod",
    "flow_spec",
]

_T = Protocol.TCP
_U = Protocol.UDP


class SourceKind(StrEnum):
    COMPONENT = "component"
    APISERVER = "apiserver"
    APP_PODS = "app-pods"
    KUBELET = "kubelet"
    ONEAGENT_NODES = "oneagent-nodes"  # node IPs: the OneAgent runs on the host network


class DestKind(StrEnum):
    COMPONENT = "component"
    APISERVER = "apiserver"
    DNS = "dns"
    KUBELET = "kubelet"
    TENANT = "tenant"                          # spec.apiUrl host:port (2nd-gen host)
    ONEAGENT_ENDPOINTS = "oneagent-endpoints"  # status.oneAgent.connectionInfoStatus
    ACTIVEGATE_ENDPOINTS = "activegate-endpoints"
    REGISTRY = "registry"
    PROXY = "proxy"
    APP_PODS = "app-pods"
    EXTERNAL = "external"                      # user-defined: databases, EdgeConnect targets


class Where(StrEnum):
    OPERATOR_LOG = "operator log"
    WEBHOOK_LOG = "webhook log"
    CSI_PROVISIONER_LOG = "CSI provisioner log"
    CSI_SERVER_LOG = "CSI driver (server) log"
    COMPONENT_LOG = "component log"
    INIT_CONTAINER_LOG = "init container log"
    APP_LOG = "application log"
    POD_EVENT = "pod event"
    POD_ANNOTATION = "pod annotation"
    POD_STATUS = "pod status"
    DYNAKUBE_STATUS = "DynaKube status"
    DYNAKUBE_CONDITION = "DynaKube condition"
    APISERVER_ERROR = "API server / kubectl error"
    HELM = "helm output"
    TENANT_UI = "Dynatrace tenant"


@dataclass(frozen=True)
class Symptom:
    """What a blocked flow looks like. ``exact`` strings can be grepped for (``<...>`` parts
    vary); the others describe behaviour."""

    text: str
    where: Where
    exact: bool = True


@dataclass(frozen=True, order=True)
class FlowPort:
    number: int
    protocol: Protocol = Protocol.TCP
    name: str | None = None

    def __str__(self) -> str:
        return f"{self.number}/{self.protocol.value}"


@dataclass(frozen=True)
class InstallFacts:
    """Facts about the operator installation that no DynaKube states.

    Args:
        operator_namespace: where the operator, webhook, CSI driver and operands run.
        release_name: the Helm release (selector label ``name`` of the operator pod).
        csi_driver: Helm ``csidriver.enabled`` (default true).
        webhook_host_network: Helm ``webhook.hostNetwork``.
        webhook_replicas: 2 with the chart default ``webhook.highAvailability``.
        webhook_port / webhook_probe_port: Helm ``webhook.ports.server`` / ``healthProbe``.
        proxy: an egress proxy URL that all Dynatrace tenant traffic must use (a DynaKube's
            own ``spec.proxy`` wins for its flows).
        monitored_namespaces: namespaces known to be monitored (labelled
            ``dynakube.internal.dynatrace.com/instance``), if the caller knows them.
        platform: where the API server's traffic comes from, its port, the cluster DNS.
        apiserver_endpoints: the backends of ``default/kubernetes`` (EndpointSlice), which
            egress must allow; when empty the platform's port is used.
        crd_storage_migration: Helm ``crdStorageMigrationJob`` (pre-upgrade hook).
        kubemon_operand: Helm ``experimental.enableKubemonOperand``.
        host_network: how the CNI treats host-network pods (``--host-network``): under
            ``NODE`` the OneAgent (and a host-network webhook) is node traffic that no policy
            governs; under ``POD`` policies select it and peers match it like any pod.

    Raises:
        InputError: on an unparsable proxy or an impossible port/replica count.
    """

    operator_namespace: str = "dynatrace"
    release_name: str = "dynatrace-operator"
    csi_driver: bool = True
    webhook_host_network: bool = False
    webhook_replicas: int = 2
    webhook_port: int = 8443
    webhook_probe_port: int = 10080
    proxy: str | None = None
    monitored_namespaces: tuple[str, ...] = ()
    platform: PlatformProfile = PLATFORMS[Platform.GENERIC]
    apiserver_endpoints: tuple[HostPort, ...] = ()
    crd_storage_migration: bool = True
    kubemon_operand: bool = False
    host_network: HostNetwork = HostNetwork.NODE

    @property
    def node_traffic(self) -> bool:
        """Whether host-network pods are node traffic (``--host-network node``)."""
        return self.host_network is HostNetwork.NODE

    def __post_init__(self) -> None:
        for name in ("webhook_port", "webhook_probe_port"):
            value = getattr(self, name)
            if not 1 <= value <= 65535:
                raise InputError(f"{name} {value} is outside 1-65535")
        if self.webhook_replicas < 0:
            raise InputError(f"webhook_replicas must not be negative, not {self.webhook_replicas}")
        if self.proxy:
            parse_proxy_url(self.proxy)

    @property
    def proxy_endpoint(self) -> HostPort | None:
        return parse_proxy_url(self.proxy) if self.proxy else None

    @property
    def apiserver_ports(self) -> tuple[int, ...]:
        if self.apiserver_endpoints:
            return tuple(sorted({e.port for e in self.apiserver_endpoints}))
        return (self.platform.apiserver_port.value,)


@dataclass(frozen=True)
class FlowContext:
    """What a flow's predicate sees: the install, and the DynaKube or EdgeConnect at hand."""

    install: InstallFacts
    dynakube: DynaKube | None = None
    edgeconnect: EdgeConnect | None = None
    dynakubes: tuple[DynaKube, ...] = ()

    @property
    def dk(self) -> DynaKube:
        if self.dynakube is None:
            raise ValueError("no DynaKube in this context")
        return self.dynakube

    @property
    def ec(self) -> EdgeConnect:
        if self.edgeconnect is None:
            raise ValueError("no EdgeConnect in this context")
        return self.edgeconnect


Predicate = Callable[[FlowContext], bool]


def _always(_: FlowContext) -> bool:
    return True


@dataclass(frozen=True)
class FlowSpec:
    """One row of the flow table.

    ``source``/``dest`` name a component id for kind ``component`` and repeat the kind
    otherwise. ``ports`` are pod ports; empty means they come from the destination (tenant
    URL, proxy, endpoints, API server endpoints) or are user-defined (external).
    ``required`` is the table value; ``required_if`` (when given) decides it per DynaKube.
    """

    id: str
    scope: Scope
    source_kind: SourceKind
    source: str
    dest_kind: DestKind
    dest: str
    ports: tuple[FlowPort, ...]
    required: bool
    condition: str
    applies: Predicate = field(default=_always, compare=False, repr=False)
    required_if: Predicate | None = field(default=None, compare=False, repr=False)
    symptoms: tuple[Symptom, ...] = ()
    description: str = ""
    notes: tuple[str, ...] = ()
    tenant_traffic: bool = False  # goes to the proxy instead when one is configured


@dataclass(frozen=True)
class FlowEnd:
    """A resolved source or destination.

    For pods: ``namespace`` and ``pod_labels`` (stable selector labels); for application pods
    ``namespace_selector`` (the monitored-namespace label) and ``namespaces`` (if known);
    for hosts: ``hosts`` (empty when only the cluster's status would tell).
    """

    kind: str
    component: ComponentId | None = None
    namespace: str | None = None
    pod_labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    namespace_selector: LabelSelector | None = None
    selected_by: LabelSelector | None = None
    namespaces: tuple[str, ...] = ()
    hosts: tuple[HostPort, ...] = ()
    host_network: bool = False
    description: str = ""


@dataclass(frozen=True)
class Flow:
    """A flow that applies to this installation.

    ``egress_governed``/``ingress_governed`` are False where NetworkPolicy cannot act on that
    side (host-network pods, the API server, kubelet, hosts outside the cluster).
    ``ports_assumed`` is True when the port is a typical value, not read from the input.
    """

    id: str
    spec: FlowSpec = field(repr=False)
    source: FlowEnd
    destination: FlowEnd
    ports: tuple[FlowPort, ...]
    required: bool
    dynakube: str | None = None
    edgeconnect: str | None = None
    egress_governed: bool = True
    ingress_governed: bool = True
    ports_assumed: bool = False
    notes: tuple[str, ...] = ()

    @property
    def symptoms(self) -> tuple[Symptom, ...]:
        return self.spec.symptoms


# --- predicates ---------------------------------------------------------------------------


def _csi(ctx: FlowContext) -> bool:
    return ctx.install.csi_driver


def _ag(ctx: FlowContext) -> bool:
    return ctx.dk.activegate_deployed


def _ag_kubemon(ctx: FlowContext) -> bool:
    return _ag(ctx) and "kubernetes-monitoring" in ctx.dk.activegate_capabilities


def _kubemon(ctx: FlowContext) -> bool:
    return ctx.install.kubemon_operand and ctx.dk.kubernetes_monitoring


def _daemonset(ctx: FlowContext) -> bool:
    return ctx.dk.oneagent_daemonset


def _injection(ctx: FlowContext) -> bool:
    return ctx.dk.injection


def _otlp(ctx: FlowContext) -> bool:
    return ctx.dk.otlp_exporter is not None


def _app_traffic(ctx: FlowContext) -> bool:
    return _injection(ctx) or _otlp(ctx)


def _zone_confined(ctx: FlowContext) -> bool:
    return ctx.dk.network_zone is not None and ctx.dk.routing_activegate


def _eec(ctx: FlowContext) -> bool:
    return ctx.dk.eec_deployed


def _sql(ctx: FlowContext) -> bool:
    return bool(ctx.dk.extensions.databases)


def _otel(ctx: FlowContext) -> bool:
    return ctx.dk.otel_collector_deployed


def _kspm(ctx: FlowContext) -> bool:
    return ctx.dk.kspm


def _logmon(ctx: FlowContext) -> bool:
    return ctx.dk.log_monitoring_standalone


# --- symptom texts (reference §5, §6) -----------------------------------------------------

_GO_NET_ERRORS = tuple(
    Symptom(text, Where.OPERATOR_LOG) for text in (
        "dial tcp <ip>:443: i/o timeout", "connect: connection refused", "no such host",
        "context deadline exceeded"))

_TENANT_SYMPTOMS = (
    Symptom('get token scopes: HTTP request: Post "https://<host>/api/v2/apiTokens/lookup": '
            "...", Where.OPERATOR_LOG),
    *_GO_NET_ERRORS,
    Symptom("status.phase: Error", Where.DYNAKUBE_STATUS),
    Symptom("condition Tokens, reason TokenError, message Token verification failed",
            Where.DYNAKUBE_CONDITION),
    Symptom("Token verification failed", Where.DYNAKUBE_CONDITION),
    Symptom("failed to get OneAgent connection info", Where.OPERATOR_LOG),
    Symptom("failed to get ActiveGate connection info", Where.OPERATOR_LOG),
    Symptom("DynatraceApiError", Where.DYNAKUBE_CONDITION),
    Symptom("A problem occurred when using the Dynatrace API", Where.DYNAKUBE_CONDITION),
)

_CSI_WAIT = (
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
_WEBHOOK_SYMPTOMS = (
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


def _apiserver_symptoms(where: Where) -> tuple[Symptom, ...]:
    return (Symptom("dial tcp <kubernetes service IP>:443: i/o timeout (client errors at "
                    "start-up)", where, exact=False),)


_PROBE_SYMPTOMS = (
    Symptom("Unhealthy: liveness/readiness probe failed; restarts (only on CNIs that police "
            "node-local traffic)", Where.POD_EVENT, exact=False),
)


def _silent(text: str, where: Where = Where.TENANT_UI) -> tuple[Symptom, ...]:
    return (Symptom(text, where, exact=False),)


# --- the table ----------------------------------------------------------------------------


#: The startup probe of the operator, webhook and CSI driver resolves kubernetes.default.svc
#: (cmd/startupprobe/cmd.go, failureThreshold 1); it fails with these and the container
#: restarts, so the webhook never becomes ready.
_STARTUP_DNS = (
    Symptom("DNS service not ready", Where.POD_EVENT),
    Symptom("no DNS record found for kubernetes.default.svc", Where.POD_EVENT),
    Symptom("startup probe failed: the container restarts again and again (CrashLoopBackOff); "
            "the webhook never becomes ready, so new pods start without injection",
            Where.POD_STATUS, exact=False),
)


def _dns(cid: ComponentId, scope: Scope, applies: Predicate, condition: str,
         ident: str | None = None) -> FlowSpec:
    startup = _STARTUP_DNS if scope is Scope.INSTALL else ()
    return FlowSpec(
        id=f"dns-from-{ident or cid.value}", scope=scope,
        source_kind=SourceKind.COMPONENT, source=cid.value,
        dest_kind=DestKind.DNS, dest="dns",
        ports=(FlowPort(53, _U, "dns"), FlowPort(53, _T, "dns-tcp")),
        required=True, condition=condition, applies=applies,
        symptoms=(*startup,
                  *_silent("name lookups time out: every outbound call by host name fails",
                           Where.COMPONENT_LOG)),
        description=f"{component(cid).display_name} resolves host names via cluster DNS",
        notes=("Ports are the DNS pods' ports after Service translation (5353 on OpenShift: "
               "taken from the platform profile).",),
    )


def _apiserver(cid: ComponentId, scope: Scope, applies: Predicate, condition: str,
               where: Where, ident: str | None = None, notes: tuple[str, ...] = ()) -> FlowSpec:
    return FlowSpec(
        id=f"{ident or cid.value}-to-apiserver", scope=scope,
        source_kind=SourceKind.COMPONENT, source=cid.value,
        dest_kind=DestKind.APISERVER, dest="apiserver", ports=(),
        required=True, condition=condition, applies=applies,
        symptoms=_apiserver_symptoms(where),
        description=f"{component(cid).display_name} → kube-apiserver",
        notes=("kubernetes.default.svc:443 is translated to the real endpoint (often 6443): "
               "allow the endpoint IP and port.", *notes),
    )


def _probe(cid: ComponentId, scope: Scope, ports: tuple[FlowPort, ...], applies: Predicate,
           condition: str, ident: str | None = None) -> FlowSpec:
    return FlowSpec(
        id=f"kubelet-to-{ident or cid.value}-probe", scope=scope,
        source_kind=SourceKind.KUBELET, source="kubelet",
        dest_kind=DestKind.COMPONENT, dest=cid.value, ports=ports,
        required=False, condition=condition, applies=applies,
        symptoms=_PROBE_SYMPTOMS,
        description=f"kubelet probes {component(cid).display_name}",
        notes=("Most CNIs always admit traffic from the pod's own node; not all do.",),
    )


_I = Scope.INSTALL
_D = Scope.DYNAKUBE
_E = Scope.EDGECONNECT
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

FLOW_SPECS: tuple[FlowSpec, ...] = (
    # ---- install-wide: operator, webhook, CSI driver ----------------------------------
    FlowSpec(
        id="apiserver-to-webhook", scope=_I,
        source_kind=SourceKind.APISERVER, source="apiserver",
        dest_kind=DestKind.COMPONENT, dest=WH.value,
        ports=(FlowPort(8443, _T, "server-port"),),
        required=True, condition="always (pod injection, namespace labelling, DynaKube/"
                                 "EdgeConnect validation, CRD conversion)",
        symptoms=_WEBHOOK_SYMPTOMS,
        description="kube-apiserver calls the webhook: /inject, /label-ns, validation, /convert",
        notes=("The API server is not a pod: no podSelector/namespaceSelector matches it; "
               "admit its source as the platform profile says.",
               "Port 8443 is the pod port; the Service port 443 is never what a policy sees.",),
    ),
    _apiserver(WH, _I, _always, "always", Where.WEBHOOK_LOG),
    _apiserver(OP, _I, _always, "always", Where.OPERATOR_LOG),
    _apiserver(CSI, _I, _csi, "the CSI driver is installed", Where.CSI_PROVISIONER_LOG,
               ident="csi"),
    FlowSpec(
        id="crd-migration-to-apiserver", scope=_I,
        source_kind=SourceKind.COMPONENT, source=CRD.value,
        dest_kind=DestKind.APISERVER, dest="apiserver", ports=(),
        required=True, condition="Helm crdStorageMigrationJob (default true)",
        applies=lambda ctx: ctx.install.crd_storage_migration,
        symptoms=_silent("helm upgrade fails: the pre-upgrade hook job "
                         "dynatrace-operator-crd-storage-migration does not complete",
                         Where.HELM),
        description="CRD storage-migration job (Helm pre-upgrade hook) → kube-apiserver",
        notes=("Found in the operator's Helm chart "
               "(templates/Common/crd/job-crd-storage-migration.yaml).",),
    ),
    _dns(OP, _I, _always, "always", "operator"),
    _dns(WH, _I, _always, "always", "webhook"),
    _dns(CSI, _I, _csi, "the CSI driver is installed", "csi"),
    _probe(OP, _I, (FlowPort(10080, _T, "livez"),), _always, "always", "operator"),
    _probe(WH, _I, (FlowPort(10080, _T, "livez"),), _always, "always", "webhook"),
    _probe(CSI, _I, (FlowPort(10090, _T, "livez"), FlowPort(9808, _T)), _csi,
           "the CSI driver is installed", "csi"),

    # ---- per DynaKube: operator and CSI driver to the tenant ---------------------------
    FlowSpec(
        id="operator-to-tenant", scope=_D,
        source_kind=SourceKind.COMPONENT, source=OP.value,
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True, condition="always (token check, connection info, versions)",
        symptoms=_TENANT_SYMPTOMS, tenant_traffic=True,
        description="operator → spec.apiUrl (Dynatrace API)",
        notes=("The webhook never talks to the tenant.",),
    ),
    FlowSpec(
        id="csi-to-tenant", scope=_D,
        source_kind=SourceKind.COMPONENT, source=CSI.value,
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True,
        condition="CSI driver installed, mode injects code modules (cloudNativeFullStack, "
                  "applicationMonitoring), no codeModulesImage and no public registry",
        applies=lambda ctx: (_csi(ctx) and _injection(ctx)
                             and not ctx.dk.code_modules_from_image),
        symptoms=(Symptom("failed to install agent", Where.CSI_PROVISIONER_LOG),
                  Symptom("failed to download specific OneAgent package",
                          Where.CSI_PROVISIONER_LOG),
                  Symptom("failed to get available versions", Where.CSI_PROVISIONER_LOG),
                  *_CSI_WAIT),
        tenant_traffic=True,
        description="CSI provisioner downloads the code modules from the tenant",
        notes=("hostMonitoring: the CSI driver only provides storage, no download; "
               "classicFullStack: the CSI driver is unused.",),
    ),
    FlowSpec(
        id="csi-to-registry", scope=_D,
        source_kind=SourceKind.COMPONENT, source=CSI.value,
        dest_kind=DestKind.REGISTRY, dest="registry", ports=(),
        required=True,
        condition="CSI driver installed, mode injects, codeModulesImage (or public registry) "
                  "set, no node-image-pull feature flag",
        applies=lambda ctx: (_csi(ctx) and _injection(ctx) and ctx.dk.code_modules_from_image
                             and not ctx.dk.node_image_pull),
        symptoms=(Symptom("failed to install agent from image", Where.CSI_PROVISIONER_LOG),
                  *_CSI_WAIT),
        tenant_traffic=True,
        description="CSI provisioner pulls the code-modules image from its registry",
        notes=("With feature.dynatrace.com/node-image-pull a Job on the node runs the image "
               "instead: the kubelet pulls it, outside NetworkPolicy (operator source, "
               "pkg/controllers/csi/provisioner/install.go).",),
    ),
    FlowSpec(
        id="init-to-tenant", scope=_D,
        source_kind=SourceKind.APP_PODS, source="app-pods",
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True,
        condition="mode injects, no CSI driver and no codeModulesImage (the init container "
                  "downloads the code modules itself)",
        applies=lambda ctx: (_injection(ctx) and not _csi(ctx)
                             and not ctx.dk.code_modules_from_image),
        symptoms=(Symptom("error during download, the error was suppressed",
                          Where.INIT_CONTAINER_LOG),
                  Symptom("pod starts unmonitored (default failure policy silent); with "
                          "failure policy fail it stays in Init", Where.POD_STATUS,
                          exact=False)),
        tenant_traffic=True,
        description="injected init container in every monitored pod → tenant",
    ),

    # ---- OneAgent, code modules, application pods ----------------------------------------
    FlowSpec(
        id="oneagent-to-endpoints", scope=_D,
        source_kind=SourceKind.COMPONENT, source=OA.value,
        dest_kind=DestKind.ONEAGENT_ENDPOINTS, dest="oneagent-endpoints", ports=(),
        required=True,
        condition="a OneAgent DaemonSet runs (cloudNativeFullStack, hostMonitoring, "
                  "classicFullStack)",
        applies=_daemonset,
        symptoms=_silent("hosts missing or offline in Dynatrace; OneAgent log shows "
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
        required_if=lambda ctx: _daemonset(ctx) and _zone_confined(ctx),
        condition="a OneAgent DaemonSet runs and the in-cluster ActiveGate has the routing "
                  "capability (required with spec.networkZone)",
        applies=lambda ctx: _daemonset(ctx) and ctx.dk.routing_activegate,
        symptoms=_silent("OneAgents fall back to other endpoints or, confined to the network "
                         "zone, cannot send data"),
        description="OneAgent traffic from node IPs → in-cluster ActiveGate",
        notes=("The source is node IPs: allow them (ipBlock) on the ActiveGate's ingress.",),
    ),
    FlowSpec(
        id="codemodules-to-endpoints", scope=_D,
        source_kind=SourceKind.APP_PODS, source="app-pods",
        dest_kind=DestKind.ONEAGENT_ENDPOINTS, dest="oneagent-endpoints", ports=(),
        required=True, condition="mode injects code modules",
        applies=_injection,
        symptoms=_silent("monitored processes show no data; code-module log reports "
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
        required_if=lambda ctx: _otlp(ctx) or (_injection(ctx) and _zone_confined(ctx)),
        condition="an in-cluster ActiveGate and monitored pods (injection or OTLP exporter "
                  "configuration); required for OTLP export, or with spec.networkZone and a "
                  "routing ActiveGate",
        applies=lambda ctx: _ag(ctx) and _app_traffic(ctx),
        symptoms=_silent("OTLP export or code-module traffic through the ActiveGate fails",
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
        applies=lambda ctx: _ag(ctx) and _app_traffic(ctx),
        symptoms=_silent("metrics pushed over http to the ActiveGate are lost", Where.APP_LOG),
        description="application pods → ActiveGate http port (metric ingest)",
    ),
    FlowSpec(
        id="app-otlp-to-tenant", scope=_D,
        source_kind=SourceKind.APP_PODS, source="app-pods",
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True,
        condition="spec.otlpExporterConfiguration without an in-cluster ActiveGate",
        applies=lambda ctx: _otlp(ctx) and not _ag(ctx),
        symptoms=_silent("OTLP exporters in instrumented pods fail to export", Where.APP_LOG),
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
        applies=_app_traffic,
        symptoms=_silent("code modules/exporters cannot resolve endpoint host names",
                         Where.APP_LOG),
        description="monitored pods resolve the endpoints' host names",
    ),

    # ---- ActiveGate -----------------------------------------------------------------------
    FlowSpec(
        id="activegate-to-endpoints", scope=_D,
        source_kind=SourceKind.COMPONENT, source=AG.value,
        dest_kind=DestKind.ACTIVEGATE_ENDPOINTS, dest="activegate-endpoints", ports=(),
        required=True,
        condition="an ActiveGate is deployed (spec.activeGate capabilities, or extensions)",
        applies=_ag,
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
                  *_silent("ActiveGate not connected in Dynatrace")),
        tenant_traffic=True,
        description="ActiveGate → ActiveGate communication endpoints (the tenant)",
        notes=("The operator-log line shows with spec.networkZone when the ActiveGate has not "
               "registered.",),
    ),
    _apiserver(AG, _D, _ag_kubemon, "ActiveGate with kubernetes-monitoring capability",
               Where.COMPONENT_LOG),
    _dns(AG, _D, _ag, "an ActiveGate is deployed"),
    _probe(AG, _D, (FlowPort(9999, _T, "https"),), _ag, "an ActiveGate is deployed"),

    # ---- extensions -------------------------------------------------------------------------
    FlowSpec(
        id="eec-to-activegate", scope=_D,
        source_kind=SourceKind.COMPONENT, source=EEC.value,
        dest_kind=DestKind.COMPONENT, dest=AG.value, ports=(FlowPort(9999, _T, "https"),),
        required=True, condition="spec.extensions (prometheus or databases)",
        applies=_eec, symptoms=_silent("extension data missing", Where.COMPONENT_LOG),
        description="Extension Execution Controller → ActiveGate",
    ),
    _apiserver(EEC, _D, _eec, "spec.extensions", Where.COMPONENT_LOG, ident="eec"),
    _dns(EEC, _D, _eec, "spec.extensions", "eec"),
    _probe(EEC, _D, (FlowPort(14599, _T, "collector-com"),), _eec, "spec.extensions", "eec"),
    FlowSpec(
        id="sql-executor-to-eec", scope=_D,
        source_kind=SourceKind.COMPONENT, source=SQL.value,
        dest_kind=DestKind.COMPONENT, dest=EEC.value,
        ports=(FlowPort(14599, _T, "collector-com"),),
        required=True, condition="spec.extensions.databases",
        applies=_sql, symptoms=_silent("SQL extension data missing", Where.COMPONENT_LOG),
        description="SQL extension executors → EEC",
    ),
    FlowSpec(
        id="sql-executor-to-databases", scope=_D,
        source_kind=SourceKind.COMPONENT, source=SQL.value,
        dest_kind=DestKind.EXTERNAL, dest="monitored databases", ports=(),
        required=True, condition="spec.extensions.databases",
        applies=_sql, symptoms=_silent("database queries time out", Where.COMPONENT_LOG),
        description="SQL extension executors → the monitored databases (user-defined)",
    ),
    _dns(SQL, _D, _sql, "spec.extensions.databases", "sql-executor"),
    _probe(SQL, _D, (FlowPort(8080, _T),), _sql, "spec.extensions.databases", "sql-executor"),

    # ---- OpenTelemetry collector -------------------------------------------------------------
    FlowSpec(
        id="app-to-otel-collector", scope=_D,
        source_kind=SourceKind.APP_PODS, source="app-pods",
        dest_kind=DestKind.COMPONENT, dest=OTEL.value, ports=(),
        required=True, condition="spec.telemetryIngest (ports follow its protocols)",
        applies=lambda ctx: ctx.dk.telemetry_ingest is not None,
        symptoms=_silent("telemetry sent to the telemetry-ingest Service is lost",
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
        applies=lambda ctx: _otel(ctx) and _ag(ctx),
        symptoms=_silent("ingested telemetry never reaches Dynatrace", Where.COMPONENT_LOG),
        description="OTel collector exports to the in-cluster ActiveGate",
    ),
    FlowSpec(
        id="otel-to-tenant", scope=_D,
        source_kind=SourceKind.COMPONENT, source=OTEL.value,
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True, condition="OTel collector without an in-cluster ActiveGate",
        applies=lambda ctx: _otel(ctx) and not _ag(ctx),
        symptoms=_silent("ingested telemetry never reaches Dynatrace", Where.COMPONENT_LOG),
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
        symptoms=_silent("Prometheus extension data missing", Where.COMPONENT_LOG),
        description="OTel collector → EEC (Prometheus extension)",
    ),
    _apiserver(OTEL, _D, _otel, "OTel collector deployed", Where.COMPONENT_LOG, ident="otel"),
    _dns(OTEL, _D, _otel, "OTel collector deployed", "otel"),
    _probe(OTEL, _D, (FlowPort(13133, _T),), _otel, "OTel collector deployed", "otel"),

    # ---- KSPM, log monitoring, kubemon ---------------------------------------------------
    FlowSpec(
        id="kspm-to-activegate", scope=_D,
        source_kind=SourceKind.COMPONENT, source=KSPM.value,
        dest_kind=DestKind.COMPONENT, dest=AG.value, ports=(FlowPort(9999, _T, "https"),),
        required=True, condition="spec.kspm (with an ActiveGate)",
        applies=lambda ctx: _kspm(ctx) and _ag(ctx) and not _kubemon(ctx),
        symptoms=_silent("no KSPM node findings", Where.COMPONENT_LOG),
        description="KSPM node collector → ActiveGate",
    ),
    _dns(KSPM, _D, _kspm, "spec.kspm"),
    FlowSpec(
        id="logmonitoring-to-endpoints", scope=_D,
        source_kind=SourceKind.COMPONENT, source=LOGMON.value,
        dest_kind=DestKind.ONEAGENT_ENDPOINTS, dest="oneagent-endpoints", ports=(),
        required=True, condition="spec.logMonitoring without a OneAgent DaemonSet (standalone)",
        applies=_logmon, symptoms=_silent("no logs in Dynatrace", Where.COMPONENT_LOG),
        tenant_traffic=True,
        description="standalone log monitoring → OneAgent communication endpoints",
    ),
    FlowSpec(
        id="logmonitoring-to-kubelet", scope=_D,
        source_kind=SourceKind.COMPONENT, source=LOGMON.value,
        dest_kind=DestKind.KUBELET, dest="kubelet", ports=(FlowPort(10250, _T),),
        required=True, condition="spec.logMonitoring without a OneAgent DaemonSet (standalone)",
        applies=_logmon, symptoms=_silent("logs lack pod metadata or are missing",
                                          Where.COMPONENT_LOG),
        description="standalone log monitoring → kubelet on the node IP",
    ),
    _dns(LOGMON, _D, _logmon, "standalone log monitoring"),
    FlowSpec(
        id="kubemon-to-endpoints", scope=_D,
        source_kind=SourceKind.COMPONENT, source=KUBEMON.value,
        dest_kind=DestKind.ACTIVEGATE_ENDPOINTS, dest="activegate-endpoints", ports=(),
        required=True,
        condition="Helm experimental.enableKubemonOperand and spec.kubernetesMonitoring",
        applies=_kubemon, symptoms=_silent("Kubernetes monitoring data missing"),
        tenant_traffic=True,
        description="kubemon operand → its communication endpoints",
        notes=("Experimental operand found in the operator source (pkg/controllers/dynakube/"
               "kubemon).",),
    ),
    _apiserver(KUBEMON, _D, _kubemon, "kubemon operand enabled", Where.COMPONENT_LOG),
    _dns(KUBEMON, _D, _kubemon, "kubemon operand enabled"),
    FlowSpec(
        id="kspm-to-kubemon", scope=_D,
        source_kind=SourceKind.COMPONENT, source=KSPM.value,
        dest_kind=DestKind.COMPONENT, dest=KUBEMON.value,
        ports=(FlowPort(9999, _T, "https"),),
        required=True, condition="spec.kspm with the kubemon operand",
        applies=lambda ctx: _kspm(ctx) and _kubemon(ctx),
        symptoms=_silent("no KSPM node findings", Where.COMPONENT_LOG),
        description="KSPM node collector → kubemon operand (instead of the ActiveGate)",
    ),

    # ---- EdgeConnect ----------------------------------------------------------------------
    FlowSpec(
        id="edgeconnect-to-tenant", scope=_E,
        source_kind=SourceKind.COMPONENT, source=EC.value,
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True, condition="every EdgeConnect",
        symptoms=_silent("EdgeConnect offline in Dynatrace", Where.COMPONENT_LOG),
        tenant_traffic=True,
        description="EdgeConnect → spec.apiServer (and the OAuth token endpoint)",
    ),
    FlowSpec(
        id="edgeconnect-to-apiserver", scope=_E,
        source_kind=SourceKind.COMPONENT, source=EC.value,
        dest_kind=DestKind.APISERVER, dest="apiserver", ports=(),
        required=True, condition="spec.kubernetesAutomation.enabled",
        applies=lambda ctx: ctx.ec.kubernetes_automation,
        symptoms=_silent("Kubernetes automation workflows fail", Where.COMPONENT_LOG),
        description="EdgeConnect (Kubernetes automation) → kube-apiserver",
    ),
    FlowSpec(
        id="edgeconnect-to-targets", scope=_E,
        source_kind=SourceKind.COMPONENT, source=EC.value,
        dest_kind=DestKind.EXTERNAL, dest="EdgeConnect host patterns", ports=(),
        required=False, condition="spec.hostPatterns (what workflows reach through it)",
        applies=lambda ctx: bool(ctx.ec.host_patterns),
        symptoms=_silent("workflow requests through EdgeConnect time out"),
        description="EdgeConnect → the hosts it forwards requests to",
    ),
    _dns(EC, _E, _always, "every EdgeConnect"),
    FlowSpec(
        id="operator-to-edgeconnect-api", scope=_E,
        source_kind=SourceKind.COMPONENT, source=OP.value,
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True, condition="spec.oauth.provisioner",
        applies=lambda ctx: ctx.ec.provisioner,
        symptoms=_silent("EdgeConnect is not created/updated on the tenant",
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
        symptoms=_silent("EdgeConnect version status is not updated", Where.OPERATOR_LOG),
        tenant_traffic=True,
        description="operator reads the latest EdgeConnect image digest (docker.io)",
        notes=("Found in the operator source (pkg/controllers/edgeconnect/version).",),
    ),
)

_BY_ID: Mapping[str, FlowSpec] = {s.id: s for s in FLOW_SPECS}
assert len(_BY_ID) == len(FLOW_SPECS), "duplicate flow ids"


def flow_spec(flow_id: str) -> FlowSpec:
    """The table row for an unqualified flow id; raises KeyError."""
    return _BY_ID[flow_id]


# --- resolution ---------------------------------------------------------------------------


def _install_labels(cid: ComponentId, install: InstallFacts) -> dict[str, str]:
    if cid is ComponentId.WEBHOOK:
        return dict(WEBHOOK_SELECTOR_LABELS)
    if cid is ComponentId.CSI_DRIVER:
        return dict(CSI_SELECTOR_LABELS)
    if cid is ComponentId.OPERATOR:
        # Stable across versions: pre-1.0 charts used the release name as name label.
        return {APP_COMPONENT: "operator", OPERATOR_SELECTOR_KEY: install.release_name}
    return {APP_NAME: INSTALL_APP_NAME, APP_COMPONENT: component(cid).component_label or ""}


def _component_end(cid: ComponentId, ctx: FlowContext) -> FlowEnd:
    comp = component(cid)
    install = ctx.install
    if comp.scope is Scope.INSTALL:
        host_net = cid is ComponentId.WEBHOOK and install.webhook_host_network \
            and install.node_traffic
        return FlowEnd(SourceKind.COMPONENT.value, cid, install.operator_namespace,
                       _install_labels(cid, install), host_network=host_net,
                       description=comp.display_name)
    if comp.scope is Scope.EDGECONNECT:
        ec = ctx.ec
        return FlowEnd(SourceKind.COMPONENT.value, cid, ec.namespace,
                       operand_selector(cid, ec.name), description=f"EdgeConnect {ec.name}")
    dk = ctx.dk
    return FlowEnd(SourceKind.COMPONENT.value, cid, dk.namespace, operand_selector(cid, dk.name),
                   host_network=cid is ComponentId.ONEAGENT and install.node_traffic,
                   description=f"{comp.display_name} of {dk.name}")


def _app_end(spec: FlowSpec, ctx: FlowContext) -> FlowEnd:
    if spec.dest == OTEL.value:
        return FlowEnd(SourceKind.APP_PODS.value,
                       description=f"pods sending telemetry to {ctx.dk.otel_service_name} "
                                   "(any namespace)")
    dk = ctx.dk
    selected = dk.namespace_selector
    if selected is None and dk.otlp_exporter is not None:
        selected = dk.otlp_exporter.namespace_selector
    return FlowEnd(
        SourceKind.APP_PODS.value, ComponentId.CODE_MODULES,
        namespace_selector=LabelSelector(((INSTANCE_NAMESPACE_LABEL, dk.name),)),
        selected_by=selected, namespaces=ctx.install.monitored_namespaces,
        description=f"application pods in namespaces monitored by {dk.name}")


def _image_registry(image: str) -> HostPort:
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        host, _, port = first.partition(":")
        return HostPort(host.lower(), int(port) if port.isdigit() else 443)
    return HostPort("registry-1.docker.io", 443)


#: Sources that follow the OneAgent proxy setting (feature.dynatrace.com/oneagent-ignore-proxy):
#: the OneAgent DaemonSet and the code modules / init download. Standalone log monitoring
#: uses spec.proxy whenever it is set, whatever that flag says.
_ONEAGENT_PROXY_SOURCES = (OA.value, SourceKind.APP_PODS.value)


def _proxy_for(spec: FlowSpec, ctx: FlowContext) -> tuple[FlowEnd, tuple[str, ...]] | None:
    """The proxy a tenant-bound flow must use instead, if any."""
    if not spec.tenant_traffic:
        return None
    if ctx.edgeconnect is not None and spec.scope is Scope.EDGECONNECT:
        if spec.source == EC.value and ctx.ec.proxy is not None:
            return (FlowEnd(DestKind.PROXY.value, hosts=(ctx.ec.proxy,),
                            description="EdgeConnect spec.proxy"), ())
        return None
    if ctx.dynakube is not None:
        dk = ctx.dk
        if spec.source == AG.value and dk.activegate_ignores_proxy:
            return None
        if spec.source in _ONEAGENT_PROXY_SOURCES and dk.oneagent_ignores_proxy:
            return None
        if dk.proxy is not None:
            if dk.proxy.endpoint is not None:
                return (FlowEnd(DestKind.PROXY.value, hosts=(dk.proxy.endpoint,),
                                description=f"spec.proxy of {dk.name}"), ())
            note = (f"spec.proxy comes from Secret {dk.proxy.from_secret}: its address is "
                    "unknown here; give it (InstallFacts.proxy) to check this flow")
            return (FlowEnd(DestKind.PROXY.value, description=f"spec.proxy of {dk.name}"),
                    (note,))
    proxy = ctx.install.proxy_endpoint
    if proxy is not None:
        return FlowEnd(DestKind.PROXY.value, hosts=(proxy,), description="egress proxy"), ()
    return None


def _destination(spec: FlowSpec, ctx: FlowContext
                 ) -> tuple[FlowEnd, tuple[FlowPort, ...], bool, tuple[str, ...]]:
    """Destination, ports, whether the ports are assumed, extra notes."""
    install = ctx.install
    proxied = _proxy_for(spec, ctx)
    if proxied is not None:
        end, notes = proxied
        ports = tuple(FlowPort(h.port) for h in end.hosts)
        return end, ports, not ports, notes
    kind = spec.dest_kind
    if kind is DestKind.COMPONENT:
        cid = ComponentId(spec.dest)
        end = _component_end(cid, ctx)
        ports = spec.ports
        if cid is ComponentId.WEBHOOK:
            ports = tuple(FlowPort(install.webhook_port, p.protocol, p.name)
                          if p.number == 8443 else
                          FlowPort(install.webhook_probe_port, p.protocol, p.name)
                          if p.number == 10080 else p for p in ports)
        if cid is ComponentId.OTEL_COLLECTOR and spec.source_kind is SourceKind.APP_PODS:
            ti = ctx.dk.telemetry_ingest
            numbers = [n for proto in (ti.protocols if ti else ())
                       for n in TELEMETRY_PROTOCOL_PORTS[proto]]
            ports = tuple(sorted(FlowPort(p.number, p.protocol, p.name)
                                 for p in component(cid).ports if p.number in numbers))
        return end, ports, False, ()
    if kind is DestKind.APISERVER:
        ports = tuple(FlowPort(p) for p in install.apiserver_ports)
        assumed = not install.apiserver_endpoints and not install.platform.apiserver_port.verified
        note = () if install.apiserver_endpoints else (
            f"API server port {install.platform.apiserver_port.value} from the "
            f"{install.platform.display_name} profile ({install.platform.apiserver_port.source}); "
            "read the default/kubernetes EndpointSlice to be sure",)
        return (FlowEnd(kind.value, hosts=install.apiserver_endpoints,
                        description="kube-apiserver endpoints"), ports, assumed, note)
    if kind is DestKind.DNS:
        dns = install.platform.dns
        return (FlowEnd(kind.value, namespace=dns.namespace, pod_labels=dict(dns.pod_labels),
                        namespace_selector=dns.namespace_selector,
                        description=f"cluster DNS in {dns.namespace}"),
                tuple(FlowPort(n, p) for n, p in dns.ports), not dns.verified, ())
    if kind is DestKind.KUBELET:
        return (FlowEnd(kind.value, description="kubelet on the node IPs"), spec.ports, False,
                ())
    if kind is DestKind.TENANT:
        if ctx.edgeconnect is not None and spec.scope is Scope.EDGECONNECT:
            ec = ctx.ec
            hosts = (ec.api_server,) + ((ec.oauth_endpoint,) if ec.oauth_endpoint else ())
            return (FlowEnd(kind.value, hosts=hosts, description="EdgeConnect API server"),
                    tuple(sorted({FlowPort(h.port) for h in hosts})), False, ())
        api = ctx.dk.api_url
        return (FlowEnd(kind.value, hosts=(api.endpoint,), description=f"apiUrl {api.raw}"),
                (FlowPort(api.port),), False, ())
    if kind in (DestKind.ONEAGENT_ENDPOINTS, DestKind.ACTIVEGATE_ENDPOINTS):
        dk = ctx.dk
        oneagent = kind is DestKind.ONEAGENT_ENDPOINTS
        eps = dk.oneagent_endpoints if oneagent else dk.activegate_endpoints
        if spec.source == KUBEMON.value:
            eps = ()
        field_name = ("status.oneAgent.connectionInfoStatus.endpoints (';'-separated)"
                      if oneagent else
                      "status.activeGate.connectionInfoStatus.endpoints (',')")
        ep_notes: tuple[str, ...] = ("Chosen by the tenant and may change; " + field_name,)
        if oneagent and _zone_confined(ctx):
            ep_notes += ("spec.networkZone with a routing ActiveGate: the endpoints can be only "
                      "the in-cluster ActiveGate (see app-to-activegate-9999 / "
                      "oneagent-to-activegate).",)
        if eps:
            return (FlowEnd(kind.value, hosts=eps, description=field_name),
                    tuple(sorted({FlowPort(h.port) for h in eps})), False, ep_notes)
        return (FlowEnd(kind.value, description=field_name), (FlowPort(443),), True,
                (*ep_notes, "No status in the input: port 443 assumed."))
    if kind is DestKind.REGISTRY:
        if spec.scope is Scope.EDGECONNECT:
            return (FlowEnd(kind.value, hosts=(HostPort("registry-1.docker.io", 443),),
                            description="docker.io/dynatrace/edgeconnect"),
                    (FlowPort(443),), False, ())
        dk = ctx.dk
        if dk.code_modules_image:
            reg = _image_registry(dk.code_modules_image)
            return (FlowEnd(kind.value, hosts=(reg,),
                            description=f"registry of {dk.code_modules_image}"),
                    (FlowPort(reg.port),), False, ())
        where = dk.public_registry_override or "the public registry named by the tenant"
        return (FlowEnd(kind.value, description=where), (FlowPort(443),), True, ())
    return FlowEnd(kind.value, description=spec.dest), spec.ports, False, ()


def _source(spec: FlowSpec, ctx: FlowContext) -> FlowEnd:
    kind = spec.source_kind
    if kind is SourceKind.COMPONENT:
        return _component_end(ComponentId(spec.source), ctx)
    if kind is SourceKind.APP_PODS:
        return _app_end(spec, ctx)
    if kind is SourceKind.APISERVER:
        sources = "; ".join(s.description for s in ctx.install.platform.webhook_sources)
        return FlowEnd(kind.value, description=f"kube-apiserver ({sources})")
    if kind is SourceKind.ONEAGENT_NODES:
        if not ctx.install.node_traffic:   # --host-network pod: the OneAgent pods themselves
            return _component_end(ComponentId.ONEAGENT, ctx)
        return FlowEnd(kind.value, ComponentId.ONEAGENT, host_network=True,
                       description="node IPs (OneAgent on the host network)")
    return FlowEnd(kind.value, description="kubelet on the pod's node")


#: Notes of the flow table that hold only when host-network pods are node traffic.
_HOST_NETWORK_NOTE_PREFIXES = ("Host network: pod NetworkPolicies do not govern",
                               "The source is node IPs:")

_UNGOVERNED_DEST = (DestKind.APISERVER, DestKind.KUBELET, DestKind.TENANT,
                    DestKind.ONEAGENT_ENDPOINTS, DestKind.ACTIVEGATE_ENDPOINTS,
                    DestKind.REGISTRY, DestKind.PROXY, DestKind.EXTERNAL)


def _resolve(spec: FlowSpec, ctx: FlowContext, flow_id: str) -> Flow:
    src = _source(spec, ctx)
    dest, ports, assumed, extra = _destination(spec, ctx)
    required = spec.required_if(ctx) if spec.required_if is not None else spec.required
    egress = SourceKind(src.kind) in (SourceKind.COMPONENT, SourceKind.APP_PODS) \
        and not src.host_network
    ingress = DestKind(dest.kind) not in _UNGOVERNED_DEST and not dest.host_network
    notes = spec.notes + extra
    if not ctx.install.node_traffic and any(
            n.startswith(_HOST_NETWORK_NOTE_PREFIXES) for n in notes):
        notes = (*(n for n in notes if not n.startswith(_HOST_NETWORK_NOTE_PREFIXES)),
                 "--host-network pod: policies that select the OneAgent pods govern this flow "
                 "and peer selectors match them (on CNIs that tell host-network pods apart).")
    if src.host_network and spec.source_kind is SourceKind.COMPONENT:
        notes += ("The source runs on the host network: NetworkPolicy does not govern its "
                  "egress.",)
    if dest.host_network:
        notes += ("The destination runs on the host network: NetworkPolicy does not govern "
                  "its ingress; the node firewall must admit the port.",)
    if spec.source_kind is SourceKind.APISERVER:
        need = ctx.install.platform.needs_user_input
        notes += need
    return Flow(
        id=flow_id, spec=spec, source=src, destination=dest, ports=ports, required=required,
        dynakube=ctx.dynakube.name if ctx.dynakube is not None else None,
        edgeconnect=ctx.edgeconnect.name if ctx.edgeconnect is not None else None,
        egress_governed=egress, ingress_governed=ingress, ports_assumed=assumed, notes=notes)


def applicable_flows(dynakubes: DynaKube | Sequence[DynaKube],
                     install: InstallFacts | None = None, *,
                     edgeconnects: Iterable[EdgeConnect] = ()) -> list[Flow]:
    """The flows this installation needs, required and optional.

    Args:
        dynakubes: one DynaKube or several (each brings its own operands and flows).
        install: install facts; defaults describe a Helm install in ``dynatrace`` on a
            generic self-hosted cluster with the CSI driver.
        edgeconnects: EdgeConnect CRs handled by the same operator.

    Returns:
        Install-wide flows once, then each DynaKube's flows (ids ``<dk>/<id>`` when there is
        more than one DynaKube), then each EdgeConnect's (``<ec>/<id>`` when more than one),
        in table order.
    """
    dks = (dynakubes,) if isinstance(dynakubes, DynaKube) else tuple(dynakubes)
    ecs = tuple(edgeconnects)
    facts = install if install is not None else InstallFacts()
    out: list[Flow] = []
    base = FlowContext(facts, dynakubes=dks)
    for spec in FLOW_SPECS:
        if spec.scope is Scope.INSTALL and spec.applies(base):
            out.append(_resolve(spec, base, spec.id))
    for dk in dks:
        ctx = FlowContext(facts, dynakube=dk, dynakubes=dks)
        prefix = f"{dk.name}/" if len(dks) > 1 else ""
        for spec in FLOW_SPECS:
            if spec.scope is Scope.DYNAKUBE and spec.applies(ctx):
                out.append(_resolve(spec, ctx, prefix + spec.id))
    for ec in ecs:
        ctx = FlowContext(facts, edgeconnect=ec, dynakubes=dks)
        prefix = f"{ec.name}/" if len(ecs) > 1 else ""
        for spec in FLOW_SPECS:
            if spec.scope is Scope.EDGECONNECT and spec.applies(ctx):
                out.append(_resolve(spec, ctx, prefix + spec.id))
    return out


def expected_pod(flow: Flow, end: FlowEnd, *, release_name: str,
                 oneagent_modes: Mapping[str, str]
                 ) -> tuple[dict[str, str], tuple[ContainerPort, ...]]:
    """The labels and declared ports the operator gives the pods at a component ``end`` of
    ``flow``: what stands in for them when the input does not contain them yet.

    ``oneagent_modes`` maps a DynaKube name to its OneAgent mode (the OneAgent's labels carry
    it); without one the end's selector labels stand in.
    """
    assert end.component is not None
    comp = component(end.component)
    if comp.label_family is LabelFamily.INSTALL:
        labels = install_labels(end.component, release_name=release_name)
    else:
        owner = flow.edgeconnect or flow.dynakube or ""
        mode = oneagent_modes.get(owner) if end.component is ComponentId.ONEAGENT else None
        labels = operand_labels(end.component, owner, mode=mode) \
            if end.component is not ComponentId.ONEAGENT or mode else dict(end.pod_labels)
    ports = tuple(ContainerPort(p.number, p.protocol, p.name) for p in comp.declared_ports)
    return labels, ports
