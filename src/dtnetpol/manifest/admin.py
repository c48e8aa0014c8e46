"""AdminNetworkPolicy, BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy
(v1alpha2): validation as their CRD schemas do, and conversion to the model.

Problems use the codes of :mod:`dtnetpol.manifest.problems`, plus ``invalid-value`` for a value
outside what the CRD allows (an action, a tier, a priority, a port range, a rule count).
Decisions:

- ``BaselineAdminNetworkPolicy`` must be named ``default`` (the CRD's singleton rule) and has
  no priority; it is read as the baseline tier at priority 0.
- ClusterNetworkPolicy's ``Accept`` is read as Allow.
- The rule ``name`` is kept for explanations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dtnetpol.manifest import kinds
from dtnetpol.manifest._fields import Field, is_int, root
from dtnetpol.manifest._names import port_name_error
from dtnetpol.manifest.networkpolicy import _Validator
from dtnetpol.manifest.problems import Problem
from dtnetpol.model.admin import (
    AdminAction,
    AdminPeer,
    AdminPeerKind,
    AdminPolicy,
    AdminRule,
    AdminSubject,
    AdminTier,
)
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction, LabelSelector, PolicyPort, Protocol

ADMIN_KINDS = kinds.ADMIN_KINDS
GROUP = "policy.networking.k8s.io"
_TOP = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})
_NAMESPACED_POD = frozenset({"namespaceSelector", "podSelector"})
_V1_PORT = frozenset({"portNumber", "namedPort", "portRange"})
_V2_PROTOCOL = frozenset({"tcp", "udp", "sctp", "destinationNamedPort"})
_MAX_RULES = {"v1alpha1": 100, "v1alpha2": 25}


class _AdminValidator(_Validator):
    """Reads one admin policy; ``v2`` is True for ClusterNetworkPolicy."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.v2 = kind == "ClusterNetworkPolicy"
        self.baseline = kind == "BaselineAdminNetworkPolicy"

    def one_of(self, f: Field, allowed: frozenset[str], what: str) -> str | None:
        """The single key set in a mapping that takes exactly one of ``allowed``."""
        self.known(f, allowed, what)
        present = [k for k in f.value if k in allowed and f.value[k] is not None]
        if len(present) != 1:
            self.add(f.loc, "invalid-value",
                     f"{what} must set exactly one of {', '.join(sorted(allowed))}"
                     + (f" (has {', '.join(present)})" if present else ""))
            return None
        return str(present[0])

    def required_selector(self, parent: Field, key: str) -> LabelSelector | None:
        f = parent.get(key)
        if f is None or f.value is None:
            self.missing(parent, key)
            return None
        return self.selector(f) or LabelSelector()

    def namespaced_pod(self, f: Field) -> tuple[LabelSelector, LabelSelector] | None:
        m = self.mapping(f)
        if m is None:
            return None
        self.known(m, _NAMESPACED_POD, "pods")
        ns = self.selector(m.get("namespaceSelector")) or LabelSelector()
        pods = self.required_selector(m, "podSelector")
        return (ns, pods) if pods is not None else None

    def subject(self, spec: Field) -> AdminSubject | None:
        f = self.mapping(spec.get("subject"))
        if f is None:
            self.missing(spec, "subject")
            return None
        form = self.one_of(f, frozenset({"namespaces", "pods"}), "subject")
        if form == "namespaces":
            sel = self.selector(f.get("namespaces"))
            return AdminSubject(sel or LabelSelector())
        if form == "pods":
            pair = self.namespaced_pod(f.get("pods") or f)
            return AdminSubject(pair[0], pair[1]) if pair else None
        return None

    def admin_peer(self, item: Field, direction: Direction) -> AdminPeer | None:
        m = self.mapping(item)
        if m is None:
            self.add(item.loc, "empty-peer", "a peer must set one of its fields")
            return None
        allowed = {"namespaces", "pods"}
        if direction is Direction.EGRESS:
            allowed |= {"nodes", "networks", "domainNames"}
        form = self.one_of(m, frozenset(allowed), "a peer")
        field_ = m.get(form) if form else None
        if form is None or field_ is None:
            return None
        loc = item.loc
        if form == "namespaces":
            return AdminPeer(AdminPeerKind.NAMESPACES, self.selector(field_) or LabelSelector(),
                             location=loc)
        if form == "pods":
            pair = self.namespaced_pod(field_)
            return AdminPeer(AdminPeerKind.PODS, pair[0], pair[1], location=loc) \
                if pair else None
        if form == "nodes":
            return AdminPeer(AdminPeerKind.NODES, node_selector=self.selector(field_)
                             or LabelSelector(), location=loc)
        if form == "networks":
            nets = []
            for f, text in self.strings(field_):
                net = self.cidr(f, text)
                if net is not None:
                    nets.append(net)
            if not nets and not self.problems:
                self.add(field_.loc, "invalid-value", "networks must list at least one CIDR")
            return AdminPeer(AdminPeerKind.NETWORKS, networks=tuple(nets), location=loc)
        names = tuple(text for _, text in self.strings(field_))
        return AdminPeer(AdminPeerKind.DOMAIN_NAMES, domain_names=names, location=loc)

    def _number(self, f: Field | None, parent: Field, key: str) -> int | None:
        if f is None or f.value is None:
            self.missing(parent, key)
            return None
        if not is_int(f.value):
            self.wrong_type(f, "an integer")
            return None
        if not 1 <= f.value <= 65535:
            self.add(f.loc, "invalid-port", f"port {f.value} must be between 1 and 65535")
            return None
        return int(f.value)

    def _protocol(self, f: Field | None) -> Protocol | None:
        if f is None or f.value is None:
            return Protocol.TCP
        if not isinstance(f.value, str) or f.value not in Protocol.__members__:
            self.add(f.loc, "invalid-protocol",
                     f"protocol {f.value!r} is not one of TCP, UDP, SCTP")
            return None
        return Protocol(f.value)

    def _range(self, f: Field, protocol: Protocol | None) -> PolicyPort | None:
        self.known(f, frozenset({"protocol", "start", "end"} if not self.v2
                                else {"start", "end"}), "a port range")
        start = self._number(f.get("start"), f, "start")
        end = self._number(f.get("end"), f, "end")
        if start is None or end is None or protocol is None:
            return None
        if not start < end:   # both CRDs: start must be less than end
            self.add(f.loc, "invalid-value", f"start {start} must be less than end {end}")
            return None
        return PolicyPort(protocol, start, end, f.loc)

    def v1_port(self, item: Field) -> PolicyPort | None:
        m = self.mapping(item)
        if m is None:
            return None
        form = self.one_of(m, _V1_PORT, "a port")
        f = m.get(form) if form else None
        if f is None:
            return None
        if form == "namedPort":
            return self.named(f)
        pm = self.mapping(f)
        if pm is None:
            return None
        if form == "portNumber":
            self.known(pm, frozenset({"protocol", "port"}), "portNumber")
            protocol = self._protocol(pm.get("protocol"))
            number = self._number(pm.get("port"), pm, "port")
            if protocol is None or number is None:
                return None
            return PolicyPort(protocol, number, None, item.loc)
        return self._range(pm, self._protocol(pm.get("protocol")))

    def named(self, f: Field) -> PolicyPort | None:
        if not isinstance(f.value, str):
            self.wrong_type(f, "a string")
            return None
        error = port_name_error(f.value)
        if error is not None:
            self.add(f.loc, "invalid-port-name", f"named port {f.value!r} {error}")
            return None
        # A named port names a container port of any protocol; TCP is the common case and
        # the resolver matches the name with each protocol below.
        return PolicyPort(Protocol.TCP, f.value, None, f.loc)

    def v2_protocol(self, item: Field) -> list[PolicyPort]:
        m = self.mapping(item)
        if m is None:
            return []
        form = self.one_of(m, _V2_PROTOCOL, "a protocols item")
        f = m.get(form) if form else None
        if form is None or f is None:
            return []
        if form == "destinationNamedPort":
            p = self.named(f)
            return [] if p is None else _named_all_protocols(p)
        protocol = Protocol(form.upper())
        pm = self.mapping(f)
        if pm is None:
            return []
        self.known(pm, frozenset({"destinationPort"}), form)
        dp = self.mapping(pm.get("destinationPort"))
        if dp is None:
            return [PolicyPort(protocol, None, None, item.loc)]
        which = self.one_of(dp, frozenset({"number", "range"}), "destinationPort")
        wf = dp.get(which) if which else None
        if wf is None:
            return []
        if which == "number":
            n = self._number(wf, dp, "number")
            return [] if n is None else [PolicyPort(protocol, n, None, item.loc)]
        rm = self.mapping(wf)
        r = self._range(rm, protocol) if rm is not None else None
        return [] if r is None else [r]

    def admin_rules(self, spec: Field, direction: Direction) -> list[AdminRule]:
        key = direction.value.lower()
        peers_key = "from" if direction is Direction.INGRESS else "to"
        ports_key = "protocols" if self.v2 else "ports"
        actions = ({"Accept": AdminAction.ALLOW, "Deny": AdminAction.DENY,
                    "Pass": AdminAction.PASS} if self.v2 else
                   {"Allow": AdminAction.ALLOW, "Deny": AdminAction.DENY} if self.baseline else
                   {"Allow": AdminAction.ALLOW, "Deny": AdminAction.DENY,
                    "Pass": AdminAction.PASS})
        items = self.items(spec.get(key))
        limit = _MAX_RULES["v1alpha2" if self.v2 else "v1alpha1"]
        if len(items) > limit:
            self.add(spec.loc.at(spec.child_path(key)), "invalid-value",
                     f"at most {limit} {key} rules are allowed, not {len(items)}")
        out: list[AdminRule] = []
        for index, item in enumerate(items):
            m = self.mapping(item)
            if m is None:
                self.missing(item, "action")
                continue
            self.known(m, frozenset({"name", "action", peers_key, ports_key}),
                       f"an {key} rule")
            name = m.get("name")
            rule_name = name.value if name is not None and isinstance(name.value, str) else ""
            af = m.get("action")
            action = None
            if af is None or af.value is None:
                self.missing(m, "action")
            elif af.value not in actions:
                self.add(af.loc, "invalid-value",
                         f"action {af.value!r} is not one of {', '.join(actions)}")
            else:
                action = actions[af.value]
            peers_field = m.get(peers_key)
            peer_items = self.items(peers_field)
            if not peer_items:
                self.missing(m, peers_key, " (at least one peer)")
            peers = [self.admin_peer(p, direction) for p in peer_items]
            ports: list[PolicyPort] = []
            pf = m.get(ports_key)
            if pf is not None and pf.value is not None:
                port_items = self.items(pf)
                if not port_items:
                    self.add(pf.loc, "invalid-value", f"{ports_key} must not be empty")
                for p in port_items:
                    if self.v2:
                        ports.extend(self.v2_protocol(p))
                    else:
                        one = self.v1_port(p)
                        if one is not None:
                            ports.extend(_named_all_protocols(one)
                                         if isinstance(one.port, str) else [one])
            if action is None or any(p is None for p in peers):
                continue
            out.append(AdminRule(direction, index, action,
                                 tuple(p for p in peers if p is not None), tuple(ports),
                                 rule_name, item.loc))
        return out


