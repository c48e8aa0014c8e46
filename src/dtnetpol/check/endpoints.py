"""The two ends of a Dynatrace flow, as endpoints the engine can judge.

A component end is the pods in the input that carry the component's stable selector labels;
when the manifests do not contain them (policies checked before the DynaKube is applied),
pods with the labels and ports the operator will give them stand in, marked *inferred*.
Application pods are the pods of the monitored namespaces. The API server, nodes and hosts
outside the cluster are :class:`~dtnetpol.engine.analysis.ExternalEndpoint`\\ s, with their
addresses when the input or a flag tells them, else unknown (verdicts on them can then be
conditional). A host name whose addresses no flag gives may resolve anywhere in IPv4 (and
IPv6 when the cluster has IPv6 addresses).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import count

from dtnetpol.dynatrace.flows import (
    DestKind,
    Flow,
    FlowEnd,
    InstallFacts,
    SourceKind,
    expected_pod,
)
from dtnetpol.dynatrace.platforms import ApiServerSourceKind
from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.analysis import Analyzer, Endpoint, ExternalEndpoint, PodClass
from dtnetpol.engine.selectors import compile_selector
from dtnetpol.model import ContainerPort, Pod, WorkloadRef

#: Where a stand-in for senders from any namespace lives (no policy there).
ANY_NAMESPACE = "any-namespace"

#: Destinations whose addresses ``--tenant-cidr`` describes.
_TENANT_KINDS = (DestKind.TENANT, DestKind.ONEAGENT_ENDPOINTS, DestKind.ACTIVEGATE_ENDPOINTS)


@dataclass(frozen=True)
class End:
    """One endpoint standing for a flow end; ``inferred`` when no pod of the input is it."""

    endpoint: Endpoint
    inferred: bool = False


@dataclass(frozen=True)
class Addresses:
    """What flags say about addresses the manifests cannot."""

    tenant_cidrs: tuple[str, ...] = ()
    proxy_cidrs: tuple[str, ...] = ()
    node_cidrs: tuple[str, ...] = ()
    apiserver_cidrs: tuple[str, ...] = ()


def _networks(texts: Sequence[str]) -> AddressSet | None:
    nets = []
    for t in texts:
        try:
            nets.append(ipaddress.ip_network(t, strict=False))
        except ValueError:
            continue
    return AddressSet.of_networks(nets) if nets else None


class FlowEnds:
    """Resolves flow ends against one compiled cluster (stand-ins are made once)."""

    def __init__(self, an: Analyzer, install: InstallFacts, addresses: Addresses,
                 oneagent_modes: Mapping[str, str],
                 monitored: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.an = an
        self.monitored = monitored or {}
        self.install = install
        self.addresses = addresses
        self.modes = oneagent_modes
        self._ids = count(-1, -1)
        self._stand_ins: dict[tuple[str, tuple[tuple[str, str], ...]], PodClass] = {}
        node_ips = [a for n in an.cluster.nodes for a in n.addresses]
        self.node_addresses = _networks((*addresses.node_cidrs, *node_ips))
        known = [*node_ips, *(e.host for e in install.apiserver_endpoints)]
        self.unknown_host = _networks(
            ["0.0.0.0/0", *(["::/0"] if any(":" in a for a in known) else [])])

    # ------------------------------------------------------------------ pods
    def _stand_in(self, namespace: str, labels: Mapping[str, str],
                  ports: tuple[ContainerPort, ...] = (), host_network: bool = False) -> PodClass:
        key = (namespace, tuple(sorted(labels.items())))
        hit = self._stand_ins.get(key)
        if hit is None:
            name = labels.get("app.kubernetes.io/name") or labels.get("k8s-app") or "pod"
            ref = WorkloadRef(namespace, f"<{name}>", "inferred")
            pod = Pod(namespace, ref.name, ref, dict(labels), ports, host_network)
            hit = PodClass(next(self._ids), namespace, dict(labels), ports, host_network, (pod,))
            self._stand_ins[key] = hit
        return hit

    def _matching(self, namespace: str, labels: Mapping[str, str]) -> list[PodClass]:
        return [c for c in self.an.classes_in(namespace)
                if all(c.labels.get(k) == v for k, v in labels.items())]

    def _component(self, end: FlowEnd, flow: Flow) -> list[End]:
        assert end.component is not None and end.namespace is not None
        real = self._matching(end.namespace, end.pod_labels)
        if real:
            return [End(c) for c in real]
        labels, ports = expected_pod(flow, end, release_name=self.install.release_name,
                                     oneagent_modes=self.modes)
        return [End(self._stand_in(end.namespace, labels, ports, end.host_network), True)]

    def _app_pods(self, end: FlowEnd, flow: Flow) -> list[End]:
        if end.namespace_selector is None and end.selected_by is None:
            # Senders in any namespace: theirs is the egress side, unknown here; a stand-in
            # in a namespace without policies leaves only the destination's ingress to judge.
            return [End(self._stand_in(ANY_NAMESPACE, {}), True)]
        if flow.dynakube is not None and flow.dynakube in self.monitored:
            namespaces = self.monitored[flow.dynakube]
            if not namespaces:
                return []
        else:
            namespaces = end.namespaces or self.install.monitored_namespaces
        if not namespaces and end.namespace_selector is not None:
            namespaces = tuple(ns for ns in sorted({c.namespace for c in self.an.classes})
                               if self.an.namespace_matches(end.namespace_selector, ns))
        real = [c for ns in dict.fromkeys(namespaces) for c in self.an.classes_in(ns)
                if not c.host_network]
        if real:
            return [End(c) for c in real]
        return [End(self._stand_in(ns, {}), True) for ns in namespaces or ("default",)]

    def _dns(self) -> list[End]:
        dns = self.install.platform.dns
        match = compile_selector(dns.pod_selector)
        real = [c for c in self.an.classes_in(dns.namespace) if match(c.labels)]
        if real:
            return [End(c) for c in real]
        ports = tuple(ContainerPort(n, p) for n, p in dns.ports)
        return [End(self._stand_in(dns.namespace, dns.pod_labels, ports), True)]

    # ----------------------------------------------------------------- hosts
    def _apiserver_sources(self) -> list[End]:
        """Where the API server's calls come from: alternatives, per the platform profile."""
        out: list[End] = []
        for s in self.install.platform.webhook_sources:
            if s.kind is ApiServerSourceKind.HOST_NETWORK_NAMESPACE:
                ns = None
                if s.namespace_selector is not None:
                    ns = next((n.name for n in self.an.cluster.namespaces.values()
                               if compile_selector(s.namespace_selector)(n.labels)),
                              "openshift-host-network")
                out.append(End(ExternalEndpoint("kube-apiserver", None, as_namespace=ns)))
            elif s.kind is ApiServerSourceKind.POD_PEER:
                labels = dict(s.pod_selector.match_labels) if s.pod_selector else {}
                real = self._matching("kube-system", labels)
                out.extend([End(c) for c in real] or
                           [End(self._stand_in("kube-system", labels), True)])
            else:
                cidrs = s.cidrs or self.addresses.apiserver_cidrs
                addrs = _networks(cidrs)
                if addrs is None and self.install.apiserver_endpoints:
                    # Self-hosted: the API server calls from the address it serves on.
                    addrs = _networks([e.host for e in self.install.apiserver_endpoints])
                if addrs is None and s.kind is ApiServerSourceKind.NODE_CIDR:
                    addrs = self.node_addresses
                out.append(End(ExternalEndpoint("kube-apiserver", addrs)))
        return out

    def _hosts(self, end: FlowEnd, kind: DestKind) -> ExternalEndpoint:
        name = ", ".join(f"{h.host}:{h.port}" for h in end.hosts) or end.description
        literal = []
        for h in end.hosts:
            try:
                literal.append(ipaddress.ip_network(h.host))
            except ValueError:
                break
        else:
            if literal:
                return ExternalEndpoint(name, AddressSet.of_networks(literal))
        given: tuple[str, ...] = ()
        if kind in _TENANT_KINDS:
            given = self.addresses.tenant_cidrs
        elif kind is DestKind.PROXY:
            given = self.addresses.proxy_cidrs
        # A host name: somewhere on the internet, IPv4 (and IPv6 on a dual-stack cluster).
        return ExternalEndpoint(name, _networks(given) or self.unknown_host)

    # ----------------------------------------------------------------- public
    def sources(self, flow: Flow) -> list[End]:
        """The flow's sources; for the API server, alternative origins of its calls."""
        end = flow.source
        kind = SourceKind(end.kind)
        if kind is SourceKind.COMPONENT:
            return self._component(end, flow)
        if kind is SourceKind.APP_PODS:
            return self._app_pods(end, flow)
        if kind is SourceKind.APISERVER:
            return self._apiserver_sources()
        return [End(ExternalEndpoint("nodes", self.node_addresses))]

    def destinations(self, flow: Flow) -> list[End]:
        end = flow.destination
        kind = DestKind(end.kind)
        if kind is DestKind.COMPONENT:
            return self._component(end, flow)
        if kind is DestKind.APP_PODS:
            return self._app_pods(end, flow)
        if kind is DestKind.DNS:
            return self._dns()
        if kind is DestKind.APISERVER:
            addrs = _networks([e.host for e in self.install.apiserver_endpoints])
            return [End(ExternalEndpoint("kube-apiserver", addrs))]
        if kind is DestKind.KUBELET:
            return [End(ExternalEndpoint("kubelet (node IPs)", self.node_addresses))]
        return [End(self._hosts(end, kind))]
