"""The NetworkPolicy stage when other layers exist: Kubernetes NetworkPolicies (and Cilium's).

Without other layers the analyzer never comes here (its own fast path answers). With them,
this tier decides what NetworkPolicies decide: once a policy isolates the direction, the
union of their matching rules is allowed and the rest denied; a direction no policy isolates
is left to the next tier.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.cilium import CiliumIndex
from dtnetpol.engine.explain import Action, Step
from dtnetpol.engine.layers import Counterpart, LayerRule, Stage, Tier, TierDecision
from dtnetpol.engine.ports import PortSet
from dtnetpol.model.cluster import Cluster
from dtnetpol.model.policy import Direction

if TYPE_CHECKING:
    from dtnetpol.engine.analysis import Analyzer, Endpoint, PodClass

LAYER = "NetworkPolicy"


def _as_endpoint(other: Counterpart) -> Endpoint:
    """The piece of the other end as the NetworkPolicy matcher takes it."""
    from dtnetpol.engine.analysis import ExternalEndpoint
    if other.addresses is None:
        return other.endpoint
    end = other.endpoint
    as_namespace = end.as_namespace if isinstance(end, ExternalEndpoint) else None
    return ExternalEndpoint(end.name, other.addresses, as_namespace)


def network_policy_allows(an: Analyzer, subject: PodClass, direction: Direction,
                          other: Counterpart, undecided: PortSet
                          ) -> tuple[bool, PortSet, tuple[Step, ...], tuple[str, ...]]:
    """The Kubernetes NetworkPolicies' share of a side: (isolated, allowed ports of
    ``undecided``, one ALLOW step per allowing rule, notes). Their default deny is left to
    the caller (a Calico default tier drops at its end instead)."""
    state = an._side(subject, direction)
    if not state.policies:
        return False, PortSet.none(), (), ()
    if other.np_allowed is not None:   # given by the caller (the layered connection list)
        given = other.np_allowed.intersection(undecided)
        return True, given, (Step(LAYER, "(given)", Action.ALLOW, given),) if given else (), ()
    endpoint = _as_endpoint(other)
    allowed = PortSet.none()
    steps: list[Step] = []
    for c in an.contributions(subject, direction, endpoint, other.dst_ports):
        ports = c.ports.intersection(undecided)
        if ports:
            allowed = allowed.union(ports)
            steps.append(Step(LAYER, c.rule.policy.ref, Action.ALLOW, ports, c.rule.ref))
    return True, allowed, tuple(steps), an._notes(state, other.endpoint)


def network_policy_key(an: Analyzer, subject: PodClass, direction: Direction,
                       other: PodClass) -> Hashable | None:
    """The indices of the rules of ``subject``'s NetworkPolicies that match ``other``, a pod
    class of the pod network: :func:`network_policy_allows` (and the analyzer's own
    NetworkPolicy-only side) depend on such a peer only through them and the destination
    ports."""
    if not an._owns(other) or not an._owns(subject) or other.host_network:
        return None
    index = other.index
    return tuple(i for i, r in enumerate(an.rules_for(subject, direction))
                 if r.all_peers or index in an.rule_classes(r))


def build_cilium_tier(cluster: Cluster) -> list[Tier]:
    """The NetworkPolicy stage with Cilium's policies, when the cluster has any."""
    return [NetworkPolicyTier(cluster)] if cluster.cilium_policies else []


