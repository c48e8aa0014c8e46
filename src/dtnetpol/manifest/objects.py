"""Kubernetes objects other than NetworkPolicy, converted to the model.

Only what policy analysis needs is read: labels, container ports, hostNetwork, addresses.
Workloads (Deployment, StatefulSet, ...) become one model :class:`Pod` standing for every pod
of their template, because NetworkPolicies select pods by template labels and manifests
rarely contain the pods themselves. Fields of the wrong type raise :class:`InputError`: unlike
a NetworkPolicy problem they leave nothing sensible to analyse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dtnetpol.errors import InputError
from dtnetpol.manifest._fields import (
    Field,
    fail,
    map_items,
    missing,
    need_map,
    need_str,
    opt_bool,
    opt_int,
    opt_list,
    opt_map,
    opt_str,
    string_map,
    wrong_type,
)
from dtnetpol.manifest._names import dns1123_subdomain_error
from dtnetpol.model.cluster import (
    NAME_LABEL,
    ContainerPort,
    EndpointAddresses,
    Namespace,
    Node,
    Pod,
    Service,
    ServicePort,
    WorkloadRef,
)
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Protocol

# kind -> API groups it is modelled for ("" is the core group, apiVersion "v1").
KIND_GROUPS: Mapping[str, frozenset[str]] = {
    "Namespace": frozenset({""}),
    "Pod": frozenset({""}),
    "Service": frozenset({""}),
    "Endpoints": frozenset({""}),
    "Node": frozenset({""}),
    "ReplicationController": frozenset({""}),
    "Deployment": frozenset({"apps", "extensions"}),
    "ReplicaSet": frozenset({"apps", "extensions"}),
    "DaemonSet": frozenset({"apps", "extensions"}),
    "StatefulSet": frozenset({"apps"}),
    "Job": frozenset({"batch"}),
    "CronJob": frozenset({"batch"}),
    "EndpointSlice": frozenset({"discovery.k8s.io"}),
    "NetworkPolicy": frozenset({"networking.k8s.io"}),
    "AdminNetworkPolicy": frozenset({"policy.networking.k8s.io"}),
    "BaselineAdminNetworkPolicy": frozenset({"policy.networking.k8s.io"}),
    "ClusterNetworkPolicy": frozenset({"policy.networking.k8s.io"}),
    "CiliumNetworkPolicy": frozenset({"cilium.io"}),
    "CiliumClusterwideNetworkPolicy": frozenset({"cilium.io"}),
}
#: The one apiVersion a current API server serves for each analysed built-in kind (older
#: ones such as extensions/v1beta1 were removed in Kubernetes 1.16, batch/v1beta1 CronJob and
#: discovery.k8s.io/v1beta1 in 1.25). An object under another version of a built-in group is
#: rejected by the API server, so reading it would analyse what can never exist.
SERVED_VERSIONS: Mapping[str, str] = {
    **dict.fromkeys(("Namespace", "Pod", "Service", "Endpoints", "Node",
                     "ReplicationController"), "v1"),
    **dict.fromkeys(("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"), "apps/v1"),
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "EndpointSlice": "discovery.k8s.io/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
}
BUILTIN_GROUPS = frozenset({"", "apps", "extensions", "batch", "networking.k8s.io",
                            "discovery.k8s.io"})


def unserved_version(kind: str, api_version: str | None) -> str | None:
    """The served apiVersion when ``api_version`` (of a built-in group) is not it."""
    served = SERVED_VERSIONS.get(kind)
    if served is None or api_version is None or api_version == served:
        return None
    return served if api_group(api_version) in BUILTIN_GROUPS else None


WORKLOAD_KINDS = frozenset({
    "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob",
    "ReplicationController",
})
CLUSTER_SCOPED_KINDS = frozenset({"Namespace", "Node", "AdminNetworkPolicy",
                                  "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy",
                                  "CiliumClusterwideNetworkPolicy"})
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"


def api_group(api_version: str | None) -> str | None:
    """``apps/v1`` -> ``apps``, ``v1`` -> ``""``; None when not given."""
    if api_version is None:
        return None
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def is_modelled(kind: str, api_version: str | None) -> bool:
    """True when ``kind`` of that API group is turned into a model object.

    A missing apiVersion (items of a ``kind: List``) is taken as the kind's usual group. A
    kind of another group, such as Calico's ``projectcalico.org/v3`` NetworkPolicy, is not.
    """
    groups = KIND_GROUPS.get(kind)
    if groups is None:
        return False
    group = api_group(api_version)
    return group is None or group in groups


@dataclass(frozen=True)
class OwnerRef:
    """The controlling owner of an object (a pod's ReplicaSet, a ReplicaSet's Deployment)."""

    kind: str
    name: str


@dataclass(frozen=True)
class Header:
    """What every object has: type, name, namespace, labels, controlling owner."""

    api_version: str
    kind: str
    name: str
    namespace: str | None
    labels: dict[str, str] = field(hash=False)
    owner: OwnerRef | None
    loc: SourceLocation


Lenient = list[tuple[SourceLocation, str]] | None
"""Where malformed-but-clear fields are noted (and read leniently); None: they raise."""


def parse_header(top: Field, kind: str, api_version: str, lenient: Lenient = None) -> Header:
    """Read metadata; raises InputError for a missing name or mistyped metadata.

    With ``lenient``, a name the API server rejects (``my_app``) is read as given and an
    ownerReference without kind or name is ignored, each noted there.
    """
    header = plain_header(top, kind, api_version, lenient)
    return header if header is not None else _field_header(top, kind, api_version, lenient)


def _field_header(top: Field, kind: str, api_version: str, lenient: Lenient = None) -> Header:
    meta = opt_map(top, "metadata")
    if meta is None:
        raise InputError("required field is missing", top.loc.at(top.child_path("metadata.name")))
    name = need_str(meta, "name")
    if lenient is not None and kind != "NetworkPolicy":   # (policies: checked with the rest)
        error = dns1123_subdomain_error(name)
        if error is not None:
            f = meta.get("name")
            assert f is not None
            lenient.append((f.loc, f"{kind} name {name!r} {error} (the API server would "
                                   "reject it); read as given"))
    namespace = opt_str(meta, "namespace") or None
    labels = string_map(meta, "labels")
    string_map(meta, "annotations")
    owners: list[tuple[bool, OwnerRef]] = []
    for ref in map_items(meta, "ownerReferences"):
        if lenient is not None and not (opt_str(ref, "kind") and opt_str(ref, "name")):
            lenient.append((ref.loc, "ownerReference without kind or name; owner ignored"))
            continue
        owners.append((opt_bool(ref, "controller"),
                       OwnerRef(need_str(ref, "kind"), need_str(ref, "name"))))
    owner = next((o for c, o in owners if c), owners[0][1] if owners else None)
    return Header(api_version, kind, name, namespace, labels, owner, top.loc)


def plain_header(top: Field, kind: str, api_version: str, lenient: Lenient) -> Header | None:
    """:func:`parse_header` of ordinary metadata, read from the values without a
    :class:`Field` per key; None for anything else (a missing or mistyped field, a name to
    note), which :func:`parse_header` then reads and reports the usual way."""
    body = top.value
    meta = body.get("metadata") if isinstance(body, dict) else None
    if not isinstance(meta, dict):
        return None
    name = meta.get("name")
    if type(name) is not str or not name:
        return None
    if lenient is not None and kind != "NetworkPolicy" and dns1123_subdomain_error(name):
        return None
    namespace = meta.get("namespace")
    if namespace is not None and type(namespace) is not str:
        return None
    labels = _plain_labels(meta.get("labels"))
    if labels is None:
        return None
    raw = meta.get("annotations")
    if raw is not None:
        if not isinstance(raw, dict):
            return None
        for k, v in raw.items():
            if type(k) is not str or (type(v) is not str and v is not None):
                return None
    owner: OwnerRef | None = None
    refs = meta.get("ownerReferences")
    if refs is not None:
        if type(refs) is not list and not isinstance(refs, list):
            return None
        first: OwnerRef | None = None
        for ref in refs:
            if not isinstance(ref, dict):
                return None
            ref_kind, ref_name, controller = ref.get("kind"), ref.get("name"), \
                ref.get("controller")
            if type(ref_kind) is not str or type(ref_name) is not str or not ref_kind \
                    or not ref_name or (controller is not None and type(controller) is not bool):
                return None
            found = OwnerRef(ref_kind, ref_name)
            if first is None:
                first = found
            if controller and owner is None:
                owner = found
        owner = owner or first
    return Header(api_version, kind, name, namespace or None, labels, owner, top.loc)


def _plain_labels(raw: Any) -> dict[str, str] | None:
    """:func:`string_map` of a valid map (null values read as ""); None for anything else."""
    labels: dict[str, str] = {}
    if raw is None:
        return labels
    if not isinstance(raw, dict):
        return None
    for k, v in raw.items():
        if type(k) is not str:
            return None
        if type(v) is str:
            labels[k] = v
        elif v is None:
            labels[k] = ""
        else:
            return None
    return labels


def _namespace_of(h: Header) -> str:
    return h.namespace or "default"


def _protocol(parent: Field, key: str = "protocol") -> Protocol:
    text = opt_str(parent, key)
    if text is None:
        return Protocol.TCP
    if text not in Protocol.__members__:
        f = parent.get(key)
        assert f is not None
        raise fail(f, f"protocol {text!r} is not one of TCP, UDP, SCTP")
    return Protocol(text)


def _port_number(parent: Field, key: str) -> int | None:
    value = opt_int(parent, key)
    if value is not None and not 1 <= value <= 65535:
        f = parent.get(key)
        assert f is not None
        raise fail(f, f"port {value} must be between 1 and 65535")
    return value


def _strings(parent: Field, key: str) -> list[str]:
    out = []
    for item in opt_list(parent, key):
        if not isinstance(item.value, str):
            raise wrong_type(item, "a string")
        out.append(item.value)
    return out


def _container_ports(pod_spec: Field, lenient: Lenient = None) -> tuple[ContainerPort, ...]:
    """Ports of regular containers and of sidecars (init containers that keep running)."""
    plain = _plain_ports(pod_spec.value)
    return plain if plain is not None else _field_ports(pod_spec, lenient)


def _field_ports(pod_spec: Field, lenient: Lenient = None) -> tuple[ContainerPort, ...]:
    containers = map_items(pod_spec, "containers")
    containers += [c for c in map_items(pod_spec, "initContainers")
                   if opt_str(c, "restartPolicy") == "Always"]
    ports: list[ContainerPort] = []
    for container in containers:
        for item in map_items(container, "ports"):
            number = _port_number(item, "containerPort")
            if number is None and lenient is not None:
                lenient.append((item.loc.at(item.child_path("containerPort")),
                                "container port without a number; port dropped"))
                continue
            if number is None:
                raise missing(item, "containerPort")
            ports.append(ContainerPort(port=number, protocol=_protocol(item),
                                       name=opt_str(item, "name") or None))
    return tuple(ports)


_PROTOCOL_NAMES = {p.value: p for p in Protocol}


def _plain_ports(pod_spec: Any) -> tuple[ContainerPort, ...] | None:
    """:func:`_container_ports` of ordinary containers, read from the values; None for
    anything else (a missing or mistyped field), which the :class:`Field` reading reports."""
    if not isinstance(pod_spec, dict):
        return None
    containers = pod_spec.get("containers")
    inits = pod_spec.get("initContainers")
    if (containers is not None and type(containers) is not list and
            not isinstance(containers, list)) or (
            inits is not None and not isinstance(inits, list)):
        return None
    running = list(containers or ())
    for c in inits or ():
        if not isinstance(c, dict):
            return None
        policy = c.get("restartPolicy")
        if policy is not None and type(policy) is not str:
            return None
        if policy == "Always":
            running.append(c)
    ports: list[ContainerPort] = []
    for c in running:
        if not isinstance(c, dict):
            return None
        items = c.get("ports")
        if items is None:
            continue
        if not isinstance(items, list):
            return None
        for item in items:
            if not isinstance(item, dict):
                return None
            number, protocol, name = item.get("containerPort"), item.get("protocol"), \
                item.get("name")
            if type(number) is not int or not 1 <= number <= 65535:
                return None
            if protocol is None:
                protocol = "TCP"
            elif type(protocol) is not str or protocol not in _PROTOCOL_NAMES:
                return None
            if name is not None and type(name) is not str:
                return None
            ports.append(ContainerPort(port=number, protocol=_PROTOCOL_NAMES[protocol],
                                       name=name or None))
    return tuple(ports)


def _plain_workload(h: Header, body: Any) -> Pod | None:
    """:func:`parse_workload` of an ordinary workload, read from the values; None for
    anything else, which the :class:`Field` reading reports."""
    spec = body.get("spec") if isinstance(body, dict) else None
    if h.kind == "CronJob":
        spec = spec.get("jobTemplate") if isinstance(spec, dict) else None
        spec = spec.get("spec") if isinstance(spec, dict) else None
    template = spec.get("template") if isinstance(spec, dict) else None
    if not isinstance(template, dict):
        return None
    labels: dict[str, str] = {}
    meta = template.get("metadata")
    if meta is not None:
        if not isinstance(meta, dict):
            return None
        found = _plain_labels(meta.get("labels"))
        if found is None:
            return None
        labels = found
    pod_spec = template.get("spec")
    if not isinstance(pod_spec, dict):
        return None
    ports = _plain_ports(pod_spec)
    host = pod_spec.get("hostNetwork")
    account = pod_spec.get("serviceAccountName")
    old = pod_spec.get("serviceAccount")
    if ports is None or (host is not None and type(host) is not bool) or (
            account is not None and type(account) is not str) or (
            old is not None and type(old) is not str):
        return None
    ns = _namespace_of(h)
    return Pod(namespace=ns, name=h.name, owner=WorkloadRef(ns, h.name, h.kind), labels=labels,
               ports=ports, host_network=bool(host), location=h.loc,
               service_account=account or old or None)


def template_of(h: Header, top: Field) -> Field:
    """The pod template of a workload (CronJob: ``spec.jobTemplate.spec.template``)."""
    spec = need_map(top, "spec")
    if h.kind == "CronJob":
        spec = need_map(need_map(spec, "jobTemplate"), "spec")
    return need_map(spec, "template")


def parse_workload(h: Header, top: Field, lenient: Lenient = None) -> Pod:
    """One Pod standing for every pod of a workload's template."""
    pod = _plain_workload(h, top.value)
    return pod if pod is not None else _field_workload(h, top, lenient)


