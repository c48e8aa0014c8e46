"""Platform profiles: where API-server traffic comes from, which port it goes to, where DNS is.

Each fact carries ``source`` (the evidence, said in words a user can check) and
``verified``. Unverified facts are best guesses: every one can be overridden by the caller
(:func:`platform_profile` keyword arguments), and outputs should say when they rely on one.

Webhook ingress: the API server dials the webhook **pod** on 8443 (Service 443 → 8443). It is
not a pod, so a pod/namespace selector never matches it, except where the platform routes it
through a pod (konnectivity-agent) or a special namespace address set (OpenShift OVN-K).
All :attr:`PlatformProfile.webhook_sources` of a profile are meant to be allowed together.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Generic, TypeVar

from dtnetpol.errors import InputError
from dtnetpol.model import IPBlock, LabelSelector, Peer, Protocol

__all__ = [
    "PLATFORMS",
    "ApiServerSource",
    "ApiServerSourceKind",
    "DnsTarget",
    "Fact",
    "Platform",
    "PlatformProfile",
    "platform_profile",
]

T = TypeVar("T")

USER_OVERRIDE = "given by the user"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
OPENSHIFT_HOST_NETWORK_LABEL = "policy-group.network.openshift.io/host-network"

_TIGERA_NP = "tigera/operator pkg/render/common/networkpolicy/networkpolicy.go"


class Platform(StrEnum):
    GENERIC = "generic"  # kubeadm and other self-hosted clusters
    EKS = "eks"
    GKE = "gke"
    AKS = "aks"
    OPENSHIFT = "openshift"
    KIND = "kind"
    K3S = "k3s"


@dataclass(frozen=True)
class Fact(Generic[T]):
    """A value with its evidence."""

    value: T
    source: str
    verified: bool
    note: str = ""


class ApiServerSourceKind(StrEnum):
    IP_BLOCK = "ipBlock"                                  # CIDRs the user must give
    POD_PEER = "pod-peer"                                 # a tunnel pod, e.g. konnectivity
    HOST_NETWORK_NAMESPACE = "host-network-namespace"     # OpenShift OVN-K address set
    NODE_CIDR = "node-cidr"                               # API server runs on the nodes


@dataclass(frozen=True)
class ApiServerSource:
    """One way API-server → webhook traffic can be admitted."""

    kind: ApiServerSourceKind
    description: str
    source: str
    verified: bool
    namespace_selector: LabelSelector | None = None
    pod_selector: LabelSelector | None = None
    cidrs: tuple[str, ...] = ()
    needs_cidrs: bool = False
    extra_steps: tuple[str, ...] = ()

    @property
    def missing_cidrs(self) -> bool:
        return self.needs_cidrs and not self.cidrs

    def peers(self) -> tuple[Peer, ...]:
        """The NetworkPolicy ``from`` peers; empty while required CIDRs are missing."""
        if self.kind in (ApiServerSourceKind.IP_BLOCK, ApiServerSourceKind.NODE_CIDR):
            return tuple(Peer(ip_block=IPBlock(ipaddress.ip_network(c, strict=False)))
                         for c in self.cidrs)
        return (Peer(pod_selector=self.pod_selector,
                     namespace_selector=self.namespace_selector),)


@dataclass(frozen=True)
class DnsTarget:
    """The cluster DNS pods and the **pod** ports they listen on."""

    namespace: str
    pod_labels: Mapping[str, str] = field(hash=False)
    ports: tuple[tuple[int, Protocol], ...]
    source: str
    verified: bool

    @property
    def pod_selector(self) -> LabelSelector:
        return LabelSelector(tuple(sorted(self.pod_labels.items())))

    @property
    def namespace_selector(self) -> LabelSelector:
        return LabelSelector(((NAMESPACE_NAME_LABEL, self.namespace),))


@dataclass(frozen=True)
class PlatformProfile:
    """What a platform decides about the flows: who calls the webhook, the API
    server's port, where DNS is."""

    name: Platform
    display_name: str
    managed: bool
    webhook_sources: tuple[ApiServerSource, ...]
    apiserver_port: Fact[int]
    dns: DnsTarget
    notes: tuple[str, ...] = ()

    @property
    def needs_user_input(self) -> tuple[str, ...]:
        """Messages for facts the user must still supply (e.g. EKS subnet CIDRs)."""
        return tuple(f"{s.description}: give the CIDRs (--apiserver-cidr)"
                     for s in self.webhook_sources if s.missing_cidrs)

    @property
    def unverified(self) -> tuple[str, ...]:
        """Descriptions of the facts this profile assumes without evidence."""
        out = [s.description for s in self.webhook_sources if not s.verified]
        if not self.apiserver_port.verified:
            out.append(f"API server endpoint port {self.apiserver_port.value}")
        if not self.dns.verified:
            out.append(f"cluster DNS in {self.dns.namespace}")
        return tuple(out)


def _sel(**labels: str) -> LabelSelector:
    return LabelSelector(tuple(sorted(labels.items())))


_KUBE_SYSTEM = LabelSelector(((NAMESPACE_NAME_LABEL, "kube-system"),))

