"""Calico policy semantics: which ports of a connection each tier allows, denies or passes.

Pure and independent of the layered engine: the tier adapter (``calico_tier``) turns the
engine's pod classes and address pieces into :class:`CalicoEnd` values and calls
:func:`decide_tier`. The tests' reference evaluator (``tests/property/calico_reference.py``)
checks this module port by port.

Semantics (projectcalico.org/v3; tigera docs "Get started with policy tiers", the API types):

- Tiers run by ``order``, lowest first; a tier without order runs after every ordered tier;
  ties go by name. Inside a tier, policies run the same way.
- A policy *applies* to an endpoint for a direction when its ``selector`` (and, for a global
  policy, its ``namespaceSelector``; for both, its ``serviceAccountSelector``) selects the
  endpoint and ``types`` holds the direction. A namespaced policy applies only in its
  namespace. Host-network pods are host endpoints: no workload policy applies to them.
- Rules run in order; the first rule that matches the packet decides: Allow and Deny are
  final, Pass leaves the tier (the next tier decides), Log records and goes on.
- A tier in which some policy applies to the endpoint, but no rule decided, ends with its
  ``defaultAction``: Deny, unless the Tier says Pass. A tier in which no policy applies is
  skipped.
- Kubernetes NetworkPolicies are policies of the ``default`` tier at order 1000 (named
  ``knp.default.<name>``, so a Calico policy of order 1000 whose name sorts before that runs
  first). Their rules only allow.

Matching of a rule's ``source`` and ``destination`` (every given field must hold):

- ``selector``/``notSelector`` test the endpoint's labels plus the labels Calico adds
  (``projectcalico.org/namespace``, ``projectcalico.org/orchestrator: k8s``,
  ``projectcalico.org/serviceaccount``); in a namespaced policy without
  ``namespaceSelector`` only endpoints of the policy's namespace count; a global policy
  without one counts every namespace. ``namespaceSelector`` tests the namespace's labels plus
  ``projectcalico.org/name``; ``global()`` in it stands for non-namespaced resources
  (GlobalNetworkSets), which no pod is.
- An address (a host, the API server, a host-network pod) matches a selector only through a
  NetworkSet (same namespace as the policy, or one selected by ``namespaceSelector``) or a
  GlobalNetworkSet (global policies, or a ``namespaceSelector`` with ``global()``) whose
  labels match and whose nets hold the address.
- ``nets``/``notNets`` test addresses. Pod addresses are not known from manifests: a pod
  never lies in ``nets`` and never in ``notNets`` (a note says so when it matters).
- ``ports``/``notPorts`` of the destination are the connection's port; named ports resolve on
  the destination pod. Source ports are ephemeral: a rule with ``source.ports`` is taken to
  match nothing, ``source.notPorts`` to exclude nothing (noted).
- ``ipVersion`` limits the addresses a rule matches to that family (pods match either).
- ``protocol``/``notProtocol`` by name or number (TCP 6, UDP 17, SCTP 132); ICMP, UDPLite
  and other protocols never match a TCP, UDP or SCTP port.
- ``serviceAccounts``: the pod's service account (``default`` when none is given) is one of
  ``names`` and/or its labels (only its name, ``projectcalico.org/name``, is known) match
  ``selector``; same namespace scoping as ``selector``.
- ``services``: the pods the Service selects (or, for a Service without selector such as
  ``default/kubernetes``, its endpoint addresses); as a destination, only the endpoints'
  ports (the Service's target ports).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.calico_selector import compile_calico_selector
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.ports import ALL_PORTS, PortSet
from dtnetpol.model.calico import (
    DEFAULT_TIER,
    ENDPOINT_NAMESPACE_LABEL,
    K8S_POLICY_ORDER,
    NAMESPACE_NAME_LABEL,
    ORCHESTRATOR_LABEL,
    SERVICE_ACCOUNT_LABEL,
    Action,
    CalicoPolicy,
    CalicoResources,
    CalicoRule,
    CalicoTier,
    EntityRule,
    NetworkSet,
    PortRange,
    ProtocolMatch,
)
from dtnetpol.model.calico_selector import (
    All,
    And,
    CalicoSelector,
    Compare,
    Global,
    Has,
    InSet,
    Node,
    Not,
    Or,
)
from dtnetpol.model.cluster import ContainerPort
from dtnetpol.model.policy import Direction, Protocol

SOURCE_PORTS_NOTE = ("a Calico rule with source.ports is taken to match nothing: connections "
                     "leave from ephemeral source ports")
POD_NETS_NOTE = ("Calico nets/notNets test pod addresses, which manifests do not give: a pod "
                 "is taken to lie in no nets and in no notNets")
_NUMBERS = {6: Protocol.TCP, 17: Protocol.UDP, 132: Protocol.SCTP}
_KNP_NAME = "knp.default."
_ALL = CalicoSelector("", All())


@dataclass(frozen=True, eq=False)
class CalicoEnd:
    """One end of a connection as Calico rules see it.

    A pod has ``namespace``, ``labels`` (its own), ``namespace_labels`` and
    ``service_account``, and ``addresses`` None (unknown). Anything else (an address range,
    a host-network pod) has only ``addresses``. ``ports`` are a destination pod's container
    ports, for named ports.
    """

    namespace: str | None = None
    labels: Mapping[str, str] | None = None
    namespace_labels: Mapping[str, str] | None = None
    service_account: str | None = None
    addresses: AddressSet | None = None
    ports: tuple[ContainerPort, ...] | None = None

    @property
    def is_pod(self) -> bool:
        return self.labels is not None

    @property
    def account(self) -> str:
        return self.service_account or "default"

    def calico_labels(self) -> dict[str, str]:
        """The pod's labels with the ones Calico adds."""
        assert self.labels is not None and self.namespace is not None
        out = dict(self.labels)
        out[ENDPOINT_NAMESPACE_LABEL] = self.namespace
        out[ORCHESTRATOR_LABEL] = "k8s"
        out[SERVICE_ACCOUNT_LABEL] = self.account
        return out

    def calico_namespace_labels(self) -> dict[str, str]:
        assert self.namespace is not None
        out = dict(self.namespace_labels or {})
        out[NAMESPACE_NAME_LABEL] = self.namespace
        return out


