"""The NetworkPolicy stage when other layers exist: Kubernetes NetworkPolicies (and Cilium's).

Without other layers the analyzer never comes here (its own fast path answers). With them,
this tier decides what NetworkPolicies decide: once a policy isolates the direction, the
union of their matching rules is allowed and the rest denied; a direction no policy isolates
is left to the next tier.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.explain import Action, Step
from dtnetpol.engine.layers import Counterpart, Stage, Tier, TierDecision
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
    endpoint = _as_endpoint(other)
    allowed = PortSet.none()
    steps: list[Step] = []
    for c in an.contributions(subject, direction, endpoint, other.dst_ports):
        ports = c.ports.intersection(undecided)
        if ports:
            allowed = allowed.union(ports)
            steps.append(Step(LAYER, c.rule.policy.ref, Action.ALLOW, ports, c.rule.ref))
    return True, allowed, tuple(steps), an._notes(state, other.endpoint)


class NetworkPolicyTier(Tier):
    """Kubernetes NetworkPolicies as one tier of the layered evaluation."""

    stage = Stage.NETWORK_POLICY

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def decide(self, an: Analyzer, subject: PodClass, direction: Direction,
               other: Counterpart, undecided: PortSet) -> TierDecision | None:
        isolated, allowed, steps, notes = network_policy_allows(an, subject, direction,
                                                                other, undecided)
        if not isolated:
            return None
        denied = undecided.difference(allowed)
        if denied:
            refs = ", ".join(an._side(subject, direction).refs)
            steps = (*steps, Step(LAYER, refs, Action.DENY, denied))
        return TierDecision(allowed, denied, steps, notes)

    def address_sets(self, an: Analyzer, subject: PodClass,
                     direction: Direction) -> Iterable[AddressSet]:
        return [r.ip_addresses for r in an.rules_for(subject, direction) if r.has_ip_blocks]

    def selects(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        return bool(an._side(subject, direction).policies)
