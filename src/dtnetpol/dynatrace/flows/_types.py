"""The types of the flow table: who talks to whom, on which port, and what breaks.

Shared by the per-component row modules, the assembly in :mod:`._table` and the resolution
in :mod:`._resolve`; re-exported from :mod:`dtnetpol.dynatrace.flows`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from dtnetpol.dynatrace.components import ComponentId, Scope
from dtnetpol.dynatrace.dynakube import DynaKube, EdgeConnect, HostPort, parse_proxy_url
from dtnetpol.dynatrace.platforms import PLATFORMS, Platform, PlatformProfile
from dtnetpol.errors import InputError
from dtnetpol.model import HostNetwork, LabelSelector, Protocol

__all__ = [
    "DestKind",
    "Flow",
    "FlowContext",
    "FlowEnd",
    "FlowPort",
    "FlowSpec",
    "InstallFacts",
    "Predicate",
    "SourceKind",
    "Symptom",
    "Where",
    "always",
]


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
    """A port of a flow, printed as ``8443/TCP``."""

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


def always(_: FlowContext) -> bool:
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
    applies: Predicate = field(default=always, compare=False, repr=False)
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

