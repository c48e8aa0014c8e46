"""Cluster-admin policies of ``policy.networking.k8s.io``, as frozen dataclasses.

One model serves the three kinds, because they share their shape:

- ``AdminNetworkPolicy`` (v1alpha1): the admin tier, ``priority`` 0–1000 (lower first),
  actions Allow, Deny and Pass.
- ``BaselineAdminNetworkPolicy`` (v1alpha1): the baseline tier, a singleton named
  ``default``, actions Allow and Deny.
- ``ClusterNetworkPolicy`` (v1alpha2): ``spec.tier`` Admin or Baseline, actions Accept
  (read as Allow), Deny and Pass, ports under ``protocols``.

Within a tier, policies are taken by priority and each policy's rules in written order; the
first rule that matches a connection decides it (Pass hands it to the next tier).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction, IPNetwork, LabelSelector, PolicyPort


class AdminTier(StrEnum):
    ADMIN = "Admin"
    BASELINE = "Baseline"


class AdminAction(StrEnum):
    """A rule's verdict; ClusterNetworkPolicy's ``Accept`` is read as ALLOW."""

    ALLOW = "Allow"
    DENY = "Deny"
    PASS = "Pass"


class AdminPeerKind(StrEnum):
    NAMESPACES = "namespaces"
    PODS = "pods"
    NODES = "nodes"
    NETWORKS = "networks"
    DOMAIN_NAMES = "domainNames"


@dataclass(frozen=True)
class AdminSubject:
    """``subject``: pods in namespaces matching ``namespace_selector`` (and, for the
    ``pods`` form, matching ``pod_selector``; None for the ``namespaces`` form)."""

    namespace_selector: LabelSelector
    pod_selector: LabelSelector | None = None


@dataclass(frozen=True)
class AdminPeer:
    """One item of ``from``/``to``; exactly one form is set (``kind`` says which).

    ``namespaces``: ``namespace_selector``; ``pods``: both selectors; ``nodes``:
    ``node_selector``; ``networks``: ``networks``; ``domainNames``: ``domain_names``.
    """

    kind: AdminPeerKind
    namespace_selector: LabelSelector | None = None
    pod_selector: LabelSelector | None = None
    node_selector: LabelSelector | None = None
    networks: tuple[IPNetwork, ...] = ()
    domain_names: tuple[str, ...] = ()
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class AdminRule:
    """One ingress or egress rule. Empty ``ports`` matches every port (as in the API,
    where the field is optional)."""

    direction: Direction
    index: int
    action: AdminAction
    peers: tuple[AdminPeer, ...]
    ports: tuple[PolicyPort, ...] = ()
    name: str = ""
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class AdminPolicy:
    """An AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy."""

    kind: str
    name: str
    tier: AdminTier
    priority: int
    subject: AdminSubject
    ingress: tuple[AdminRule, ...] = ()
    egress: tuple[AdminRule, ...] = ()
    location: SourceLocation | None = field(default=None, compare=False)

    @property
    def short_kind(self) -> str:
        """The kind as explanations print it: ANP, BANP, or ClusterNetworkPolicy:<tier>."""
        if self.kind == "AdminNetworkPolicy":
            return "ANP"
        if self.kind == "BaselineAdminNetworkPolicy":
            return "BANP"
        return f"CNP:{self.tier.value}"

    @property
    def ref(self) -> str:
        return f"{self.short_kind} {self.name}"

    def rules(self, direction: Direction) -> tuple[AdminRule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress
