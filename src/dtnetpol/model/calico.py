"""Calico's policy kinds (projectcalico.org/v3, or crd.projectcalico.org/v1 as stored) as
frozen dataclasses, after Calico's defaulting.

What is read, and how, is listed in the README (``## Calico``); the reader is
``dtnetpol.manifest.calico``. A Calico cluster's policies are evaluated tier by tier
(``dtnetpol.engine.calico_tier``): tiers by ``order`` (none = last), policies by ``order``
inside a tier (none = last, ties by name), the first matching rule of a policy decides
(``Log`` goes on), ``Pass`` skips to the next tier, and a tier that has a policy for the
endpoint but matches no rule ends with its ``defaultAction`` (Deny unless set to Pass).
Kubernetes NetworkPolicies are policies of the ``default`` tier at order 1000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from dtnetpol.model.calico_resources import CalicoResources as CalicoResources
from dtnetpol.model.calico_selector import CalicoSelector
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction, IPNetwork, NetworkPolicy

DEFAULT_TIER = "default"
#: Calico's built-in tier orders (projectcalico/api ``tier.go``).
DEFAULT_TIER_ORDER = 1_000_000.0
KUBE_ADMIN_TIER_ORDER = 1_000.0
KUBE_BASELINE_TIER_ORDER = 10_000_000.0
#: The order Calico gives each Kubernetes NetworkPolicy inside the default tier.
K8S_POLICY_ORDER = 1000.0
#: Labels Calico adds to every workload endpoint and namespace before selectors see them.
NAMESPACE_NAME_LABEL = "projectcalico.org/name"
ENDPOINT_NAMESPACE_LABEL = "projectcalico.org/namespace"
ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"


class Action(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"
    PASS = "Pass"
    LOG = "Log"


class CalicoKind(StrEnum):
    NETWORK_POLICY = "NetworkPolicy"
    GLOBAL_NETWORK_POLICY = "GlobalNetworkPolicy"
    STAGED_NETWORK_POLICY = "StagedNetworkPolicy"
    STAGED_GLOBAL_NETWORK_POLICY = "StagedGlobalNetworkPolicy"

    @property
    def is_global(self) -> bool:
        return self in (CalicoKind.GLOBAL_NETWORK_POLICY, CalicoKind.STAGED_GLOBAL_NETWORK_POLICY)

    @property
    def is_staged(self) -> bool:
        return self.value.startswith("Staged")

    @property
    def short(self) -> str:
        """``NetworkPolicy`` -> ``CNP``-style tags used in explain chains."""
        return {"NetworkPolicy": "Calico", "GlobalNetworkPolicy": "Calico global",
                "StagedNetworkPolicy": "Calico staged",
                "StagedGlobalNetworkPolicy": "Calico staged global"}[self.value]


@dataclass(frozen=True)
class PortRange:
    """One ``ports`` item: ``lo``–``hi`` (``"1000:2000"``, or one number), or a name."""

    lo: int = 0
    hi: int = 0
    name: str | None = None

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        return str(self.lo) if self.lo == self.hi else f"{self.lo}:{self.hi}"


@dataclass(frozen=True)
class ServiceAccountMatch:
    """``serviceAccounts``: names (any of) AND a selector over the accounts' labels."""

    names: tuple[str, ...] = ()
    selector: CalicoSelector | None = None


@dataclass(frozen=True)
class ServiceMatch:
    """``services``: the endpoints of one Service (namespace None: the policy's own)."""

    name: str
    namespace: str | None = None


@dataclass(frozen=True)
class EntityRule:
    """``source`` or ``destination`` of a rule; every given criterion must hold (AND)."""

    nets: tuple[IPNetwork, ...] = ()
    not_nets: tuple[IPNetwork, ...] = ()
    selector: CalicoSelector | None = None
    not_selector: CalicoSelector | None = None
    namespace_selector: CalicoSelector | None = None
    ports: tuple[PortRange, ...] = ()
    not_ports: tuple[PortRange, ...] = ()
    service_accounts: ServiceAccountMatch | None = None
    services: ServiceMatch | None = None

    @property
    def is_empty(self) -> bool:
        return self == _EMPTY_ENTITY

    @property
    def names_endpoints(self) -> bool:
        """True when the entity is limited to Calico endpoints (or network sets)."""
        return (self.selector is not None or self.namespace_selector is not None
                or self.service_accounts is not None or self.services is not None)


_EMPTY_ENTITY = EntityRule()


