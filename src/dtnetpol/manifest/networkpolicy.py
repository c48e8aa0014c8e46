"""networking.k8s.io/v1 NetworkPolicy: API validation and conversion to the model.

The checks mirror what the API server does on create (``ValidateNetworkPolicy`` in
``pkg/apis/networking/validation`` and the label-selector checks of
``apimachinery/pkg/apis/meta/v1/validation``), plus the strict field validation ``kubectl
apply`` asks for (unknown fields are rejected). A policy with any problem is not converted: the
API server would not have stored it, so analysing it would describe a cluster that cannot exist.

Decisions where the API leaves room:

- ``null`` is the same as an absent field; a ``null`` list item is an empty object (so
  ``ingress: [~]`` allows everything, as in the API).
- ``spec.podSelector`` is optional in the API (absent = ``{}``, every pod of the namespace).
- CIDRs are parsed as the API does without the ``StrictIPCIDRValidation`` feature gate: host
  bits after the prefix (``10.0.0.1/24``) and leading zeros are accepted; the value is read as
  the masked network and a note says that stricter API servers reject it.
- ``status`` is accepted at the top level: ``kubectl get -o yaml`` on 1.24–1.27 writes
  ``status: {}``.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from dtnetpol.manifest._fields import Field, is_int, root, type_name
from dtnetpol.manifest._names import (
    dns1123_label_error,
    dns1123_subdomain_error,
    label_key_error,
    port_name_error,
)
from dtnetpol.manifest.marks import LinedMap, MarkedMap
from dtnetpol.manifest.problems import Problem
from dtnetpol.manifest.selectors import SelectorReader
from dtnetpol.manifest.selectors import Slow as _Slow
from dtnetpol.manifest.selectors import fast_labels as _fast_labels
from dtnetpol.manifest.selectors import fast_selector as _fast_selector
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import (
    Direction,
    IPBlock,
    IPNetwork,
    LabelSelector,
    NetworkPolicy,
    Peer,
    PolicyPort,
    Protocol,
    Rule,
    default_policy_types,
)

#: The apiVersion of the NetworkPolicy this module reads (a Calico one has the same kind).
LINED_API_VERSION = "networking.k8s.io/v1"
TOP_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})
METADATA_FIELDS = frozenset({
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
    "annotations", "ownerReferences", "finalizers", "managedFields",
})
SPEC_FIELDS = frozenset({"podSelector", "ingress", "egress", "policyTypes"})
PEER_FIELDS = frozenset({"podSelector", "namespaceSelector", "ipBlock"})
IPBLOCK_FIELDS = frozenset({"cidr", "except"})
PORT_FIELDS = frozenset({"protocol", "port", "endPort"})

_CIDR_RE = re.compile(r"([0-9A-Fa-f:.]+)/([0-9]+)\Z")
_IPV4_RE = re.compile(r"[0-9]+(\.[0-9]+){3}\Z")


def parse_cidr(text: str) -> tuple[IPNetwork | None, str | None, str | None]:
    """Parse a CIDR as the API server does (legacy rules).

    Returns:
        (network, error, note): ``error`` when the API rejects the value; ``note`` when it is
        accepted only without ``StrictIPCIDRValidation`` (host bits set, leading zeros,
        IPv4-mapped IPv6), with the network it is read as.
    """
    match = _CIDR_RE.match(text)
    if match is None:
        return None, "must be a CIDR such as 10.9.8.0/24 or 2001:db8::/64", None
    address, prefix = match.groups()
    odd: list[str] = []
    if _IPV4_RE.match(address):
        octets = address.split(".")
        if any(len(o) > 1 and o.startswith("0") for o in octets):
            odd.append("leading zeros")
            address = ".".join(str(int(o)) if int(o) < 1000 else o for o in octets)
    if len(prefix) > 1 and prefix.startswith("0"):
        odd.append("leading zeros")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None, f"{address!r} is not an IPv4 or IPv6 address", None
    if int(prefix) > ip.max_prefixlen:
        return None, f"prefix length must be at most {ip.max_prefixlen}", None
    network = ipaddress.ip_network(f"{ip}/{int(prefix)}", strict=False)
    if network.network_address != ip:
        odd.append("bits set beyond the prefix length")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        odd.append("an IPv4-mapped IPv6 address")
    note = None
    if odd:
        reasons = " and ".join(dict.fromkeys(odd))
        note = (f"CIDR {text!r} has {reasons}; read as {network} (API servers with "
                "StrictIPCIDRValidation reject it)")
    return network, None, note


class _Validator(SelectorReader):
    """Collects problems (and notes) while converting one NetworkPolicy."""

    # --- metadata ----------------------------------------------------------------------

    def metadata(self, top: Field) -> tuple[str | None, str, tuple[tuple[str, str], ...]]:
        mf = top.get("metadata")
        meta = self.mapping(mf)
        if meta is None:
            if mf is None or mf.value is None:
                self.add(top.loc.at(top.child_path("metadata.name")), "missing-field",
                         "required field 'name' is missing")
            return None, "default", ()
        self.known(meta, METADATA_FIELDS, "metadata")
        name = meta.get("name")
        policy_name: str | None = None
        if name is None or name.value is None or name.value == "":
            self.missing(meta, "name")
        elif not isinstance(name.value, str):
            self.wrong_type(name, "a string")
        else:
            error = dns1123_subdomain_error(name.value)
            if error is not None:
                self.add(name.loc, "invalid-name", f"name {name.value!r} {error}")
            policy_name = name.value
        namespace = "default"
        ns = meta.get("namespace")
        if ns is not None and ns.value not in (None, ""):
            if not isinstance(ns.value, str):
                self.wrong_type(ns, "a string")
            else:
                error = dns1123_label_error(ns.value)
                if error is not None:
                    self.add(ns.loc, "invalid-name", f"namespace {ns.value!r} {error}")
                namespace = ns.value
        labels = self.mapping(meta.get("labels"))
        if labels is not None:
            self.label_map(labels)
        annotations: list[tuple[str, str]] = []
        notes = self.mapping(meta.get("annotations"))
        if notes is not None:
            for key, entry in notes.entries():
                if not isinstance(key, str):
                    self.add(entry.loc, "wrong-type",
                             f"annotation key must be a string, not {type_name(key)}")
                    continue
                error = label_key_error(key.lower())
                if error is not None:
                    self.add(entry.loc, "invalid-label-key", f"annotation key {key!r} {error}")
                if entry.value is None:
                    annotations.append((key, ""))
                elif isinstance(entry.value, str):
                    annotations.append((key, entry.value))
                else:
                    self.wrong_type(entry, "a string")
        return policy_name, namespace, tuple(sorted(annotations))

    # --- selectors ---------------------------------------------------------------------

    # --- peers -------------------------------------------------------------------------

    def peer(self, item: Field, direction: Direction) -> Peer | None:
        if item.value is None:
            item = Field({}, item.loc)
        elif not isinstance(item.value, Mapping):
            self.wrong_type(item, "a mapping")
            return None
        side = "from" if direction is Direction.INGRESS else "to"
        self.known(item, PEER_FIELDS, "a peer", hints={
            "ports": f"ports belongs to the rule, not to the peer: outdent it to line up "
                     f"with {side!r}",
            "from": "a peer has only podSelector, namespaceSelector, ipBlock",
            "to": "a peer has only podSelector, namespaceSelector, ipBlock",
        })
        present = [k for k in ("podSelector", "namespaceSelector", "ipBlock")
                   if item.has(k) and item.value[k] is not None]
        pod_selector = self.selector(item.get("podSelector"))
        namespace_selector = self.selector(item.get("namespaceSelector"))
        ip_block = None
        ip_field = self.mapping(item.get("ipBlock"))
        if ip_field is not None:
            ip_block = self.ip_block(ip_field)
        if not present:
            self.add(item.loc, "empty-peer",
                     "a peer needs podSelector, namespaceSelector or ipBlock (to allow every "
                     f"peer, leave out {side!r} instead)")
            return None
        if "ipBlock" in present and len(present) > 1:
            self.add(item.loc, "ipblock-with-selector",
                     "ipBlock may not be combined with podSelector or namespaceSelector in "
                     "one peer (make them separate list items)")
            return None
        return Peer(pod_selector=pod_selector, namespace_selector=namespace_selector,
                    ip_block=ip_block, location=item.loc)

    def ip_block(self, f: Field) -> IPBlock | None:
        self.known(f, IPBLOCK_FIELDS, "an ipBlock")
        cidr_field = f.get("cidr")
        if cidr_field is None or cidr_field.value in (None, ""):
            self.add(cidr_field.loc if cidr_field is not None else f.loc.at(f.child_path("cidr")),
                     "missing-field", "required field 'cidr' is missing")
            cidr = None
        elif not isinstance(cidr_field.value, str):
            self.wrong_type(cidr_field, "a string")
            cidr = None
        else:
            cidr = self.cidr(cidr_field, cidr_field.value)
        excepts: list[IPNetwork] = []
        for ef, text in self.strings(f.get("except")):
            network = self.cidr(ef, text)
            if network is None or cidr is None:
                continue
            inside = (network.version == cidr.version and network.subnet_of(cidr)  # type: ignore[arg-type]
                      and network.prefixlen > cidr.prefixlen)
            if not inside:
                self.add(ef.loc, "except-outside-cidr",
                         f"except {text!r} must be a strict subset of cidr {cidr}")
                continue
            excepts.append(network)
        if cidr is None:
            return None
        return IPBlock(cidr=cidr, excepts=tuple(excepts))

    def cidr(self, f: Field, text: str) -> IPNetwork | None:
        network, error, note = parse_cidr(text)
        if error is not None:
            self.add(f.loc, "invalid-cidr", f"invalid CIDR {text!r}: {error}")
            return None
        if note is not None:
            self.notes.append((f.loc, note))
        return network

    # --- ports -------------------------------------------------------------------------

    def port(self, item: Field) -> PolicyPort | None:
        if item.value is None:
            return PolicyPort(location=item.loc)
        if not isinstance(item.value, Mapping):
            self.wrong_type(item, "a mapping")
            return None
        self.known(item, PORT_FIELDS, "a port")
        ok = True
        protocol = Protocol.TCP
        pf = item.get("protocol")
        if pf is not None and pf.value is not None:
            if not isinstance(pf.value, str):
                self.wrong_type(pf, "a string")
                ok = False
            elif pf.value not in Protocol.__members__:
                hint = (f" (protocols are case-sensitive: {pf.value.upper()})"
                        if pf.value.upper() in Protocol.__members__ else "")
                self.add(pf.loc, "invalid-protocol",
                         f"protocol {pf.value!r} is not one of TCP, UDP, SCTP{hint}")
                ok = False
            else:
                protocol = Protocol(pf.value)
        port: int | str | None = None
        nf = item.get("port")
        if nf is not None and nf.value is not None:
            if is_int(nf.value):
                port = int(nf.value)
                if not 1 <= port <= 65535:
                    self.add(nf.loc, "invalid-port", f"port {port} must be between 1 and 65535")
                    ok = False
            elif isinstance(nf.value, str):
                port = nf.value
                error = port_name_error(port)
                if error is not None:
                    hint = (f" (a quoted number is a port name: write port: {port})"
                            if port.isdigit() else "")
                    self.add(nf.loc, "invalid-port-name",
                             f"named port {port!r} {error}{hint}")
                    ok = False
            else:
                self.wrong_type(nf, "an integer or a port name")
                ok = False
        end_port: int | None = None
        ef = item.get("endPort")
        if ef is not None and ef.value is not None:
            if not is_int(ef.value):
                self.wrong_type(ef, "an integer")
                ok = False
            else:
                end_port = int(ef.value)
                error = None
                if nf is None or nf.value is None:
                    error = "endPort may not be given without port"
                elif not is_int(nf.value):
                    error = "endPort requires a numeric port, not a named port"
                elif isinstance(port, int) and end_port < port:
                    error = f"endPort {end_port} must be greater than or equal to port {port}"
                elif not 1 <= end_port <= 65535:
                    error = f"endPort {end_port} must be between 1 and 65535"
                if error is not None:
                    self.add(ef.loc, "invalid-end-port", error)
                    ok = False
        if not ok:
            return None
        return PolicyPort(protocol=protocol, port=port, end_port=end_port, location=item.loc)

    # --- rules and spec ----------------------------------------------------------------

    def rules(self, spec: Field, direction: Direction) -> list[Rule]:
        key = direction.value.lower()
        side, other = ("from", "to") if direction is Direction.INGRESS else ("to", "from")
        allowed = frozenset({side, "ports"})
        out: list[Rule] = []
        for index, item in enumerate(self.items(spec.get(key))):
            if item.value is None:
                item = Field({}, item.loc)
            elif not isinstance(item.value, Mapping):
                self.wrong_type(item, "a mapping")
                continue
            self.known(item, allowed, f"an {key} rule", hints={
                other: f"{key} rules use {side!r}, not {other!r}",
            })
            peers = [self.peer(p, direction) for p in self.items(item.get(side))]
            ports = [self.port(p) for p in self.items(item.get("ports"))]
            out.append(Rule(direction=direction, index=index,
                            peers=tuple(p for p in peers if p is not None),
                            ports=tuple(p for p in ports if p is not None),
                            location=item.loc))
        return out

    def policy_types(self, spec: Field) -> list[Direction]:
        f = spec.get("policyTypes")
        items = self.items(f)
        if len(items) > 2:
            assert f is not None
            self.add(f.loc, "invalid-policy-type", "may not list more than two policyTypes")
            return []
        out: list[Direction] = []
        for item, value in self.strings(f):
            if value in (d.value for d in Direction):
                out.append(Direction(value))
            else:
                hint = next((f" (policy types are case-sensitive: {d.value})" for d in Direction
                             if d.value.lower() == value.lower()), "")
                self.add(item.loc, "invalid-policy-type",
                         f"policy type {value!r} is not Ingress or Egress{hint}")
        return out


_CACHE_MAX = 1 << 16
_OK_ANNOTATION_KEYS: set[str] = set()
_OK_PORT_NAMES: set[str] = set()
_CLEAN_CIDRS: dict[str, IPNetwork] = {}
_DIRECTIONS = {"Ingress": Direction.INGRESS, "Egress": Direction.EGRESS}
_PROTOCOLS = {p.value: p for p in Protocol}


def _remember(cache: set[str], value: str) -> None:
    if len(cache) < _CACHE_MAX:
        cache.add(value)


def _fast_cidr(text: object) -> IPNetwork:
    if type(text) is not str:
        raise _Slow
    network = _CLEAN_CIDRS.get(text)
    if network is None:
        network, error, note = parse_cidr(text)
        if network is None or error is not None or note is not None:
            raise _Slow
        if len(_CLEAN_CIDRS) < _CACHE_MAX:
            _CLEAN_CIDRS[text] = network
    return network


def _fast_ip_block(value: object) -> IPBlock:
    if type(value) is not MarkedMap and type(value) is not dict:
        raise _Slow
    assert isinstance(value, dict)
    if not value.keys() <= IPBLOCK_FIELDS:
        raise _Slow
    cidr = _fast_cidr(value.get("cidr"))
    excepts: list[IPNetwork] = []
    raw = value.get("except")
    if raw is not None:
        if not isinstance(raw, list):
            raise _Slow
        for text in raw:
            network = _fast_cidr(text)
            if not (network.version == cidr.version
                    and network.subnet_of(cidr)  # type: ignore[arg-type]
                    and network.prefixlen > cidr.prefixlen):
                raise _Slow
            excepts.append(network)
    return IPBlock(cidr=cidr, excepts=tuple(excepts))


def _fast_peer(item: Field) -> Peer:
    return _peer_of(item.value, item.loc)


def _peer_of(value: Any, location: SourceLocation) -> Peer:
    if type(value) is not MarkedMap and type(value) is not dict:
        raise _Slow
    if not value.keys() <= PEER_FIELDS:
        raise _Slow
    pod = value.get("podSelector")
    namespace = value.get("namespaceSelector")
    block = value.get("ipBlock")
    if block is not None:
        if pod is not None or namespace is not None:
            raise _Slow
        return Peer(ip_block=_fast_ip_block(block), location=location)
    if pod is None and namespace is None:
        raise _Slow
    return Peer(pod_selector=_fast_selector(pod), namespace_selector=_fast_selector(namespace),
                location=location)


def _fast_port(item: Field) -> PolicyPort:
    return _port_of(item.value, item.loc)


def _port_of(value: Any, location: SourceLocation) -> PolicyPort:
    if value is None:
        return PolicyPort(location=location)
    if type(value) is not MarkedMap and type(value) is not dict:
        raise _Slow
    if not value.keys() <= PORT_FIELDS:
        raise _Slow
    raw = value.get("protocol")
    protocol = Protocol.TCP
    if raw is not None:
        if type(raw) is not str or raw not in _PROTOCOLS:
            raise _Slow
        protocol = _PROTOCOLS[raw]
    port = value.get("port")
    if port is not None:
        if type(port) is int:
            if not 1 <= port <= 65535:
                raise _Slow
        elif type(port) is str:
            if port not in _OK_PORT_NAMES:
                if port_name_error(port) is not None:
                    raise _Slow
                _remember(_OK_PORT_NAMES, port)
        else:
            raise _Slow
    end_port = value.get("endPort")
    if end_port is not None and (type(end_port) is not int or type(port) is not int
                                 or end_port < port or end_port > 65535):
        raise _Slow
    return PolicyPort(protocol=protocol, port=port, end_port=end_port, location=location)


def _fast_list(f: Field | None) -> list[Field]:
    if f is None or f.value is None:
        return []
    if not isinstance(f.value, list):
        raise _Slow
    return f.items()


def _fast_rules(spec: Field, direction: Direction) -> list[Rule]:
    key = direction.value.lower()
    side = "from" if direction is Direction.INGRESS else "to"
    allowed = frozenset({side, "ports"})
    out: list[Rule] = []
    for index, item in enumerate(_fast_list(spec.get(key))):
        if item.value is None:
            out.append(Rule(direction=direction, index=index, location=item.loc))
            continue
        if type(item.value) is not MarkedMap and type(item.value) is not dict:
            raise _Slow
        if not item.value.keys() <= allowed:
            raise _Slow
        peers = tuple([_fast_peer(p) for p in _fast_list(item.get(side))])
        ports = tuple([_fast_port(p) for p in _fast_list(item.get("ports"))])
        out.append(Rule(direction=direction, index=index, peers=peers, ports=ports,
                        location=item.loc))
    return out


def _fast_policy(body: Any, loc: SourceLocation) -> NetworkPolicy:
    """What :class:`_Validator` builds for a policy without problems or notes; raises
    :class:`_Slow` for anything else, so messages always come from the validator."""
    if type(body) is not MarkedMap and type(body) is not dict:
        raise _Slow
    if not body.keys() <= TOP_FIELDS:
        raise _Slow
    name, namespace, annotations = _fast_metadata(body.get("metadata"))
    top = root(body, loc)
    spec = top.get("spec")
    if spec is None or spec.value is None:
        spec = Field({}, loc.at(top.child_path("spec")))
    elif type(spec.value) is not MarkedMap and type(spec.value) is not dict:
        raise _Slow
    if not spec.value.keys() <= SPEC_FIELDS:
        raise _Slow
    pod_selector = _fast_selector(spec.value.get("podSelector"))
    ingress = _fast_rules(spec, Direction.INGRESS)
    egress = _fast_rules(spec, Direction.EGRESS)
    return _policy(namespace, name, pod_selector, _fast_types(spec.value.get("policyTypes")),
                        ingress, egress, annotations, loc)


def _fast_types(types: Any) -> list[Direction]:
    declared: list[Direction] = []
    if types is not None:
        if not isinstance(types, list) or len(types) > 2:
            raise _Slow
        for text in types:
            if type(text) is not str or text not in _DIRECTIONS:
                raise _Slow
            declared.append(_DIRECTIONS[text])
    return declared


def _policy(namespace: str, name: str, pod_selector: LabelSelector | None,
            declared: list[Direction], ingress: list[Rule], egress: list[Rule],
            annotations: Iterable[tuple[str, str]], loc: SourceLocation) -> NetworkPolicy:
    """The policy both readers build (the fast one and the validator), with the defaults
    the API server fills in."""
    return NetworkPolicy(
        namespace=namespace,
        name=name,
        pod_selector=pod_selector or LabelSelector(),
        policy_types=default_policy_types(declared or None, bool(egress)),
        ingress=tuple(ingress),
        egress=tuple(egress),
        policy_types_declared=bool(declared),
        annotations=tuple(sorted(annotations)),
        location=loc,
    )


def _fast_metadata(meta: Any) -> tuple[str, str, list[tuple[str, str]]]:
    """Name, namespace and annotations of valid metadata."""
    if type(meta) is not MarkedMap and type(meta) is not dict:
        raise _Slow
    assert isinstance(meta, dict)
    if not meta.keys() <= METADATA_FIELDS:
        raise _Slow
    name = meta.get("name")
    if type(name) is not str or not name or dns1123_subdomain_error(name) is not None:
        raise _Slow
    namespace = meta.get("namespace")
    if namespace is None or namespace == "":
        namespace = "default"
    elif type(namespace) is not str or dns1123_label_error(namespace) is not None:
        raise _Slow
    labels = meta.get("labels")
    if labels is not None:
        _fast_labels(labels)
    annotations: list[tuple[str, str]] = []
    notes = meta.get("annotations")
    if notes is not None:
        if type(notes) is not MarkedMap and type(notes) is not dict:
            raise _Slow
        assert isinstance(notes, dict)
        for k, text in notes.items():
            if type(k) is not str:
                raise _Slow
            if k not in _OK_ANNOTATION_KEYS:
                if label_key_error(k.lower()) is not None:
                    raise _Slow
                _remember(_OK_ANNOTATION_KEYS, k)
            if text is None:
                text = ""
            elif type(text) is not str:
                raise _Slow
            annotations.append((k, text))
    return name, namespace, annotations


def plain_network_policy(body: LinedMap, loc: SourceLocation) -> NetworkPolicy | None:
    """What :func:`parse_network_policy` builds for a valid policy read without marks, its
    rules, peers and ports lined from ``body.item_lines``; None when the policy has anything
    to report or its items and lines do not pair up: then ``body.remark()`` is read the
    usual way."""
    try:
        return _plain_policy(body, loc)
    except (_Slow, IndexError):
        return None


def _plain_policy(body: LinedMap, loc: SourceLocation) -> NetworkPolicy:
    # ``lines`` holds the line of every sequence item of the document in document order:
    # ``pos`` walks it in step, counting the items of what is not lined (selectors, excepts).
    lines = body.item_lines
    if not body.keys() <= TOP_FIELDS:
        raise _Slow
    name, namespace, annotations = _fast_metadata(body.get("metadata"))
    file, document = loc.file, loc.document
    base = f"{loc.path}.spec." if loc.path else "spec."
    pos = 0
    pod_selector = None
    declared: list[Direction] = []
    rules: dict[str, list[Rule]] = {"ingress": [], "egress": []}
    for top_key, top_value in body.items():
        if top_key != "spec":
            pos += _items(top_value, _STRING_MAPS if top_key == "metadata" else ())
            continue
        if top_value is None:
            continue
        if type(top_value) is not dict or not top_value.keys() <= SPEC_FIELDS:
            raise _Slow
        for key, value in top_value.items():
            if key == "podSelector":
                pod_selector = _fast_selector(value)
                pos += _selector_items(value)
            elif key == "policyTypes":
                declared = _fast_types(value)
                pos += len(declared)
            elif value is not None:
                if type(value) is not list:
                    raise _Slow
                direction = _DIRECTIONS[key.capitalize()]
                side = "from" if direction is Direction.INGRESS else "to"
                allowed = _RULE_FIELDS[direction]
                out = rules[key]
                for index, item in enumerate(value):
                    path = f"{base}{key}[{index}]"
                    location = SourceLocation(file, document, lines[pos], sys.intern(path))
                    pos += 1
                    if item is None:
                        out.append(Rule(direction=direction, index=index, location=location))
                        continue
                    if type(item) is not dict or not item.keys() <= allowed:
                        raise _Slow
                    peers: list[Peer] = []
                    ports: list[PolicyPort] = []
                    for part, entries in item.items():
                        if entries is None:
                            continue
                        if type(entries) is not list:
                            raise _Slow
                        if part == side:
                            for i, entry in enumerate(entries):
                                at = SourceLocation(file, document, lines[pos],
                                                    sys.intern(f"{path}.{side}[{i}]"))
                                pos += 1
                                peers.append(_peer_of(entry, at))
                                pos += _peer_items(entry)
                        else:   # ports: scalars only, once valid
                            for i, entry in enumerate(entries):
                                at = SourceLocation(file, document, lines[pos],
                                                    sys.intern(f"{path}.ports[{i}]"))
                                pos += 1
                                ports.append(_port_of(entry, at))
                    out.append(Rule(direction=direction, index=index, peers=tuple(peers),
                                    ports=tuple(ports), location=location))
    if pos != len(lines):
        raise _Slow
    return _policy(namespace, name, pod_selector, declared, rules["ingress"],
                        rules["egress"], annotations, loc)


_RULE_FIELDS = {Direction.INGRESS: frozenset({"from", "ports"}),
                Direction.EGRESS: frozenset({"to", "ports"})}
# Metadata fields that hold strings only once :func:`_fast_metadata` accepted them.
_STRING_MAPS = ("labels", "annotations")


def _items(value: Any, skip: tuple[str, ...] = ()) -> int:
    """The number of sequence items in ``value`` (at any depth; ``skip``: keys not looked
    into)."""
    if type(value) is dict:
        return sum(_items(v) for k, v in value.items()
                   if (type(v) is dict or type(v) is list) and k not in skip)
    if type(value) is list:
        return len(value) + sum(_items(v) for v in value if type(v) is dict or type(v) is list)
    return 0


def _selector_items(value: Any) -> int:
    """Sequence items of a selector :func:`fast_selector` accepted."""
    if not value:
        return 0
    expressions = value.get("matchExpressions")
    if not expressions:
        return 0
    return len(expressions) + sum(len(e.get("values") or ()) for e in expressions)


def _peer_items(value: Any) -> int:
    """Sequence items of a peer :func:`_peer_of` accepted."""
    count = _selector_items(value.get("podSelector")) + _selector_items(
        value.get("namespaceSelector"))
    block = value.get("ipBlock")
    if block is not None:
        count += len(block.get("except") or ())
    return count


def _validate(body: Any, loc: SourceLocation, lenient_names: bool = False,
              ) -> tuple[NetworkPolicy | None, _Validator]:
    try:
        return _fast_policy(body, loc), _Validator()
    except _Slow:
        pass
    return _validate_fully(body, loc, lenient_names)


def _validate_fully(body: Any, loc: SourceLocation, lenient_names: bool = False,
                    ) -> tuple[NetworkPolicy | None, _Validator]:
    """``lenient_names``: a policy whose only problems are invalid names is still built."""
    v = _Validator()
    top = root(body, loc)
    if not isinstance(body, Mapping):
        v.wrong_type(top, "a mapping")
        return None, v
    v.known(top, TOP_FIELDS, "a NetworkPolicy")
    name, namespace, annotations = v.metadata(top)
    spec = v.mapping(top.get("spec"))
    if spec is None:
        spec = Field({}, loc.at(top.child_path("spec")))
    v.known(spec, SPEC_FIELDS, "spec")
    pod_selector = v.selector(spec.get("podSelector"))
    ingress = v.rules(spec, Direction.INGRESS)
    egress = v.rules(spec, Direction.EGRESS)
    declared = v.policy_types(spec)
    only_names = lenient_names and all(p.code == "invalid-name" for p in v.problems)
    if (v.problems and not only_names) or name is None:
        return None, v
    return _policy(namespace, name, pod_selector, declared, ingress, egress, annotations,
                   loc), v


def parse_network_policy(body: Any, loc: SourceLocation
                         ) -> tuple[NetworkPolicy | None, list[Problem]]:
    """Validate a NetworkPolicy object as the API server would and convert it.

    Args:
        body: the loaded object (a mapping; line marks are used when present).
        loc: where the object starts; its ``path`` prefixes every problem path (``items[2]``).

    Returns:
        The policy with ``policyTypes`` defaulted and no problems, or None and every problem
        found (all of them, not just the first).
    """
    policy, v = _validate(body, loc)
    return policy, v.problems


def parse_network_policy_with_notes(
        body: Any, loc: SourceLocation, *, lenient_names: bool = False,
) -> tuple[NetworkPolicy | None, list[Problem], list[tuple[SourceLocation, str]]]:
    """Like :func:`parse_network_policy`, plus notes on values only lenient servers accept.

    ``lenient_names``: when invalid names (``allow_dns``) are the only problems, the policy
    is returned too (with them), so that a lenient loader can read it as written.
    """
    policy, v = _validate(body, loc, lenient_names)
    return policy, v.problems, v.notes