@dataclass(frozen=True, eq=False)
class ServiceTarget:
    """What a rule's ``services`` names: the pods of a Service, or its endpoint addresses."""

    namespace: str
    selector: Mapping[str, str] | None
    addresses: AddressSet | None = None
    ports: PortSet = field(default_factory=PortSet.none)
    named_ports: tuple[tuple[str, Protocol], ...] = ()


@dataclass(frozen=True)
class Context:
    """The cluster facts rules need besides the two ends."""

    network_sets: tuple[NetworkSet, ...] = ()
    services: Mapping[tuple[str, str], ServiceTarget] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Step:
    """One decision: which policy (and rule) did what to which ports."""

    tier: str
    policy: CalicoPolicy | None          # None: the tier's end, or the Kubernetes policies
    action: Action
    ports: PortSet
    rule: CalicoRule | None = None


@dataclass(frozen=True)
class TierResult:
    """A tier's decision on the undecided ports: None from :func:`decide_tier` when the tier
    has no policy for the endpoint."""

    allowed: PortSet
    denied: PortSet
    passed: PortSet
    steps: tuple[Step, ...] = ()
    notes: tuple[str, ...] = ()


# --- selectors with global() ---------------------------------------------------------------


def _eval(node: Node, labels: Mapping[str, str], global_value: bool) -> bool:
    """A selector with ``global()`` read as ``global_value`` (namespaceSelector semantics)."""
    if isinstance(node, Global):
        return global_value
    if isinstance(node, All):
        return True
    if isinstance(node, Has):
        return node.key in labels
    if isinstance(node, Compare | InSet):
        return compile_calico_selector(CalicoSelector(str(node), node))(labels)
    if isinstance(node, Not):
        return not _eval(node.operand, labels, global_value)
    if isinstance(node, And):
        return all(_eval(o, labels, global_value) for o in node.operands)
    if isinstance(node, Or):
        return any(_eval(o, labels, global_value) for o in node.operands)
    raise TypeError(node)