KUBE_DNS = DnsTarget(
    namespace="kube-system",
    pod_labels={"k8s-app": "kube-dns"},
    ports=((53, Protocol.UDP), (53, Protocol.TCP)),
    source=f"{_TIGERA_NP} (AppendDNSEgressRules: kube-system, k8s-app=kube-dns, port 53); "
           "TCP 53 too: DNS answers too large for UDP are retried over TCP",
    verified=True,
)
OPENSHIFT_DNS = DnsTarget(
    namespace="openshift-dns",
    pod_labels={"dns.operator.openshift.io/daemonset-dns": "default"},
    ports=((5353, Protocol.UDP), (5353, Protocol.TCP)),
    source=f"{_TIGERA_NP} (AppendDNSEgressRules, OpenShift: openshift-dns, "
           "dns.operator.openshift.io/daemonset-dns=default, port 5353); "
           "openshift/cluster-dns-operator assets/dns/daemonset.yaml (containerPort 5353, "
           "Service port 53 → dns)",
    verified=True,
)


def _konnectivity(label: str, verified: bool = False) -> ApiServerSource:
    return ApiServerSource(
        kind=ApiServerSourceKind.POD_PEER,
        description=f"konnectivity-agent pods in kube-system ({label}=konnectivity-agent)",
        source="tigera/operator pkg/render/webhooks/render.go, "
               "pkg/render/common/networkpolicy/networkpolicy.go; which label goes with which "
               "platform and which GKE versions use Konnectivity is unverified",
        verified=verified,
        namespace_selector=_KUBE_SYSTEM,
        pod_selector=_sel(**{label: "konnectivity-agent"}),
    )


def _node_cidr(source: str, verified: bool) -> ApiServerSource:
    return ApiServerSource(
        kind=ApiServerSourceKind.NODE_CIDR,
        description="control-plane/node addresses (API server on the nodes)",
        source=source,
        verified=verified,
        needs_cidrs=True,
        extra_steps=("On Cilium ipBlock does not match node IPs by default: use "
                     "fromEntities kube-apiserver/host/remote-node instead.",),
    )


_SELF_HOSTED_SOURCE = ("self-hosted control planes (kubeadm, kind, k3s, RKE2) call from a node "
                       "IP or a CNI tunnel/host address, depending on the CNI (unverified); "
                       "tigera/operator notes it usually equals the default/kubernetes "
                       "endpoint IP")

PLATFORMS: Mapping[Platform, PlatformProfile] = {
    Platform.GENERIC: PlatformProfile(
        name=Platform.GENERIC,
        display_name="self-hosted (kubeadm)",
        managed=False,
        webhook_sources=(_node_cidr(_SELF_HOSTED_SOURCE, False),),
        apiserver_port=Fact(6443, "`kubeadm init` reference: --apiserver-bind-port default "
                                  "6443 (kubernetes.io)", True),
        dns=KUBE_DNS,
    ),
    Platform.KIND: PlatformProfile(
        name=Platform.KIND,
        display_name="kind",
        managed=False,
        webhook_sources=(_node_cidr(_SELF_HOSTED_SOURCE, False),),
        apiserver_port=Fact(6443, "kind is built on kubeadm, whose default port is 6443", False),
        dns=KUBE_DNS,
    ),
    Platform.K3S: PlatformProfile(
        name=Platform.K3S,
        display_name="k3s",
        managed=False,
        webhook_sources=(_node_cidr(_SELF_HOSTED_SOURCE, False),),
        apiserver_port=Fact(6443, "k3s `server` CLI help: --https-listen-port default 6443",
                            True),
        dns=KUBE_DNS,
    ),
    Platform.EKS: PlatformProfile(
        name=Platform.EKS,
        display_name="Amazon EKS",
        managed=True,
        webhook_sources=(ApiServerSource(
            kind=ApiServerSourceKind.IP_BLOCK,
            description="EKS cross-account ENIs in the cluster subnets",
            source="EKS API Reference, VpcConfigRequest.subnetIds (docs.aws.amazon.com)",
            verified=True,
            needs_cidrs=True,
        ),),
        apiserver_port=Fact(443, "Calico \"Enable eBPF\" (docs.tigera.io): 443 on the API "
                                 "load-balancer FQDN; the endpoint port is unverified", False),
        dns=KUBE_DNS,
    ),
    Platform.GKE: PlatformProfile(
        name=Platform.GKE,
        display_name="Google GKE",
        managed=True,
        webhook_sources=(
            ApiServerSource(
                kind=ApiServerSourceKind.IP_BLOCK,
                description="GKE private control plane /28 (masterIpv4CidrBlock)",
                source="GKE \"Open ports on a private cluster\" (cloud.google.com); Telepresence "
                       "\"Cloud Provider Prerequisites\" (documentation.gravitee.io); "
                       "elastic/cloud-on-k8s issue #1437",
                verified=True,
                needs_cidrs=True,
                extra_steps=("Add a VPC firewall rule admitting TCP 8443 from the control-plane "
                             "range: GKE's own rule admits only 443 and 10250.",),
            ),
            _konnectivity("app"),
            _konnectivity("k8s-app"),
        ),
        apiserver_port=Fact(443, "no published source for GKE (unverified)", False),
        dns=KUBE_DNS,
    ),
    Platform.AKS: PlatformProfile(
        name=Platform.AKS,
        display_name="Azure AKS",
        managed=True,
        webhook_sources=(
            _konnectivity("app"),
            _konnectivity("k8s-app"),
            ApiServerSource(
                kind=ApiServerSourceKind.IP_BLOCK,
                description="AKS API server address range (tunnel-front/aks-link, API Server "
                            "VNet Integration)",
                source="no published address range (unverified): give it with "
                       "--apiserver-cidr",
                verified=False,
                needs_cidrs=True,
            ),
        ),
        apiserver_port=Fact(443, "Calico \"Enable eBPF\" (docs.tigera.io): 443 on the API "
                                 "load-balancer FQDN; the endpoint port is unverified", False),
        dns=KUBE_DNS,
    ),
    Platform.OPENSHIFT: PlatformProfile(
        name=Platform.OPENSHIFT,
        display_name="OpenShift (OVN-Kubernetes)",
        managed=False,
        webhook_sources=(ApiServerSource(
            kind=ApiServerSourceKind.HOST_NETWORK_NAMESPACE,
            description="host-network traffic via the openshift-host-network namespace label "
                        "(namespaceSelector only, no podSelector)",
            source="openshift/cluster-network-operator bindata/network/ovn-kubernetes/common/"
                   "openshift-host-network-ns.yaml; ovn-org/ovn-kubernetes "
                   "go-controller/pkg/ovn/master.go and base_network_controller_policy.go "
                   "(useNamespaceAddrSet only when podSelector is nil); OCP 4.16 \"Network "
                   "policy\" (docs.redhat.com)",
            verified=True,
            namespace_selector=LabelSelector(((OPENSHIFT_HOST_NETWORK_LABEL, ""),)),
            pod_selector=None,
        ),),
        apiserver_port=Fact(6443, "Calico \"Enable eBPF\" page (docs.tigera.io)", True),
        dns=OPENSHIFT_DNS,
        notes=("Adding a podSelector to the host-network peer makes OVN-K ignore the namespace "
               "address set: the API server is then blocked.",),
    ),
}


