"""Calico's tiers as layers of the engine (see ``dtnetpol.engine.layers``).

One :class:`CalicoLayer` per Calico tier, in the TIERED stage at the tier's order (no order:
after every ordered tier). The ``default`` tier evaluates the Kubernetes NetworkPolicies
itself, at order 1000 among its Calico policies, so no separate NetworkPolicy tier runs.
The semantics are those of :mod:`dtnetpol.engine.calico_eval`; this module only translates
the engine's pod classes and address pieces into Calico ends.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.calico_eval import (
    CalicoEnd,
    Context,
    ServiceTarget,
    _knp_key,
    applies,
    decide_tier,
    peer_side_matches,
    peer_signature,
    subject_key,
    tier_order,
)
from dtnetpol.engine.explain import Action as StepAction
from dtnetpol.engine.explain import RuleRef, Step
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.layers import Counterpart, LayerRule, Stage, Tier, TierDecision
from dtnetpol.engine.np_tier import network_policy_allows
from dtnetpol.engine.ports import PortSet
from dtnetpol.model.calico import (
    DEFAULT_TIER,
    Action,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    EntityRule,
)
from dtnetpol.model.cluster import Cluster
from dtnetpol.model.policy import Direction

if TYPE_CHECKING:
    from dtnetpol.engine.analysis import Analyzer, PodClass

_ACTIONS = {Action.ALLOW: StepAction.ALLOW, Action.DENY: StepAction.DENY,
            Action.PASS: StepAction.PASS}


def _context(cluster: Cluster) -> Context:
    """Network sets, and what each Service's ``services`` match names."""
    services: dict[tuple[str, str], ServiceTarget] = {}
    backends: dict[tuple[str, str], list[str]] = {}
    for e in cluster.endpoints:
        backends.setdefault((e.namespace, e.service), []).extend(e.addresses)
    for s in cluster.services:
        key = (s.namespace, s.name)
        numeric = PortSet.none()
        named = []
        for sp in s.ports:
            if isinstance(sp.target_port, int):
                numeric = numeric.union(PortSet.of(sp.protocol,
                                                   IntervalSet.single(sp.target_port)))
            else:
                named.append((sp.target_port, sp.protocol))
        addresses = None
        if s.selector is None and key in backends:
            addresses = AddressSet.of_networks(ipaddress.ip_network(a) for a in backends[key])
        services[key] = ServiceTarget(s.namespace, s.selector, addresses, numeric,
                                      tuple(named))
    for e in cluster.endpoints:
        key = (e.namespace, e.service)
        if key in services and services[key].selector is not None:
            continue
        ports = PortSet.none()
        for sp in e.ports:
            ports = ports.union(PortSet.of(sp.protocol, IntervalSet.single(sp.port)))
        services[key] = ServiceTarget(e.namespace, None, AddressSet.of_networks(
            ipaddress.ip_network(a) for a in backends[key]), ports)
    return Context(cluster.calico.network_sets, services)


def _entity_sets(ctx: Context, e: EntityRule) -> list[AddressSet]:
    out = []
    if e.nets:
        out.append(AddressSet.of_networks(e.nets))
    if e.not_nets:
        out.append(AddressSet.of_networks(e.not_nets))
    if e.selector is not None or e.namespace_selector is not None or e.not_selector is not None:
        out.extend(AddressSet.of_networks(s.nets) for s in ctx.network_sets if s.nets)
    if e.services is not None:
        out.extend(t.addresses for t in ctx.services.values() if t.addresses is not None)
    return out


def _order(order: float | None) -> str:
    if order is None:
        return "order none (last)"
    return f"order {int(order) if order == int(order) else order}"


