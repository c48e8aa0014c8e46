"""Calico objects (projectcalico.org/v3, crd.projectcalico.org/v1): validation and the model.

Reads NetworkPolicy, GlobalNetworkPolicy, their Staged forms, StagedKubernetesNetworkPolicy,
Tier, NetworkSet and GlobalNetworkSet. Each object is first checked against Calico's published
CRD schema of its kind (shipped in ``data/crds/calico``, see :mod:`dtnetpol.manifest.crd_schemas`:
field names, types, required ``action``, the Tier's ``defaultAction`` enum; the schemas carry
no CEL rules). What the schemas cannot express is checked here, as Calico's own validator
does: actions, policy types, selectors that parse, ports and port ranges, ports only with a
port protocol, ICMP ranges, CIDRs, the list limits, ``services`` against other peer fields,
``http`` only on Allow, the host-endpoint flags together. A policy with a problem is not
converted, as for a NetworkPolicy; the problems carry the field path and line.

Defaulting follows Calico: ``tier`` empty = ``default``; ``selector`` empty = ``all()``;
``types`` empty = Ingress, plus Egress when there are egress rules (Egress alone when there
are only egress rules); ``stagedAction`` empty = ``Set``; a Tier's ``defaultAction`` = Deny.
``crd.projectcalico.org/v1`` objects (what ``kubectl get`` shows without the Calico API
server) are read the same way; their names may carry the tier prefix Calico's datastore
adds (``default.allow-dns``), which is kept as written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from dtnetpol.manifest import kinds
from dtnetpol.manifest._fields import Field, is_int, root
from dtnetpol.manifest.crd_schemas import schema_problems
from dtnetpol.manifest.networkpolicy import (
    METADATA_FIELDS,
    _Validator,
    parse_cidr,
    parse_network_policy_with_notes,
)
from dtnetpol.manifest.problems import Problem
from dtnetpol.model.calico import (
    DEFAULT_TIER,
    Action,
    CalicoKind,
    CalicoPolicy,
    CalicoResources,
    CalicoRule,
    CalicoTier,
    EntityRule,
    NetworkSet,
    PortRange,
    ProtocolMatch,
    ServiceAccountMatch,
    ServiceMatch,
    StagedKubernetesPolicy,
)
from dtnetpol.model.calico_selector import CalicoSelector
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction, IPNetwork

# The kinds live in dtnetpol.manifest.kinds: the loader tells a Calico object by them
# without importing this module.
POLICY_KINDS = kinds.CALICO_POLICY_KINDS
CALICO_KINDS = kinds.CALICO_KINDS
GLOBAL_KINDS = kinds.CALICO_GLOBAL_KINDS

# What a field unknown to the CRD schema most likely meant (a NetworkPolicy habit, mostly)
UNKNOWN_FIELD_HINTS: Mapping[str, str] = {
    "podSelector": "Calico uses selector (an expression such as app == 'web')",
    "ipBlock": "Calico uses nets (a list of CIDRs)",
    "domains": "destination.domains exists only in Calico Enterprise and Calico Cloud",
    "from": "Calico rules use source",
    "to": "Calico rules use destination",
    "ports": "ports belongs to source or destination (usually destination)",
    "policyTypes": "Calico uses types",
}
PROTOCOL_NAMES = ("TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite")
PORT_PROTOCOLS = frozenset({"TCP", "UDP", "SCTP", 6, 17, 132})
STAGED_ACTIONS = ("Set", "Delete", "Learn", "Ignore")
MAX_RULES, MAX_NETS, MAX_PORTS, MAX_SELECTOR = 1024, 256, 50, 1024
_PORT_NAME_RE = re.compile(r"[a-zA-Z0-9_.-]{1,128}\Z")
_PORT_RANGE_RE = re.compile(r"([0-9]+):([0-9]+)\Z")

CalicoModel = CalicoPolicy | CalicoTier | NetworkSet | StagedKubernetesPolicy
Notes = list[tuple[SourceLocation, str]]



class _Reader(_Validator):
    """Problems and notes of one Calico object, with the Calico field readers."""

    def __init__(self) -> None:
        super().__init__()

    def calico_selector(self, f: Field | None, where: str = "") -> CalicoSelector | None:
        if f is None or f.value is None:
            return None
        if not isinstance(f.value, str):
            self.wrong_type(f, "a string (a Calico selector expression)")
            return None
        if len(f.value) > MAX_SELECTOR:
            self.add(f.loc, "invalid-selector",
                     f"a selector has at most {MAX_SELECTOR} characters, not {len(f.value)}")
            return None
        # The grammar (lark, compiled when imported) is loaded with the first Calico
        # selector: a tenth of a second every other command need not pay.
        from dtnetpol.manifest.calico_selector import SelectorError, parse_selector
        try:
            selector = parse_selector(f.value)
        except SelectorError as exc:
            self.add(f.loc, "invalid-selector", f"{exc.text!r}: column {exc.column}: "
                     f"{exc.reason}")
            return None
        if where and selector.uses_global:
            self.add(f.loc, "invalid-selector",
                     f"global() can only be used in a rule's namespaceSelector, not in {where}")
            return None
        return selector

    def name_text(self, parent: Field, key: str) -> str | None:
        f = parent.get(key)
        if f is None or f.value in (None, ""):
            return None
        if not isinstance(f.value, str):
            self.wrong_type(f, "a string")
            return None
        return f.value

    def number(self, parent: Field, key: str) -> float | None:
        f = parent.get(key)
        if f is None or f.value is None:
            return None
        if isinstance(f.value, bool) or not isinstance(f.value, int | float):
            self.wrong_type(f, "a number")
            return None
        if isinstance(f.value, float) and not math.isfinite(f.value):
            self.add(f.loc, "invalid-value", f"order must be a finite number, not {f.value}")
            return None
        return float(f.value)

    def flag(self, parent: Field, key: str) -> bool:
        f = parent.get(key)
        if f is None or f.value is None:
            return False
        if not isinstance(f.value, bool):
            self.wrong_type(f, "a boolean")
            return False
        return f.value

    def limited(self, f: Field | None, limit: int, what: str) -> list[Field]:
        items = self.items(f)
        if f is not None and len(items) > limit:
            self.add(f.loc, "invalid-value", f"at most {limit} {what}, not {len(items)}")
        return items

    # --- entity rules ----------------------------------------------------------------

    def nets(self, f: Field | None) -> tuple[IPNetwork, ...]:
        out: list[IPNetwork] = []
        for item, text in self.strings_limited(f, MAX_NETS, "nets"):
            value = text if "/" in text else (f"{text}/128" if ":" in text else f"{text}/32")
            network, error, note = parse_cidr(value)
            if error is not None or network is None:
                self.add(item.loc, "invalid-cidr", f"invalid CIDR {text!r}: "
                         f"{error or 'not an address'}")
                continue
            if note is not None:
                self.notes.append((item.loc, note.replace(" (API servers with "
                                                          "StrictIPCIDRValidation reject it)",
                                                          "")))
            out.append(network)
        return tuple(out)

    def strings_limited(self, f: Field | None, limit: int, what: str
                        ) -> list[tuple[Field, str]]:
        if f is not None and isinstance(f.value, list) and len(f.value) > limit:
            self.add(f.loc, "invalid-value", f"at most {limit} {what}, not {len(f.value)}")
        return self.strings(f)

    def ports(self, f: Field | None) -> tuple[PortRange, ...]:
        out: list[PortRange] = []
        for item in self.limited(f, MAX_PORTS, "ports"):
            value = item.value
            if is_int(value):
                if not 0 <= value <= 65535:
                    self.add(item.loc, "invalid-port", f"port {value} is outside 0-65535")
                    continue
                out.append(PortRange(value, value))
            elif isinstance(value, str):
                port = self.port_text(item, value)
                if port is not None:
                    out.append(port)
            else:
                self.wrong_type(item, "a port number, a range \"lo:hi\" or a port name")
        return tuple(out)

    def port_text(self, item: Field, text: str) -> PortRange | None:
        if text.isdigit():
            number = int(text)
            if number > 65535:
                self.add(item.loc, "invalid-port", f"port {text} is outside 0-65535")
                return None
            return PortRange(number, number)
        match = _PORT_RANGE_RE.match(text)
        if match:
            lo, hi = int(match.group(1)), int(match.group(2))
            if hi > 65535 or lo > 65535:
                self.add(item.loc, "invalid-port", f"port range {text!r} is outside 0-65535")
                return None
            if lo > hi:
                self.add(item.loc, "invalid-port",
                         f"port range {text!r}: the first port is above the last")
                return None
            return PortRange(lo, hi)
        if "-" in text and all(p.isdigit() for p in text.split("-", 1)):
            self.add(item.loc, "invalid-port-name",
                     f"{text!r} is read as a port name; a range is written with a colon: "
                     f"{text.replace('-', ':', 1)!r}")
            return None
        if not _PORT_NAME_RE.match(text):
            self.add(item.loc, "invalid-port-name",
                     f"port name {text!r} must be 1-128 characters of a-z, A-Z, 0-9, '_', "
                     "'.', '-'")
            return None
        return PortRange(name=text)

    def entity(self, f: Field | None) -> EntityRule:
        ent = self.mapping(f)
        if ent is None:
            return EntityRule()
        sa = None
        saf = self.mapping(ent.get("serviceAccounts"))
        if saf is not None:
            sa = ServiceAccountMatch(
                tuple(v for _, v in self.strings(saf.get("names"))),
                self.calico_selector(saf.get("selector"), "serviceAccounts.selector"))
        svc = None
        svf = self.mapping(ent.get("services"))
        if svf is not None:
            name = self.name_text(svf, "name")
            if name is None:
                self.add(svf.loc.at(svf.child_path("name")), "missing-field",
                         "services must name a Service (name)")
            else:
                svc = ServiceMatch(name, self.name_text(svf, "namespace"))
        out = EntityRule(
            nets=self.nets(ent.get("nets")),
            not_nets=self.nets(ent.get("notNets")),
            selector=self.calico_selector(ent.get("selector"), "an entity selector"),
            not_selector=self.calico_selector(ent.get("notSelector"), "notSelector"),
            namespace_selector=self.calico_selector(ent.get("namespaceSelector")),
            ports=self.ports(ent.get("ports")),
            not_ports=self.ports(ent.get("notPorts")),
            service_accounts=sa,
            services=svc,
        )
        if svf is not None:
            for key in ("selector", "notSelector", "namespaceSelector", "nets", "notNets",
                        "serviceAccounts"):
                other = ent.get(key)
                if other is not None and other.value not in (None, "", []):
                    self.add(other.loc, "conflicting-fields",
                             f"cannot give {key} and services in the same source or "
                             "destination")
        return out

    # --- rules -------------------------------------------------------------------------

    def protocol(self, parent: Field, key: str) -> ProtocolMatch | None:
        f = parent.get(key)
        if f is None or f.value is None:
            return None
        value = f.value
        if is_int(value):
            if not 1 <= value <= 255:
                self.add(f.loc, "invalid-protocol", f"protocol number {value} is outside 1-255")
                return None
            return ProtocolMatch(number=int(value))
        if isinstance(value, str):
            if value.isdigit():
                return self.protocol_number(f, int(value))
            for name in PROTOCOL_NAMES:
                if name.lower() == value.lower():
                    return ProtocolMatch(name=name)
            self.add(f.loc, "invalid-protocol", f"protocol {value!r} is not one of "
                     f"{', '.join(PROTOCOL_NAMES)} or a number 1-255")
            return None
        self.wrong_type(f, "a protocol name or number")
        return None

    def protocol_number(self, f: Field, number: int) -> ProtocolMatch | None:
        if not 1 <= number <= 255:
            self.add(f.loc, "invalid-protocol", f"protocol number {number} is outside 1-255")
            return None
        return ProtocolMatch(number=number)

    def icmp(self, f: Field | None) -> bool:
        icmp = self.mapping(f)
        if icmp is None:
            return False
        for key, top in (("type", 254), ("code", 255)):
            v = icmp.get(key)
            if v is not None and v.value is not None and (not is_int(v.value)
                                                          or not 0 <= v.value <= top):
                self.add(v.loc, "invalid-value", f"ICMP {key} must be an integer 0-{top}")
        if icmp.has("code") and not icmp.has("type"):
            self.add(icmp.loc, "invalid-value", "ICMP code given without an ICMP type")
        return True

    def rule(self, item: Field, direction: Direction, index: int) -> CalicoRule | None:
        if item.value is None or not isinstance(item.value, Mapping):
            self.wrong_type(item, "a mapping")
            return None
        af = item.get("action")
        action: Action | None = None
        if af is None or af.value is None:
            self.missing(item, "action")
        elif not isinstance(af.value, str) or af.value not in Action.__members__.values():
            hint = ""
            if isinstance(af.value, str):
                hint = next((f" (actions are case-sensitive: {a.value})" for a in Action
                             if a.value.lower() == af.value.lower()), "")
            self.add(af.loc, "invalid-action",
                     f"action {af.value!r} is not one of Allow, Deny, Log, Pass{hint}")
        else:
            action = Action(af.value)
        protocol = self.protocol(item, "protocol")
        not_protocol = self.protocol(item, "notProtocol")
        ipv = item.get("ipVersion")
        ip_version = None
        if ipv is not None and ipv.value is not None:
            if ipv.value not in (4, 6) or isinstance(ipv.value, bool):
                self.add(ipv.loc, "invalid-value", "ipVersion must be 4 or 6")
            else:
                ip_version = int(ipv.value)
        has_icmp = self.icmp(item.get("icmp")) | self.icmp(item.get("notICMP"))
        if item.has("icmp") and (protocol is None or (protocol.name or protocol.number)
                                 not in ("ICMP", "ICMPv6", 1, 58)):
            f = item.get("icmp")
            assert f is not None
            self.add(f.loc, "conflicting-fields",
                     "icmp needs protocol ICMP or ICMPv6")
        http = self.mapping(item.get("http"))
        if http is not None and action is not None and action is not Action.ALLOW:
            self.add(http.loc, "conflicting-fields", "an http match is only valid on "
                     "Allow rules")
        source = self.entity(item.get("source"))
        destination = self.entity(item.get("destination"))
        self.port_protocol(item, protocol, source, destination)
        dest = item.get("destination")
        if destination.services is not None and (destination.ports or destination.not_ports):
            assert dest is not None
            self.add(dest.loc, "conflicting-fields",
                     "ports and notPorts cannot be given with destination.services")
        if action is None:
            return None
        return CalicoRule(direction, index, action, protocol, not_protocol, ip_version, source,
                          destination, has_icmp, http is not None, item.loc)

    def port_protocol(self, item: Field, protocol: ProtocolMatch | None,
                      source: EntityRule, destination: EntityRule) -> None:
        """Calico's validator: ports need protocol TCP, UDP or SCTP (by name or number)."""
        if not (source.ports or source.not_ports or destination.ports
                or destination.not_ports):
            return
        key = None if protocol is None else (protocol.name or protocol.number)
        if key in PORT_PROTOCOLS:
            return
        where = item.loc.at(item.child_path("protocol"))
        pf = item.get("protocol")
        if pf is not None:
            where = pf.loc
        self.add(where, "conflicting-fields",
                 "ports need protocol TCP, UDP or SCTP on the rule"
                 + ("" if protocol is None else f", not {protocol}"))

    def rules(self, spec: Field, direction: Direction) -> list[CalicoRule]:  # type: ignore[override]
        out: list[CalicoRule] = []
        for i, item in enumerate(self.limited(spec.get(direction.word), MAX_RULES, "rules")):
            rule = self.rule(item, direction, i)
            if rule is not None:
                out.append(rule)
        return out

    def types(self, spec: Field) -> list[Direction]:
        out: list[Direction] = []
        for item, text in self.strings(spec.get("types")):
            if text not in ("Ingress", "Egress"):
                self.add(item.loc, "invalid-policy-type",
                         f"type {text!r} is not Ingress or Egress")
            elif Direction(text) in out:
                self.add(item.loc, "invalid-policy-type", f"type {text!r} is given twice")
            else:
                out.append(Direction(text))
        return out


