"""Who is at an address: the API server, cluster DNS, a Dynatrace Service or pod, the tenant.

A log says ``dial tcp 10.96.0.1:443: i/o timeout`` or names a URL; the flow it belongs to
follows from what is at that address (read from the Services, EndpointSlices and pods of the
input, and the hosts of the DynaKubes) and from who wrote the log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dtnetpol.dynatrace.components import (
    APP_CREATED_BY,
    APP_INSTANCE,
    DEFAULT_RELEASE_NAME,
    ComponentId,
    recognise,
)
from dtnetpol.dynatrace.dynakube import DynaKube, EdgeConnect
from dtnetpol.dynatrace.flows import DestKind, Flow, InstallFacts
from dtnetpol.model import Cluster

__all__ = ["AddressBook", "Party", "name_guess"]

#: Destination kinds outside the cluster: a host name the input may not resolve.
EXTERNAL_KINDS = frozenset({DestKind.TENANT, DestKind.ONEAGENT_ENDPOINTS,
                            DestKind.ACTIVEGATE_ENDPOINTS, DestKind.REGISTRY, DestKind.PROXY,
                            DestKind.EXTERNAL})


@dataclass(frozen=True)
class Party:
    """One end as far as the input tells: a destination kind, maybe a component and its owner
    (the DynaKube or EdgeConnect name), and how it was recognised."""

    kind: DestKind
    component: ComponentId | None = None
    owner: str | None = None
    label: str = ""


#: Pod-name prefixes of the install-wide pods, for a log whose Pod object is not in the input.
_NAME_PREFIXES = (
    ("dynatrace-oneagent-csi-driver-", ComponentId.CSI_DRIVER),
    ("dynatrace-webhook-", ComponentId.WEBHOOK),
    ("dynatrace-operator-crd-storage-migration", ComponentId.CRD_STORAGE_MIGRATION),
    ("dynatrace-operator-", ComponentId.OPERATOR),
)
_OPERAND_SUFFIXES = (
    ("-activegate-", ComponentId.ACTIVEGATE),
    ("-oneagent-", ComponentId.ONEAGENT),
    ("-extension-controller-", ComponentId.EXTENSION_CONTROLLER),
    ("-otel-collector-", ComponentId.OTEL_COLLECTOR),
    ("-node-config-collector-", ComponentId.KSPM),
    ("-logmonitoring-", ComponentId.LOG_MONITORING),
    ("-sql-ext-exec-", ComponentId.SQL_EXECUTOR),
)


def name_guess(pod_name: str, owners: Sequence[str]) -> tuple[ComponentId | None, str | None]:
    """The component a pod is by its name alone (``dynatrace-webhook-5f..``,
    ``<dk>-activegate-0``), and its owner; (None, None) when the name tells nothing."""
    for prefix, cid in _NAME_PREFIXES:
        if pod_name.startswith(prefix):
            return cid, None
    for owner in owners:
        for suffix, cid in _OPERAND_SUFFIXES:
            if pod_name.startswith(owner + suffix):
                return cid, owner
        if pod_name.startswith(owner + "-"):
            return ComponentId.EDGECONNECT, owner
    return None, None


def labels_party(labels: Mapping[str, str], release_name: str = DEFAULT_RELEASE_NAME
                 ) -> tuple[ComponentId | None, str | None]:
    cid = recognise(labels, release_name=release_name)
    if cid is None:
        return None, None
    return cid, labels.get(APP_CREATED_BY) or labels.get(APP_INSTANCE)


class AddressBook:
    """Addresses and host names of the input, resolved to :class:`Party` records."""

    def __init__(self, cluster: Cluster, install: InstallFacts, flows: Sequence[Flow] = (),
                 dynakubes: Sequence[DynaKube] = (), edgeconnects: Sequence[EdgeConnect] = (),
                 ) -> None:
        self.install = install
        self._ips: dict[tuple[str, int | None], Party] = {}
        self._hosts: dict[str, Party] = {}
        self._service_ports: dict[str, dict[int, int]] = {}
        dns = install.platform.dns
        for ep in install.apiserver_endpoints:
            self._ips[(ep.host, ep.port)] = Party(DestKind.APISERVER, label="API server endpoint")
            self._ips.setdefault((ep.host, None), self._ips[(ep.host, ep.port)])
        for eps in cluster.endpoints:
            if eps.namespace == "default" and eps.service == "kubernetes":
                for a in eps.addresses:
                    self._ips[(a, None)] = Party(DestKind.APISERVER, label="API server endpoint")
        pods_by_ns: dict[str, list[tuple[Mapping[str, str], ComponentId | None, str | None]]] = {}
        for pod in cluster.pods:
            cid, owner = labels_party(pod.labels, install.release_name)
            pods_by_ns.setdefault(pod.namespace, []).append((pod.labels, cid, owner))
            if cid is not None:
                for ip in pod.ips:
                    self._ips[(ip, None)] = Party(DestKind.COMPONENT, cid, owner,
                                                  f"pod {pod.ref}")
        for svc in cluster.services:
            party: Party | None = None
            label = f"Service {svc.namespace}/{svc.name}"
            if svc.namespace == "default" and svc.name == "kubernetes":
                party = Party(DestKind.APISERVER, label="Service default/kubernetes")
            elif svc.namespace == dns.namespace and svc.selector and all(
                    svc.selector.get(k) == v for k, v in dns.pod_labels.items()):
                party = Party(DestKind.DNS, label=label)
            elif svc.selector:
                sel = svc.selector
                for labels, cid, owner in pods_by_ns.get(svc.namespace, []):
                    if cid is not None and all(labels.get(k) == v for k, v in sel.items()):
                        party = Party(DestKind.COMPONENT, cid, owner, label)
                        break
                if party is None:
                    cid, owner = labels_party(sel, install.release_name)
                    if cid is None:
                        cid, owner = name_guess(svc.name + "-",
                                                [d.name for d in dynakubes])
                    if cid is not None:
                        party = Party(DestKind.COMPONENT, cid, owner, label)
            if party is None:
                continue
            for ip in svc.cluster_ips:
                self._ips[(ip, None)] = party
                self._service_ports[ip] = {sp.port: sp.target_port for sp in svc.ports
                                           if isinstance(sp.target_port, int)}
            self._hosts[f"{svc.name}.{svc.namespace}.svc"] = party
            self._hosts[f"{svc.name}.{svc.namespace}.svc.cluster.local"] = party
            self._hosts[f"{svc.name}.{svc.namespace}"] = party
        for host in ("kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
                     "kubernetes.default", "kubernetes"):
            self._hosts[host] = Party(DestKind.APISERVER, label="kubernetes.default.svc")
        for dk in dynakubes:
            self._hosts.setdefault(dk.api_url.host.lower(),
                                   Party(DestKind.TENANT, owner=dk.name, label="apiUrl host"))
            for hp in dk.oneagent_endpoints:
                self._hosts.setdefault(hp.host.lower(), Party(
                    DestKind.ONEAGENT_ENDPOINTS, owner=dk.name, label="OneAgent endpoint"))
            for hp in dk.activegate_endpoints:
                self._hosts.setdefault(hp.host.lower(), Party(
                    DestKind.ACTIVEGATE_ENDPOINTS, owner=dk.name, label="ActiveGate endpoint"))
            if dk.proxy is not None and dk.proxy.endpoint is not None:
                self._hosts[dk.proxy.endpoint.host.lower()] = Party(
                    DestKind.PROXY, owner=dk.name, label="spec.proxy")
        for ec in edgeconnects:
            self._hosts.setdefault(ec.api_server.host.lower(),
                                   Party(DestKind.TENANT, owner=ec.name, label="EdgeConnect "
                                         "apiServer"))
        for flow in flows:
            kind = DestKind(flow.destination.kind)
            if kind in EXTERNAL_KINDS:
                for hp in flow.destination.hosts:
                    self._hosts.setdefault(hp.host.lower(), Party(
                        kind, owner=flow.edgeconnect or flow.dynakube,
                        label=flow.destination.description))
        for node in cluster.nodes:
            for a in node.addresses:
                self._ips.setdefault((a, 10250), Party(DestKind.KUBELET, label=f"node {node.name}"))
        proxy = install.proxy_endpoint
        if proxy is not None:
            self._hosts[proxy.host.lower()] = Party(DestKind.PROXY, label="egress proxy")

    def ip(self, ip: str, port: int | None) -> Party | None:
        found = self._ips.get((ip, port)) or self._ips.get((ip, None))
        if found is None and port == 53:
            return Party(DestKind.DNS, label=f"DNS server {ip}")
        if found is None and port == 10250:
            return Party(DestKind.KUBELET, label=f"kubelet {ip}")
        return found

    def pod_port(self, ip: str, port: int) -> int:
        """The pod port a connection to ``ip``:``port`` reaches (a Service's target port)."""
        return self._service_ports.get(ip, {}).get(port, port)

    def host(self, host: str) -> Party | None:
        h = host.lower().rstrip(".")
        found = self._hosts.get(h)
        if found is None and (h.endswith(".svc") or ".svc." in h):
            return None
        return found