def describe_entity(policy: CalicoPolicy, ent: EntityRule) -> str:
    """A rule's ``source`` or ``destination`` (the peer's side) in words, for ``explain``."""
    parts = []
    if ent.selector is not None:
        where = f" in namespace {policy.namespace}" if policy.namespace is not None \
            and ent.namespace_selector is None else ""
        parts.append(f"selector {ent.selector}{where}")
    if ent.not_selector is not None:
        parts.append(f"not selector {ent.not_selector}")
    if ent.namespace_selector is not None:
        parts.append(f"namespaces [{ent.namespace_selector}]")
    if ent.nets:
        parts.append("nets " + ", ".join(str(n) for n in ent.nets))
    if ent.not_nets:
        parts.append("not nets " + ", ".join(str(n) for n in ent.not_nets))
    sa = ent.service_accounts
    if sa is not None:
        names = ", ".join(sa.names)
        parts.append("service accounts " + " and ".join(
            x for x in (names, f"[{sa.selector}]" if sa.selector is not None else "") if x))
    if ent.services is not None:
        parts.append(f"service {ent.services.namespace or policy.namespace}/"
                     f"{ent.services.name}")
    return " and ".join(parts) or "everyone"


def describe_ports(rule: CalicoRule) -> str:
    """A rule's protocol and destination ports in words, for ``explain``."""
    dst = rule.destination
    ports = ", ".join(str(p) for p in dst.ports) or "all ports"
    text = f"{rule.protocol} {ports}" if rule.protocol is not None else ports
    if dst.not_ports:
        text += " except " + ", ".join(str(p) for p in dst.not_ports)
    if rule.not_protocol is not None:
        text += f" (not {rule.not_protocol})"
    if rule.has_icmp:
        text += " (ICMP types only)"
    if rule.has_http:
        text += " (L7 http: only its ports are checked)"
    if rule.source.ports:
        text += " (source ports: matches nothing here)"
    return text


#: Actions after which a packet may end up allowed by this tier: Allow, and Pass (the next
#: tier, or the profile's allow when no later tier applies).
_MAY_ALLOW = frozenset((Action.ALLOW, Action.PASS))