def calico_types(declared: list[Direction], has_ingress: bool,
                 has_egress: bool) -> frozenset[Direction]:
    """Calico's defaulting of ``types``: as given; else Ingress, plus Egress when there are
    egress rules, or Egress alone when there are only egress rules."""
    if declared:
        return frozenset(declared)
    if has_egress and not has_ingress:
        return frozenset({Direction.EGRESS})
    if has_egress:
        return frozenset({Direction.INGRESS, Direction.EGRESS})
    return frozenset({Direction.INGRESS})


def _metadata(r: _Reader, top: Field, namespaced: bool
              ) -> tuple[str | None, str | None, dict[str, str]]:
    meta = r.mapping(top.get("metadata"))
    if meta is None:
        r.add(top.loc.at(top.child_path("metadata.name")), "missing-field",
              "required field 'name' is missing")
        return None, None, {}
    r.known(meta, METADATA_FIELDS, "metadata")
    name = r.name_text(meta, "name")
    if name is None:
        r.missing(meta, "name")
    namespace = (r.name_text(meta, "namespace") or "default") if namespaced else None
    labels: dict[str, str] = {}
    lf = r.mapping(meta.get("labels"))
    if lf is not None:
        labels = dict(r.label_map(lf))
    return name, namespace, labels


def _policy(r: _Reader, kind: str, spec: Field, name: str, namespace: str | None,
            api_version: str, loc: SourceLocation) -> CalicoPolicy | None:
    ckind = CalicoKind(kind)
    tier = r.name_text(spec, "tier") or DEFAULT_TIER
    order = r.number(spec, "order")
    selector = r.calico_selector(spec.get("selector"), "spec.selector")
    sa_selector = r.calico_selector(spec.get("serviceAccountSelector"),
                                    "spec.serviceAccountSelector")
    ns_selector = None
    if ckind.is_global:
        ns_selector = r.calico_selector(spec.get("namespaceSelector"), "spec.namespaceSelector")
    ingress = r.rules(spec, Direction.INGRESS)
    egress = r.rules(spec, Direction.EGRESS)
    declared = r.types(spec)
    dnt, pre, fwd = (r.flag(spec, "doNotTrack"), r.flag(spec, "preDNAT"),
                     r.flag(spec, "applyOnForward"))
    if dnt and pre:
        r.add(spec.loc, "conflicting-fields", "doNotTrack and preDNAT cannot both be true")
    if pre and (egress or Direction.EGRESS in declared):
        r.add(spec.loc, "conflicting-fields", "a preDNAT policy has no egress rules or type")
    if (dnt or pre) and not fwd:
        r.add(spec.loc, "conflicting-fields", "doNotTrack and preDNAT need applyOnForward: true")
    staged_action = None
    if ckind.is_staged:
        staged_action = r.name_text(spec, "stagedAction") or "Set"
        if staged_action not in STAGED_ACTIONS:
            f = spec.get("stagedAction")
            assert f is not None
            r.add(f.loc, "invalid-value", f"stagedAction {staged_action!r} is not one of "
                  f"{', '.join(STAGED_ACTIONS)}")
    if r.problems:
        return None
    from dtnetpol.manifest.calico_selector import parse_selector
    return CalicoPolicy(
        kind=ckind, namespace=namespace, name=name, tier=tier, order=order,
        selector=selector or parse_selector(""),
        types=calico_types(declared, bool(ingress), bool(egress)),
        ingress=tuple(ingress), egress=tuple(egress),
        namespace_selector=ns_selector, service_account_selector=sa_selector,
        types_declared=bool(declared), do_not_track=dnt, pre_dnat=pre, apply_on_forward=fwd,
        staged_action=staged_action, api_version=api_version, location=loc)


