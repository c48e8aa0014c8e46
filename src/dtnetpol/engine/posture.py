"""Per workload: which policies select it, whether each direction is isolated, what it allows."""

from __future__ import annotations

from dataclasses import dataclass

from dtnetpol.engine.analysis import HOST_NETWORK_NOTE, Analyzer, PodClass
from dtnetpol.engine.explain import RuleRef
from dtnetpol.engine.layers import LayerRule
from dtnetpol.model.policy import Direction, Peer


@dataclass(frozen=True)
class RuleView:
    ref: RuleRef
    peers: tuple[str, ...]     # in words; ("everyone",) for an empty peer list
    ports: tuple[str, ...]     # in words; ("all ports",) for an empty ports list


@dataclass(frozen=True)
class DirectionPosture:
    """One direction of a workload: its NetworkPolicies (``isolated``, ``policies``,
    ``rules``) and the rules of every other layer that selects it (``layers``: admin,
    Calico tiers, Cilium, baseline, in the order the engine runs them)."""

    direction: Direction
    isolated: bool
    policies: tuple[str, ...]
    rules: tuple[RuleView, ...]
    layers: tuple[LayerRule, ...] = ()


@dataclass(frozen=True)
class WorkloadPosture:
    workload: str
    namespace: str
    labels: tuple[tuple[str, str], ...]
    host_network: bool
    selected_by: tuple[str, ...]
    ingress: DirectionPosture
    egress: DirectionPosture
    notes: tuple[str, ...]


def _peer_text(peer: Peer, namespace: str) -> str:
    return peer.describe(namespace)


def workload_posture(an: Analyzer, cls: PodClass) -> list[WorkloadPosture]:
    """One posture per workload of the class (they share it: same labels, namespace, ports)."""
    directions = {}
    for d in Direction:
        pols = an.isolating_policies(cls, d)
        rules = tuple(
            RuleView(r.ref,
                     ("everyone (pods and all addresses)",) if r.all_peers else
                     tuple(_peer_text(p, r.policy.namespace) for p in r.rule.peers),
                     tuple(str(p) for p in r.rule.ports) or ("all ports",))
            for r in an.rules_for(cls, d))
        layered: tuple[LayerRule, ...] = ()
        if an.layers is not None:
            layered = tuple(r for t in an.layers.tiers for r in t.layer_rules(an, cls, d))
        directions[d] = DirectionPosture(d, bool(pols) and not cls.host_network,
                                         tuple(p.ref for p in pols), rules, layered)
    notes: tuple[str, ...] = ()
    if cls.host_network:
        notes = (HOST_NETWORK_NOTE, *(an.layers.host_notes if an.layers is not None else ()))
    if an.layers is not None and not cls.host_network:
        for d in Direction:
            names = [n for t in an.layers.tiers for n in t.policy_names(an, cls, d)]
            if names:
                notes += (f"{d.value} is also decided by policy layers: {', '.join(names)} "
                          "(can-reach shows which layer and rule decides a connection)",)
    selected = tuple(p.ref for p in an.policies_selecting(cls))
    return [WorkloadPosture(str(w), cls.namespace, tuple(sorted(cls.labels.items())),
                            cls.host_network, selected, directions[Direction.INGRESS],
                            directions[Direction.EGRESS], notes)
            for w in cls.workloads]
