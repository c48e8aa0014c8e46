"""Every allowed connection: workload → workload, workload → external range, and back.

Computed per pod class with each rule's matched classes taken from the analyzer's per-peer
cache, so the work is proportional to the connections that exist, not to pods × policies.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dtnetpol.engine.addresses import V4_MAX, V6_MAX, AddressSet, format_range
from dtnetpol.engine.analysis import Analyzer, CompiledRule, PodClass
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.ports import PortSet
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


def _class_map(an: Analyzer, subject: PodClass, direction: Direction,
               host_classes: Sequence[PodClass], resolved: _ResolveCache,
               port_ids: Sequence[int]) -> dict[int, PortSet] | None:
    """Ports ``subject`` allows per peer class in ``direction``; None = not isolated."""
    if subject.host_network or not an.is_isolated(subject, direction):
        return None
    out: dict[int, PortSet] = {}
    egress = direction is Direction.EGRESS
    for rule in an.rules_for(subject, direction):
        if rule.all_peers:
            targets: Iterable[int] = (c.index for c in an.classes if not c.host_network)
        else:
            found: set[int] = set()
            for peer in rule.selector_peers:
                found |= an.peer_classes(peer, rule.policy.namespace)
            targets = found
        spec = rule.ports
        for t in targets:
            dst = an.classes[t] if egress else subject
            if spec.named:
                key = (id(spec), port_ids[dst.index])
                ports = resolved.get(key)
                if ports is None:
                    ports = resolved[key] = spec.resolve(dst.ports)
            else:
                ports = spec.numeric
            if not ports:
                continue
            prev = out.get(t)
            out[t] = ports if prev is None else prev.union(ports)
    if egress:
        for c in host_classes:
            ports = covering_ports(an.rules_for(subject, direction), c.addresses, c.ports)
            if ports:
                out[c.index] = ports
    return out


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
    if wanted is None or not wanted:
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


def connection_list(an: Analyzer) -> list[Connection]:
    """All allowed connections at workload granularity, sorted by (src, dst)."""
    classes = an.classes
    host_classes = [c for c in classes if c.host_network]
    resolved: _ResolveCache = {}
    # Classes with equal container ports share one id, so named ports resolve once per set.
    canonical: dict[tuple[ContainerPort, ...], tuple[ContainerPort, ...]] = {}
    port_ids = [id(canonical.setdefault(c.ports, c.ports)) for c in classes]
    egress = [_class_map(an, c, Direction.EGRESS, host_classes, resolved, port_ids)
              for c in classes]
    ingress = [_class_map(an, c, Direction.INGRESS, host_classes, resolved, port_ids)
               for c in classes]
    # Inverted ingress: for each source class, the destinations whose ingress names it, so a
    # source that is not isolated for egress visits only those and the open destinations.
    open_ingress = [c.index for c in classes if ingress[c.index] is None]
    admits: list[list[tuple[int, PortSet]]] = [[] for _ in classes]
    for t, ing_map in enumerate(ingress):
        if ing_map is not None:
            for s_index, ports in ing_map.items():
                admits[s_index].append((t, ports))
    pairs: dict[tuple[WorkloadRef, WorkloadRef], PortSet] = {}

    def add(src: PodClass, dst: PodClass, ports: PortSet) -> None:
        for ws in src.workloads:
            for wd in dst.workloads:
                if ws == wd:
                    continue
                prev = pairs.get((ws, wd))
                pairs[(ws, wd)] = ports if prev is None else prev.union(ports)

    for s in classes:
        eg = egress[s.index]
        if eg is None and not s.host_network:
            for t in open_ingress:
                add(s, classes[t], PortSet.all())
            for t, ports in admits[s.index]:
                if ports:
                    add(s, classes[t], ports)
            continue
        candidates = (c.index for c in classes) if eg is None else iter(eg)
        for t in candidates:
            dst = classes[t]
            e_ports = PortSet.all() if eg is None else eg[t]
            ing = ingress[t]
            if ing is None:
                i_ports = PortSet.all()
            elif s.host_network:
                # Selectors never match a host-network source; only ipBlocks/empty peers do.
                i_ports = _host_network_ingress(an, s, dst)
            else:
                i_ports = ing.get(s.index, PortSet.none())
            ports = e_ports.intersection(i_ports)
            if ports:
                add(s, dst, ports)

    with_v6 = any(rule.ip_addresses.v6 and not rule.all_peers
                  for c in classes for d in Direction
                  for rule in an.rules_for(c, d))
    ext_out: dict[WorkloadRef, list[_Piece]] = defaultdict(list)
    ext_in: dict[WorkloadRef, list[_Piece]] = defaultdict(list)
    for c in classes:
        out_pieces = _external_pieces(an, c, Direction.EGRESS, with_v6)
        in_pieces = _external_pieces(an, c, Direction.INGRESS, with_v6)
        for w in c.workloads:
            ext_out[w].extend(out_pieces)
            ext_in[w].extend(in_pieces)

    conns = [Connection(str(a), str(b), p) for (a, b), p in pairs.items()]
    for w, pieces in ext_out.items():
        conns.extend(Connection(str(w), rng, p) for rng, p in _ranges(pieces))
    for w, pieces in ext_in.items():
        conns.extend(Connection(rng, str(w), p) for rng, p in _ranges(pieces))
    conns.sort(key=lambda c: (c.src, c.dst))
    return conns


def _host_network_ingress(an: Analyzer, src: PodClass, dst: PodClass) -> PortSet:
    return covering_ports(an.rules_for(dst, Direction.INGRESS), src.addresses, dst.ports)