def _field_workload(h: Header, top: Field, lenient: Lenient = None) -> Pod:
    template = template_of(h, top)
    meta = opt_map(template, "metadata")
    labels = string_map(meta, "labels") if meta is not None else {}
    pod_spec = need_map(template, "spec")
    ns = _namespace_of(h)
    return Pod(namespace=ns, name=h.name, owner=WorkloadRef(ns, h.name, h.kind), labels=labels,
               ports=_container_ports(pod_spec, lenient),
               host_network=opt_bool(pod_spec, "hostNetwork"),
               location=h.loc, service_account=_service_account(pod_spec))


def parse_pod(h: Header, top: Field, lenient: Lenient = None) -> Pod:
    spec = need_map(top, "spec")
    ns = _namespace_of(h)
    # A Node owns static (mirror) pods: kube-apiserver, etcd, the scheduler on kubeadm,
    # minikube and kind. Each is its own workload, never one ``node[Node]`` for all of them.
    owner = (WorkloadRef(ns, h.owner.name, h.owner.kind)
             if h.owner is not None and h.owner.kind != "Node"
             else WorkloadRef(ns, h.name, "Pod"))
    ips: list[str] = []
    status = opt_map(top, "status")
    if status is not None:
        ips = [need_str(item, "ip") for item in map_items(status, "podIPs")]
        if not ips:
            ip = opt_str(status, "podIP")
            ips = [ip] if ip else []
    return Pod(namespace=ns, name=h.name, owner=owner, labels=h.labels,
               ports=_container_ports(spec, lenient), host_network=opt_bool(spec, "hostNetwork"),
               ips=tuple(ips), node=opt_str(spec, "nodeName") or None, location=h.loc,
               service_account=_service_account(spec))


