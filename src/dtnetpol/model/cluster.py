"""Namespaces, pods (or pod templates of workloads), services and nodes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from dtnetpol.model.calico_resources import CalicoResources
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import NetworkPolicy, Protocol

if TYPE_CHECKING:
    # Only their types: a cluster without such policies never imports their models.
    from dtnetpol.model.admin import AdminPolicy
    from dtnetpol.model.cilium import CiliumPolicy

Labels = Mapping[str, str]

NAME_LABEL = "kubernetes.io/metadata.name"


class HostNetwork(StrEnum):
    """How the CNI treats pods with ``hostNetwork: true`` (CNIs differ; the user chooses).

    ``NODE`` (most CNIs): policies do not select them and their traffic is the node's: only
    ipBlocks that admit the node's address (or an empty peer list) match them. ``POD`` (CNIs
    that tell them apart, and what other analyzers assume): policies select them and peer
    selectors match them, like any pod.
    """

    NODE = "node"
    POD = "pod"
# Label dicts are compared by value, left out of the hash, and never mutated after loading.


@dataclass(frozen=True)
class WorkloadRef:
    """The workload a pod belongs to, printed as ``namespace/name[Kind]``."""

    namespace: str
    name: str
    kind: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}[{self.kind}]"


@dataclass(frozen=True)
class Namespace:
    """A Namespace and its labels; ``assumed``: not in the input, only named by a
    pod or policy (its labels are then only the name label)."""

    name: str
    labels: Labels = field(default_factory=dict, hash=False)
    assumed: bool = False
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ContainerPort:
    """A port a container declares (named ports of policies resolve against these)."""

    port: int
    protocol: Protocol = Protocol.TCP
    name: str | None = None


@dataclass(frozen=True)
class Pod:
    """A pod, or the pod template standing for every pod of a workload."""

    namespace: str
    name: str
    owner: WorkloadRef
    labels: Labels = field(default_factory=dict, hash=False)
    ports: tuple[ContainerPort, ...] = ()
    host_network: bool = False
    ips: tuple[str, ...] = ()
    node: str | None = None
    location: SourceLocation | None = field(default=None, compare=False)
    #: ``serviceAccountName`` (None: not given, which Kubernetes reads as ``default``)
    service_account: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class ServicePort:
    """One port of a Service and the pod port (number or name) it forwards to."""

    port: int
    target_port: int | str
    protocol: Protocol = Protocol.TCP
    name: str | None = None


@dataclass(frozen=True)
class Service:
    """A Service: the pods it selects and the ports it forwards."""

    namespace: str
    name: str
    selector: Labels | None = field(default=None, hash=False)
    ports: tuple[ServicePort, ...] = ()
    cluster_ips: tuple[str, ...] = ()
    type: str = "ClusterIP"
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class EndpointAddresses:
    """Backends of a Service from Endpoints or an EndpointSlice (e.g. default/kubernetes)."""

    namespace: str
    service: str
    addresses: tuple[str, ...]
    ports: tuple[ServicePort, ...]
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Node:
    """A Node: its addresses (host-network traffic) and pod CIDRs."""

    name: str
    labels: Labels = field(default_factory=dict, hash=False)
    addresses: tuple[str, ...] = ()
    pod_cidrs: tuple[str, ...] = ()
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RawObject:
    """An object of a kind the core does not model (kept for DynaKube, EdgeConnect, ...)."""

    api_version: str
    kind: str
    namespace: str | None
    name: str
    body: Mapping[str, Any] = field(hash=False)
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Cluster:
    """Everything loaded from manifests or a live cluster."""

    namespaces: Mapping[str, Namespace] = field(default_factory=dict, hash=False)
    pods: tuple[Pod, ...] = ()
    policies: tuple[NetworkPolicy, ...] = ()
    services: tuple[Service, ...] = ()
    endpoints: tuple[EndpointAddresses, ...] = ()
    nodes: tuple[Node, ...] = ()
    others: tuple[RawObject, ...] = ()
    # Policy layers beyond NetworkPolicy (see dtnetpol.engine.layers); Calico adds its own.
    admin_policies: tuple[AdminPolicy, ...] = ()
    cilium_policies: tuple[CiliumPolicy, ...] = ()
    calico: CalicoResources = field(default_factory=CalicoResources)
    skipped_kinds: Mapping[str, int] = field(default_factory=dict, hash=False)
    warnings: tuple[str, ...] = ()
    # Documents that are not Kubernetes objects (no apiVersion, no kind): skipped.
    not_kubernetes: tuple[SourceLocation, ...] = ()

    def namespace(self, name: str) -> Namespace:
        """The namespace object, or the one Kubernetes would give it (name label only)."""
        found = self.namespaces.get(name)
        if found is not None:
            return found
        return Namespace(name=name, labels={NAME_LABEL: name}, assumed=True)
