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
    """Workload pairs and their ports: through the NetworkPolicy join where every tier gives
    sharing keys (:class:`_Join`), else pod class by pod class (:class:`_Pairwise`)."""
    pairwise = _Pairwise(an)
    join = _Join.build(an)
    found: dict[tuple[int, int], PortSet] = {}
    if join is None:
        for s in an.classes:
            for d in an.classes:
                allowed = pairwise.pair(s, d)
                if allowed:
                    found[(s.index, d.index)] = allowed
    else:
        join.run(pairwise, found)
    classes = an.classes
    pairs: dict[tuple[WorkloadRef, WorkloadRef], PortSet] = {}
    for (i, j), allowed in found.items():
        for ws in classes[i].workloads:
            for wd in classes[j].workloads:
                if ws != wd:
                    prev = pairs.get((ws, wd))
                    pairs[(ws, wd)] = allowed if prev is None else prev.union(allowed)
    return pairs


class _Pairwise:
    """One pair of pod classes at a time, both sides through the tiers.

    A side towards a pod class of the pod network depends on it only through each tier's
    :meth:`~dtnetpol.engine.layers.Tier.peer_key` (which of the tier's rules match it) and
    its container ports, so peers with equal keys share one evaluation; a tier that gives
    no key (or a host-network peer) is evaluated pair by pair."""

    def __init__(self, an: Analyzer) -> None:
        self.an = an
        self.cache: dict[tuple[object, ...], PortSet] = {}

    def side(self, subject: PodClass, direction: Direction, other: PodClass) -> PortSet:
        an = self.an
        key = _share_key(an, subject, direction, other)
        if key is None and other.host_network and not subject.host_network and \
                an._owns(other) and an._owns(subject):
            full = _full_key(an, subject, direction)   # a host-network peer: by subject
            key = None if full is None else ("host", full, other.index)
        if key is None:
            return _side(an, subject, direction, other)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = _side(an, subject, direction, other)
        return hit

    def pair(self, s: PodClass, d: PodClass) -> PortSet:
        allowed = self.side(s, Direction.EGRESS, d)
        if allowed:
            allowed = allowed.intersection(self.side(d, Direction.INGRESS, s))
        return allowed


class _Join:
    """The layered pairs through the NetworkPolicy join, so that the cost follows the
    connections rather than the pairs of classes.

    Every tier decides port by port, so a side is a function of the NetworkPolicies' share X
    (what the plain join gives for the pair: their allowed ports when they isolate the side,
    every port when not): ``F0 ∪ (F1 ∩ X)``, F0 being what the tiers allow with X = nothing
    and F1 with X = everything. F0 is empty unless the NetworkPolicies isolate the side and
    a tier may allow on its own (:meth:`~dtnetpol.engine.layers.Tier.may_allow`: an allow
    rule, an end of tier that lets ports go on). Then:

    - a pair whose two sides have F0 empty allows ``F1ₑ ∩ F1ᵢ ∩ Xₑ ∩ Xᵢ``: only pairs the
      NetworkPolicy join finds cost anything, one F1 per side each;
    - a side that may allow on its own is decided pair by pair (:class:`_Pairwise`) towards
      every class, as are pairs with a host-network class.

    F1 reads the subject only through the tiers'
    :meth:`~dtnetpol.engine.layers.Tier.subject_key` (and its isolation and ports) and the
    peer through :meth:`~dtnetpol.engine.layers.Tier.join_key` (which rules of the subject's
    policies match it) and the destination ports: it is evaluated once per distinct
    (subject key, join key, ports), and those keys cost what the subject's own policies
    cost, not what the whole tier's do.
    """

    def __init__(self, an: Analyzer, keys: dict[Direction, list[int]],
                 touched: dict[Direction, list[bool]]) -> None:
        self.an = an
        self.keys = keys
        self.touched = touched
        canonical: dict[object, int] = {}
        self.port_ids = [canonical.setdefault(c.ports, len(canonical)) for c in an.classes]
        self.f1s: dict[tuple[object, ...], PortSet] = {}

    @classmethod
    def build(cls, an: Analyzer) -> _Join | None:
        layers = an.layers
        assert layers is not None
        keys: dict[Direction, list[int]] = {}
        touched: dict[Direction, list[bool]] = {}
        for direction in Direction:
            key_ids: dict[object, int] = {}
            ks: list[int] = []
            ts: list[bool] = []
            for c in an.classes:
                if c.host_network:
                    ks.append(-1)
                    ts.append(False)
                    continue
                key = _subject_key(an, c, direction)
                if key is None:
                    return None
                ks.append(key_ids.setdefault(key, len(key_ids)))
                ts.append(layers.touches(an, c, direction))
            keys[direction] = ks
            touched[direction] = ts
        return cls(an, keys, touched)

    def alone(self, subject: PodClass, direction: Direction) -> bool:
        """Whether ``subject``'s side may allow what its NetworkPolicies do not (F0 may be
        more than nothing): they isolate it and a tier may allow on its own."""
        an = self.an
        layers = an.layers
        assert layers is not None
        return self.touched[direction][subject.index] and \
            an.is_isolated(subject, direction) and \
            any(t.may_allow(an, subject, direction) for t in layers.tiers)

    def f1(self, subject: PodClass, direction: Direction, other: PodClass) -> PortSet:
        """What ``subject``'s side allows towards ``other`` (both of the pod network) when
        the NetworkPolicies' share is every port."""
        everything = PortSet.all()
        i = subject.index
        if not self.touched[direction][i]:
            return everything   # the NetworkPolicies alone: X
        an = self.an
        layers = an.layers
        assert layers is not None
        egress = direction is Direction.EGRESS
        parts: list[object] = [direction, self.keys[direction][i],
                               self.port_ids[other.index if egress else i]]
        for t in layers.tiers:
            k = t.join_key(an, subject, direction, other)
            if k is None:
                parts = []
                break
            parts.append(k)
        key = tuple(parts) if parts else None
        hit = self.f1s.get(key) if key is not None else None
        if hit is None:
            dst_ports = other.ports if egress else subject.ports
            hit = layers.evaluate(an, subject, direction,
                                  Counterpart(other, None, dst_ports, everything),
                                  everything).allowed
            if key is not None:
                self.f1s[key] = hit
        return hit

    def run(self, pairwise: _Pairwise, found: dict[tuple[int, int], PortSet]) -> None:
        from dtnetpol.engine.connlist import class_pairs
        an = self.an
        classes = an.classes
        eg, ing = Direction.EGRESS, Direction.INGRESS
        pods = [c for c in classes if not c.host_network]
        host = [c for c in classes if c.host_network]
        alone_e = {c.index for c in pods if self.alone(c, eg)}
        alone_i = {c.index for c in pods if self.alone(c, ing)}
        alone_targets = [c for c in pods if c.index in alone_i]
        for s in pods:
            for d in pods if s.index in alone_e else alone_targets:
                allowed = pairwise.pair(s, d)
                if allowed:
                    found[(s.index, d.index)] = allowed
        for h in host:
            for c in classes:
                for s, d in ((h, c), (c, h)):
                    if (s.index, d.index) not in found:
                        allowed = pairwise.pair(s, d)
                        if allowed:
                            found[(s.index, d.index)] = allowed
        f1 = self.f1
        masks: dict[tuple[int, int], PortSet] = {}
        meets: dict[tuple[int, int], PortSet] = {}
        alive: list[PortSet] = []   # keeps the ids of ``meets`` keys from being reused

        def add(s: PodClass, d: PodClass, x: PortSet) -> None:
            i, j = s.index, d.index
            if i in alone_e or j in alone_i:
                return   # decided pair by pair above
            fe, fi = f1(s, eg, d), f1(d, ing, s)
            key = (id(fe), id(fi))
            mask = masks.get(key)
            if mask is None:
                mask = masks[key] = fe.intersection(fi)
                alive.extend((fe, fi, mask))
            key = (id(mask), id(x))
            hit = meets.get(key)
            if hit is None:
                hit = meets[key] = mask.intersection(x)
                alive.append(x)
            if hit:
                found[(i, j)] = hit

        class_pairs(an, add, pod_network_only=True)