def _tier(r: _Reader, spec: Field, name: str, loc: SourceLocation) -> CalicoTier | None:
    order = r.number(spec, "order")
    af = spec.get("defaultAction")  # Deny or Pass: the CRD schema's enum
    action = Action(af.value) if af is not None and af.value is not None else Action.DENY
    if r.problems:
        return None
    return CalicoTier(name, order, action, loc)


def parse_calico_object(body: Any, loc: SourceLocation, kind: str, api_version: str
                        ) -> tuple[CalicoModel | None, list[Problem], Notes]:
    """Validate one Calico object and convert it.

    Args:
        body: the loaded object (a mapping with line marks when loaded from YAML).
        loc: where it starts; its ``path`` prefixes problem paths.
        kind: one of :data:`CALICO_KINDS`.
        api_version: ``projectcalico.org/v3`` or ``crd.projectcalico.org/v1``.

    Returns:
        (model, problems, notes): the model only when there is no problem.
    """
    schema = _schema_problems(body, loc, kind, api_version)
    model, problems, notes = _read(body, loc, kind, api_version)
    if not schema:
        return model, problems, notes
    # every problem, once: the reader's at a field the schema already faults are the same
    faulted = {p.location.path for p in schema}
    return None, schema + [p for p in problems if p.location.path not in faulted], notes


