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

from dtnetpol.manifest._names import dns1123_subdomain_error
from dtnetpol.manifest.objects import Header, OwnerRef
from dtnetpol.model.cluster import ContainerPort, Pod, WorkloadRef
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Protocol

_PROTOCOLS = {p.value: p for p in Protocol}
_intern = sys.intern


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
        name = meta.get("name")
        if type(name) is not str or dns1123_subdomain_error(name) is not None:
            return None  # (the generic reader warns: the API server would reject it)
        namespace = meta.get("namespace")
        if namespace is not None and type(namespace) is not str:
            return None
        labels = self._label_dict(meta.get("labels"))
        if labels is None or not _strings_or_absent(meta.get("annotations")):
            return None
        owner = self._owner(meta.get("ownerReferences"))
        if owner is False:
            return None
        ns = _intern(namespace) if namespace else "default"
        status = item.get("status")
        ips: tuple[str, ...] = ()
        if status is not None:
            if type(status) is not dict:
                return None
            found = _ips(status)
            if found is None:
                return None
            ips = found
        ports = self._container_ports(spec)
        host_network = spec.get("hostNetwork")
        node = spec.get("nodeName")
        account = spec.get("serviceAccountName")
        if ports is None or (host_network is not None and type(host_network) is not bool) \
                or (node is not None and type(node) is not str) \
                or (account is not None and type(account) is not str):
            return None
        if not account:
            account = spec.get("serviceAccount")
            if account is not None and type(account) is not str:
                return None
        header = Header("v1", "Pod", name, namespace or None, labels, owner, loc)
        if owner is not None and owner.kind != "Node":
            workload = self._workload(ns, owner.name, owner.kind)
        else:
            workload = WorkloadRef(ns, name, "Pod")
        pod = Pod(namespace=ns, name=name, owner=workload, labels=labels, ports=ports,
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
                ports = c.get("ports")
                if ports is None:
                    continue
                if type(ports) is not list:
                    return None
                for p in ports:
                    if type(p) is not dict:
                        return None
                    number, protocol, name = p.get("containerPort"), p.get("protocol"), \
                        p.get("name")
                    if type(number) is not int or not 1 <= number <= 65535 \
                            or (protocol is not None and (type(protocol) is not str
                                                          or protocol not in _PROTOCOLS)) \
                            or (name is not None and type(name) is not str):
                        return None
                    raw.append((number, protocol or "TCP", name or None))
        if not raw:
            return ()
        key = tuple(raw)
        shared = self._ports.get(key)
        if shared is None:
            shared = self._ports[key] = tuple(
                ContainerPort(port=n, protocol=_PROTOCOLS[p], name=_intern(m) if m else None)
                for n, p, m in raw)
        return shared


def _strings_or_absent(value: Any) -> bool:
    """Annotations as the generic reader accepts them without a word: absent, or strings."""
    if value is None:
        return True
    if type(value) is not dict:
        return False
    return all(type(v) is str for v in value.values())


def _ips(status: dict[str, Any]) -> tuple[str, ...] | None:
    """``status.podIPs``, else ``status.podIP``; None when either is malformed."""
    listed = status.get("podIPs")
    if listed is not None:
        if type(listed) is not list:
            return None
        out = []
        for entry in listed:
            if type(entry) is not dict:
                return None
            ip = entry.get("ip")
            if type(ip) is not str or not ip:
                return None
            out.append(ip)
        if out:
            return tuple(out)
    ip = status.get("podIP")
    if ip is None:
        return ()
    if type(ip) is not str:
        return None
    return (ip,) if ip else ()
