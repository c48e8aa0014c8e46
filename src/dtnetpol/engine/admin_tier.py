"""AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy as tiers.

The admin tier runs before NetworkPolicies, the baseline tier after them. In each, the
policies that select the pod are taken by priority (lower first; equal priorities by name,
since the API leaves their order to the implementation) and their rules in written order; the
first rule that matches the other end and a port decides that port. Pass hands the port to the
next tier; a port no rule matches goes on as well.

Peers: ``namespaces`` and ``pods`` match pods of the pod network (never host-network pods);
``nodes`` matches the addresses of the selected nodes (and host-network pods on them);
``networks`` matches addresses, pod IPs included (the API says cluster traffic is checked
against them too: a pod whose IPs are unknown is taken to match only a network that covers
all of IPv4); ``domainNames`` matches a host by name, and only conditionally.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.explain import Action, RuleRef, Step
from dtnetpol.engine.layers import Counterpart, LayerRule, Stage, Tier, TierDecision
from dtnetpol.engine.ports import PortSet, PortSpec
from dtnetpol.engine.selectors import compile_selector
from dtnetpol.model.admin import AdminAction, AdminPeer, AdminPeerKind, AdminPolicy, AdminRule
from dtnetpol.model.admin import AdminTier as TierName
from dtnetpol.model.cluster import Cluster
from dtnetpol.model.policy import Direction, LabelSelector

if TYPE_CHECKING:
    from dtnetpol.engine.analysis import Analyzer, PodClass

_ACTIONS = {AdminAction.ALLOW: Action.ALLOW, AdminAction.DENY: Action.DENY,
            AdminAction.PASS: Action.PASS}


@dataclass(frozen=True, eq=False)
class _Compiled:
    policy: AdminPolicy
    rule: AdminRule
    ref: RuleRef
    ports: PortSpec


def build_admin_tiers(cluster: Cluster) -> list[Tier]:
    """The admin and baseline tiers of ``cluster`` (none when it has no such policy)."""
    out: list[Tier] = []
    for name, stage in ((TierName.ADMIN, Stage.ADMIN), (TierName.BASELINE, Stage.BASELINE)):
        pols = [p for p in cluster.admin_policies if p.tier is name]
        if pols:
            out.append(AdminPolicyTier(stage, pols, cluster))
    return out


def domain_matches(pattern: str, host: str) -> bool:
    """``*.example.com`` matches one or more labels before ``example.com``; else exact
    (case-insensitive, a trailing dot ignored)."""
    pattern = pattern.lower().rstrip(".")
    host = host.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return fnmatch.fnmatchcase(host, pattern) if "*" in pattern else host == pattern


def _selector(sel: LabelSelector | None, every: str, some: str) -> str:
    return every if sel is None or sel.is_empty else \
        f"{some} [{str(sel).replace(',', ', ')}]"


def describe_peer(peer: AdminPeer) -> str:
    """An admin peer in words, for ``explain``."""
    kind = peer.kind
    if kind is AdminPeerKind.NAMESPACES:
        return "pods in " + _selector(peer.namespace_selector, "all namespaces", "namespaces")
    if kind is AdminPeerKind.PODS:
        return (_selector(peer.pod_selector, "all pods", "pods") + " in "
                + _selector(peer.namespace_selector, "all namespaces", "namespaces"))
    if kind is AdminPeerKind.NODES:
        return _selector(peer.node_selector, "all nodes", "nodes") + \
            " (and host-network pods on them)"
    if kind is AdminPeerKind.NETWORKS:
        return "addresses " + ", ".join(str(n) for n in peer.networks)
    return ("hosts " + ", ".join(peer.domain_names)
            + " (by DNS name: a conditional allow)")


class AdminPolicyTier(Tier):
    """The Admin or the Baseline tier: first matching rule wins, by priority."""

    def __init__(self, stage: Stage, policies: Sequence[AdminPolicy], cluster: Cluster) -> None:
        self.stage = stage
        self.policies = tuple(sorted(policies, key=lambda p: (p.priority, p.kind, p.name)))
        self._rules: dict[tuple[int, Direction], tuple[_Compiled, ...]] = {}
        for p in self.policies:
            for d in Direction:
                self._rules[(id(p), d)] = tuple(
                    _Compiled(p, r, RuleRef(p.ref, d, r.index, r.location),
                              PortSpec.compile(r.ports)) for r in p.rules(d))
        self._order = {id(p): i for i, p in enumerate(self.policies)}
        self._all_rules = {d: tuple(c for p in self.policies for c in self._rules[(id(p), d)])
                           for d in Direction}
        self._selecting: dict[int, tuple[AdminPolicy, ...]] = {}
        self._indexed: Analyzer | None = None   # whose classes ``_selecting`` holds
        self._allowing = {d: frozenset(id(p) for p in self.policies
                                       if any(r.action is AdminAction.ALLOW
                                              for r in p.rules(d)))
                          for d in Direction}
        self._node_addresses: dict[object, AddressSet] = {}
        self._pod_matches: dict[tuple[int, int], bool] = {}
        self.cluster = cluster

    # ------------------------------------------------------------------ subjects
    def selecting(self, an: Analyzer, subject: PodClass) -> tuple[AdminPolicy, ...]:
        if an._owns(subject):
            if self._indexed is not an:
                self._select_all(an)
            return self._selecting[subject.index]
        return tuple(p for p in self.policies if not subject.host_network and
                     an.namespace_matches(p.subject.namespace_selector, subject.namespace)
                     and (p.subject.pod_selector is None or
                          compile_selector(p.subject.pod_selector)(subject.labels)))

    def _select_all(self, an: Analyzer) -> None:
        """Which policies select each class, for all classes at once: each policy's subject
        namespaces through the analyzer's namespace label index, then its pod selector on
        their classes only (not every policy tested against every class)."""
        found: dict[int, list[AdminPolicy]] = {c.index: [] for c in an.classes}
        namespaces = an._indexes()[0]
        for p in self.policies:   # in priority order, as ``decide`` takes them
            pods = p.subject.pod_selector
            match = compile_selector(pods) if pods is not None else None
            for ns in namespaces.select(p.subject.namespace_selector):
                for c in an.classes_in(ns):
                    if not c.host_network and (match is None or match(c.labels)):
                        found[c.index].append(p)
        self._selecting = {i: tuple(ps) for i, ps in found.items()}
        self._indexed = an

    def selects(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        return any(p.rules(direction) for p in self.selecting(an, subject))

    def touches(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        return self.selects(an, subject, direction)

    def policy_names(self, an: Analyzer, subject: PodClass,
                     direction: Direction) -> tuple[str, ...]:
        return tuple(p.ref if p.kind == "BaselineAdminNetworkPolicy" else
                     f"{p.ref} (priority {p.priority})" for p in self.selecting(an, subject)
                     if p.rules(direction))

    def layer_rules(self, an: Analyzer, subject: PodClass,
                    direction: Direction) -> tuple[LayerRule, ...]:
        """Every rule of the policies selecting ``subject``, by priority then as written:
        the first that matches a connection decides it."""
        out = []
        for p in self.selecting(an, subject):
            precedence = "-" if p.kind == "BaselineAdminNetworkPolicy" else \
                f"priority {p.priority}"
            for c in self._rules[(id(p), direction)]:
                r = c.rule
                out.append(LayerRule(
                    p.short_kind, p.name, precedence, r.action.value, c.ref,
                    tuple(describe_peer(x) for x in r.peers) or ("nobody",),
                    tuple(str(pp) for pp in r.ports) or ("all ports",), r.name))
        return tuple(out)

    # ------------------------------------------------------------------ peers
    def _nodes(self, peer: AdminPeer) -> AddressSet:
        """Addresses of the nodes ``peer.node_selector`` selects."""
        hit = self._node_addresses.get(peer)
        if hit is None:
            import ipaddress
            match = compile_selector(peer.node_selector) if peer.node_selector else None
            nets = [ipaddress.ip_network(a) for n in self.cluster.nodes
                    if match is None or match(n.labels) for a in n.addresses]
            hit = self._node_addresses[peer] = AddressSet.of_networks(nets)
        return hit

    def _peer_matches(self, an: Analyzer, peer: AdminPeer, other: Counterpart) -> bool:
        from dtnetpol.engine.analysis import PodClass
        end = other.endpoint
        kind = peer.kind
        if kind in (AdminPeerKind.NAMESPACES, AdminPeerKind.PODS):
            if not other.is_pod or not isinstance(end, PodClass):
                return False
            assert peer.namespace_selector is not None
            if not an.namespace_matches(peer.namespace_selector, end.namespace):
                return False
            return peer.pod_selector is None or compile_selector(peer.pod_selector)(end.labels)
        if kind is AdminPeerKind.NODES:
            if other.addresses is not None:
                nodes = self._nodes(peer)
                return bool(nodes) and not other.addresses.difference(nodes)
            return False
        if kind is AdminPeerKind.NETWORKS:
            nets = AddressSet.of_networks(peer.networks)
            if other.addresses is not None:
                return not other.addresses.difference(nets)
            assert isinstance(end, PodClass)
            known = end.addresses
            if known is not None:
                return not known.difference(nets)
            return not AddressSet.everything().v4.difference(nets.v4)
        # domainNames: a host known by name only
        return isinstance(end, PodClass) is False and any(
            domain_matches(d, end.name) for d in peer.domain_names)

    def peer_key(self, an: Analyzer, subject: PodClass, direction: Direction,
                 other: PodClass) -> Hashable | None:
        """Which rules of the policies selecting ``subject`` match ``other``: ``decide``
        looks at a pod peer only through that (and the destination ports)."""
        if not an._owns(other) or other.host_network:
            return None
        piece = Counterpart(other, None, None)   # peer matching never reads dst_ports
        cache = self._pod_matches
        out: list[bool] = []
        for p in self.selecting(an, subject):
            for c in self._rules[(id(p), direction)]:
                key = (id(c), other.index)
                hit = cache.get(key)
                if hit is None:
                    hit = cache[key] = any(self._peer_matches(an, peer, piece)
                                           for peer in c.rule.peers)
                out.append(hit)
        return tuple(out)

    def join_key(self, an: Analyzer, subject: PodClass, direction: Direction,
                 other: PodClass) -> Hashable | None:
        """Which rules of the policies that select ``subject`` match ``other``: the rules
        ``decide`` reads, fixed by :meth:`subject_key` (policies without rules in
        ``direction`` add nothing to the key)."""
        return self.peer_key(an, subject, direction, other)

    def may_allow(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        """Whether a policy that selects ``subject`` has an Allow rule in ``direction``."""
        allowing = self._allowing[direction]
        return any(id(p) in allowing for p in self.selecting(an, subject))

    def subject_key(self, an: Analyzer, subject: PodClass, direction: Direction
                    ) -> Hashable | None:
        """The policies that select ``subject``: ``decide`` reads the subject through them."""
        order = self._order
        return tuple(order[id(p)] for p in self.selecting(an, subject) if p.rules(direction))

    def peer_signature(self, an: Analyzer, other: PodClass, direction: Direction
                       ) -> Hashable | None:
        """Which rules of ``direction``, of every policy of the tier, match ``other``."""
        if not an._owns(other) or other.host_network:
            return None
        piece = Counterpart(other, None, None)
        cache = self._pod_matches
        out: list[int] = []
        for i, c in enumerate(self._all_rules[direction]):
            key = (id(c), other.index)
            hit = cache.get(key)
            if hit is None:
                hit = cache[key] = any(self._peer_matches(an, peer, piece)
                                       for peer in c.rule.peers)
            if hit:
                out.append(i)
        return tuple(out)

    def address_sets(self, an: Analyzer, subject: PodClass,
                     direction: Direction) -> Iterable[AddressSet]:
        for p in self.selecting(an, subject):
            for c in self._rules[(id(p), direction)]:
                for peer in c.rule.peers:
                    if peer.kind is AdminPeerKind.NETWORKS:
                        yield AddressSet.of_networks(peer.networks)
                    elif peer.kind is AdminPeerKind.NODES:
                        yield self._nodes(peer)

    # ------------------------------------------------------------------ decide
    def decide(self, an: Analyzer, subject: PodClass, direction: Direction,
               other: Counterpart, undecided: PortSet) -> TierDecision | None:
        pols = [p for p in self.selecting(an, subject) if p.rules(direction)]
        if not pols:
            return None   # a policy without rules in this direction does not affect it
        remaining = undecided
        allowed = PortSet.none()
        denied = PortSet.none()
        steps: list[Step] = []
        for p in pols:
            for c in self._rules[(id(p), direction)]:
                if not remaining:
                    break
                if not any(self._peer_matches(an, peer, other) for peer in c.rule.peers):
                    continue
                ports = c.ports.resolve(other.dst_ports if other.is_pod else None)
                ports = ports.intersection(remaining)
                if not ports:
                    continue
                remaining = remaining.difference(ports)
                action = _ACTIONS[c.rule.action]
                conditional = any(peer.kind is AdminPeerKind.DOMAIN_NAMES
                                  for peer in c.rule.peers
                                  if self._peer_matches(an, peer, other))
                if action is Action.ALLOW:
                    allowed = allowed.union(ports)
                elif action is Action.DENY:
                    denied = denied.union(ports)
                label, _, name = p.ref.partition(" ")
                steps.append(Step(label, name, action, ports, c.ref, conditional))
        return TierDecision(allowed, denied, tuple(steps))
