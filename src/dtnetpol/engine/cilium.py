"""Cilium's policies inside the NetworkPolicy stage (see :mod:`dtnetpol.engine.layers`).

Semantics (Cilium's policy language and deny-policy documentation, ``pkg/policy/api``):

- A rule selects pods by ``endpointSelector`` over the pod's labels plus
  ``io.kubernetes.pod.namespace`` and ``io.cilium.k8s.namespace.labels.<key>`` for each label
  of its namespace. Keys may carry a source prefix (``k8s:``, ``any:``); ``reserved:`` keys
  name entities, never pods. A CiliumNetworkPolicy selects only in its own namespace, and its
  peer selectors stay there too unless they name ``io.kubernetes.pod.namespace`` or a
  namespace label (``getEndpointSelector`` in ``pkg/k8s/apis/cilium.io/utils``).
- A direction is default-deny once a selecting rule asks for it: ``enableDefaultDeny``, or,
  when unset, the rule has allow or deny rules in that direction.
- Deny rules win over every allow (NetworkPolicy's included). Allows of Cilium and
  NetworkPolicy add up.
- A rule with no peer and no ``toPorts`` (``{}``) matches nothing; ``toPorts`` alone matches
  every peer on those ports. Protocol ``ANY`` (or none) is TCP, UDP and SCTP.
- Peers: ``from/toEndpoints`` (pods), ``from/toEntities`` (``cluster`` = pods, nodes and the
  API server (``clusterSelectors`` in ``pkg/policy/api/entity.go``),
  ``host``+``remote-node`` = nodes and host-network pods, ``kube-apiserver``, ``world`` =
  outside the cluster, ``all``), ``from/toCIDR(Set)`` (addresses outside the cluster: never
  pods, and not nodes in Cilium's default ``policy-cidr-match-mode``), ``toServices`` (the
  service's backends), ``from/toNodes`` (nodes by label), ``toFQDNs`` (a host by name: a
  conditional allow, and only when a DNS rule lets Cilium's proxy see the lookups).
- L7 rules (``rules.http``, ...) restrict requests further; the L4 part is what is decided,
  with a note. Host policies (``nodeSelector``), ``icmps``, CIDR groups and ``toGroups`` are
  not modelled: their policies are reported, never approximated.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.explain import Action, RuleRef, Step
from dtnetpol.engine.layers import Counterpart, LayerRule
from dtnetpol.engine.ports import PortSet, PortSpec
from dtnetpol.engine.selectors import compile_selector
from dtnetpol.model.cilium import CNP, CiliumPolicy, CiliumRule, CiliumSpec, FQDNSelector
from dtnetpol.model.cluster import Cluster
from dtnetpol.model.policy import Direction, LabelSelector, PolicyPort, Requirement

if TYPE_CHECKING:
    from dtnetpol.engine.analysis import Analyzer, PodClass

NS_KEY = "io.kubernetes.pod.namespace"
NS_LABELS = "io.cilium.k8s.namespace.labels."
_POD_SOURCES = ("k8s", "any", "container", "unspec")
_DNS_NAME = re.compile(r"(?=.*[a-zA-Z])[a-zA-Z0-9*_-]+(\.[a-zA-Z0-9*_-]+)+\.?\Z")

L7_NOTE = ("Cilium L7 rules ({kinds}) restrict requests further; only the L4 part "
           "(ports) is checked")
FQDN_NO_DNS = ("toFQDNs needs a DNS rule (toPorts on the cluster DNS port, 53 or OpenShift's "
               "5353, with rules.dns) so that Cilium's DNS proxy learns the addresses; "
               "without one it matches nothing")
HOST_POLICY_NOTE = ("Cilium host policies (nodeSelector) are not modelled: {names}")
UNMODELLED_NOTE = "Cilium fields not modelled (their rules match nothing here): {fields}"


@dataclass(frozen=True)
class _Sel:
    """A Cilium endpoint selector in plain keys."""

    selector: LabelSelector
    entities: tuple[str, ...]     # from reserved: keys
    pods: bool                    # False when a key can only match non-pod identities
    names_namespace: bool


def _plain(key: str) -> tuple[str, str]:
    source, sep, rest = key.partition(":")
    if sep and source in (*_POD_SOURCES, "reserved", "cidr", "fqdn", "cni"):
        return source, rest
    return "any", key


def normalise(selector: LabelSelector) -> _Sel:
    labels: list[tuple[str, str]] = []
    reqs: list[Requirement] = []
    entities: list[str] = []
    pods = True
    for key, value in selector.match_labels:
        source, plain = _plain(key)
        if source == "reserved":
            entities.append(plain)
            pods = False
        elif source not in _POD_SOURCES:
            pods = False
        labels.append((plain, value))
    for r in selector.match_expressions:
        source, plain = _plain(r.key)
        if source not in _POD_SOURCES and r.operator in ("In", "Exists"):
            pods = False
        reqs.append(Requirement(plain, r.operator, r.values))
    keys = {k for k, _ in labels} | {r.key for r in reqs}
    scoped = NS_KEY in keys or any(k.startswith(NS_LABELS) for k in keys)
    return _Sel(LabelSelector(tuple(sorted(labels)), tuple(reqs)), tuple(entities), pods,
                scoped)


def fqdn_matches(sel: FQDNSelector, host: str) -> bool:
    host = host.lower().rstrip(".")
    if sel.match_name is not None:
        return host == sel.match_name.lower().rstrip(".")
    pattern = (sel.match_pattern or "").lower().rstrip(".")
    if pattern == "*":
        return True
    regex = "".join("[-a-z0-9_]*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, host) is not None


def endpoint_kind(endpoint: object, cluster: Cluster) -> str:
    """``pod``, ``host`` (a node or host-network pod), ``kube-apiserver`` or ``world``."""
    from dtnetpol.engine.analysis import PodClass
    if isinstance(endpoint, PodClass):
        return "host" if endpoint.host_network else "pod"
    name = getattr(endpoint, "name", "")
    if name == "kube-apiserver":
        return "kube-apiserver"
    if name == "nodes" or name.startswith("kubelet"):
        return "host"
    return "world"


@dataclass
class CiliumShare:
    """What Cilium's rules say on one side, before it is merged with NetworkPolicy's."""

    selected: bool
    default_deny: tuple[str, ...]     # policies that put the direction in default deny
    denied: PortSet
    deny_steps: tuple[Step, ...]
    allowed: PortSet
    allow_steps: tuple[Step, ...]
    notes: tuple[str, ...]


class CiliumIndex:
    """The Cilium policies of a cluster, compiled for the NetworkPolicy stage."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.specs: list[tuple[CiliumPolicy, CiliumSpec, _Sel]] = []
        host = []
        for p in cluster.cilium_policies:
            for s in p.specs:
                if s.endpoint_selector is None:
                    host.append(p.ref)
                    continue
                self.specs.append((p, s, normalise(s.endpoint_selector)))
        self.notes: tuple[str, ...] = (
            (HOST_POLICY_NOTE.format(names=", ".join(dict.fromkeys(host))),) if host else ())
        self._namespaced: dict[str | None, list[int]] = {}
        self._clusterwide: list[int] = []
        for i, (p, _, _) in enumerate(self.specs):
            if p.kind == CNP:
                self._namespaced.setdefault(p.namespace, []).append(i)
            else:
                self._clusterwide.append(i)
        self._selected_ids: dict[int, tuple[int, ...]] = {}
        self._rule_matches: dict[tuple[int, int, int], tuple[bool, bool]] = {}
        self._labels: dict[int, dict[str, str]] = {}
        self._selecting: dict[int, tuple[tuple[CiliumPolicy, CiliumSpec], ...]] = {}
        self._ports: dict[int, PortSpec] = {}
        self._node_sets: dict[LabelSelector, AddressSet] = {}
        self._direction_rules: dict[Direction, list[tuple[CiliumPolicy, CiliumRule]]] = {}

    # ------------------------------------------------------------------ labels
    def labels(self, an: Analyzer, cls: PodClass) -> Mapping[str, str]:
        hit = self._labels.get(cls.index) if an._owns(cls) else None
        if hit is None:
            hit = dict(cls.labels)
            hit[NS_KEY] = cls.namespace
            for k, v in an.namespace_labels(cls.namespace).items():
                hit[NS_LABELS + k] = v
            if an._owns(cls):
                self._labels[cls.index] = hit
        return hit

    def _sel_matches(self, an: Analyzer, sel: _Sel, namespace: str | None,
                     cls: PodClass) -> bool:
        if not sel.pods or cls.host_network:
            return False
        if namespace is not None and not sel.names_namespace and cls.namespace != namespace:
            return False
        return compile_selector(sel.selector)(self.labels(an, cls))

    def selecting(self, an: Analyzer, cls: PodClass
                  ) -> tuple[tuple[CiliumPolicy, CiliumSpec], ...]:
        hit = self._selecting.get(cls.index) if an._owns(cls) else None
        if hit is None:
            specs = self.specs
            hit = tuple((specs[i][0], specs[i][1]) for i in self._selected(an, cls))
            if an._owns(cls):
                self._selecting[cls.index] = hit
        return hit

    def _selected(self, an: Analyzer, cls: PodClass) -> tuple[int, ...]:
        """Indices (in ``specs``) of the specs that select ``cls``. A CiliumNetworkPolicy
        selects in its own namespace only: the specs of the class's namespace and the
        clusterwide ones are tested, not every spec of the cluster."""
        owned = an._owns(cls)
        hit = self._selected_ids.get(cls.index) if owned else None
        if hit is None:
            specs = self.specs
            candidates = sorted((*self._namespaced.get(cls.namespace, ()), *self._clusterwide))
            hit = tuple(i for i in candidates if self._sel_matches(an, specs[i][2], None, cls))
            if owned:
                self._selected_ids[cls.index] = hit
        return hit

    # ------------------------------------------------------------------ peers
    def _nodes(self, selectors: Iterable[LabelSelector]) -> AddressSet:
        out = AddressSet()
        for sel in selectors:
            hit = self._node_sets.get(sel)
            if hit is None:
                plain = normalise(sel).selector
                match = compile_selector(plain)
                hit = AddressSet.of_networks(
                    [ipaddress.ip_network(a) for n in self.cluster.nodes if match(n.labels)
                     for a in n.addresses])
                self._node_sets[sel] = hit
            out = out.union(hit)
        return out

    def _service_addresses(self, policy: CiliumPolicy, rule: CiliumRule) -> AddressSet:
        nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for svc in rule.services:
            if svc.name is None:
                continue
            for e in self.cluster.endpoints:
                if e.namespace == svc.namespace and e.service == svc.name:
                    nets.extend(ipaddress.ip_network(a) for a in e.addresses)
        return AddressSet.of_networks(nets)

    def rule_sets(self, rule: CiliumRule, policy: CiliumPolicy) -> list[AddressSet]:
        """Address sets the rule tests (for cutting non-pod ends into pieces)."""
        out = [AddressSet.of_block(b) for b in rule.cidrs]
        if rule.nodes:
            out.append(self._nodes(rule.nodes))
        if rule.services:
            out.append(self._service_addresses(policy, rule))
        if "world-ipv4" in rule.entities or "world-ipv6" in rule.entities:
            out.append(AddressSet(AddressSet.everything().v4))
        return out

    def matches(self, an: Analyzer, policy: CiliumPolicy, rule: CiliumRule,
                subject: PodClass, other: Counterpart) -> tuple[bool, bool]:
        """(matches, only conditionally) for one rule's peers against the other end."""
        if not rule.has_peer:
            return bool(rule.to_ports), False
        end = other.endpoint
        kind = endpoint_kind(end, self.cluster)
        namespace = policy.namespace if policy.kind == CNP else None
        entities = set(rule.entities)
        if rule.endpoints is not None:
            for sel in rule.endpoints:
                n = normalise(sel)
                entities.update(n.entities)
                if kind == "pod" and other.is_pod and \
                        self._sel_matches(an, n, namespace, end):  # type: ignore[arg-type]
                    return True, False
        if entities & {"all"}:
            return True, False
        if kind == "pod" and "cluster" in entities:
            return True, False
        if kind == "host" and ("cluster" in entities or {"host", "remote-node"} <= entities):
            return True, False
        if kind == "kube-apiserver" and entities & {"kube-apiserver", "cluster"}:
            return True, False
        pieces = other.addresses
        if kind == "world" and pieces is not None:
            if "world" in entities:
                return True, False
            if "world-ipv4" in entities and not pieces.v6:
                return True, False
            if "world-ipv6" in entities and not pieces.v4:
                return True, False
            for block in rule.cidrs:
                if not pieces.difference(AddressSet.of_block(block)):
                    return True, False
            if rule.fqdns and any(fqdn_matches(f, end.name) for f in rule.fqdns) \
                    and _DNS_NAME.match(end.name):
                return True, True
        if rule.nodes is not None and pieces is not None and kind in ("host", "world"):
            nodes = self._nodes(rule.nodes)
            if nodes and not pieces.difference(nodes):
                return True, False
        if rule.services:
            if kind == "pod" and other.is_pod:
                for svc in rule.services:
                    if self._service_selects(an, svc, end):  # type: ignore[arg-type]
                        return True, False
            elif pieces is not None:
                addrs = self._service_addresses(policy, rule)
                if addrs and not pieces.difference(addrs):
                    return True, False
        return False, False

    def _service_selects(self, an: Analyzer, svc: object, cls: PodClass) -> bool:
        from dtnetpol.model.cilium import CiliumService
        assert isinstance(svc, CiliumService)
        if cls.namespace != svc.namespace:
            return False
        for s in self.cluster.services:
            if s.namespace != svc.namespace or not s.selector:
                continue
            if svc.name is not None and s.name != svc.name:
                continue
            if svc.selector is not None and \
                    not compile_selector(normalise(svc.selector).selector)(s.selector):
                continue
            if all(cls.labels.get(k) == v for k, v in s.selector.items()):
                return True
        return False

    def ports(self, rule: CiliumRule) -> PortSpec:
        hit = self._ports.get(id(rule))
        if hit is None:
            if not rule.to_ports or any(not pr.ports for pr in rule.to_ports):
                hit = PortSpec.compile(())
            else:
                items = [PolicyPort(proto, p.port, p.end_port)
                         for pr in rule.to_ports for p in pr.ports for proto in p.protocols]
                hit = PortSpec.compile(items) if items else PortSpec(PortSet.none())
            self._ports[id(rule)] = hit
        return hit

    # ------------------------------------------------------------------ sharing keys
    def subject_key(self, an: Analyzer, subject: PodClass) -> tuple[int, ...]:
        """The specs that select ``subject``: :meth:`share` reads the subject through them
        alone (their rules, their default deny, the DNS rules among them)."""
        return self._selected(an, subject)

    def peer_signature(self, an: Analyzer, other: PodClass, direction: Direction
                       ) -> tuple[tuple[int, bool], ...]:
        """Which rules of ``direction`` (allows and denies of every spec) match ``other``, a
        pod class of the pod network, and whether only conditionally: what :meth:`share`
        reads of a pod peer besides the destination ports."""
        rules = self._direction_rules.get(direction)
        if rules is None:
            rules = self._direction_rules[direction] = [
                (p, r) for p, s, _ in self.specs
                for r in (*s.denies(direction), *s.allows(direction))]
        piece = Counterpart(other, None, None)
        out: list[tuple[int, bool]] = []
        for i, (p, r) in enumerate(rules):
            hit, conditional = self.matches(an, p, r, other, piece)
            if hit:
                out.append((i, conditional))
        return tuple(out)

    def join_key(self, an: Analyzer, subject: PodClass, direction: Direction,
                 other: PodClass) -> tuple[tuple[bool, bool], ...] | None:
        """:meth:`peer_signature` over the rules of the specs that select ``subject`` only
        (which of them match ``other``, and whether only conditionally): :meth:`share`
        reads no other rule, and :meth:`subject_key` fixes which these are."""
        if not an._owns(other) or other.host_network:
            return None
        piece = Counterpart(other, None, None)
        cache = self._rule_matches
        out: list[tuple[bool, bool]] = []
        for p, s in self.selecting(an, subject):
            for r in (*s.denies(direction), *s.allows(direction)):
                key = (id(p), id(r), other.index)
                hit = cache.get(key)
                if hit is None:
                    hit = cache[key] = self.matches(an, p, r, other, piece)
                out.append(hit)
        return tuple(out)

    # ------------------------------------------------------------------ explain
    def layer_rules(self, an: Analyzer, subject: PodClass,
                    direction: Direction) -> tuple[LayerRule, ...]:
        """The deny rules, then the allow rules, then the default deny, of every spec that
        selects ``subject`` (a deny wins over any allow; the allows add up)."""
        specs = [(p, s) for p, s in self.selecting(an, subject)
                 if s.allows(direction) or s.denies(direction) or s.default_deny(direction)]
        out: list[LayerRule] = []
        for deny in (True, False):
            for p, s in specs:
                for rule in s.denies(direction) if deny else s.allows(direction):
                    label = p.ref + (f" specs[{s.index}]" if s.index is not None else "") + \
                        (" deny" if deny else "")
                    out.append(LayerRule(
                        p.kind, p.display, "-", "Deny" if deny else "Allow",
                        RuleRef(label, direction, rule.index, rule.location),
                        describe_rule_peers(p, rule), _cilium_ports(rule)))
        for p, s in specs:
            if s.default_deny(direction):
                out.append(LayerRule(p.kind, p.display + " (default deny)", "-", "Deny", None,
                                     ("whatever no allow rule of this stage allows",),
                                     ("all ports",)))
        return tuple(dict.fromkeys(out))

    # ------------------------------------------------------------------ a side
    def share(self, an: Analyzer, subject: PodClass, direction: Direction,
              other: Counterpart, undecided: PortSet) -> CiliumShare | None:
        specs = [(p, s) for p, s in self.selecting(an, subject)
                 if s.allows(direction) or s.denies(direction) or s.default_deny(direction)]
        if not specs:
            return None
        dst_ports = other.dst_ports if other.is_pod or direction is Direction.INGRESS \
            else None
        notes: list[str] = list(self.notes)
        has_dns = direction is Direction.EGRESS and any(
            "dns" in pr.l7 for p, s in self.selecting(an, subject) for r in s.egress
            for pr in r.to_ports)
        denied = PortSet.none()
        deny_steps: list[Step] = []
        allowed = PortSet.none()
        allow_steps: list[Step] = []
        for deny in (True, False):
            for p, s in specs:
                rules = s.denies(direction) if deny else s.allows(direction)
                for rule in rules:
                    if rule.unmodelled:
                        _add(notes, UNMODELLED_NOTE.format(fields=", ".join(rule.unmodelled)))
                    hit, conditional = self.matches(an, p, rule, subject, other)
                    if not hit:
                        continue
                    if conditional and not has_dns:
                        _add(notes, FQDN_NO_DNS)
                        continue
                    ports = self.ports(rule).resolve(dst_ports).intersection(undecided)
                    ports = ports.difference(denied)   # a deny already decided them
                    if not ports:
                        continue
                    label = p.ref + (f" specs[{s.index}]" if s.index is not None else "") + \
                        (" deny" if deny else "")
                    ref = RuleRef(label, direction, rule.index, rule.location)
                    step = Step(p.kind, p.display, Action.DENY if deny else Action.ALLOW,
                                ports, ref, conditional)
                    l7 = sorted({k for pr in rule.to_ports for k in pr.l7 if k != "dns"})
                    if l7 and not deny:
                        _add(notes, L7_NOTE.format(kinds=", ".join(l7)))
                    if deny:
                        denied = denied.union(ports)
                        deny_steps.append(step)
                    else:
                        allowed = allowed.union(ports)
                        allow_steps.append(step)
        isolating = tuple(dict.fromkeys(p.ref for p, s in specs if s.default_deny(direction)))
        return CiliumShare(True, isolating, denied, tuple(deny_steps), allowed,
                           tuple(allow_steps), tuple(notes))