def namespace_selector_matches(sel: CalicoSelector, labels: Mapping[str, str] | None) -> bool:
    """A namespaceSelector against a namespace (``labels``) or, with None, against the
    non-namespaced resources (``global()`` true, no labels)."""
    if labels is None:
        return _eval(sel.root, {}, True)
    if not sel.uses_global:
        return compile_calico_selector(sel)(labels)
    return _eval(sel.root, labels, False)


def _matches(sel: CalicoSelector, labels: Mapping[str, str]) -> bool:
    return compile_calico_selector(sel)(labels)


# --- policies and tiers --------------------------------------------------------------------


def applies(policy: CalicoPolicy, subject: CalicoEnd, direction: Direction) -> bool:
    """Whether ``policy`` is one of the subject's policies for ``direction``."""
    if not subject.is_pod or direction not in policy.types or policy.host_endpoint_only:
        return False
    if policy.namespace is not None and policy.namespace != subject.namespace:
        return False
    if (policy.namespace_selector is not None and not namespace_selector_matches(
            policy.namespace_selector, subject.calico_namespace_labels())):
        return False
    if not _matches(policy.selector, subject.calico_labels()):
        return False
    sa = policy.service_account_selector
    return sa is None or _matches(sa, {NAMESPACE_NAME_LABEL: subject.account})


def tier_order(res: CalicoResources) -> list[CalicoTier]:
    """Every tier that has a policy (or is given), in evaluation order."""
    names = {p.tier for p in res.policies} | {t.name for t in res.tiers} | {DEFAULT_TIER}
    return sorted((res.tier(n) for n in names), key=lambda t: t.sort_key)


def _knp_key() -> tuple[bool, float, str, str]:
    return (False, K8S_POLICY_ORDER, _KNP_NAME, "")


# --- rule matching -------------------------------------------------------------------------


def _protocols(rule: CalicoRule) -> tuple[Protocol, ...]:
    def one(m: ProtocolMatch) -> Protocol | None:
        if m.name is not None:
            return Protocol(m.name) if m.name in ("TCP", "UDP", "SCTP") else None
        return _NUMBERS.get(m.number or 0)

    out: tuple[Protocol, ...] = (Protocol.TCP, Protocol.UDP, Protocol.SCTP)
    if rule.protocol is not None:
        p = one(rule.protocol)
        out = (p,) if p is not None else ()
    if rule.not_protocol is not None:
        p = one(rule.not_protocol)
        out = tuple(x for x in out if x is not p)
    return out


def _port_set(ports: Sequence[PortRange], protocols: Sequence[Protocol],
              container: tuple[ContainerPort, ...] | None) -> PortSet:
    out = PortSet.none()
    for pr in ports:
        if pr.name is None:
            lo, hi = max(pr.lo, 1), pr.hi
            if lo > hi:
                continue
            for proto in protocols:
                out = out.union(PortSet.of(proto, IntervalSet.single(lo, hi)))
        else:
            for cp in container or ():
                if cp.name == pr.name and cp.protocol in protocols:
                    out = out.union(PortSet.of(cp.protocol, IntervalSet.single(cp.port)))
    return out


