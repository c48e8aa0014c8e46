"""Pods of API list pages, read straight from the parsed JSON into the model.

A live cluster sends 150,000 Pod objects at L; the generic reader walks each through
:class:`~dtnetpol.manifest._fields.Field` cursors, which costs more than parsing the JSON, and
the bodies kept for it took more than a gigabyte. :class:`PodReader` reads only what
:func:`~dtnetpol.manifest.objects.parse_header` and
:func:`~dtnetpol.manifest.objects.parse_pod` read, with plain type checks, and gives the same
:class:`Header` and :class:`Pod`; pods of one owner share their label dict, owner and port
tuple. Anything it is not sure about (a field of an unexpected type, a name the API server
would reject, a container port without a number) makes it answer None: the caller then reads
that pod through the generic reader, which reports it exactly as for a file.
"""

from __future__ import annotations

import sys
from typing import Any, Literal

import msgspec

from dtnetpol.manifest._names import dns1123_subdomain_error
from dtnetpol.manifest.objects import Header, OwnerRef
from dtnetpol.model.cluster import ContainerPort, Pod, WorkloadRef
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Protocol

_PROTOCOLS = {p.value: p for p in Protocol}
_intern = sys.intern


# A live read makes a location, a Header and a Pod for each of its 150,000 pods. These
# frozen dataclasses' own ``__init__`` looks ``object.__setattr__`` up again for every field
# (and takes keywords); these makers set the same fields with it bound once, in a third less
# time, and make the same objects (equal, hashed, ordered and pickled alike; the makers'
# parameters are checked against the classes' fields in the tests).
_new, _set = object.__new__, object.__setattr__


def located(file: str) -> SourceLocation:
    """``SourceLocation(file)``."""
    loc: SourceLocation = _new(SourceLocation)
    _set(loc, "file", file)
    _set(loc, "document", 1)
    _set(loc, "line", None)
    _set(loc, "path", "")
    return loc


def _make_header(api_version: str, kind: str, name: str, namespace: str | None,
                 labels: dict[str, str], owner: OwnerRef | None, loc: SourceLocation) -> Header:
    header: Header = _new(Header)
    _set(header, "api_version", api_version)
    _set(header, "kind", kind)
    _set(header, "name", name)
    _set(header, "namespace", namespace)
    _set(header, "labels", labels)
    _set(header, "owner", owner)
    _set(header, "loc", loc)
    return header


def _make_pod(namespace: str, name: str, owner: WorkloadRef, labels: dict[str, str],
              ports: tuple[ContainerPort, ...], host_network: bool, ips: tuple[str, ...],
              node: str | None, location: SourceLocation, service_account: str | None) -> Pod:
    pod: Pod = _new(Pod)
    _set(pod, "namespace", namespace)
    _set(pod, "name", name)
    _set(pod, "owner", owner)
    _set(pod, "labels", labels)
    _set(pod, "ports", ports)
    _set(pod, "host_network", host_network)
    _set(pod, "ips", ips)
    _set(pod, "node", node)
    _set(pod, "location", location)
    _set(pod, "service_account", service_account)
    return pod