class CalicoLayer(Tier):
    """One Calico tier."""

    stage = Stage.TIERED

    def __init__(self, cluster: Cluster, tier: CalicoTier, policies: Sequence[CalicoPolicy],
                 ctx: Context) -> None:
        self.tier = tier
        self.policies = tuple(policies)
        self.ctx = ctx
        self.order = tier.order if tier.order is not None else math.inf
        self.includes_network_policies = tier.name == DEFAULT_TIER
        self.layer = f"Calico {tier.name}"
        self._sets: list[AddressSet] | None = None
        # Namespaced policies apply in their namespace only: each class is tested against
        # those of its namespace and the global ones, not every policy of the tier.
        self._global = [i for i, p in enumerate(self.policies) if p.namespace is None]
        self._namespaced: dict[str, list[int]] = {}
        for i, p in enumerate(self.policies):
            if p.namespace is not None:
                self._namespaced.setdefault(p.namespace, []).append(i)
        self._candidates: dict[str, tuple[int, ...]] = {}
        self._applying: dict[tuple[int, Direction], tuple[int, ...]] = {}
        self._peer_matches: dict[tuple[int, int, Direction, int], bool] = {}
        self._ends: dict[int, CalicoEnd] = {}
        self._allowing = {d: frozenset(i for i, p in enumerate(self.policies)
                                       if any(r.action in _MAY_ALLOW for r in p.rules(d)))
                          for d in Direction}

    def candidates(self, namespace: str) -> tuple[int, ...]:
        """Indices of the policies that may apply to a pod of ``namespace``, in order."""
        hit = self._candidates.get(namespace)
        if hit is None:
            hit = self._candidates[namespace] = tuple(sorted(
                (*self._global, *self._namespaced.get(namespace, ()))))
        return hit

    def applying(self, an: Analyzer, subject: PodClass, direction: Direction
                 ) -> tuple[int, ...]:
        """Indices of the policies that apply to ``subject``'s side."""
        key = (subject.index, direction)
        owned = an._owns(subject)
        hit = self._applying.get(key) if owned else None
        if hit is None:
            me = self._end(an, subject)
            policies = self.policies
            hit = tuple(i for i in self.candidates(subject.namespace)
                        if applies(policies[i], me, direction))
            if owned:
                self._applying[key] = hit
        return hit

    def _end(self, an: Analyzer, cls: PodClass) -> CalicoEnd:
        owned = an._owns(cls)
        hit = self._ends.get(cls.index) if owned else None
        if hit is None:
            accounts = [p.service_account for p in cls.pods]
            hit = CalicoEnd(cls.namespace, cls.labels, an.namespace_labels(cls.namespace),
                            accounts[0] if accounts else None, None, cls.ports)
            if owned:
                self._ends[cls.index] = hit
        return hit

    def _other(self, an: Analyzer, other: Counterpart) -> CalicoEnd:
        from dtnetpol.engine.analysis import PodClass
        end = other.endpoint
        if other.addresses is None and isinstance(end, PodClass):
            base = self._end(an, end)
            return CalicoEnd(base.namespace, base.labels, base.namespace_labels,
                             base.service_account, None, other.dst_ports)
        return CalicoEnd(addresses=other.addresses or AddressSet())

    def decide(self, an: Analyzer, subject: PodClass, direction: Direction,
               other: Counterpart, undecided: PortSet) -> TierDecision | None:
        if subject.host_network:
            return None
        me = self._end(an, subject)
        you = self._other(an, other)
        k8s_steps: list[Step] = []
        k8s_notes: list[str] = []
        kube = None
        if self.includes_network_policies:
            def kube(u: PortSet) -> tuple[bool, PortSet]:
                isolated, allowed, steps, notes = network_policy_allows(
                    an, subject, direction, other, u)
                k8s_steps.extend(steps)
                k8s_notes.extend(notes)
                return isolated, allowed
        mine = [self.policies[i] for i in self.candidates(subject.namespace)]
        r = decide_tier(self.ctx, self.tier, mine, me, direction, you, undecided, kube)
        if r is None:
            return None
        steps: list[Step] = []
        for s in r.steps:
            if s.policy is None and s.action is Action.ALLOW:
                steps.extend(k8s_steps)
                continue
            action = _ACTIONS[s.action]
            if s.policy is None:
                steps.append(Step(self.layer, "(end of tier)", action, s.ports))
                continue
            ref = None
            if s.rule is not None:
                ref = RuleRef(s.policy.ref, direction, s.rule.index, s.rule.location)
            steps.append(Step(self.layer, s.policy.ref, action, s.ports, ref))
        return TierDecision(r.allowed, r.denied, tuple(steps),
                            tuple(dict.fromkeys((*r.notes, *k8s_notes))))

    def subject_key(self, an: Analyzer, subject: PodClass, direction: Direction
                    ) -> Hashable | None:
        if subject.host_network:
            return None
        return subject_key(self.ctx, self.policies, self._end(an, subject), direction,
                           self.applying(an, subject, direction))

    def join_key(self, an: Analyzer, subject: PodClass, direction: Direction,
                 other: PodClass) -> Hashable | None:
        """Which rules of the policies that apply to ``subject`` ``other`` satisfies on the
        other end's side: :meth:`peer_signature` cut to the policies :meth:`subject_key`
        names."""
        if other.host_network or subject.host_network or not an._owns(other):
            return None
        cache = self._peer_matches
        you: CalicoEnd | None = None
        out: list[tuple[int, int]] = []
        for i in self.applying(an, subject, direction):
            p = self.policies[i]
            for j, rule in enumerate(p.rules(direction)):
                key = (i, j, direction, other.index)
                hit = cache.get(key)
                if hit is None:
                    if you is None:
                        you = self._other(an, Counterpart(other, None, None))
                    hit = cache[key] = peer_side_matches(self.ctx, p, rule, direction, you)
                if hit:
                    out.append((i, j))
        return tuple(out)

    def may_allow(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        """An Allow or Pass rule of a policy that applies, an end of tier that allows or
        passes, or (the default tier) an end that passes ports the NetworkPolicies leave
        undecided. A Pass may allow: when no later tier decides, the endpoint's profile
        allows."""
        if subject.host_network:
            return False
        default = self.tier.default_action
        if default in _MAY_ALLOW or (self.includes_network_policies and
                                     default is not Action.DENY):
            return True
        allowing = self._allowing[direction]
        return any(i in allowing for i in self.applying(an, subject, direction))

    def peer_signature(self, an: Analyzer, other: PodClass, direction: Direction
                       ) -> Hashable | None:
        if other.host_network:
            return None
        return peer_signature(self.ctx, self.policies,
                              self._other(an, Counterpart(other, None, None)), direction)

    def address_sets(self, an: Analyzer, subject: PodClass,
                     direction: Direction) -> Iterable[AddressSet]:
        if self._sets is None:
            sets: list[AddressSet] = []
            for p in self.policies:
                for rule in (*p.ingress, *p.egress):
                    sets.extend(_entity_sets(self.ctx, rule.source))
                    sets.extend(_entity_sets(self.ctx, rule.destination))
                    if rule.ip_version is not None:
                        sets.append(AddressSet(v4=AddressSet.everything().v4))
            self._sets = sets
        out = list(self._sets)
        if self.includes_network_policies:
            out.extend(r.ip_addresses for r in an.rules_for(subject, direction)
                       if r.has_ip_blocks)
        return out

    def selects(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        if subject.host_network:
            return False
        if self.applying(an, subject, direction):
            return True
        return self.includes_network_policies and bool(an._side(subject, direction).policies)

    def policy_names(self, an: Analyzer, subject: PodClass,
                     direction: Direction) -> tuple[str, ...]:
        if subject.host_network:
            return ()
        return tuple(f"{self.layer} {self.policies[i].ref}"
                     for i in self.applying(an, subject, direction))

    def layer_rules(self, an: Analyzer, subject: PodClass,
                    direction: Direction) -> tuple[LayerRule, ...]:
        """The tier's policies that apply to ``subject``, by order (the Kubernetes
        NetworkPolicies at 1000 in the default tier), their rules as written, then the
        tier's end: the first rule that matches decides."""
        if subject.host_network:
            return ()
        me = self._end(an, subject)
        mine = sorted((p for p in self.policies if applies(p, me, direction)),
                      key=lambda p: p.sort_key)
        knp = self.includes_network_policies and bool(an._side(subject, direction).policies)
        if not mine and not knp:
            return ()
        out: list[LayerRule] = []
        knp_row = LayerRule(self.layer, "Kubernetes NetworkPolicies", "order 1000", "Allow",
                            None, ("as their rules say (the NetworkPolicy table)",),
                            ("their ports",))
        for p in mine:
            if knp and p.sort_key > _knp_key():
                out.append(knp_row)
                knp = False
            if not p.rules(direction):
                out.append(LayerRule(self.layer, p.ref, _order(p.order), "-", None,
                                     ("no rules: the tier's end decides",), ("-",)))
            for rule in p.rules(direction):
                ent = rule.source if direction is Direction.INGRESS else rule.destination
                out.append(LayerRule(
                    self.layer, p.ref, _order(p.order), rule.action.value,
                    RuleRef(f"{self.layer} {p.ref}", direction, rule.index, rule.location),
                    (describe_entity(p, ent),), (describe_ports(rule),)))
        if knp:
            out.append(knp_row)
        out.append(LayerRule(self.layer, "(end of tier)", _order(self.tier.order),
                             self.tier.default_action.value, None,
                             ("whatever no rule of the tier decided",), ("all ports",)))
        return tuple(out)


def build_calico_tiers(cluster: Cluster) -> list[Tier]:
    """One layer per Calico tier; none when the input has no enforced Calico policy."""
    res = cluster.calico
    policies = [p for p in res.policies if not p.host_endpoint_only]
    if not policies:
        return []
    ctx = _context(cluster)
    by_tier: dict[str, list[CalicoPolicy]] = {}
    for p in policies:
        by_tier.setdefault(p.tier, []).append(p)
    return [CalicoLayer(cluster, t, by_tier.get(t.name, ()), ctx) for t in tier_order(res)]