def _network_sets(ctx: Context, policy: CalicoPolicy, ent: EntityRule,
                  sel: CalicoSelector) -> AddressSet:
    """The addresses of the network sets a selector (with the entity's namespaceSelector)
    reaches from ``policy``."""
    out = AddressSet()
    ns_sel = ent.namespace_selector
    for s in ctx.network_sets:
        if s.namespace is None:
            in_scope = (namespace_selector_matches(ns_sel, None) if ns_sel is not None
                        else policy.namespace is None)
        elif ns_sel is not None:
            # A NetworkSet's namespace labels are not at hand here: its namespace name is.
            in_scope = namespace_selector_matches(ns_sel, {NAMESPACE_NAME_LABEL: s.namespace})
        else:
            in_scope = policy.namespace is None or s.namespace == policy.namespace
        if in_scope and _matches(sel, s.labels):
            out = out.union(AddressSet.of_networks(s.nets))
    return out


def _inside(piece: AddressSet, nets: AddressSet) -> bool:
    return bool(piece) and not piece.difference(nets)


def _entity_match(ctx: Context, policy: CalicoPolicy, ent: EntityRule, end: CalicoEnd,
                  notes: list[str]) -> bool:
    """Whether ``end`` satisfies every non-port criterion of ``ent``."""
    if end.is_pod:
        if ent.nets:
            if POD_NETS_NOTE not in notes:
                notes.append(POD_NETS_NOTE)
            return False
        if ent.namespace_selector is not None:
            in_scope = namespace_selector_matches(ent.namespace_selector,
                                                  end.calico_namespace_labels())
        else:
            in_scope = policy.namespace is None or end.namespace == policy.namespace
        labels = end.calico_labels()
        if ((ent.selector is not None or ent.namespace_selector is not None)
                and not (in_scope and _matches(ent.selector or _ALL, labels))):
            return False
        if ent.not_selector is not None and in_scope and _matches(ent.not_selector, labels):
            return False
        sa = ent.service_accounts
        if sa is not None:
            if not in_scope or (sa.names and end.account not in sa.names):
                return False
            if sa.selector is not None and not _matches(
                    sa.selector, {NAMESPACE_NAME_LABEL: end.account}):
                return False
        if ent.services is not None:
            target = _service(ctx, policy, ent)
            if (target is None or target.selector is None or target.namespace != end.namespace
                    or not all(labels.get(k) == v for k, v in target.selector.items())):
                return False
        return True
    piece = end.addresses or AddressSet()
    if ent.nets and not _inside(piece, AddressSet.of_networks(ent.nets)):
        return False
    if ent.not_nets and piece.intersection(AddressSet.of_networks(ent.not_nets)):
        return False
    if ent.service_accounts is not None:
        return False
    names = ent.selector is not None or ent.namespace_selector is not None
    if names and not _inside(piece, _network_sets(ctx, policy, ent, ent.selector or _ALL)):
        return False
    if ent.not_selector is not None and piece.intersection(
            _network_sets(ctx, policy, ent, ent.not_selector)):
        return False
    if ent.services is not None:
        target = _service(ctx, policy, ent)
        if target is None or target.addresses is None or not _inside(piece, target.addresses):
            return False
    return True


def _service(ctx: Context, policy: CalicoPolicy, ent: EntityRule) -> ServiceTarget | None:
    assert ent.services is not None
    namespace = ent.services.namespace or policy.namespace or "default"
    return ctx.services.get((namespace, ent.services.name))