def _cilium_ports(rule: CiliumRule) -> tuple[str, ...]:
    """A rule's ``toPorts`` in words (``443/TCP``, ``53/ANY``, ``8080-8090/TCP``), with the
    L7 kinds that restrict them further."""
    if not rule.to_ports or any(not pr.ports for pr in rule.to_ports):
        return ("all ports",)
    out = []
    for pr in rule.to_ports:
        l7 = f" (L7 {', '.join(pr.l7)})" if pr.l7 else ""
        for p in pr.ports:
            number = "all" if p.port is None else str(p.port)
            if p.end_port:
                number += f"-{p.end_port}"
            proto = p.other_protocol or ("ANY" if len(p.protocols) == 3 else
                                         "+".join(x.value for x in p.protocols))
            out.append(f"{number}/{proto}{l7}")
    return tuple(out)


def _endpoint_text(sel: LabelSelector, namespace: str | None) -> str:
    n = normalise(sel)
    if n.entities:
        return "entity " + ", ".join(n.entities)
    pods = "all pods" if n.selector.is_empty else \
        f"pods [{str(n.selector).replace(',', ', ')}]"
    if namespace is not None and not n.names_namespace:
        return f"{pods} in namespace {namespace}"
    return pods if namespace is not None or n.names_namespace else \
        f"{pods} in all namespaces"