class PodReader:
    """Reads Pod items of list pages (``Pod`` objects as the API returns them, parsed JSON).

    One reader per load: it keeps the label dicts, owners and port tuples it has made, so
    that the pods of one workload share them.
    """

    def __init__(self) -> None:
        self._labels: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        self._workloads: dict[tuple[str, str, str], WorkloadRef] = {}
        self._owners: dict[tuple[str, str], OwnerRef] = {}
        self._ports: dict[tuple[tuple[int, str, str | None], ...],
                          tuple[ContainerPort, ...]] = {}

    def read(self, item: Any, loc: SourceLocation) -> tuple[Header, Pod] | None:
        """The header and pod of ``item`` (a Pod, ``kind`` and ``apiVersion`` as given or
        absent), located at ``loc``; None when the generic reader must read it."""
        if type(item) is not dict:
            return None
        meta = item.get("metadata")
        spec = item.get("spec")
        if type(meta) is not dict or type(spec) is not dict:
            return None
        status = item.get("status")
        ips: tuple[str, ...] | None = ()
        if status is not None:
            if type(status) is not dict:
                return None
            ips = _ips(status.get("podIPs"), status.get("podIP"))
        return self._pod(loc, meta.get("name"), meta.get("namespace"), meta.get("labels"),
                         meta.get("annotations"), meta.get("ownerReferences"), ips,
                         self._container_ports(spec), spec.get("hostNetwork"),
                         spec.get("nodeName"), spec.get("serviceAccountName"), spec)

    def read_fields(self, item: PodFields, loc: SourceLocation) -> tuple[Header, Pod] | None:
        """:meth:`read` of a pod decoded by :data:`POD_PAGE` (only the fields read here)."""
        meta, spec, status = item.metadata, item.spec, item.status
        if meta is None or spec is None:
            return None
        ips = () if status is None else _ips(status.podIPs, status.podIP)
        return self._pod(loc, meta.name, meta.namespace, meta.labels, meta.annotations,
                         meta.ownerReferences, ips,
                         self._field_ports(spec.containers, spec.initContainers),
                         spec.hostNetwork, spec.nodeName, spec.serviceAccountName, spec)

    def _pod(self, loc: SourceLocation, name: Any, namespace: Any, labels_value: Any,
             annotations: Any, owner_refs: Any, ips: tuple[str, ...] | None,
             ports: tuple[ContainerPort, ...] | None, host_network: Any, node: Any,
             account: Any, spec: dict[str, Any] | _Spec) -> tuple[Header, Pod] | None:
        if type(name) is not str or dns1123_subdomain_error(name) is not None:
            return None  # (the generic reader warns: the API server would reject it)
        if namespace is not None and type(namespace) is not str:
            return None
        labels = self._label_dict(labels_value)
        if labels is None or not _strings_or_absent(annotations):
            return None
        owner = self._owner(owner_refs)
        if owner is False or ips is None:
            return None
        ns = _intern(namespace) if namespace else "default"
        if ports is None or (host_network is not None and type(host_network) is not bool) \
                or (node is not None and type(node) is not str) \
                or (account is not None and type(account) is not str):
            return None
        if not account:  # the deprecated field, read only when the new one is empty
            account = spec.get("serviceAccount") if type(spec) is dict else \
                spec.serviceAccount  # type: ignore[union-attr]
            if account is not None and type(account) is not str:
                return None
        header = _make_header(api_version="v1", kind="Pod", name=name,
                              namespace=namespace or None, labels=labels, owner=owner, loc=loc)
        if owner is not None and owner.kind != "Node":
            workload = self._workload(ns, owner.name, owner.kind)
        else:
            workload = WorkloadRef(ns, name, "Pod")
        pod = _make_pod(namespace=ns, name=name, owner=workload, labels=labels, ports=ports,
                        host_network=bool(host_network), ips=ips,
                        node=_intern(node) if node else None, location=loc,
                        service_account=_intern(account) if account else None)
        return header, pod

    # ------------------------------------------------------------------ shared parts
    def _label_dict(self, value: Any) -> dict[str, str] | None:
        if value is None:
            return {}
        if type(value) is not dict:
            return None
        key = tuple(value.items())
        try:
            shared = self._labels.get(key)
        except TypeError:  # a value that is a list or a mapping
            return None
        if shared is not None:
            return shared
        for v in value.values():
            if type(v) is not str:
                return None
        shared = self._labels[key] = {_intern(k): _intern(v) for k, v in key}
        return shared

    def _owner(self, refs: Any) -> OwnerRef | Literal[False] | None:
        """The controlling owner (else the first), None when there is none; False when the
        generic reader must decide."""
        if refs is None:
            return None
        if type(refs) is not list:
            return False
        chosen: OwnerRef | None = None
        first: OwnerRef | None = None
        for ref in refs:
            if type(ref) is not dict:
                return False
            kind, name, controller = ref.get("kind"), ref.get("name"), ref.get("controller")
            if type(kind) is not str or type(name) is not str or not kind or not name \
                    or (controller is not None and type(controller) is not bool):
                return False
            key = (kind, name)
            owner = self._owners.get(key)
            if owner is None:
                owner = self._owners[key] = OwnerRef(_intern(kind), _intern(name))
            if first is None:
                first = owner
            if controller and chosen is None:
                chosen = owner
        return chosen or first

    def _workload(self, ns: str, name: str, kind: str) -> WorkloadRef:
        key = (ns, name, kind)
        ref = self._workloads.get(key)
        if ref is None:
            ref = self._workloads[key] = WorkloadRef(ns, name, kind)
        return ref

    def _container_ports(self, spec: dict[str, Any]) -> tuple[ContainerPort, ...] | None:
        """Ports of containers and of sidecars (init containers with restartPolicy Always)."""
        containers = spec.get("containers")
        inits = spec.get("initContainers")
        if containers is None:
            containers = []
        if inits is None:
            inits = []
        if type(containers) is not list or type(inits) is not list:
            return None
        raw: list[tuple[int, str, str | None]] = []
        for group, sidecars_only in ((containers, False), (inits, True)):
            for c in group:
                if type(c) is not dict:
                    return None
                if sidecars_only:
                    policy = c.get("restartPolicy")
                    if policy is not None and type(policy) is not str:
                        return None
                    if policy != "Always":
                        continue
                if not _port_triples(c.get("ports"), raw):
                    return None
        return self._shared_ports(raw)

    def _field_ports(self, containers: list[_Container] | None,
                     inits: list[_Container] | None) -> tuple[ContainerPort, ...] | None:
        """:meth:`_container_ports` of decoded containers."""
        raw: list[tuple[int, str, str | None]] = []
        for c in containers or ():
            if not _port_triples(c.ports, raw):
                return None
        for c in inits or ():
            policy = c.restartPolicy
            if policy is not None and type(policy) is not str:
                return None
            if policy == "Always" and not _port_triples(c.ports, raw):
                return None
        return self._shared_ports(raw)

    def _shared_ports(self, raw: list[tuple[int, str, str | None]]
                      ) -> tuple[ContainerPort, ...]:
        if not raw:
            return ()
        key = tuple(raw)
        shared = self._ports.get(key)
        if shared is None:
            shared = self._ports[key] = tuple(
                ContainerPort(port=n, protocol=_PROTOCOLS[p], name=_intern(m) if m else None)
                for n, p, m in raw)
        return shared


