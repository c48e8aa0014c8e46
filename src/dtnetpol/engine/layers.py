"""Policy layers: how kinds beyond NetworkPolicy take part in a verdict.

The interface
-------------
One side of a connection (the egress of the source, or the ingress of the destination) is
decided by a sequence of **tiers**. Each tier is handed the ports still *undecided* and says,
for each of them, one of:

- **Allow** or **Deny**: final; later tiers never see these ports;
- **Pass**, or nothing at all (the tier does not select the pod, or no rule matches): the
  ports go on to the next tier.

Ports nobody decided are allowed (Kubernetes' default). The tiers run in :class:`Stage`
order, and by ``order`` inside a stage:

1. ``ADMIN``: AdminNetworkPolicy and ClusterNetworkPolicy of tier Admin, as one tier (by
   priority, first matching rule wins; Pass goes on) — :mod:`dtnetpol.engine.admin_tier`.
2. ``TIERED``: **Calico tiers, by their order** (engineer D2). Kubernetes NetworkPolicies sit
   in Calico's ``default`` tier at order 1000: a Calico tier that stands for ``default`` sets
   ``includes_network_policies`` and asks :func:`network_policy_allows` for their share (their
   allows; their default deny is the tier's own end-of-tier drop), and then no separate
   NETWORK_POLICY tier is added.
3. ``NETWORK_POLICY``: NetworkPolicy together with Cilium's policies —
   :mod:`dtnetpol.engine.np_tier`. Cilium deny rules win over every allow; the allows of both
   kinds add up; once either isolates the direction, whatever they do not allow is denied.
4. ``BASELINE``: BaselineAdminNetworkPolicy and ClusterNetworkPolicy of tier Baseline.

A tier is a :class:`Tier`: ``decide`` returns a :class:`TierDecision` (the ports it allowed,
denied, and the :class:`Step`\\ s that say which policy and rule decided them), or None when it
does not select the pod. Steps make the explanation chain, e.g.
``[ANP allow-monitoring] Pass -> [NetworkPolicy shop/default-deny] Deny``.

The other end of the connection is a :class:`Counterpart`. A pod class is one piece; a
non-pod end (an address range, a host-network pod, an unknown host) is first cut into pieces
along every address set a tier's rules test (``Tier.address_sets``), so that each rule
matches a piece wholly or not at all, and each piece is decided on its own.

Cost
----
A cluster with only ``networking.k8s.io/v1`` NetworkPolicies builds no layers
(:func:`build_layers` returns None) and the analyzer answers on its fast path exactly as
before. Layers are built by the builders of :data:`LAYER_BUILDERS` (an explicit list: a new
kind adds its builder there), each of which returns no tier when its kinds are absent.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.explain import Action, RuleRef, SideStatus, SideVerdict, Step
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.ports import PortSet
from dtnetpol.model.cluster import Cluster, ContainerPort
from dtnetpol.model.policy import Direction

if TYPE_CHECKING:
    from dtnetpol.engine.analysis import Analyzer, Endpoint, PodClass


class Stage(IntEnum):
    """Where a tier runs; lower first."""

    ADMIN = 0
    TIERED = 1
    NETWORK_POLICY = 2
    BASELINE = 3


@dataclass(frozen=True)
class TierDecision:
    """What one tier decided of the undecided ports; the rest goes on."""

    allowed: PortSet = field(default_factory=PortSet.none)
    denied: PortSet = field(default_factory=PortSet.none)
    steps: tuple[Step, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Counterpart:
    """The other end as one tier sees it.

    ``addresses`` is None for a pod of the pod network; for any other end it is one piece
    of its addresses (every rule's address set holds all of it or none of it).
    ``dst_ports`` are the destination pod's container ports (None when it is no pod), for
    named ports. ``np_allowed``, when given, stands for what the subject's Kubernetes
    NetworkPolicies allow towards this end (:func:`~dtnetpol.engine.np_tier.network_policy_allows`
    answers it instead of matching their rules): the layered connection list evaluates a
    side once for ``none`` and once for ``all`` and takes the NetworkPolicy join's own
    answer for each pair.
    """

    endpoint: Endpoint
    addresses: AddressSet | None
    dst_ports: tuple[ContainerPort, ...] | None
    np_allowed: PortSet | None = None

    @property
    def is_pod(self) -> bool:
        return self.addresses is None


class Tier(ABC):
    """One layer of policy. Subclasses say where they run and how they decide."""

    #: the stage, and the order within it (Calico tier order; 0 elsewhere)
    stage: Stage
    order: float = 0.0
    #: True for a tier that evaluates the Kubernetes NetworkPolicies itself (Calico default)
    includes_network_policies: bool = False

    @abstractmethod
    def decide(self, an: Analyzer, subject: PodClass, direction: Direction,
               other: Counterpart, undecided: PortSet) -> TierDecision | None:
        """Decide what of ``undecided`` this tier allows or denies for ``subject``'s side.

        Returns None when the tier does not select ``subject`` for ``direction``.
        """

    def address_sets(self, an: Analyzer, subject: PodClass,
                     direction: Direction) -> Iterable[AddressSet]:
        """Every address set a rule of this tier may test on ``subject``'s side."""
        return ()

    def selects(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        """Whether the tier may decide anything for ``subject`` (for posture and lint)."""
        return True

    def peer_key(self, an: Analyzer, subject: PodClass, direction: Direction,
                 other: PodClass) -> Hashable | None:
        """A key such that ``decide`` for ``subject``'s side towards ``other``, a pod class
        of the pod network, depends on ``other`` only through it and the destination ports
        (e.g. which of the tier's rules match ``other``), so peers with equal keys share one
        evaluation (the layered connection list). None: the tier cannot tell (no sharing)."""
        return None

    def subject_key(self, an: Analyzer, subject: PodClass, direction: Direction
                    ) -> Hashable | None:
        """A key such that ``decide`` for ``subject``'s side (a pod class of the pod
        network) depends on ``subject`` only through it, given the other end's
        :meth:`peer_signature`, the destination ports, the NetworkPolicies' share
        (``Counterpart.np_allowed``) and whether they isolate the side (e.g. which of the
        tier's policies select ``subject``). None: cannot tell (the layered connection list
        then goes pair by pair)."""
        return None

    def peer_signature(self, an: Analyzer, other: PodClass, direction: Direction
                       ) -> Hashable | None:
        """A key such that ``decide`` for the ``direction`` side of *any* subject towards
        ``other``, a pod class of the pod network, depends on ``other`` only through it,
        the destination ports and ``Counterpart.np_allowed`` (e.g. which rules of the tier,
        whoever they belong to, match ``other``). None: cannot tell."""
        return None

    def join_key(self, an: Analyzer, subject: PodClass, direction: Direction,
                 other: PodClass) -> Hashable | None:
        """:meth:`peer_signature` cut down to the rules of the policies that select
        ``subject``: a key such that ``decide`` for the ``direction`` side of any subject of
        ``subject``'s :meth:`subject_key` towards any pod class of the pod network with an
        equal key (and the same destination ports and ``Counterpart.np_allowed``) decides
        alike. Its cost follows the subject's policies, not the whole tier (the layered
        connection list asks it once per pair the NetworkPolicy join finds). The default,
        the whole signature, is exact but as long as the tier's rule list."""
        return self.peer_signature(an, other, direction)

    def may_allow(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        """Whether the tier may allow a port of ``subject``'s side on its own, without the
        Kubernetes NetworkPolicies' share: an allow rule of a policy that selects it, or, for
        a tier that evaluates the NetworkPolicies, an end that lets ports go on once they
        isolate the side. When no tier may, a side the NetworkPolicies isolate allows only
        what they allow (cut by the tiers), so the layered connection list needs only the
        pairs the NetworkPolicy join finds. The safe default is True."""
        return True

    def touches(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        """Whether a policy of this tier other than a Kubernetes NetworkPolicy may decide
        ``subject``'s side. A side no tier touches is decided by NetworkPolicies alone, on
        the analyzer's fast path. The safe default is True."""
        return True

    def policy_names(self, an: Analyzer, subject: PodClass,
                     direction: Direction) -> tuple[str, ...]:
        """The policies of this tier (other than NetworkPolicies) that may decide
        ``subject``'s side, as explanations name them (``explain`` lists them)."""
        return ()

    def layer_rules(self, an: Analyzer, subject: PodClass,
                    direction: Direction) -> tuple[LayerRule, ...]:
        """The rules of this tier's policies (other than NetworkPolicies) that select
        ``subject`` for ``direction``, in the order the tier runs them (``explain``)."""
        return ()


@dataclass(frozen=True)
class LayerRule:
    """One rule of a layer as ``explain`` lists it: which layer and policy, where it runs
    (``precedence``: an admin priority, a Calico order), what it does to which peers and
    ports, in words. ``rule`` is None for a row that stands for no written rule (a Cilium
    default deny, a Calico tier's end)."""

    layer: str
    policy: str
    precedence: str
    action: str
    rule: RuleRef | None
    peers: tuple[str, ...]
    ports: tuple[str, ...]
    name: str = ""

    @property
    def label(self) -> str:
        """The rule as explanations name it, then its name and file:line on their own lines
        (or the layer and policy of a row with no written rule)."""
        if self.rule is None:
            return f"{self.layer} {self.policy}" if self.policy else self.layer
        r = self.rule
        lines = [f"{r.policy} {r.direction.word}[{r.index}]"]
        if self.name:
            lines.append(repr(self.name))
        if r.location is not None and r.location.line is not None:
            lines.append(f"({r.location.file}:{r.location.line})")
        return "\n".join(lines)


LayerBuilder = Callable[[Cluster], Sequence[Tier]]


def _builders(cluster: Cluster) -> list[LayerBuilder]:
    """The explicit registry: one builder per family of kinds, for the families ``cluster``
    has (each builder makes no tier without its kinds; its module, with Calico's grammar and
    the like, is imported only when there is something to build)."""
    builders: list[LayerBuilder] = []
    if cluster.admin_policies:
        from dtnetpol.engine.admin_tier import build_admin_tiers
        builders.append(build_admin_tiers)
    if cluster.cilium_policies:
        from dtnetpol.engine.np_tier import build_cilium_tier
        builders.append(build_cilium_tier)
    if cluster.calico.policies:
        from dtnetpol.engine.calico_tier import build_calico_tiers
        builders.append(build_calico_tiers)
    return builders


#: Extra builders (Calico: engineer D2 appends its own in ``_builders``). The analyzer asks
#: for layers only when the cluster has admin, Cilium or Calico policies (a cluster of
#: NetworkPolicies alone does not import this module): a builder of another family must be
#: named there too (dtnetpol.engine.analysis._layers).
LAYER_BUILDERS: list[LayerBuilder] = []


#: What each family of kinds does with a host-network pod as the *subject* of a side (a
#: node-level endpoint); said wherever such a side is reported, for the kinds in the input.
HOST_NETWORK_LAYER_NOTES = {
    "admin": ("AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy: a "
              "subject never selects a host-network pod here (the API leaves host-network "
              "pods implementation-defined); as a peer it is matched by its node's "
              "addresses (nodes, networks peers)"),
    "cilium": ("Cilium: a host-network pod is the node's host endpoint, which only host "
               "policies (nodeSelector) select; they are not modelled; as a peer it is the "
               "host / remote-node entity (or its node by toNodes)"),
    "calico": ("Calico: a host-network pod is a host endpoint, which only policies through "
               "HostEndpoints (doNotTrack, preDNAT, applyOnForward) govern; they are not "
               "modelled; as a peer it matches only by address (nets, network sets)"),
}


def host_network_notes(cluster: Cluster) -> tuple[str, ...]:
    """The notes of :data:`HOST_NETWORK_LAYER_NOTES` for the kinds ``cluster`` has."""
    present = {"admin": bool(cluster.admin_policies),
               "cilium": bool(cluster.cilium_policies),
               "calico": bool(cluster.calico.policies)}
    return tuple(HOST_NETWORK_LAYER_NOTES[k] for k, there in present.items() if there)


def build_layers(cluster: Cluster) -> Layers | None:
    """The tiers of ``cluster``, or None when it has only NetworkPolicies (the fast path)."""
    tiers: list[Tier] = []
    for build in (*_builders(cluster), *LAYER_BUILDERS):
        tiers.extend(build(cluster))
    if not tiers:
        return None
    if not any(t.includes_network_policies for t in tiers):
        from dtnetpol.engine.np_tier import NetworkPolicyTier
        tiers.append(NetworkPolicyTier(cluster))
    tiers.sort(key=lambda t: (t.stage, t.order))
    return Layers(tuple(tiers), host_network_notes(cluster))


@dataclass
class SideResult:
    """What the tiers made of one piece of the other end."""

    allowed: PortSet
    steps: tuple[Step, ...]
    notes: tuple[str, ...]
    engaged: bool             # some tier selected the subject
    conditional: bool         # an allow of ``allowed`` holds only under a condition


class Layers:
    """The tiers of one cluster, and the evaluation of a side through them."""

    def __init__(self, tiers: tuple[Tier, ...], host_notes: tuple[str, ...] = ()) -> None:
        self.tiers = tiers
        #: what the layers do with a host-network pod as a subject (see build_layers)
        self.host_notes = host_notes
        self._cache: dict[tuple[object, ...], tuple[SideVerdict, PortSet]] = {}
        self._touched: dict[tuple[int, Direction], bool] = {}

    def touches(self, an: Analyzer, subject: PodClass, direction: Direction) -> bool:
        """Whether any tier may decide ``subject``'s side beyond its NetworkPolicies (else
        the NetworkPolicy-only answer is exact: no tier selects it, so all pass through)."""
        owned = an._owns(subject)
        key = (subject.index, direction)
        hit = self._touched.get(key) if owned else None
        if hit is None:
            hit = any(t.touches(an, subject, direction) for t in self.tiers)
            if owned:
                self._touched[key] = hit
        return hit

    def evaluate(self, an: Analyzer, subject: PodClass, direction: Direction,
                 other: Counterpart, query: PortSet) -> SideResult:
        """Run the tiers over ``query`` for one piece of the other end."""
        undecided = query
        allowed = PortSet.none()
        steps: list[Step] = []
        notes: list[str] = []
        engaged = False
        for tier in self.tiers:
            if not undecided:
                break
            d = tier.decide(an, subject, direction, other, undecided)
            if d is None:
                continue
            engaged = True
            allowed = allowed.union(d.allowed.intersection(undecided))
            undecided = undecided.difference(d.allowed.union(d.denied))
            steps.extend(d.steps)
            notes.extend(n for n in d.notes if n not in notes)
        if undecided:   # Kubernetes' default: what no tier decided is allowed
            allowed = allowed.union(undecided)
            if engaged:
                steps.append(Step("default", "", Action.ALLOW, undecided))
        conditional = any(s.conditional and s.action is Action.ALLOW for s in steps)
        return SideResult(allowed, tuple(steps), tuple(notes), engaged, conditional)

    def side(self, an: Analyzer, subject: PodClass, direction: Direction, other: Endpoint,
             dst_ports: tuple[ContainerPort, ...] | None, query: PortSet
             ) -> tuple[SideVerdict, PortSet]:
        """One side of a connection through every tier (see the module docstring)."""
        from dtnetpol.engine.analysis import PodClass, _addresses_of
        pod_peer = isinstance(other, PodClass) and not other.host_network
        key: tuple[object, ...] | None = None
        if pod_peer and isinstance(other, PodClass) and an._owns(other) and an._owns(subject):
            key = (subject.index, direction, other.index, query, dst_ports)
            hit = self._cache.get(key)
            if hit is not None:
                return hit
        name = subject.name
        if pod_peer:
            r = self.evaluate(an, subject, direction, Counterpart(other, None, dst_ports), query)
            out = _verdict(name, direction, r, [r], None, None)
            if key is not None:
                self._cache[key] = out
            return out
        wanted = _addresses_of(other)
        whole = wanted if wanted else AddressSet.everything()
        sets = [s for t in self.tiers for s in t.address_sets(an, subject, direction)]
        pieces = cut(whole, sets)
        results = [(p, self.evaluate(an, subject, direction, Counterpart(other, p, dst_ports),
                                     query)) for p in pieces]
        covered = AddressSet()
        for p, r in results:
            if r.allowed:
                covered = covered.union(p)
        merged = _merge([r for _, r in results])
        return _verdict(name, direction, merged, [r for _, r in results], covered, whole)


def _merge(results: Sequence[SideResult]) -> SideResult:
    allowed = PortSet.none()
    steps: list[Step] = []
    notes: list[str] = []
    for r in results:
        allowed = allowed.union(r.allowed)
        steps.extend(s for s in r.steps if s not in steps)
        notes.extend(n for n in r.notes if n not in notes)
    return SideResult(allowed, tuple(steps), tuple(notes), any(r.engaged for r in results),
                      any(r.conditional for r in results))


def _verdict(name: str, direction: Direction, r: SideResult, pieces: Sequence[SideResult],
             covered: AddressSet | None, whole: AddressSet | None
             ) -> tuple[SideVerdict, PortSet]:
    if not r.engaged:
        return SideVerdict(direction, name, SideStatus.NOT_ISOLATED, notes=r.notes), r.allowed
    deciding = tuple(dict.fromkeys(n for s in r.steps if s.layer != "default"
                                   for n in s.names))
    allowing = tuple(dict.fromkeys(s.rule for s in r.steps
                                   if s.action is Action.ALLOW and s.rule is not None))
    notes = r.notes
    if r.conditional:
        notes = (*notes, "allowed only once the host name is resolved through the DNS proxy "
                 "the policy relies on (toFQDNs / domainNames): a conditional allow")
    if not r.allowed:
        status = SideStatus.BLOCKED
    elif r.conditional or (covered is not None and whole is not None
                           and whole.difference(covered)):
        status = SideStatus.PARTIAL
    else:
        status = SideStatus.ALLOWED
    partial_addresses = covered is not None and whole is not None and \
        bool(whole.difference(covered))
    return SideVerdict(direction, name, status, deciding, allowing,
                       covered if partial_addresses and status is SideStatus.PARTIAL else None,
                       notes, r.steps), r.allowed


def cut(whole: AddressSet, sets: Iterable[AddressSet]) -> list[AddressSet]:
    """``whole`` cut into pieces that each lie wholly inside or outside every set of
    ``sets``; pieces with the same memberships are joined (so there are few)."""
    sets = [s for s in dict.fromkeys(sets) if s]
    groups: dict[tuple[bool, ...], tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
    for version in (4, 6):
        mine = whole.v4 if version == 4 else whole.v6
        if not mine:
            continue
        others = [s.v4 if version == 4 else s.v6 for s in sets]
        bounds = sorted({b for lo, hi in mine for b in (lo, hi + 1)}
                        | {b for s in others for lo, hi in s for b in (lo, hi + 1)})
        for lo, nxt in itertools.pairwise(bounds):
            if lo not in mine:
                continue
            sig = tuple(lo in s for s in others)
            v4, v6 = groups.setdefault(sig, ([], []))
            (v4 if version == 4 else v6).append((lo, nxt - 1))
    return [AddressSet(IntervalSet.of(v4), IntervalSet.of(v6)) for v4, v6 in groups.values()]


def chain(steps: Sequence[Step]) -> str:
    """``[ANP a] Pass -> [NetworkPolicy ns/b] Deny``: the steps in the order they ran."""
    return " -> ".join(str(s) for s in steps)