def _named_all_protocols(p: PolicyPort) -> list[PolicyPort]:
    """A named port matches a container port of that name whatever its protocol."""
    return [PolicyPort(proto, p.port, None, p.location) for proto in Protocol]


def parse_admin_policy(body: Any, loc: SourceLocation, kind: str
                       ) -> tuple[AdminPolicy | None, list[Problem],
                                  list[tuple[SourceLocation, str]]]:
    """Validate and convert one admin policy of ``kind``.

    Returns:
        The policy (None when any problem was found), every problem, and notes.
    """
    v = _AdminValidator(kind)
    top = root(body, loc)
    if not isinstance(body, Mapping):
        v.wrong_type(top, "a mapping")
        return None, v.problems, v.notes
    v.known(top, _TOP, f"a {kind}")
    name, _, _ = v.metadata(top)
    spec = v.mapping(top.get("spec"))
    if spec is None:
        v.missing(top, "spec")
        return None, v.problems, v.notes
    fields = {"subject", "ingress", "egress"}
    if kind != "BaselineAdminNetworkPolicy":
        fields.add("priority")
    if v.v2:
        fields.add("tier")
    v.known(spec, frozenset(fields), "spec")
    priority = 0
    if "priority" in fields:
        pf = spec.get("priority")
        if pf is None or pf.value is None:
            v.missing(spec, "priority")
        elif not is_int(pf.value):
            v.wrong_type(pf, "an integer")
        elif not 0 <= pf.value <= 1000:
            v.add(pf.loc, "invalid-value", f"priority {pf.value} must be between 0 and 1000")
        else:
            priority = int(pf.value)
    tier = AdminTier.BASELINE if kind == "BaselineAdminNetworkPolicy" else AdminTier.ADMIN
    if v.v2:
        tf = spec.get("tier")
        if tf is None or tf.value is None:
            v.missing(spec, "tier")
        elif tf.value not in ("Admin", "Baseline"):
            v.add(tf.loc, "invalid-value", f"tier {tf.value!r} is not one of Admin, Baseline")
        else:
            tier = AdminTier(tf.value)
    if kind == "BaselineAdminNetworkPolicy" and name is not None and name != "default":
        v.add(top.loc.at(top.child_path("metadata.name")), "invalid-value",
              f"a BaselineAdminNetworkPolicy must be named 'default', not {name!r}")
    subject = v.subject(spec)
    ingress = v.admin_rules(spec, Direction.INGRESS)
    egress = v.admin_rules(spec, Direction.EGRESS)
    if v.problems or name is None or subject is None:
        return None, v.problems, v.notes
    return AdminPolicy(kind, name, tier, priority, subject, tuple(ingress), tuple(egress),
                       loc), v.problems, v.notes