def _check_cidrs(cidrs: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for c in cidrs:
        try:
            out.append(str(ipaddress.ip_network(c.strip(), strict=False)))
        except ValueError as exc:
            raise InputError(f"invalid API server CIDR {c!r}: {exc}") from None
    return tuple(out)


def platform_profile(name: Platform | str = Platform.GENERIC, *,
                     apiserver_cidrs: Sequence[str] = (),
                     apiserver_port: int | None = None,
                     konnectivity_labels: Mapping[str, str] | None = None,
                     dns: DnsTarget | None = None) -> PlatformProfile:
    """A platform profile with the caller's overrides applied (marked verified, source
    "given by the user").

    Args:
        name: generic, eks, gke, aks, openshift, kind or k3s.
        apiserver_cidrs: CIDRs the API server's traffic comes from; they fill every ipBlock /
            node-CIDR source of the profile.
        apiserver_port: the real port behind ``kubernetes.default.svc:443``.
        konnectivity_labels: the pod labels of the tunnel agent; replace the profile's
            konnectivity sources by one with these labels (or add it on other platforms).
        dns: another cluster DNS target.

    Raises:
        InputError: for an unknown platform name or an invalid CIDR.
    """
    try:
        profile = PLATFORMS[Platform(name)]
    except ValueError:
        raise InputError(f"unknown platform {name!r} (known: "
                         f"{', '.join(p.value for p in Platform)})") from None
    cidrs = _check_cidrs(apiserver_cidrs)
    sources = list(profile.webhook_sources)
    if cidrs:
        filled = False
        for i, s in enumerate(sources):
            if s.kind in (ApiServerSourceKind.IP_BLOCK, ApiServerSourceKind.NODE_CIDR):
                sources[i] = replace(s, cidrs=cidrs)
                filled = True
        if not filled:
            sources.append(ApiServerSource(
                kind=ApiServerSourceKind.IP_BLOCK, description="API server addresses",
                source=USER_OVERRIDE, verified=True, cidrs=cidrs, needs_cidrs=True))
    if konnectivity_labels:
        sources = [s for s in sources if s.kind is not ApiServerSourceKind.POD_PEER]
        sources.insert(0, ApiServerSource(
            kind=ApiServerSourceKind.POD_PEER,
            description="API server tunnel pods in kube-system",
            source=USER_OVERRIDE, verified=True, namespace_selector=_KUBE_SYSTEM,
            pod_selector=_sel(**dict(konnectivity_labels))))
    port = profile.apiserver_port
    if apiserver_port is not None:
        if not 1 <= apiserver_port <= 65535:
            raise InputError(f"API server port {apiserver_port} is outside 1-65535")
        port = Fact(apiserver_port, USER_OVERRIDE, True)
    return replace(profile, webhook_sources=tuple(sources), apiserver_port=port,
                   dns=dns if dns is not None else profile.dns)