def rule_ports(ctx: Context, policy: CalicoPolicy, rule: CalicoRule, subject: CalicoEnd,
               other: CalicoEnd, notes: list[str]) -> PortSet:
    """The destination ports (per protocol) on which ``rule`` matches this connection."""
    protocols = _protocols(rule)
    if not protocols:
        return PortSet.none()
    if rule.source.ports:
        if SOURCE_PORTS_NOTE not in notes:
            notes.append(SOURCE_PORTS_NOTE)
        return PortSet.none()
    if rule.ip_version is not None and not other.is_pod:
        piece = other.addresses or AddressSet()
        if piece.v6 if rule.ip_version == 4 else piece.v4:
            return PortSet.none()
    src, dst = ((other, subject) if rule.direction is Direction.INGRESS
                else (subject, other))
    if not _entity_match(ctx, policy, rule.source, src, notes):
        return PortSet.none()
    if not _entity_match(ctx, policy, rule.destination, dst, notes):
        return PortSet.none()
    ports = PortSet.none()
    for proto in protocols:
        ports = ports.union(PortSet.of(proto, ALL_PORTS))
    d = rule.destination
    if d.ports:
        ports = ports.intersection(_port_set(d.ports, protocols, dst.ports))
    if d.not_ports:
        ports = ports.difference(_port_set(d.not_ports, protocols, dst.ports))
    if d.services is not None:
        target = _service(ctx, policy, d)
        if target is not None:
            named = _port_set([PortRange(name=n) for n, _ in target.named_ports], protocols,
                              dst.ports)
            ports = ports.intersection(target.ports.union(named))
    return ports


# --- sharing keys --------------------------------------------------------------------------


def subject_key(ctx: Context, policies: Sequence[CalicoPolicy], subject: CalicoEnd,
                direction: Direction, among: Iterable[int] | None = None
                ) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    """What :func:`decide_tier` reads of a pod ``subject`` besides its container ports: which
    of ``policies`` apply to it, and which of their rules' subject-side entity (the
    destination of an ingress rule, the source of an egress rule) it satisfies. ``among``:
    the indices of the only policies that may apply (e.g. those of its namespace and the
    global ones), in order; None: all."""
    indices = range(len(policies)) if among is None else among
    applying = tuple(i for i in indices if applies(policies[i], subject, direction))
    notes: list[str] = []
    matched = tuple(
        (i, j) for i in applying
        for j, rule in enumerate(policies[i].rules(direction))
        if _entity_match(ctx, policies[i], rule.destination if direction is Direction.INGRESS
                         else rule.source, subject, notes))
    return applying, matched


def peer_side_matches(ctx: Context, policy: CalicoPolicy, rule: CalicoRule,
                      direction: Direction, other: CalicoEnd) -> bool:
    """Whether a pod ``other`` satisfies ``rule``'s entity on the other end's side (the
    source of an ingress rule, the destination of an egress rule)."""
    return _entity_match(ctx, policy, rule.source if direction is Direction.INGRESS
                         else rule.destination, other, [])


def peer_signature(ctx: Context, policies: Sequence[CalicoPolicy], other: CalicoEnd,
                   direction: Direction) -> tuple[tuple[int, int], ...]:
    """Which rules of ``direction``, of all ``policies``, a pod ``other`` satisfies on the
    other end's side (the source of an ingress rule, the destination of an egress rule):
    what :func:`decide_tier` reads of it besides its container ports."""
    notes: list[str] = []
    return tuple(
        (i, j) for i, p in enumerate(policies)
        for j, rule in enumerate(p.rules(direction))
        if _entity_match(ctx, p, rule.source if direction is Direction.INGRESS
                         else rule.destination, other, notes))


# --- deciding a tier -----------------------------------------------------------------------

KubernetesShare = Callable[[PortSet], tuple[bool, PortSet]]


def _run_policy(ctx: Context, tier: str, policy: CalicoPolicy, subject: CalicoEnd,
                direction: Direction, other: CalicoEnd, undecided: PortSet,
                out: dict[Action, PortSet], steps: list[Step], notes: list[str]) -> PortSet:
    for rule in policy.rules(direction):
        if not undecided:
            break
        ports = rule_ports(ctx, policy, rule, subject, other, notes).intersection(undecided)
        if not ports or rule.action is Action.LOG:
            continue
        out[rule.action] = out[rule.action].union(ports)
        undecided = undecided.difference(ports)
        steps.append(Step(tier, policy, rule.action, ports, rule))
    return undecided