def _subject_key(an: Analyzer, subject: PodClass, direction: Direction
                 ) -> tuple[object, ...] | None:
    layers = an.layers
    assert layers is not None
    if not layers.touches(an, subject, direction):
        return ("plain",)
    keys: list[object] = []
    for t in layers.tiers:
        k = t.subject_key(an, subject, direction)
        if k is None:
            return None
        keys.append(k)
    ports = subject.ports if direction is Direction.INGRESS else None
    return (an.is_isolated(subject, direction), ports, tuple(keys))


def _full_key(an: Analyzer, subject: PodClass, direction: Direction
              ) -> tuple[object, ...] | None:
    """Everything a side of ``subject`` (a pod class of the pod network) reads of it, whatever
    the other end: the tiers' subject keys, its NetworkPolicy rules and their isolation, and
    its ports on ingress (None when a tier cannot tell). Sides towards a host-network pod or
    an address range are shared by it."""
    layers = an.layers
    assert layers is not None
    if not an._owns(subject) or subject.host_network:
        return None
    keys: list[object] = []
    for t in layers.tiers:
        k = t.subject_key(an, subject, direction)
        if k is None:
            return None
        keys.append(k)
    return (direction, layers.touches(an, subject, direction), tuple(keys),
            an.is_isolated(subject, direction), tuple(map(id, an.rules_for(subject, direction))),
            subject.ports if direction is Direction.INGRESS else None)


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
    # As the plain list: v6 only when a rule names it, whichever class the rule's policy
    # selects (a host-network class's NetworkPolicy rules count there too).
    with_v6 = any(s.v6 for c in classes for d in Direction
                  for t in layers.tiers for s in t.address_sets(an, c, d))
    whole = AddressSet(IntervalSet.single(0, V4_MAX),
                       IntervalSet.single(0, V6_MAX) if with_v6 else IntervalSet())
    # External ranges per workload: the pieces of all its classes, swept together.
    from dtnetpol.engine.connlist import _ranges
    everything = [(4, IntervalSet.single(0, V4_MAX), PortSet.all())]
    if with_v6:
        everything.append((6, IntervalSet.single(0, V6_MAX), PortSet.all()))
    outgoing: dict[WorkloadRef, list[tuple[int, IntervalSet, PortSet]]] = {}
    incoming: dict[WorkloadRef, list[tuple[int, IntervalSet, PortSet]]] = {}
    shared: dict[tuple[object, ...], list[tuple[int, IntervalSet, PortSet]]] = {}
    for c in classes:
        for direction in Direction:
            found: list[tuple[int, IntervalSet, PortSet]] = []
            key = _full_key(an, c, direction)
            if c.host_network:   # not governed: everything, both ways
                found = list(everything)
            elif key is not None and key in shared:
                found = shared[key]
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
                if key is not None:
                    shared[key] = found
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