def describe_rule_peers(policy: CiliumPolicy, rule: CiliumRule) -> tuple[str, ...]:
    """A Cilium rule's peers in words, for ``explain``."""
    if not rule.has_peer:
        return ("every peer",) if rule.to_ports else ("nobody (an empty rule allows nothing)",)
    namespace = policy.namespace if policy.kind == CNP else None
    out: list[str] = []
    for sel in rule.endpoints or ():
        out.append(_endpoint_text(sel, namespace))
    if rule.endpoints == ():
        out.append("nobody (an empty endpoint list)")
    if rule.entities:
        out.append("entities " + ", ".join(rule.entities))
    out.extend(f"CIDR {b} (outside the cluster)" for b in rule.cidrs)
    for svc in rule.services:
        what = svc.name if svc.name is not None else f"[{svc.selector}]"
        out.append(f"backends of service {svc.namespace}/{what}")
    if rule.fqdns:
        out.append("hosts " + ", ".join(str(f) for f in rule.fqdns)
                   + " (by DNS name through the DNS proxy: a conditional allow)")
    for node in rule.nodes or ():
        out.append("nodes" if node.is_empty else f"nodes [{normalise(node).selector}]")
    if rule.unmodelled:
        out.append("not modelled: " + ", ".join(rule.unmodelled))
    return tuple(out)


def _add(notes: list[str], note: str) -> None:
    if note not in notes:
        notes.append(note)