def decide_tier(ctx: Context, tier: CalicoTier, policies: Sequence[CalicoPolicy],
                subject: CalicoEnd, direction: Direction, other: CalicoEnd,
                undecided: PortSet, kubernetes: KubernetesShare | None = None
                ) -> TierResult | None:
    """One tier's decision on ``undecided`` for the subject's ``direction`` side.

    Args:
        policies: the tier's policies (any order; sorted here).
        kubernetes: for the ``default`` tier, the Kubernetes NetworkPolicies' share: given
            the undecided ports, (whether one isolates the subject, the ports they allow).

    Returns:
        None when no policy of the tier (and no Kubernetes policy) applies to the subject.
    """
    mine = sorted((p for p in policies if applies(p, subject, direction)),
                  key=lambda p: p.sort_key)
    out = {a: PortSet.none() for a in Action}
    steps: list[Step] = []
    notes: list[str] = []
    engaged = bool(mine)
    knp_done = kubernetes is None
    for policy in mine:
        if not knp_done and policy.sort_key > _knp_key():
            knp_done = True
            undecided, engaged = _kubernetes(kubernetes, tier, undecided, out, steps, engaged)
        undecided = _run_policy(ctx, tier.name, policy, subject, direction, other, undecided,
                                out, steps, notes)
    if not knp_done:
        undecided, engaged = _kubernetes(kubernetes, tier, undecided, out, steps, engaged)
    if not engaged:
        return None
    if undecided:
        out[tier.default_action] = out[tier.default_action].union(undecided)
        steps.append(Step(tier.name, None, tier.default_action, undecided))
    return TierResult(out[Action.ALLOW], out[Action.DENY], out[Action.PASS], tuple(steps),
                      tuple(notes))


def _kubernetes(kubernetes: KubernetesShare | None, tier: CalicoTier, undecided: PortSet,
                out: dict[Action, PortSet], steps: list[Step], engaged: bool
                ) -> tuple[PortSet, bool]:
    if kubernetes is None or not undecided:
        return undecided, engaged
    isolated, allowed = kubernetes(undecided)
    if not isolated:
        return undecided, engaged
    allowed = allowed.intersection(undecided)
    if allowed:
        out[Action.ALLOW] = out[Action.ALLOW].union(allowed)
        steps.append(Step(tier.name, None, Action.ALLOW, allowed))
    return undecided.difference(allowed), True



@dataclass(frozen=True)
class SideResult:
    """Every tier run over a query: the allowed ports, the decisions in order, and whether
    any tier had a policy for the subject."""

    allowed: PortSet
    steps: tuple[Step, ...]
    notes: tuple[str, ...]
    engaged: bool


def evaluate_side(ctx: Context, res: CalicoResources, subject: CalicoEnd, direction: Direction,
                  other: CalicoEnd, query: PortSet, kubernetes: KubernetesShare | None = None
                  ) -> SideResult:
    """The Calico tiers alone (with the Kubernetes policies in ``default``) over ``query``:
    what the layered engine does with Calico's tiers and nothing else. Ports that every
    tier passes are allowed (Calico's Kubernetes profiles allow)."""
    by_tier: dict[str, list[CalicoPolicy]] = {}
    for p in res.policies:
        by_tier.setdefault(p.tier, []).append(p)
    undecided, allowed = query, PortSet.none()
    steps: list[Step] = []
    notes: list[str] = []
    engaged = False
    for tier in tier_order(res):
        if not undecided:
            break
        share = kubernetes if tier.name == DEFAULT_TIER else None
        r = decide_tier(ctx, tier, by_tier.get(tier.name, ()), subject, direction, other,
                        undecided, share)
        if r is None:
            continue
        engaged = True
        allowed = allowed.union(r.allowed)
        undecided = undecided.difference(r.allowed.union(r.denied))
        steps.extend(r.steps)
        notes.extend(n for n in r.notes if n not in notes)
    return SideResult(allowed.union(undecided), tuple(steps), tuple(notes), engaged)