def _read(body: Any, loc: SourceLocation, kind: str, api_version: str
          ) -> tuple[CalicoModel | None, list[Problem], Notes]:
    """The checks the CRD schema cannot express, and the model."""
    if kind == "StagedKubernetesNetworkPolicy":
        return _staged_kubernetes(body, loc)
    r = _Reader()
    top = root(body, loc)
    if not isinstance(body, Mapping):
        r.wrong_type(top, "a mapping")
        return None, r.problems, r.notes
    name, namespace, labels = _metadata(r, top, kind not in GLOBAL_KINDS)
    spec = r.mapping(top.get("spec"))
    if spec is None:
        spec = Field({}, loc.at(top.child_path("spec")))
    model: CalicoModel | None = None
    if kind in POLICY_KINDS:
        model = _policy(r, kind, spec, name or "", namespace, api_version, loc)
    elif kind == "Tier":
        model = _tier(r, spec, name or "", loc)
    else:
        nets = r.nets(spec.get("nets"))
        model = NetworkSet(namespace, name or "", labels, nets, loc)
    if r.problems or name is None:
        return None, r.problems, r.notes
    return model, r.problems, r.notes


def _schema_problems(body: Any, loc: SourceLocation, kind: str, api_version: str
                     ) -> list[Problem]:
    """The CRD schema's problems, an unknown field with what it most likely meant."""
    out: list[Problem] = []
    for p in schema_problems(body, loc, kind, api_version):
        name = p.location.path.rpartition(".")[2]
        hint = UNKNOWN_FIELD_HINTS.get(name) if p.code == "unknown-field" else None
        out.append(p if hint is None else
                   Problem(p.location, p.code, f"unknown field {name!r}: {hint} (the CRD schema)"))
    return out


