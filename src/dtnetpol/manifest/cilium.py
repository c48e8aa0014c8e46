"""CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (``cilium.io/v2``): validation as the
CRD and the Cilium agent do, and conversion to the model.

What the agent rejects is a problem too (the policy never takes effect): a rule with two kinds
of L3 peer (``toEndpoints`` with ``toCIDR``, ``toCIDR`` with ``toCIDRSet``), ``toFQDNs`` next
to another L3 peer, both or neither of ``endpointSelector`` and ``nodeSelector``, a
``nodeSelector`` in a namespaced policy, an ``except`` outside its ``cidr``, a DNS rule
without a port, on a port range or on port 0 (``PortRule.sanitize`` and ``L7Rules.sanitize``
in cilium/cilium ``pkg/policy/api/rule_validation.go``: the port need not be 53, e.g.
OpenShift's DNS pods listen on 5353). Selector keys are kept as written (``k8s:app``); only their
operators and values are checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dtnetpol.manifest import kinds
from dtnetpol.manifest._fields import Field, is_int, root
from dtnetpol.manifest.networkpolicy import _Validator
from dtnetpol.manifest.problems import Problem
from dtnetpol.model.cilium import (
    CNP,
    ENTITIES,
    CiliumPolicy,
    CiliumPort,
    CiliumPortRule,
    CiliumRule,
    CiliumService,
    CiliumSpec,
    FQDNSelector,
)
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction, IPBlock, LabelSelector, Protocol, Requirement

CILIUM_KINDS = kinds.CILIUM_KINDS
GROUP = "cilium.io"
_TOP = frozenset({"apiVersion", "kind", "metadata", "spec", "specs", "status"})
_SPEC = frozenset({"endpointSelector", "nodeSelector", "ingress", "ingressDeny", "egress",
                   "egressDeny", "labels", "description", "enableDefaultDeny", "log"})
_L3_IN = ("fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromNodes",
          "fromGroups")
_L3_OUT = ("toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toServices", "toNodes",
           "toGroups", "toFQDNs")
_COMMON = frozenset({"toPorts", "icmps", "authentication", "fromRequires", "toRequires"})
_PORT_RULE = frozenset({"ports", "rules", "terminatingTLS", "originatingTLS", "serverNames",
                        "listener"})
_PROTOCOLS = ("TCP", "UDP", "SCTP", "VRRP", "IGMP", "GRE", "IPIP", "IPV6", "ESP", "AH", "ANY")


class _CiliumValidator(_Validator):
    def __init__(self, kind: str, namespace: str | None) -> None:
        super().__init__()
        self.kind = kind
        self.namespace = namespace

    def endpoint_selector(self, f: Field | None) -> LabelSelector | None:
        sel = self.mapping(f)
        if sel is None:
            return None
        self.known(sel, frozenset({"matchLabels", "matchExpressions"}), "a selector")
        labels: list[tuple[str, str]] = []
        ml = self.mapping(sel.get("matchLabels"))
        if ml is not None:
            for key, entry in ml.entries():
                value = "" if entry.value is None else entry.value
                if not isinstance(key, str) or not isinstance(value, str):
                    self.wrong_type(entry, "a string")
                    continue
                labels.append((key, value))
        reqs: list[Requirement] = []
        for item in self.items(sel.get("matchExpressions")):
            m = self.mapping(item)
            if m is None:
                continue
            self.known(m, frozenset({"key", "operator", "values"}), "a requirement")
            key, op = m.get("key"), m.get("operator")
            if key is None or not isinstance(key.value, str) or not key.value:
                self.missing(m, "key")
                continue
            if op is None or op.value not in ("In", "NotIn", "Exists", "DoesNotExist"):
                self.add((op or m).loc, "invalid-selector-operator",
                         f"operator {op.value if op else None!r} is not one of In, NotIn, "
                         "Exists, DoesNotExist")
                continue
            values = tuple(v for _, v in self.strings(m.get("values")))
            if op.value in ("In", "NotIn") and not values:
                self.add(m.loc, "invalid-selector-values", f"{op.value} needs values")
                continue
            if op.value in ("Exists", "DoesNotExist") and values:
                self.add(m.loc, "invalid-selector-values", f"{op.value} takes no values")
                continue
            reqs.append(Requirement(key.value, str(op.value), values))
        return LabelSelector(tuple(sorted(labels)), tuple(reqs))

    def selectors(self, f: Field | None) -> tuple[LabelSelector, ...] | None:
        if f is None or f.value is None:
            return None
        out = []
        for item in self.items(f):
            s = self.endpoint_selector(item)
            out.append(s if s is not None else LabelSelector())
        return tuple(out)

    def cidr_text(self, f: Field) -> IPBlock | None:
        if not isinstance(f.value, str):
            self.wrong_type(f, "a string")
            return None
        net = self.cidr(f, f.value if "/" in f.value else _host_cidr(f.value))
        return IPBlock(net) if net is not None else None

    def cidr_rule(self, f: Field) -> IPBlock | None:
        m = self.mapping(f)
        if m is None:
            return None
        self.known(m, frozenset({"cidr", "except", "cidrGroupRef", "cidrGroupSelector"}),
                   "a CIDR rule")
        cf = m.get("cidr")
        if cf is None:
            if m.get("cidrGroupRef") is not None or m.get("cidrGroupSelector") is not None:
                return None   # CiliumCIDRGroup: not modelled (the rule notes it)
            self.missing(m, "cidr")
            return None
        block = self.cidr_text(cf)
        if block is None:
            return None
        excepts = []
        for ef, text in self.strings(m.get("except")):
            net = self.cidr(ef, text if "/" in text else _host_cidr(text))
            if net is None:
                continue
            if net.version != block.cidr.version or not net.subnet_of(block.cidr):  # type: ignore[arg-type]
                self.add(ef.loc, "except-outside-cidr",
                         f"except {text!r} is not inside {block.cidr}")
                continue
            excepts.append(net)
        return IPBlock(block.cidr, tuple(excepts))

    def ports(self, f: Field | None, deny: bool) -> tuple[CiliumPortRule, ...]:
        out = []
        for item in self.items(f):
            m = self.mapping(item)
            if m is None:
                out.append(CiliumPortRule())
                continue
            self.known(m, frozenset({"ports"}) if deny else _PORT_RULE,
                       "a toPorts item" if not deny else "a deny toPorts item")
            ports = []
            port_items = self.items(m.get("ports"))
            if len(port_items) > 40:
                self.add(m.loc, "invalid-value", "at most 40 ports in one toPorts item")
            for pf in port_items:
                p = self.port_protocol(pf)
                if p is not None:
                    ports.append(p)
            l7: list[str] = []
            rules = self.mapping(m.get("rules"))
            if rules is not None:
                l7 = [str(k) for k, v in rules.value.items() if v]
                if "dns" in l7 and not ports:
                    self.add(rules.loc, "conflicting-fields",
                             "DNS rules need a port in ports (the agent rejects them "
                             "without one)")
                elif "dns" in l7 and any(p.end_port for p in ports):
                    self.add(rules.loc, "conflicting-fields",
                             "DNS rules take single ports, not ranges (endPort; the agent "
                             "rejects them)")
                elif "dns" in l7 and any(p.port is None for p in ports):
                    self.add(rules.loc, "conflicting-fields",
                             "DNS rules need a port other than 0 (the agent rejects L7 "
                             "rules on port 0)")
            out.append(CiliumPortRule(tuple(ports), tuple(l7)))
        return tuple(out)

    def port_protocol(self, f: Field) -> CiliumPort | None:
        m = self.mapping(f)
        if m is None:
            return None
        self.known(m, frozenset({"port", "endPort", "protocol"}), "a port")
        proto = m.get("protocol")
        ptext = "ANY" if proto is None or proto.value in (None, "") else proto.value
        if ptext not in _PROTOCOLS:
            self.add((proto or m).loc, "invalid-protocol",
                     f"protocol {ptext!r} is not one of {', '.join(_PROTOCOLS)}")
            return None
        protocols = tuple(Protocol) if ptext == "ANY" else \
            (Protocol(ptext),) if ptext in Protocol.__members__ else ()
        port: int | str | None = None
        pf = m.get("port")
        if pf is not None and pf.value is not None:
            text = str(pf.value) if is_int(pf.value) else pf.value
            if not isinstance(text, str):
                self.wrong_type(pf, "a string")
                return None
            if text.isdigit():
                number = int(text)
                if number > 65535:
                    self.add(pf.loc, "invalid-port", f"port {number} must be at most 65535")
                    return None
                port = number or None
            elif text:
                port = text   # a named port
        end: int | None = None
        ef = m.get("endPort")
        if ef is not None and ef.value not in (None, 0):
            if not is_int(ef.value) or not 0 <= ef.value <= 65535:
                self.add(ef.loc, "invalid-end-port", "endPort must be an integer 0-65535")
                return None
            if not isinstance(port, int) or ef.value < port:
                self.add(ef.loc, "invalid-end-port",
                         "endPort needs a numeric port not above it")
                return None
            end = int(ef.value)
        return CiliumPort(protocols, port, end, None if protocols else ptext)

    def rule(self, item: Field, direction: Direction, deny: bool, index: int) -> CiliumRule:
        m = self.mapping(item)
        if m is None:
            return CiliumRule(direction, deny, index, location=item.loc)
        l3 = _L3_IN if direction is Direction.INGRESS else _L3_OUT
        allowed = set(l3) | _COMMON
        if deny:
            allowed -= {"toFQDNs", "authentication"}
        self.known(m, frozenset(allowed), f"a {direction.word}{'Deny' if deny else ''} rule")
        present = [k for k in l3 if m.has(k) and m.value[k]]
        if len(present) > 1:
            self.add(m.loc, "conflicting-fields",
                     f"{' and '.join(present)} in one rule: the Cilium agent rejects combining "
                     "two kinds of peer (write two rules)")
        ep_key, cidr_key, set_key, ent_key, node_key = (
            ("fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromNodes")
            if direction is Direction.INGRESS else
            ("toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toNodes"))
        entities = []
        for ef, text in self.strings(m.get(ent_key)):
            if text not in ENTITIES:
                self.add(ef.loc, "invalid-value",
                         f"entity {text!r} is not one of {', '.join(ENTITIES)}")
            else:
                entities.append(text)
        cidrs = [b for f in self.items(m.get(cidr_key)) if (b := self.cidr_text(f))]
        cidrs += [b for f in self.items(m.get(set_key)) if (b := self.cidr_rule(f))]
        services: list[CiliumService] = []
        for sf in self.items(m.get("toServices")):
            s = self.service(sf)
            if s is not None:
                services.append(s)
        fqdns: list[FQDNSelector] = []
        for ff in self.items(m.get("toFQDNs")):
            fm = self.mapping(ff)
            if fm is None:
                continue
            self.known(fm, frozenset({"matchName", "matchPattern"}), "a toFQDNs item")
            name, pattern = fm.get("matchName"), fm.get("matchPattern")
            if (name is None) == (pattern is None):
                self.add(fm.loc, "invalid-value", "set exactly one of matchName, matchPattern")
                continue
            fqdns.append(FQDNSelector(name.value if name else None,
                                      pattern.value if pattern else None))
        unmodelled = tuple(k for k in ("icmps", "fromGroups", "toGroups", "authentication",
                                       "fromRequires", "toRequires")
                           if m.has(k) and m.value[k])
        unmodelled += tuple("cidrGroupRef" for f in self.items(m.get(set_key))
                            if isinstance(f.value, Mapping) and "cidr" not in f.value)
        return CiliumRule(direction, deny, index, self.selectors(m.get(ep_key)),
                          tuple(entities), tuple(cidrs), tuple(services), tuple(fqdns),
                          self.selectors(m.get(node_key)),
                          self.ports(m.get("toPorts"), deny), unmodelled, item.loc)

    def service(self, f: Field) -> CiliumService | None:
        m = self.mapping(f)
        if m is None:
            return None
        self.known(m, frozenset({"k8sService", "k8sServiceSelector"}), "a toServices item")
        default_ns = self.namespace or "default"
        by_name = self.mapping(m.get("k8sService"))
        if by_name is not None:
            self.known(by_name, frozenset({"serviceName", "namespace"}), "k8sService")
            name = by_name.get("serviceName")
            ns = by_name.get("namespace")
            return CiliumService(ns.value if ns and ns.value else default_ns,
                                 name=name.value if name and isinstance(name.value, str)
                                 else None)
        by_sel = self.mapping(m.get("k8sServiceSelector"))
        if by_sel is not None:
            self.known(by_sel, frozenset({"selector", "namespace"}), "k8sServiceSelector")
            ns = by_sel.get("namespace")
            return CiliumService(ns.value if ns and ns.value else default_ns,
                                 selector=self.endpoint_selector(by_sel.get("selector"))
                                 or LabelSelector())
        return None

    def spec(self, f: Field, index: int | None) -> CiliumSpec | None:
        m = self.mapping(f)
        if m is None:
            self.wrong_type(f, "a mapping")
            return None
        self.known(m, _SPEC, "a Cilium rule")
        es, ns = m.get("endpointSelector"), m.get("nodeSelector")
        if (es is None) == (ns is None):
            self.add(m.loc, "conflicting-fields",
                     "set exactly one of endpointSelector and nodeSelector")
        if ns is not None and self.kind == CNP:
            self.add(ns.loc, "conflicting-fields",
                     "nodeSelector (a host policy) is only allowed in a "
                     "CiliumClusterwideNetworkPolicy")
        rules: dict[str, tuple[CiliumRule, ...]] = {}
        for key, direction, deny in (("ingress", Direction.INGRESS, False),
                                     ("ingressDeny", Direction.INGRESS, True),
                                     ("egress", Direction.EGRESS, False),
                                     ("egressDeny", Direction.EGRESS, True)):
            rules[key] = tuple(self.rule(item, direction, deny, i)
                               for i, item in enumerate(self.items(m.get(key))))
        dd_in = dd_out = None
        dd = self.mapping(m.get("enableDefaultDeny"))
        if dd is not None:
            self.known(dd, frozenset({"ingress", "egress"}), "enableDefaultDeny")
            for key in ("ingress", "egress"):
                v = dd.get(key)
                if v is not None and v.value is not None and not isinstance(v.value, bool):
                    self.wrong_type(v, "a boolean")
            dd_in = dd.value.get("ingress") if isinstance(dd.value.get("ingress"), bool) \
                else None
            dd_out = dd.value.get("egress") if isinstance(dd.value.get("egress"), bool) \
                else None
        desc = m.get("description")
        return CiliumSpec(index, self.endpoint_selector(es) if es is not None else None,
                          self.endpoint_selector(ns) if ns is not None else None,
                          rules["ingress"], rules["ingressDeny"], rules["egress"],
                          rules["egressDeny"], dd_in, dd_out,
                          desc.value if desc and isinstance(desc.value, str) else "", f.loc)


def _host_cidr(text: str) -> str:
    """A bare address is a /32 (or /128) in Cilium's CIDR fields."""
    return f"{text}/128" if ":" in text else f"{text}/32"


def parse_cilium_policy(body: Any, loc: SourceLocation, kind: str
                        ) -> tuple[CiliumPolicy | None, list[Problem],
                                   list[tuple[SourceLocation, str]]]:
    """Validate and convert one Cilium policy of ``kind``: (policy or None, problems, notes)."""
    top = root(body, loc)
    v = _CiliumValidator(kind, None)
    if not isinstance(body, Mapping):
        v.wrong_type(top, "a mapping")
        return None, v.problems, v.notes
    v.known(top, _TOP, f"a {kind}")
    name, namespace, _ = v.metadata(top)
    v.namespace = namespace if kind == CNP else None
    specs: list[CiliumSpec] = []
    sf = top.get("spec")
    if sf is not None and sf.value is not None:
        s = v.spec(sf, None)
        if s is not None:
            specs.append(s)
    for i, item in enumerate(v.items(top.get("specs"))):
        s = v.spec(item, i)
        if s is not None:
            specs.append(s)
    if not specs and not v.problems:
        v.missing(top, "spec", " (or specs)")
    if v.problems or name is None:
        return None, v.problems, v.notes
    return CiliumPolicy(kind, v.namespace, name, tuple(specs), loc), v.problems, v.notes
