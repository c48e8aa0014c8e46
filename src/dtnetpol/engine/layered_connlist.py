"""The connection list of a cluster with policy layers (admin, Cilium, Calico ...).

The NetworkPolicy-only join of :mod:`dtnetpol.engine.connlist` cannot see denies, passes or
tiers, so a cluster with layers is listed through the layered verdicts: every pair of pod
classes, and for each class the external address ranges, cut where any tier's address sets
begin or end. Peers that every tier's rules match alike share one evaluation
(:meth:`~dtnetpol.engine.layers.Tier.peer_key`), so the evaluations follow the distinct rule
matches rather than the pairs; the pairs themselves are still visited, one key each. Clusters
without layers never come here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dtnetpol.engine.addresses import V4_MAX, V6_MAX, AddressSet
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.layers import Counterpart, cut
from dtnetpol.engine.ports import PortSet
from dtnetpol.model.cluster import WorkloadRef
from dtnetpol.model.policy import Direction

if TYPE_CHECKING:
    from dtnetpol.engine.analysis import Analyzer, PodClass
    from dtnetpol.engine.connlist import Connection


def layered_connection_list(an: Analyzer) -> list[Connection]:
    """All allowed connections at workload granularity, sorted by (src, dst)."""
    return assemble(an, pod_pairs(an))


def pod_pairs(an: Analyzer) -> dict[tuple[WorkloadRef, WorkloadRef], PortSet]:
    """Workload pairs and their ports, pod class by pod class.

    A side towards a pod class of the pod network depends on it only through each tier's
    :meth:`~dtnetpol.engine.layers.Tier.peer_key` (which of the tier's rules match it) and
    its container ports, so peers with equal keys share one evaluation; a tier that gives
    no key (or a host-network peer) is evaluated pair by pair."""
    classes = an.classes
    cache: dict[tuple[object, ...], PortSet] = {}

    def side(subject: PodClass, direction: Direction, other: PodClass) -> PortSet:
        key = _share_key(an, subject, direction, other)
        if key is None:
            return _side(an, subject, direction, other)
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = _side(an, subject, direction, other)
        return hit

    pairs: dict[tuple[WorkloadRef, WorkloadRef], PortSet] = {}
    for s in classes:
        for d in classes:
            allowed = side(s, Direction.EGRESS, d)
            if allowed:
                allowed = allowed.intersection(side(d, Direction.INGRESS, s))
            if not allowed:
                continue
            for ws in s.workloads:
                for wd in d.workloads:
                    if ws != wd:
                        prev = pairs.get((ws, wd))
                        pairs[(ws, wd)] = allowed if prev is None else prev.union(allowed)
    return pairs


def _share_key(an: Analyzer, subject: PodClass, direction: Direction, other: PodClass
               ) -> tuple[object, ...] | None:
    """What :func:`_side` reads of ``other``, or None when that cannot be told."""
    layers = an.layers
    assert layers is not None
    if subject.host_network:
        return (subject.index, direction)   # everything, whoever the other is
    if other.host_network or not an._owns(other) or not an._owns(subject):
        return None
    keys: list[object] = []
    if layers.touches(an, subject, direction):
        for t in layers.tiers:
            k = t.peer_key(an, subject, direction, other)
            if k is None:
                return None
            keys.append(k)
    else:   # the analyzer's NetworkPolicy-only side
        from dtnetpol.engine.np_tier import network_policy_key
        k = network_policy_key(an, subject, direction, other)
        if k is None:
            return None
        keys.append(k)
    ports = other.ports if direction is Direction.EGRESS else None
    return (subject.index, direction, ports, tuple(keys))


def assemble(an: Analyzer, pairs: dict[tuple[WorkloadRef, WorkloadRef], PortSet]
             ) -> list[Connection]:
    """The list from the workload pairs, with each class's external address ranges."""
    from dtnetpol.engine.analysis import ExternalEndpoint
    from dtnetpol.engine.connlist import Connection
    layers = an.layers
    assert layers is not None
    classes = an.classes
    conns = [Connection(str(a), str(b), p) for (a, b), p in pairs.items()]
    sets = [s for c in classes if not c.host_network for d in Direction
            for t in layers.tiers for s in t.address_sets(an, c, d)]
    with_v6 = any(s.v6 for s in sets)   # as the plain list: v6 only when a rule names it
    whole = AddressSet(IntervalSet.single(0, V4_MAX),
                       IntervalSet.single(0, V6_MAX) if with_v6 else IntervalSet())
    # External ranges per workload: the pieces of all its classes, swept together.
    from dtnetpol.engine.connlist import _ranges
    everything = [(4, IntervalSet.single(0, V4_MAX), PortSet.all())]
    if with_v6:
        everything.append((6, IntervalSet.single(0, V6_MAX), PortSet.all()))
    outgoing: dict[WorkloadRef, list[tuple[int, IntervalSet, PortSet]]] = {}
    incoming: dict[WorkloadRef, list[tuple[int, IntervalSet, PortSet]]] = {}
    for c in classes:
        for direction in Direction:
            found: list[tuple[int, IntervalSet, PortSet]] = []
            if c.host_network:   # not governed: everything, both ways
                found = list(everything)
            else:
                mine = [s for t in layers.tiers for s in t.address_sets(an, c, direction)]
                for piece in cut(whole, mine):
                    end = ExternalEndpoint("external", piece)
                    dst_ports = c.ports if direction is Direction.INGRESS else None
                    r = layers.evaluate(an, c, direction, Counterpart(end, piece, dst_ports),
                                        PortSet.all())
                    if r.allowed:
                        found.extend((v, ivs, r.allowed)
                                     for v, ivs in ((4, piece.v4), (6, piece.v6)) if ivs)
            target = outgoing if direction is Direction.EGRESS else incoming
            for w in c.workloads:
                target.setdefault(w, []).extend(found)
    for w, found in outgoing.items():
        conns.extend(Connection(str(w), text, p) for text, p in _ranges(found))
    for w, found in incoming.items():
        conns.extend(Connection(text, str(w), p) for text, p in _ranges(found))
    conns.sort(key=lambda x: (x.src, x.dst))
    return conns


def _side(an: Analyzer, subject: PodClass, direction: Direction, other: PodClass) -> PortSet:
    """Ports ``subject``'s side allows towards ``other`` for **every** address of a
    host-network ``other`` (the union would list ports some addresses do not get), as
    :func:`~dtnetpol.engine.connlist.covering_ports` does for NetworkPolicies."""
    from dtnetpol.engine.analysis import _addresses_of
    layers = an.layers
    assert layers is not None
    if subject.host_network:
        return PortSet.all()
    dst_ports = other.ports if direction is Direction.EGRESS else subject.ports
    if not other.host_network:
        return an.side_verdict(subject, direction, other, dst_ports, None, None)[1]
    whole = _addresses_of(other) or AddressSet.everything()
    sets = [s for t in layers.tiers for s in t.address_sets(an, subject, direction)]
    out: PortSet | None = None
    for piece in cut(whole, sets):
        r = layers.evaluate(an, subject, direction, Counterpart(other, piece, dst_ports),
                            PortSet.all())
        out = r.allowed if out is None else out.intersection(r.allowed)
    return out if out is not None else PortSet.none()