def _staged_kubernetes(body: Any, loc: SourceLocation
                       ) -> tuple[CalicoModel | None, list[Problem], Notes]:
    """A StagedKubernetesNetworkPolicy: a NetworkPolicy spec plus ``stagedAction``."""
    action = "Set"
    spec = body.get("spec") if isinstance(body, Mapping) else None
    extra: list[Problem] = []
    if isinstance(spec, Mapping) and spec.get("stagedAction") is not None:
        value = spec["stagedAction"]
        if value in STAGED_ACTIONS:
            action = str(value)
        else:
            sf = root(body, loc).get("spec")
            assert sf is not None
            af = sf.get("stagedAction")
            assert af is not None
            extra.append(Problem(af.loc, "invalid-value", f"stagedAction {value!r} is not "
                                 f"one of {', '.join(STAGED_ACTIONS)}"))
    policy, problems, notes = parse_network_policy_with_notes(body, loc)
    problems = extra + [p for p in problems if not (p.code == "unknown-field" and
                                                    p.location.path.endswith("stagedAction"))]
    if problems:
        return None, problems, notes
    if policy is None:  # only the stagedAction field was "unknown": read it without it
        policy, problems, notes = parse_network_policy_with_notes(
            {k: ({kk: vv for kk, vv in v.items() if kk != "stagedAction"}
                 if k == "spec" and isinstance(v, Mapping) else v)
             for k, v in body.items()}, loc)
        if policy is None:
            return None, problems, notes
    return StagedKubernetesPolicy(policy, action), [], notes


