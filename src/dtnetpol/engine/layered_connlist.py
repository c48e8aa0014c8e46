"""The connection list of a cluster with policy layers (admin, Cilium, Calico ...).

The NetworkPolicy-only join of :mod:`dtnetpol.engine.connlist` cannot see denies, passes or
tiers, so a cluster with layers is listed pair by pair through the layered verdicts: every
pair of pod classes, and for each class the external address ranges, cut where any tier's
address sets begin or end. The cost is one evaluation per pair of classes; clusters without
layers never come here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dtnetpol.engine.addresses import V4_MAX, V6_MAX, AddressSet, format_range
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.layers import Counterpart, cut
from dtnetpol.engine.ports import PortSet
from dtnetpol.model.cluster import WorkloadRef
from dtnetpol.model.policy import Direction

if TYPE_CHECKING:
    from dtnetpol.engine.analysis import Analyzer
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
            allowed = an.allowed_ports(s, d)
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
    with_v6 = any(s.v6 and s.v6 != AddressSet.everything().v6 for s in sets)
    whole = AddressSet(IntervalSet.single(0, V4_MAX),
                       IntervalSet.single(0, V6_MAX) if with_v6 else IntervalSet())
    for c in classes:
        if c.host_network:
            continue
        for direction in Direction:
            mine = [s for t in layers.tiers for s in t.address_sets(an, c, direction)]
            ranges: list[tuple[int, int, int, PortSet]] = []
            for piece in cut(whole, mine):
                end = ExternalEndpoint("external", piece)
                dst_ports = c.ports if direction is Direction.INGRESS else None
                r = layers.evaluate(an, c, direction, Counterpart(end, piece, dst_ports),
                                    PortSet.all())
                if not r.allowed:
                    continue
                for version, ivs in ((4, piece.v4), (6, piece.v6)):
                    ranges.extend((version, lo, hi, r.allowed) for lo, hi in ivs)
            ranges.sort(key=lambda x: (x[0], x[1]))
            for version, lo, hi, allowed in _merge(ranges):
                text = format_range(version, lo, hi)
                for w in c.workloads:
                    conns.append(Connection(str(w), text, allowed)
                                 if direction is Direction.EGRESS
                                 else Connection(text, str(w), allowed))
    conns.sort(key=lambda x: (x.src, x.dst))
    return conns


def _merge(ranges: list[tuple[int, int, int, PortSet]]) -> list[tuple[int, int, int, PortSet]]:
    """Adjacent ranges with equal ports as one."""
    out: list[tuple[int, int, int, PortSet]] = []
    for r in ranges:
        if out and out[-1][0] == r[0] and out[-1][2] + 1 == r[1] and out[-1][3] == r[3]:
            out[-1] = (r[0], out[-1][1], r[2], r[3])
        else:
            out.append(r)
    return out