class NetworkPolicyTier(Tier):
    """Kubernetes NetworkPolicies, and Cilium's policies with them, as one tier.

    Cilium deny rules win over every allow; the allows of both kinds add up; once either
    isolates the direction, the rest is denied (a Cilium policy with
    ``enableDefaultDeny: false`` only adds its allows and denies).
    """

    stage = Stage.NETWORK_POLICY
    includes_network_policies = True

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.cilium = CiliumIndex(cluster) if cluster.cilium_policies else None

    def decide(self, an: Analyzer, subject: PodClass, direction: Direction,
               other: Counterpart, undecided: PortSet) -> TierDecision | None:
        isolated, allowed, steps, notes = network_policy_allows(an, subject, direction,
                                                                other, undecided)
        share = self.cilium.share(an, subject, direction, other, undecided) \
            if self.cilium is not None else None
        if share is None:
            if not isolated:
                return None
            denied = undecided.difference(allowed)
            if denied:
                refs = an._side(subject, direction).refs
                steps = (*steps, Step(LAYER, ", ".join(refs), Action.DENY, denied,
                                      policies=tuple(f"{LAYER} {r}" for r in refs)))
            return TierDecision(allowed, denied, steps, notes)
        denied = share.denied
        out: list[Step] = list(share.deny_steps)
        allowed = PortSet.none()
        for step in (*steps, *share.allow_steps):
            ports = step.ports.difference(denied)
            if ports:
                allowed = allowed.union(ports)
                out.append(replace(step, ports=ports))
        notes = (*notes, *(n for n in share.notes if n not in notes))
        isolating = [f"{LAYER} {r}" for r in an._side(subject, direction).refs] \
            if isolated else []
        isolating += [r for r in share.default_deny if r not in isolating]
        rest = undecided.difference(allowed).difference(denied)
        if isolating and rest:
            first, _, name = isolating[0].partition(" ")
            names = ", ".join([name, *isolating[1:]])
            out.append(Step(first, names, Action.DENY, rest, policies=tuple(isolating)))
            denied = denied.union(rest)
        return TierDecision(allowed, denied, tuple(out), notes)

    def peer_key(self, an: Analyzer, subject: PodClass, direction: Direction,
                 other: PodClass) -> Hashable | None:
        """Which NetworkPolicy rules of ``subject``'s side match ``other`` (the analyzer's
        per-rule class sets): all the NetworkPolicy share reads of a pod peer. Cilium's
        share is not keyed (no sharing with Cilium policies)."""
        return network_policy_key(an, subject, direction, other) \
            if self.cilium is None else None

    def join_key(self, an: Analyzer, subject: PodClass, direction: Direction,
                 other: PodClass) -> Hashable | None:
        """The NetworkPolicies' share is given; Cilium's reads a pod peer through the rules
        of the specs that select ``subject``."""
        return () if self.cilium is None else \
            self.cilium.join_key(an, subject, direction, other)

    def may_allow(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        """Only a Cilium allow rule allows on its own: once NetworkPolicies isolate the side,
        this tier denies whatever neither kind allows."""
        return self.cilium is not None and any(
            s.allows(direction) for _, s in self.cilium.selecting(an, subject))

    def subject_key(self, an: Analyzer, subject: PodClass, direction: Direction
                    ) -> Hashable | None:
        """The NetworkPolicies' share is given (``np_allowed``); Cilium's reads the subject
        through the specs that select it."""
        return () if self.cilium is None else self.cilium.subject_key(an, subject)

    def peer_signature(self, an: Analyzer, other: PodClass, direction: Direction
                       ) -> Hashable | None:
        return () if self.cilium is None else self.cilium.peer_signature(an, other, direction)

    def address_sets(self, an: Analyzer, subject: PodClass,
                     direction: Direction) -> Iterable[AddressSet]:
        out = [r.ip_addresses for r in an.rules_for(subject, direction) if r.has_ip_blocks]
        if self.cilium is not None:
            for p, s in self.cilium.selecting(an, subject):
                for rule in (*s.allows(direction), *s.denies(direction)):
                    out.extend(self.cilium.rule_sets(rule, p))
        return out

    def touches(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        return bool(self.policy_names(an, subject, direction))

    def policy_names(self, an: Analyzer, subject: PodClass,
                     direction: Direction) -> tuple[str, ...]:
        if self.cilium is None:
            return ()
        return tuple(dict.fromkeys(
            p.ref for p, s in self.cilium.selecting(an, subject)
            if s.allows(direction) or s.denies(direction) or s.default_deny(direction)))

    def layer_rules(self, an: Analyzer, subject: PodClass,
                    direction: Direction) -> tuple[LayerRule, ...]:
        return () if self.cilium is None else \
            self.cilium.layer_rules(an, subject, direction)

    def selects(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        if an._side(subject, direction).policies:
            return True
        return self.cilium is not None and any(
            s.default_deny(direction) for _, s in self.cilium.selecting(an, subject))