def _port_triples(ports: Any, raw: list[tuple[int, str, str | None]]) -> bool:
    """Append (number, protocol, name) of each of a container's ``ports``; False when one
    of them is not what the fast reader reads."""
    if ports is None:
        return True
    if type(ports) is not list:
        return False
    for p in ports:
        if type(p) is not dict:
            return False
        number, protocol, name = p.get("containerPort"), p.get("protocol"), p.get("name")
        if type(number) is not int or not 1 <= number <= 65535 \
                or (protocol is not None and (type(protocol) is not str
                                              or protocol not in _PROTOCOLS)) \
                or (name is not None and type(name) is not str):
            return False
        raw.append((number, protocol or "TCP", name or None))
    return True


def _strings_or_absent(value: Any) -> bool:
    """Annotations as the generic reader accepts them without a word: absent, or strings."""
    if value is None:
        return True
    if type(value) is not dict:
        return False
    return all(type(v) is str for v in value.values())


def _ips(listed: Any, ip: Any) -> tuple[str, ...] | None:
    """``status.podIPs``, else ``status.podIP``; None when either is malformed."""
    if listed is not None:
        if type(listed) is not list:
            return None
        out = []
        for entry in listed:
            if type(entry) is not dict:
                return None
            one = entry.get("ip")
            if type(one) is not str or not one:
                return None
            out.append(one)
        if out:
            return tuple(out)
    if ip is None:
        return ()
    if type(ip) is not str:
        return None
    return (ip,) if ip else ()


# ---------------------------------------------------------------------- decoded pages
# A Pod page decoded into these keeps only the fields the reader reads: msgspec checks the
# whole page's JSON but builds no objects for the rest (managedFields, status conditions,
# container specs), which is most of a page. A field whose JSON type is not what is declared
# here (metadata not an object, a container that is null) fails the page's decoding, and the
# page is then read through a full parse, as before.
class _Meta(msgspec.Struct):  # (fields named as in the API)
    name: Any = None
    namespace: Any = None
    labels: Any = None
    annotations: Any = None
    ownerReferences: Any = None


class _Container(msgspec.Struct):
    ports: Any = None
    restartPolicy: Any = None


class _Spec(msgspec.Struct):
    containers: list[_Container] | None = None
    initContainers: list[_Container] | None = None
    hostNetwork: Any = None
    nodeName: Any = None
    serviceAccountName: Any = None
    serviceAccount: Any = None


class _Status(msgspec.Struct):
    podIP: Any = None
    podIPs: Any = None


class PodFields(msgspec.Struct):
    """What :meth:`PodReader.read_fields` reads of one Pod item."""

    metadata: _Meta | None = None
    spec: _Spec | None = None
    status: _Status | None = None


class _ListMeta(msgspec.Struct):
    token: Any = msgspec.field(default=None, name="continue")


class PodPage(msgspec.Struct):
    """A Pod list page: its items' fields and its continue token."""

    items: list[PodFields] | None = None
    metadata: _ListMeta | None = None


#: Decodes a Pod list page (bytes) into :class:`PodPage`; raises ``msgspec.DecodeError``
#: (a ``ValueError``) for a page it cannot (then a full parse reads it).
POD_PAGE = msgspec.json.Decoder(PodPage)
