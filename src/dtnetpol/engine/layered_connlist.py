"""The connection list of a cluster with policy layers (admin, Cilium, Calico ...).

The NetworkPolicy-only join of :mod:`dtnetpol.engine.connlist` cannot see denies, passes or
tiers, so a cluster with layers is listed pair by pair through the layered verdicts: every
pair of pod classes, and for each class the external address ranges, cut where any tier's
address sets begin or end. The cost is one evaluation per pair of classes; clusters without
layers never come here.
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
    from dtnetpol.engine.analysis import ExternalEndpoint
    from dtnetpol.engine.connlist import Connection
    layers = an.layers
    assert layers is not None
    classes = an.classes
    pairs: dict[tuple[WorkloadRef, WorkloadRef], PortSet] = {}
    for s in classes:
        for d in classes:
            allowed = _side(an, s, Direction.EGRESS, d)
            if allowed:
                allowed = allowed.intersection(_side(an, d, Direction.INGRESS, s))
            if not allowed:
                continue
            for ws in s.workloads:
                for wd in d.workloads:
                    if ws != wd:
                        prev = pairs.get((ws, wd))
                        pairs[(ws, wd)] = allowed if prev is None else prev.union(allowed)
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