@dataclass(frozen=True)
class ProtocolMatch:
    """``protocol``/``notProtocol``: a name (``TCP``, ``ICMP``, ...) or a number 1–255."""

    name: str | None = None
    number: int | None = None

    def __str__(self) -> str:
        return self.name if self.name is not None else str(self.number)


@dataclass(frozen=True)
class CalicoRule:
    direction: Direction
    index: int
    action: Action
    protocol: ProtocolMatch | None = None
    not_protocol: ProtocolMatch | None = None
    ip_version: int | None = None
    source: EntityRule = _EMPTY_ENTITY
    destination: EntityRule = _EMPTY_ENTITY
    #: ``icmp``/``notICMP`` given (matches ICMP only, never a TCP/UDP/SCTP port)
    has_icmp: bool = False
    #: ``http`` given: an L7 match (Calico's application layer); read as its L4 part
    has_http: bool = False
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class CalicoPolicy:
    """A Calico NetworkPolicy or GlobalNetworkPolicy (or their Staged forms).

    ``namespace`` is None for the global kinds. ``types`` are already defaulted as Calico
    does: Ingress when there are no egress rules; Egress when there are only egress rules;
    both when there are both.
    """

    kind: CalicoKind
    namespace: str | None
    name: str
    tier: str
    order: float | None
    selector: CalicoSelector
    types: frozenset[Direction]
    ingress: tuple[CalicoRule, ...] = ()
    egress: tuple[CalicoRule, ...] = ()
    namespace_selector: CalicoSelector | None = None
    service_account_selector: CalicoSelector | None = None
    types_declared: bool = True
    #: host-endpoint options (GlobalNetworkPolicy): not modelled, reported
    do_not_track: bool = False
    pre_dnat: bool = False
    apply_on_forward: bool = False
    #: Staged kinds: Set (default), Delete, Learn or Ignore
    staged_action: str | None = None
    api_version: str = "projectcalico.org/v3"
    location: SourceLocation | None = field(default=None, compare=False)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace is not None else self.name

    @property
    def label(self) -> str:
        """``[Calico shop/deny-all]``-style tag body: kind tag and reference."""
        return f"{self.kind.short} {self.ref}"

    def rules(self, direction: Direction) -> tuple[CalicoRule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress

    @property
    def host_endpoint_only(self) -> bool:
        """preDNAT, doNotTrack and applyOnForward act on host endpoints only."""
        return self.do_not_track or self.pre_dnat or self.apply_on_forward

    @property
    def sort_key(self) -> tuple[bool, float, str, str]:
        """Calico's order inside a tier: by order (none = last), then by name (then by
        namespace, so that equal names still sort the same way every time)."""
        return (self.order is None, self.order or 0.0, self.name, self.namespace or "")


@dataclass(frozen=True)
class CalicoTier:
    name: str
    order: float | None
    default_action: Action = Action.DENY
    location: SourceLocation | None = field(default=None, compare=False)

    @property
    def sort_key(self) -> tuple[bool, float, str]:
        return (self.order is None, self.order or 0.0, self.name)


@dataclass(frozen=True)
class NetworkSet:
    """A NetworkSet (namespaced) or GlobalNetworkSet (``namespace`` None): labelled CIDRs."""

    namespace: str | None
    name: str
    labels: dict[str, str] = field(default_factory=dict, hash=False)
    nets: tuple[IPNetwork, ...] = ()
    location: SourceLocation | None = field(default=None, compare=False)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace is not None else self.name


@dataclass(frozen=True)
class StagedKubernetesPolicy:
    """A StagedKubernetesNetworkPolicy: a NetworkPolicy that is not enforced."""

    policy: NetworkPolicy
    staged_action: str = "Set"


def builtin_tier(name: str) -> CalicoTier:
    """A tier as Calico creates it when not given: ``default`` at 1,000,000 (Deny);
    ``kube-admin`` 1,000 and ``kube-baseline`` 10,000,000 (Pass); any other name has no
    order (last) and Deny."""
    if name == DEFAULT_TIER:
        return CalicoTier(name, DEFAULT_TIER_ORDER, Action.DENY)
    if name == "kube-admin":
        return CalicoTier(name, KUBE_ADMIN_TIER_ORDER, Action.PASS)
    if name == "kube-baseline":
        return CalicoTier(name, KUBE_BASELINE_TIER_ORDER, Action.PASS)
    return CalicoTier(name, None, Action.DENY)