def calico_resources(models: list[CalicoModel]) -> CalicoResources:
    """The Calico objects of an input, sorted into what is enforced and what is staged."""
    policies = [m for m in models if isinstance(m, CalicoPolicy) and not m.kind.is_staged]
    staged = [m for m in models if isinstance(m, CalicoPolicy) and m.kind.is_staged]
    return CalicoResources(
        policies=tuple(policies),
        tiers=tuple(m for m in models if isinstance(m, CalicoTier)),
        network_sets=tuple(m for m in models if isinstance(m, NetworkSet)),
        staged=tuple(staged),
        staged_kubernetes=tuple(m for m in models if isinstance(m, StagedKubernetesPolicy)))


def calico_warnings(res: CalicoResources) -> list[str]:
    """What the reader says about Calico objects it reads but does not (wholly) model."""
    out: list[str] = []
    given = {t.name for t in res.tiers}
    missing: dict[str, list[str]] = {}
    for p in res.policies:
        if p.host_endpoint_only:
            flags = ", ".join(f for f, on in (("doNotTrack", p.do_not_track),
                                               ("preDNAT", p.pre_dnat),
                                               ("applyOnForward", p.apply_on_forward)) if on)
            out.append(f"Calico {p.kind.value} {p.ref} ({flags}) is a host-endpoint policy: "
                       "not modelled (dtnetpol evaluates policies of pods, not of host "
                       "endpoints); it is left out")
        if p.tier not in given and p.tier not in (DEFAULT_TIER, "kube-admin", "kube-baseline"):
            missing.setdefault(p.tier, []).append(p.ref)
        if any(r.has_http for r in (*p.ingress, *p.egress)):
            out.append(f"Calico {p.kind.value} {p.ref}: http matches are application-layer "
                       "(Calico's L7 policy); only their ports and peers are evaluated")
    for tier, refs in sorted(missing.items()):
        out.append(f"Calico tier {tier!r} (used by {', '.join(refs[:3])}"
                   f"{', ...' if len(refs) > 3 else ''}) is not in the input: taken as ordered "
                   "after every tier with an order, defaultAction Deny")
    for p in res.staged:
        out.append(f"Calico {p.kind.value} {p.ref} (stagedAction {p.staged_action}) is staged: "
                   "not enforced")
    for s in res.staged_kubernetes:
        out.append(f"StagedKubernetesNetworkPolicy {s.policy.ref} (stagedAction "
                   f"{s.staged_action}) is staged: not enforced")
    return out
