"""Every allowed connection: workload → workload, workload → external range, and back.

Computed per pod class with each rule's matched classes taken from the analyzer's per-peer
cache, so the work is proportional to the connections that exist, not to pods × policies.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dtnetpol.engine.addresses import V4_MAX, V6_MAX, AddressSet, format_range
from dtnetpol.engine.analysis import Analyzer, CompiledRule, PodClass
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.ports import PortSet, PortSpec
from dtnetpol.model.cluster import ContainerPort, WorkloadRef
from dtnetpol.model.policy import Direction


@dataclass(frozen=True)
class Connection:
    """What ``src`` may open towards ``dst`` (workload names or ``first-last`` ranges)."""

    src: str
    dst: str
    ports: PortSet


# A piece of an address family: (version, IntervalSet of addresses, ports allowed there).
_Piece = tuple[int, IntervalSet, PortSet]
# (id of a rule's PortSpec, id of a canonical ports tuple) -> resolved ports; the ids stay
# valid while the analyzer that owns both lives, which outlasts one connection_list call.
_ResolveCache = dict[tuple[int, int], PortSet]


def covering_ports(rules: Sequence[CompiledRule], wanted: AddressSet | None,
                   dst_ports: tuple[ContainerPort, ...] | None) -> PortSet:
    """Ports allowed towards every address of ``wanted`` by the union of ``rules``.

    A port counts only if, for each address, some rule covering that address allows it
    (the same union ``can_reach`` takes). Unknown addresses (None) match only rules with an
    empty peer list.
    """
    everyone = PortSet.none()
    pieces: list[_Piece] = []
    for rule in rules:
        ports = rule.ports.resolve(dst_ports)
        if rule.all_peers:
            everyone = everyone.union(ports)
        elif wanted is not None:
            hit = rule.ip_addresses.intersection(wanted)
            for version, ivs in ((4, hit.v4), (6, hit.v6)):
                if ivs:
                    pieces.append((version, ivs, ports))
    if wanted is None or not wanted or not pieces:
        # no rule names an address of ``wanted``: each of them gets what every peer gets (a
        # host-network source read live has its node's addresses; rules rarely name them)
        return everyone
    result: PortSet | None = None
    for version, ivs in ((4, wanted.v4), (6, wanted.v6)):
        if not ivs:
            continue
        mine = [(s, p) for v, s, p in pieces if v == version]
        cuts = sorted({b for lo, hi in ivs for b in (lo, hi + 1)} |
                      {b for s, _ in mine for lo, hi in s for b in (lo, hi + 1)})
        for lo in cuts[:-1]:
            if lo not in ivs:
                continue
            here = everyone
            for s, p in mine:
                if lo in s:
                    here = here.union(p)
            result = here if result is None else result.intersection(here)
    return result if result is not None else everyone


def _external_pieces(an: Analyzer, subject: PodClass, direction: Direction,
                     with_v6: bool) -> list[_Piece]:
    versions = ((4, V4_MAX), (6, V6_MAX)) if with_v6 else ((4, V4_MAX),)
    if subject.host_network or not an.is_isolated(subject, direction):
        return [(v, IntervalSet.single(0, top), PortSet.all()) for v, top in versions]
    pieces: list[_Piece] = []
    for rule in an.rules_for(subject, direction):
        ports = rule.ports.resolve(None if direction is Direction.EGRESS else subject.ports)
        if not ports:
            continue
        for v, _ in versions:
            addrs = rule.ip_addresses.v4 if v == 4 else rule.ip_addresses.v6
            if addrs:
                pieces.append((v, addrs, ports))
    return pieces


def _ranges(pieces: list[_Piece]) -> list[tuple[str, PortSet]]:
    """Sweep the pieces into maximal ranges with identical ports (empty ones dropped)."""
    out: list[tuple[str, PortSet]] = []
    for version in (4, 6):
        mine = [(s, p) for v, s, p in pieces if v == version]
        if not mine:
            continue
        cuts = sorted({b for s, _ in mine for lo, hi in s for b in (lo, hi + 1)})
        current: tuple[int, int, PortSet] | None = None
        for lo, nxt in itertools.pairwise(cuts):
            ports = PortSet.none()
            for s, p in mine:
                if lo in s:
                    ports = ports.union(p)
            if current is not None and current[2] == ports and current[1] == lo - 1:
                current = (current[0], nxt - 1, ports)
                continue
            if current is not None and current[2]:
                out.append((format_range(version, current[0], current[1]), current[2]))
            current = (lo, nxt - 1, ports)
        if current is not None and current[2]:
            out.append((format_range(version, current[0], current[1]), current[2]))
    return out


class _Ports:
    """Port sets interned by value, with their unions and intersections cached by identity:
    a cluster has few distinct port sets, while the pair join combines them millions of times."""

    __slots__ = ("_canon", "_join", "_meet", "_resolved", "_signatures")

    def __init__(self, signatures: dict[int, tuple[ContainerPort, ...]]) -> None:
        self._canon: dict[PortSet, PortSet] = {PortSet.all(): PortSet.all(),
                                               PortSet.none(): PortSet.none()}
        self._join: dict[tuple[int, int], PortSet] = {}
        self._meet: dict[tuple[int, int], PortSet] = {}
        self._resolved: dict[tuple[int, int], PortSet] = {}
        self._signatures = signatures

    def intern(self, ports: PortSet) -> PortSet:
        return self._canon.setdefault(ports, ports)

    def resolve(self, spec: PortSpec, signature: int) -> PortSet:
        """``spec`` on a destination whose container ports have id ``signature``."""
        key = (id(spec), signature)
        hit = self._resolved.get(key)
        if hit is None:
            hit = self._resolved[key] = self.intern(spec.resolve(self._signatures[signature]))
        return hit

    def meet(self, a: PortSet, b: PortSet) -> PortSet:
        key = (id(a), id(b))
        hit = self._meet.get(key)
        if hit is None:
            hit = self._meet[key] = self.intern(a.intersection(b))
        return hit

    def join(self, a: PortSet, b: PortSet) -> PortSet:
        key = (id(a), id(b))
        hit = self._join.get(key)
        if hit is None:
            hit = self._join[key] = self.intern(a.union(b))
        return hit


# Destinations that admit a set of sources, grouped by (ports admitted, container ports).
_Admitting = list[tuple[PortSet, int, set[int]]]


def connection_list(an: Analyzer) -> list[Connection]:
    """All allowed connections at workload granularity, sorted by (src, dst).

    A pair is allowed on (ports of the egress rules of ``src`` that match ``dst``) ∩ (ports
    of the ingress rules of ``dst`` that match ``src``), a union of rule-by-rule
    intersections. Rules match *sets* of classes, shared by many policies, so the join runs
    over distinct (egress set, ingress set) meetings whose ports intersect, and intersects
    the class sets themselves: its cost follows the pairs that exist, not the pairs that a
    broad rule on one side alone would name (``namespaceSelector: {}`` egress meeting
    default-deny ingress costs nothing per destination).

    A cluster with policy layers (admin, Cilium, Calico) is listed pair by pair instead
    (:mod:`dtnetpol.engine.layered_connlist`).
    """
    if an.layers is not None:
        from dtnetpol.engine.layered_connlist import layered_connection_list
        return layered_connection_list(an)
    classes = an.classes
    pairs: dict[tuple[WorkloadRef, WorkloadRef], PortSet] = {}

    def add(src: PodClass, dst: PodClass, allowed: PortSet) -> None:
        for ws in src.workloads:
            for wd in dst.workloads:
                if ws == wd:
                    continue
                prev = pairs.get((ws, wd))
                pairs[(ws, wd)] = allowed if prev is None else prev.union(allowed)

    class_pairs(an, add)
    with_v6 = any(rule.ip_addresses.v6 and not rule.all_peers
                  for c in classes for d in Direction
                  for rule in an.rules_for(c, d))
    # Classes under the same rules have the same external pieces, and a workload is nearly
    # always one class: pieces and their swept ranges are computed once per distinct rules.
    piece_lists: dict[tuple[object, ...], list[_Piece]] = {}
    swept: dict[int, list[tuple[str, PortSet]]] = {}

    def pieces_of(c: PodClass, direction: Direction) -> list[_Piece]:
        key = (direction, an.is_isolated(c, direction), tuple(map(id, an.rules_for(c, direction))),
               c.ports if direction is Direction.INGRESS else None)
        hit = piece_lists.get(key)
        if hit is None:
            hit = piece_lists[key] = _external_pieces(an, c, direction, with_v6)
        return hit

    def ranges_of(lists: list[list[_Piece]]) -> list[tuple[str, PortSet]]:
        if len(lists) > 1:
            return _ranges([p for pieces in lists for p in pieces])
        hit = swept.get(id(lists[0]))
        if hit is None:
            hit = swept[id(lists[0])] = _ranges(lists[0])
        return hit

    ext_out: dict[WorkloadRef, list[list[_Piece]]] = defaultdict(list)
    ext_in: dict[WorkloadRef, list[list[_Piece]]] = defaultdict(list)
    for c in classes:
        out_pieces = pieces_of(c, Direction.EGRESS)
        in_pieces = pieces_of(c, Direction.INGRESS)
        for w in c.workloads:
            ext_out[w].append(out_pieces)
            ext_in[w].append(in_pieces)

    conns = [Connection(str(a), str(b), p) for (a, b), p in pairs.items()]
    for w, lists in ext_out.items():
        name = str(w)
        conns.extend(Connection(name, rng, p) for rng, p in ranges_of(lists))
    for w, lists in ext_in.items():
        name = str(w)
        conns.extend(Connection(rng, name, p) for rng, p in ranges_of(lists))
    conns.sort(key=lambda c: (c.src, c.dst))
    return conns


def class_pairs(an: Analyzer, add: Callable[[PodClass, PodClass, PortSet], None], *,
                pod_network_only: bool = False) -> None:
    """The NetworkPolicy-only join of :func:`connection_list`: ``add(src, dst, ports)`` once
    for each pair of classes with a connection (see there for how). With
    ``pod_network_only``, pairs with a host-network class are left out (the layered list
    decides those pair by pair).
    """
    classes = an.classes
    host_classes = [c for c in classes if c.host_network]
    everything = frozenset(range(len(classes)))
    pods = frozenset(c.index for c in classes if not c.host_network)
    # Classes with equal container ports share one signature (the id of one tuple).
    canonical: dict[tuple[ContainerPort, ...], tuple[ContainerPort, ...]] = {}
    signature = [id(canonical.setdefault(c.ports, c.ports)) for c in classes]
    ports = _Ports({id(t): t for t in canonical.values()})
    all_ports = PortSet.all()

    # Ingress, inverted: for each distinct set of sources, who admits them on what; and the
    # destinations that do not isolate ingress (host-network ones included), by signature.
    admitting: dict[int, _Admitting] = {}
    source_sets: dict[int, frozenset[int]] = {}
    open_by_signature: dict[int, set[int]] = defaultdict(set)
    for t in classes:
        sig = signature[t.index]
        if pod_network_only and t.host_network:
            continue
        if not an.is_isolated(t, Direction.INGRESS):
            open_by_signature[sig].add(t.index)
            continue
        for rule in an.rules_for(t, Direction.INGRESS):
            q = ports.resolve(rule.ports, sig)
            if not q:
                continue
            sources = pods if rule.all_peers else an.rule_classes(rule)
            if not sources:
                continue
            groups = admitting.get(id(sources))
            if groups is None:
                groups = admitting[id(sources)] = []
                source_sets[id(sources)] = sources
            for gq, gsig, owners in groups:
                if gq is q and gsig == sig:
                    owners.add(t.index)
                    break
            else:
                groups.append((q, sig, {t.index}))
    member_of: list[list[_Admitting]] = [[] for _ in classes]
    for key, sources in source_sets.items():
        groups = admitting[key]
        for i in sources:
            member_of[i].append(groups)
    open_groups = [(all_ports, sig, owners) for sig, owners in open_by_signature.items()]

    open_spec = PortSpec(all_ports)
    for s in classes:
        if s.host_network:
            if not pod_network_only:
                _host_network_source(an, s, add)
            continue
        if an.is_isolated(s, Direction.EGRESS):
            rules = an.rules_for(s, Direction.EGRESS)
            egress = [(pods if r.all_peers else an.rule_classes(r), r.ports) for r in rules]
            for c in () if pod_network_only else host_classes:
                allowed = covering_ports(rules, c.addresses, c.ports)
                if allowed:
                    add(s, c, allowed)
        else:
            egress = [(everything, open_spec)]
        found: dict[int, PortSet] = {}
        for targets, spec in egress:
            if not targets:
                continue
            for group in (open_groups, *member_of[s.index]):
                for q, sig, owners in group:
                    meet = ports.meet(ports.resolve(spec, sig), q)
                    if not meet:
                        continue
                    for d in (owners & targets if len(owners) < len(targets)
                              else targets & owners):
                        prev = found.get(d)
                        found[d] = meet if prev is None else ports.join(prev, meet)
        for d, allowed in found.items():
            add(s, classes[d], allowed)


def _host_network_source(an: Analyzer, src: PodClass,
                         add: Callable[[PodClass, PodClass, PortSet], None]) -> None:
    """A host-network source: never isolated for egress, and matched on the ingress side only
    by ipBlocks of its node addresses or by empty peer lists (selectors never match it)."""
    for dst in an.classes:
        if an.is_isolated(dst, Direction.INGRESS):
            allowed = covering_ports(an.rules_for(dst, Direction.INGRESS), src.addresses,
                                     dst.ports)
        else:
            allowed = PortSet.all()
        if allowed:
            add(src, dst, allowed)