def _service_account(spec: Field) -> str | None:
    """``serviceAccountName``, or the deprecated ``serviceAccount`` it replaced."""
    return opt_str(spec, "serviceAccountName") or opt_str(spec, "serviceAccount") or None


def parse_namespace(h: Header) -> Namespace:
    """A namespace; the API server always adds the ``kubernetes.io/metadata.name`` label."""
    return Namespace(name=h.name, labels={**h.labels, NAME_LABEL: h.name}, location=h.loc)


def parse_service(h: Header, top: Field) -> Service:
    spec = opt_map(top, "spec") or Field({}, top.loc.at(top.child_path("spec")))
    selector = string_map(spec, "selector") if opt_map(spec, "selector") is not None else None
    ports: list[ServicePort] = []
    for item in map_items(spec, "ports"):
        number = _port_number(item, "port")
        if number is None:
            raise missing(item, "port")
        target: int | str = number
        tf = item.get("targetPort")
        if tf is not None and tf.value is not None:
            if isinstance(tf.value, bool) or not isinstance(tf.value, int | str):
                raise wrong_type(tf, "an integer or a port name")
            target = tf.value
        ports.append(ServicePort(port=number, target_port=target, protocol=_protocol(item),
                                 name=opt_str(item, "name") or None))
    ips = _strings(spec, "clusterIPs")
    if not ips:
        ip = opt_str(spec, "clusterIP")
        ips = [ip] if ip else []
    return Service(namespace=_namespace_of(h), name=h.name, selector=selector,
                   ports=tuple(ports), cluster_ips=tuple(ip for ip in ips if ip != "None"),
                   type=opt_str(spec, "type") or "ClusterIP", location=h.loc)


