"""The compiled cluster: pods grouped into equivalence classes, policies compiled once.

Every question (can A reach B, what does a pod allow, the full connection list) is answered
per *class* of pods that share namespace, labels, declared ports and host networking, never
per pod pair. Selector results are cached per (selector, namespace) and per class.

Host-network pods follow the analyzer's :class:`~dtnetpol.model.HostNetwork` mode, decided
once here, when pods are grouped: under ``NODE`` their class is *node traffic*
(``PodClass.host_network``): no policy isolates it and only ipBlocks that admit its node's
address (or an empty peer list) match it; under ``POD`` their class is an ordinary pod class.
Everything downstream reads ``PodClass.host_network`` and so follows the mode.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.explain import (
    IPBLOCK_NOTE,
    Outcome,
    RuleRef,
    SideStatus,
    SideVerdict,
    Verdict,
)
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.label_index import LabelIndex
from dtnetpol.engine.ports import PortSet, PortSpec
from dtnetpol.engine.selectors import Matcher, compile_selector
from dtnetpol.model.cluster import Cluster, ContainerPort, HostNetwork, Pod, WorkloadRef
from dtnetpol.model.policy import Direction, LabelSelector, NetworkPolicy, Peer, Protocol, Rule

if TYPE_CHECKING:
    from dtnetpol.engine.layers import Layers

def _layers(cluster: Cluster) -> Layers | None:
    """The policy layers beyond NetworkPolicy (:func:`dtnetpol.engine.layers.build_layers`);
    None for a cluster of NetworkPolicies only, without importing the layered engine."""
    if not (cluster.admin_policies or cluster.cilium_policies or cluster.calico.policies):
        return None
    from dtnetpol.engine.layers import build_layers
    return build_layers(cluster)


# From this many (policy, class) pairs in a namespace on, which policies select which class
# is found through a label index rather than by testing every pair.
_INDEX_FROM = 64

HOST_NETWORK_NOTE = ("host-network pod: NetworkPolicies that select it have no effect on most "
                     "CNIs, and its traffic carries the node's IP")


@dataclass(frozen=True, eq=False)
class PodClass:
    """Pods that no NetworkPolicy can tell apart: same namespace, labels, ports, host network.

    ``host_network`` means *node traffic*: host-network pods under ``HostNetwork.NODE``
    (under ``POD`` they are ordinary classes). ``node_addresses``: the addresses of the nodes
    of its pods that have no IP of their own (node traffic carries the node's address).
    """

    index: int
    namespace: str
    labels: Mapping[str, str]
    ports: tuple[ContainerPort, ...]
    host_network: bool
    pods: tuple[Pod, ...]
    node_addresses: tuple[str, ...] = ()

    # Computed once per class (cached_property writes the instance __dict__, which a frozen
    # dataclass allows): reports ask for names once per verdict, and clusters have 10⁴ classes.
    @cached_property
    def workloads(self) -> tuple[WorkloadRef, ...]:
        return tuple(dict.fromkeys(p.owner for p in self.pods))

    @cached_property
    def name(self) -> str:
        return str(self.workloads[0])

    @cached_property
    def addresses(self) -> AddressSet | None:
        """For a host-network class the node addresses it uses, None when unknown."""
        ips = [ipaddress.ip_network(ip)
               for ip in (*(ip for p in self.pods for ip in p.ips), *self.node_addresses)]
        return AddressSet.of_networks(ips) if ips else None


@dataclass(frozen=True)
class ExternalEndpoint:
    """A non-pod endpoint: an IP, a CIDR, the API server, or a host whose IPs are unknown.

    ``addresses`` None means unknown (a DNS name): verdicts on it can be conditional.
    """

    name: str
    addresses: AddressSet | None = None
    as_namespace: str | None = None

    # ``as_namespace``: traffic that the CNI attributes to a namespace's address set, matched
    # by namespaceSelector-only peers (OpenShift OVN-Kubernetes puts host-network traffic,
    # the API server's included, into the ``openshift-host-network`` namespace's set).


Endpoint = PodClass | ExternalEndpoint


@dataclass(frozen=True, eq=False)
class CompiledRule:
    """One rule of a policy, its ports and peers compiled for matching."""

    ref: RuleRef
    rule: Rule
    policy: NetworkPolicy
    ports: PortSpec
    selector_peers: tuple[Peer, ...]
    ip_addresses: AddressSet          # union of the rule's ipBlocks (everything if no peers)
    all_peers: bool                   # empty from/to: every pod and every address

    @property
    def has_ip_blocks(self) -> bool:
        return bool(self.ip_addresses) and not self.all_peers


@dataclass(frozen=True)
class Contribution:
    """One rule's share of what a side allows towards one peer."""

    rule: CompiledRule
    ports: PortSet
    addresses: AddressSet | None = None   # for external peers: which of their addresses


class _SideState:
    """What isolates one side of a class: the policies, their rules in order, and what
    every verdict on that side repeats (the policies' names, whether a rule has ipBlocks)."""

    __slots__ = ("has_ip_blocks", "policies", "refs", "rules")

    def __init__(self, policies: tuple[NetworkPolicy, ...],
                 rules: tuple[CompiledRule, ...]) -> None:
        self.policies = policies
        self.rules = rules
        self.refs = tuple(p.ref for p in policies)
        self.has_ip_blocks = any(r.has_ip_blocks for r in rules)


@dataclass
class Analyzer:
    """A cluster compiled for queries. Build once, ask many times."""

    cluster: Cluster
    host_network: HostNetwork = HostNetwork.NODE
    classes: list[PodClass] = field(init=False)
    _class_of: dict[Pod, PodClass] = field(init=False, repr=False)
    _by_namespace: dict[str, list[PodClass]] = field(init=False, repr=False)
    _policies_by_ns: dict[str, list[tuple[NetworkPolicy, Matcher]]] = field(init=False,
                                                                            repr=False)
    _compiled: dict[tuple[int, Direction], tuple[CompiledRule, ...]] = field(init=False,
                                                                             repr=False)
    _sides: dict[tuple[int, Direction], _SideState] = field(init=False, repr=False)
    _ns_match: dict[tuple[LabelSelector, str], bool] = field(init=False, repr=False)
    _peer_sets: dict[tuple[str, Peer], frozenset[int]] = field(init=False, repr=False)
    _rule_sets: dict[int, frozenset[int]] = field(init=False, repr=False)
    _union_sets: dict[tuple[int, ...], frozenset[int]] = field(init=False, repr=False)
    _selecting: dict[int, tuple[NetworkPolicy, ...]] = field(init=False, repr=False)
    _port_sets: dict[tuple[Protocol, int], PortSet] = field(init=False, repr=False)
    _pair_contributions: dict[tuple[int, Direction, int], tuple[Contribution, ...]] = field(
        init=False, repr=False)
    _label_indexes: tuple[LabelIndex[str], LabelIndex[int]] | None = field(
        init=False, repr=False, default=None)
    _shared_sides: dict[tuple[object, ...], tuple[SideVerdict, PortSet]] = field(
        init=False, repr=False)
    # Tiers of the kinds beyond NetworkPolicy; None (the fast path) when there are none.
    layers: Layers | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        groups: dict[tuple[object, ...], list[Pod]] = {}
        node_traffic = self.node_traffic
        # Calico rules can name service accounts: then pods of different accounts differ.
        accounts = bool(self.cluster.calico.policies)
        for pod in self.cluster.pods:
            key = (pod.namespace, tuple(sorted(pod.labels.items())), pod.ports,
                   node_traffic(pod.host_network),
                   (pod.service_account or "default") if accounts else None)
            groups.setdefault(key, []).append(pod)
        self.classes = []
        self._class_of = {}
        self._by_namespace = defaultdict(list)
        node_ips = {n.name: n.addresses for n in self.cluster.nodes}
        for (_, _, _, host_net, _), pods in groups.items():
            first = pods[0]
            fallback = tuple(dict.fromkeys(
                a for p in pods if host_net and not p.ips and p.node is not None
                for a in node_ips.get(p.node, ())))
            cls = PodClass(len(self.classes), first.namespace, first.labels, first.ports,
                           bool(host_net), tuple(pods), fallback)
            self.classes.append(cls)
            self._by_namespace[cls.namespace].append(cls)
            for p in pods:
                self._class_of[p] = cls
        self._policies_by_ns = defaultdict(list)
        for pol in self.cluster.policies:
            self._policies_by_ns[pol.namespace].append((pol, compile_selector(pol.pod_selector)))
        self._compiled = {}
        self._sides = {}
        self._ns_match = {}
        self._peer_sets = {}
        self._rule_sets = {}
        self._union_sets = {}
        self._selecting = {}
        self._port_sets = {}
        self._pair_contributions = {}
        self._label_indexes = None
        self._shared_sides = {}
        self.layers = _layers(self.cluster)

    # ----------------------------------------------------------------- lookups
    def node_traffic(self, host_network: bool) -> bool:
        """Whether a pod with this ``hostNetwork`` is node traffic under the analyzer's mode
        (for callers that make stand-in classes of pods the operator will create)."""
        return host_network and self.host_network is HostNetwork.NODE

    def _owns(self, cls: PodClass) -> bool:
        """Whether ``cls`` is one of this analyzer's classes, not one made up by a caller
        (a pod the operator will create); only those are in the per-rule class sets."""
        index = cls.index
        return 0 <= index < len(self.classes) and self.classes[index] is cls

    def class_of(self, pod: Pod) -> PodClass:
        return self._class_of[pod]

    def classes_in(self, namespace: str) -> Sequence[PodClass]:
        """The pod classes of one namespace (indexed, not scanned)."""
        return self._by_namespace.get(namespace, ())

    def namespace_labels(self, name: str) -> Mapping[str, str]:
        return self.cluster.namespace(name).labels

    def namespace_matches(self, selector: LabelSelector, namespace: str) -> bool:
        key = (selector, namespace)
        hit = self._ns_match.get(key)
        if hit is None:
            hit = compile_selector(selector)(self.namespace_labels(namespace))
            self._ns_match[key] = hit
        return hit

    def policies_selecting(self, cls: PodClass) -> tuple[NetworkPolicy, ...]:
        """Every policy whose podSelector selects the class (whatever its policyTypes)."""
        if self._owns(cls):
            hit = self._selecting.get(cls.index)
            if hit is None:
                self._select_in(cls.namespace)
                hit = self._selecting[cls.index]
            return hit
        labels = cls.labels
        return tuple(p for p, selects in self._policies_by_ns.get(cls.namespace, ())
                     if selects(labels))

    def _select_in(self, namespace: str) -> None:
        """Which policies select each class of ``namespace``, for all its classes at once:
        through a label index where the namespace has many policies and classes."""
        classes = self._by_namespace.get(namespace, ())
        policies = self._policies_by_ns.get(namespace, ())
        found: dict[int, list[NetworkPolicy]] = {c.index: [] for c in classes}
        if len(policies) * len(classes) > _INDEX_FROM:
            index = LabelIndex((c.index, c.labels) for c in classes)
            for pol, _ in policies:
                for i in index.select(pol.pod_selector):
                    found[i].append(pol)
        else:
            for c in classes:
                labels = c.labels
                found[c.index] = [p for p, selects in policies if selects(labels)]
        for i, pols in found.items():
            self._selecting[i] = tuple(pols)

    def _side(self, cls: PodClass, direction: Direction) -> _SideState:
        key = (cls.index, direction)
        state = self._sides.get(key)
        if state is None:
            pols = tuple(p for p in self.policies_selecting(cls) if p.isolates(direction))
            rules = tuple(r for p in pols for r in self.compiled_rules(p, direction))
            state = _SideState(pols, rules)
            if self._owns(cls):   # callers' stand-ins may share an index: never cached
                self._sides[key] = state
        return state

    def isolating_policies(self, cls: PodClass, direction: Direction) -> tuple[NetworkPolicy, ...]:
        return self._side(cls, direction).policies

    def is_isolated(self, cls: PodClass, direction: Direction) -> bool:
        return not cls.host_network and bool(self._side(cls, direction).policies)

    def rules_for(self, cls: PodClass, direction: Direction) -> tuple[CompiledRule, ...]:
        return self._side(cls, direction).rules

    def compiled_rules(self, policy: NetworkPolicy,
                       direction: Direction) -> tuple[CompiledRule, ...]:
        key = (id(policy), direction)
        out = self._compiled.get(key)
        if out is None:
            compiled = []
            for rule in policy.rules(direction):
                ref = RuleRef(policy.ref, direction, rule.index, rule.location)
                blocks = [p.ip_block for p in rule.peers if p.ip_block is not None]
                addrs = AddressSet.everything() if not rule.peers else AddressSet()
                for b in blocks:
                    addrs = addrs.union(AddressSet.of_block(b))
                compiled.append(CompiledRule(
                    ref, rule, policy, PortSpec.compile(rule.ports),
                    tuple(p for p in rule.peers if p.ip_block is None), addrs, not rule.peers))
            out = tuple(compiled)
            self._compiled[key] = out
        return out

    # ----------------------------------------------------------- peer matching
    def peer_matches_class(self, peer: Peer, policy_namespace: str, cls: PodClass) -> bool:
        """Does a selector peer match pods of ``cls``? (ipBlock peers never match pods.)"""
        if peer.ip_block is not None or cls.host_network:
            return False
        if peer.namespace_selector is None:
            if cls.namespace != policy_namespace:
                return False
        elif not self.namespace_matches(peer.namespace_selector, cls.namespace):
            return False
        return peer.pod_selector is None or compile_selector(peer.pod_selector)(cls.labels)

    def peer_classes(self, peer: Peer, policy_namespace: str) -> frozenset[int]:
        """Indices of every class a selector peer matches, computed once per distinct peer
        (through label indexes of namespaces and classes, not by testing each one)."""
        key = (policy_namespace if peer.namespace_selector is None else "", peer)
        hit = self._peer_sets.get(key)
        if hit is None:
            pod_selector = peer.pod_selector
            if peer.namespace_selector is None:
                match = compile_selector(pod_selector) if pod_selector else None
                hit = frozenset(c.index for c in self._by_namespace.get(policy_namespace, ())
                                if not c.host_network and (match is None or match(c.labels)))
            else:
                indexes = self._indexes()
                namespaces = indexes[0].select(peer.namespace_selector)
                if pod_selector is None:
                    hit = frozenset(c.index for ns in namespaces for c in self._by_namespace[ns]
                                    if not c.host_network)
                else:
                    # From the narrower side: the classes of the selected namespaces (a
                    # peer naming one team's namespaces), or the classes the pod selector
                    # can match (a peer naming one app in every namespace).
                    by_ns = self._by_namespace
                    if sum(len(by_ns[ns]) for ns in namespaces) < \
                            indexes[1].estimate(pod_selector):
                        match = compile_selector(pod_selector)
                        hit = frozenset(c.index for ns in namespaces for c in by_ns[ns]
                                        if not c.host_network and match(c.labels))
                    else:
                        inside = set(namespaces)
                        classes = self.classes
                        hit = frozenset(i for i in indexes[1].select(pod_selector)
                                        if classes[i].namespace in inside)
            self._peer_sets[key] = hit
        return hit

    def _indexes(self) -> tuple[LabelIndex[str], LabelIndex[int]]:
        """Label indexes of the namespaces that have pods and of the (non-host-network)
        classes, built on first use."""
        if self._label_indexes is None:
            self._label_indexes = (
                LabelIndex((ns, self.namespace_labels(ns)) for ns in self._by_namespace),
                LabelIndex((c.index, c.labels) for c in self.classes if not c.host_network))
        return self._label_indexes

    def rule_classes(self, rule: CompiledRule) -> frozenset[int]:
        """Indices of every class the selector peers of ``rule`` match (an empty peer list
        matches every class: test ``rule.all_peers`` first). Computed once per rule."""
        key = id(rule)   # compiled rules live as long as the analyzer (``_compiled``)
        hit = self._rule_sets.get(key)
        if hit is None:
            sets = [self.peer_classes(p, rule.policy.namespace) for p in rule.selector_peers]
            if len(sets) == 1:
                hit = sets[0]
            else:
                # Rules of many policies repeat the same peers: one union object for them
                # all, so callers that group by set identity see one set, not one per rule.
                ids = tuple(id(s) for s in sets)
                hit = self._union_sets.get(ids)
                if hit is None:
                    hit = self._union_sets[ids] = frozenset().union(*sets)
            self._rule_sets[key] = hit
        return hit

    def rule_matches_class(self, rule: CompiledRule, cls: PodClass) -> bool:
        if cls.host_network:
            return rule.all_peers
        return rule.all_peers or any(
            self.peer_matches_class(p, rule.policy.namespace, cls) for p in rule.selector_peers)

    def _namespace_only_peer_matches(self, rule: CompiledRule, namespace: str) -> bool:
        return any(p.pod_selector is None and p.namespace_selector is not None and
                   self.namespace_matches(p.namespace_selector, namespace)
                   for p in rule.selector_peers)

    # ------------------------------------------------------------------ sides
    def contributions(self, subject: PodClass, direction: Direction, other: Endpoint,
                      dst_ports: tuple[ContainerPort, ...] | None) -> Sequence[Contribution]:
        """Rules of ``subject``'s isolating policies that match ``other``, with their ports."""
        out: list[Contribution] = []
        if isinstance(other, PodClass) and not other.host_network:
            # The same pair is asked once per port and flow: its rules are matched once.
            owned = self._owns(other) and self._owns(subject) and \
                dst_ports is (other if direction is Direction.EGRESS else subject).ports
            key = (subject.index, direction, other.index)
            if owned:
                hit = self._pair_contributions.get(key)
                if hit is not None:
                    return hit
            # A rule's class set, where already computed, answers at once; computing it for
            # a single question would cost more than matching the peers.
            sets = self._rule_sets
            index = other.index
            for rule in self.rules_for(subject, direction):
                known = sets.get(id(rule)) if owned else None
                if rule.all_peers or (index in known if known is not None
                                      else self.rule_matches_class(rule, other)):
                    out.append(Contribution(rule, rule.ports.resolve(dst_ports)))
            if owned:
                self._pair_contributions[key] = tuple(out)
            return out
        other_addresses = _addresses_of(other)
        for rule in self.rules_for(subject, direction):
            if isinstance(other, ExternalEndpoint) and other.as_namespace is not None and \
                    self._namespace_only_peer_matches(rule, other.as_namespace):
                out.append(Contribution(rule, rule.ports.resolve(dst_ports), other_addresses
                                        or AddressSet.everything()))
                continue
            matched = rule.ip_addresses if other_addresses is None \
                else rule.ip_addresses.intersection(other_addresses)
            if matched:
                out.append(Contribution(rule, rule.ports.resolve(dst_ports), matched))
        return out

    def side_verdict(self, subject: Endpoint, direction: Direction, other: Endpoint,
                     dst_ports: tuple[ContainerPort, ...] | None,
                     port: int | None, protocol: Protocol | None) -> tuple[SideVerdict, PortSet]:
        """One side of a connection, and the ports that side allows towards ``other`` (with
        ``port`` given: that port, or no port)."""
        if isinstance(subject, ExternalEndpoint):
            return SideVerdict(direction, subject.name, SideStatus.NOT_A_POD), PortSet.all()
        name = subject.name
        if subject.host_network:
            extra = self.layers.host_notes if self.layers is not None else ()
            return (SideVerdict(direction, name, SideStatus.NOT_GOVERNED,
                                notes=(HOST_NETWORK_NOTE, *extra)), PortSet.all())
        layers = self.layers
        if layers is not None and layers.touches(self, subject, direction):
            query = PortSet.all() if port is None or protocol is None \
                else self._one_port(protocol, port)
            return layers.side(self, subject, direction, other, dst_ports, query)
        state = self._side(subject, direction)
        if not state.policies:
            return SideVerdict(direction, name, SideStatus.NOT_ISOLATED), PortSet.all()
        if dst_ports is subject.ports and isinstance(other, PodClass) and \
                not other.host_network and self._owns(other) and self._owns(subject):
            # Ingress from a pod: the answer depends on the source only through which rules
            # match it, so sources that match the same rules share it (a check asks for one
            # destination from thousands of application pod classes).
            index = other.index
            matched = tuple(i for i, r in enumerate(state.rules)
                            if r.all_peers or index in self.rule_classes(r))
            key = (subject.index, direction, matched, port, protocol)
            hit = self._shared_sides.get(key)
            if hit is None:
                hit = self._isolated_side(subject, state, direction, other, dst_ports, port,
                                          protocol)
                self._shared_sides[key] = hit
            return hit
        return self._isolated_side(subject, state, direction, other, dst_ports, port, protocol)

    def _isolated_side(self, subject: PodClass, state: _SideState,
                       direction: Direction, other: Endpoint,
                       dst_ports: tuple[ContainerPort, ...] | None,
                       port: int | None, protocol: Protocol | None,
                       ) -> tuple[SideVerdict, PortSet]:
        name = subject.name
        refs = state.refs
        contribs = self.contributions(subject, direction, other, dst_ports)
        if port is not None and protocol is not None:
            # One port asked: what the side allows of it is that port or nothing.
            contribs = [c for c in contribs if c.ports.contains(protocol, port)]
            allowed = self._one_port(protocol, port) if contribs else PortSet.none()
        else:
            allowed = PortSet.none()
            for c in contribs:
                allowed = allowed.union(c.ports)
        notes = self._notes(state, other)
        rules = tuple(c.rule.ref for c in contribs)
        if not contribs:
            return SideVerdict(direction, name, SideStatus.BLOCKED, refs, notes=notes), allowed
        if isinstance(other, PodClass) and not other.host_network:
            return SideVerdict(direction, name, SideStatus.ALLOWED, refs, rules,
                               notes=notes), allowed
        covered = AddressSet()
        for c in contribs:
            covered = covered.union(c.addresses or AddressSet())
        wanted = _addresses_of(other)
        if (wanted is not None and not wanted.difference(covered)) or \
                (wanted is None and not AddressSet.everything().difference(covered)):
            return SideVerdict(direction, name, SideStatus.ALLOWED, refs, rules, covered,
                               notes), allowed
        return SideVerdict(direction, name, SideStatus.PARTIAL, refs, rules, covered,
                           notes), allowed

    @staticmethod
    def _notes(state: _SideState, other: Endpoint) -> tuple[str, ...]:
        if not isinstance(other, PodClass):
            return ()
        if other.host_network:
            return (f"{other.name} is a {HOST_NETWORK_NOTE}: only ipBlocks of node "
                    "addresses or an empty peer list match it",)
        return (IPBLOCK_NOTE,) if state.has_ip_blocks else ()

    def _one_port(self, protocol: Protocol, port: int) -> PortSet:
        key = (protocol, port)
        hit = self._port_sets.get(key)
        if hit is None:
            hit = self._port_sets[key] = PortSet.of(protocol, IntervalSet.single(port))
        return hit

    # ------------------------------------------------------------------ queries
    def can_reach(self, src: Endpoint, dst: Endpoint, port: int | None = None,
                  protocol: Protocol | None = Protocol.TCP) -> Verdict:
        """Egress of ``src`` AND ingress of ``dst``, each explained."""
        proto = protocol if port is not None else None
        dst_ports = dst.ports if isinstance(dst, PodClass) else None
        eg, eg_ports = self.side_verdict(src, Direction.EGRESS, dst, dst_ports, port, proto)
        ing, ing_ports = self.side_verdict(dst, Direction.INGRESS, src, dst_ports, port, proto)
        src_name = src.name
        dst_name = dst.name
        if port is None and not eg_ports.intersection(ing_ports):
            outcome = Outcome.BLOCKED
            if eg.status is SideStatus.ALLOWED and ing.status is SideStatus.ALLOWED:
                eg = SideVerdict(eg.direction, eg.subject, eg.status, eg.isolating_policies,
                                 eg.allowing_rules, eg.allowed_addresses,
                                 (*eg.notes, f"allows {eg_ports} only"))
                ing = SideVerdict(ing.direction, ing.subject, ing.status,
                                  ing.isolating_policies, ing.allowing_rules,
                                  ing.allowed_addresses, (*ing.notes, f"allows {ing_ports} only"))
        elif SideStatus.BLOCKED in (eg.status, ing.status):
            outcome = Outcome.BLOCKED
        elif eg.status is SideStatus.PARTIAL or ing.status is SideStatus.PARTIAL:
            outcome = Outcome.CONDITIONAL
        else:
            outcome = Outcome.ALLOWED
        condition = ""
        if outcome is Outcome.CONDITIONAL:
            part = eg if eg.status is SideStatus.PARTIAL else ing
            peer = dst_name if part is eg else src_name
            if part.allowed_addresses is not None:
                condition = f"allowed only if {peer} resolves into {part.allowed_addresses}"
            else:
                condition = f"allowed only under a condition on {peer}: " + "; ".join(part.notes)
        return Verdict(src_name, dst_name, proto, port, eg, ing, outcome, condition)

    def allowed_ports(self, src: Endpoint, dst: Endpoint) -> PortSet:
        dst_ports = dst.ports if isinstance(dst, PodClass) else None
        _, eg = self.side_verdict(src, Direction.EGRESS, dst, dst_ports, None, None)
        _, ing = self.side_verdict(dst, Direction.INGRESS, src, dst_ports, None, None)
        return eg.intersection(ing)

    # --------------------------------------------------------------- endpoints
    def find(self, text: str) -> Endpoint:
        """``ns/workload``, ``ns/pod``, ``ns/name[Kind]``, an IP or a CIDR → an endpoint.

        Raises LookupError with a message that names what was searched.
        """
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            pass
        else:
            for cls in self.classes:
                if any(ip == text for p in cls.pods for ip in p.ips) and not cls.host_network:
                    return cls
            return ExternalEndpoint(text, AddressSet.of_networks([net]))
        ns, sep, name = text.partition("/")
        if not sep or not ns or not name:
            raise LookupError(f"{text!r}: expected namespace/name, namespace/name[Kind] or an IP")
        kind = None
        if name.endswith("]") and "[" in name:
            name, _, kind = name[:-1].partition("[")
        for cls in self._by_namespace.get(ns, ()):
            for pod in cls.pods:
                if pod.owner.name == name and (kind is None or pod.owner.kind == kind):
                    return cls
        for cls in self._by_namespace.get(ns, ()):
            if kind is None and any(p.name == name for p in cls.pods):
                return cls
        known = sorted({p.owner.name for c in self._by_namespace.get(ns, ()) for p in c.pods})
        hint = f"; workloads there: {', '.join(known[:10])}" if known else \
            f"; no workload in namespace {ns!r}"
        raise LookupError(f"no workload or pod {text!r}{hint}")


def _addresses_of(endpoint: Endpoint) -> AddressSet | None:
    if isinstance(endpoint, ExternalEndpoint):
        return endpoint.addresses
    return endpoint.addresses if endpoint.host_network else AddressSet()