def _endpoint_ports(parent: Field) -> tuple[ServicePort, ...]:
    ports = []
    for item in map_items(parent, "ports"):
        number = _port_number(item, "port")
        if number is None:  # EndpointSlice: no port means "all ports"; nothing to record
            continue
        ports.append(ServicePort(port=number, target_port=number, protocol=_protocol(item),
                                 name=opt_str(item, "name") or None))
    return tuple(ports)


def parse_endpoints(h: Header, top: Field) -> list[EndpointAddresses]:
    """One entry per subset (addresses with their ports); ready addresses only."""
    ns = _namespace_of(h)
    out = []
    for subset in map_items(top, "subsets"):
        addresses = tuple(need_str(a, "ip") for a in map_items(subset, "addresses"))
        out.append(EndpointAddresses(ns, h.name, addresses, _endpoint_ports(subset),
                                     location=subset.loc))
    if not out:
        out.append(EndpointAddresses(ns, h.name, (), (), location=h.loc))
    return out


def parse_endpoint_slice(h: Header, top: Field) -> EndpointAddresses | None:
    """The ready endpoints of a slice, for the Service named by its service-name label."""
    service = h.labels.get(SERVICE_NAME_LABEL)
    if not service:
        return None
    addresses: list[str] = []
    for endpoint in map_items(top, "endpoints"):
        conditions = opt_map(endpoint, "conditions")
        if conditions is not None and conditions.value.get("ready") is False:
            continue
        addresses.extend(_strings(endpoint, "addresses"))
    return EndpointAddresses(_namespace_of(h), service, tuple(addresses), _endpoint_ports(top),
                             location=h.loc)


def parse_node(h: Header, top: Field) -> Node:
    addresses: list[str] = []
    status = opt_map(top, "status")
    if status is not None:
        for item in map_items(status, "addresses"):
            if opt_str(item, "type") in ("InternalIP", "ExternalIP"):
                addresses.append(need_str(item, "address"))
    cidrs: list[str] = []
    spec = opt_map(top, "spec")
    if spec is not None:
        cidrs = _strings(spec, "podCIDRs")
        if not cidrs:
            cidr = opt_str(spec, "podCIDR")
            cidrs = [cidr] if cidr else []
    return Node(name=h.name, labels=h.labels, addresses=tuple(addresses),
                pod_cidrs=tuple(cidrs), location=h.loc)


def body_of(top: Field) -> Mapping[str, Any]:
    value: Mapping[str, Any] = top.value
    return value
