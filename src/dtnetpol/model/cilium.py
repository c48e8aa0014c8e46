"""Cilium's ``cilium.io/v2`` CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.

A policy holds one or more rules (``spec`` and ``specs``), each a :class:`CiliumSpec`: an
``endpointSelector`` (or a ``nodeSelector``: a host policy, kept but not modelled), and
``ingress``/``ingressDeny``/``egress``/``egressDeny`` rules. Selectors keep Cilium's label
keys as written (``k8s:app``, ``io.kubernetes.pod.namespace``); the engine reads the source
prefixes. The reader is :mod:`dtnetpol.manifest.cilium`; the semantics are in
:mod:`dtnetpol.engine.cilium`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction, IPBlock, LabelSelector, Protocol

CNP = "CiliumNetworkPolicy"
CCNP = "CiliumClusterwideNetworkPolicy"

#: Entities the CRD accepts.
ENTITIES = ("all", "world", "world-ipv4", "world-ipv6", "cluster", "cluster-mesh", "host",
            "init", "ingress", "unmanaged", "remote-node", "health", "none", "kube-apiserver")


@dataclass(frozen=True)
class CiliumPort:
    """One ``toPorts[].ports`` item: ``port`` None is every port (``"0"`` or absent); a
    string is a named port; ``protocols`` is TCP, UDP and SCTP for ``ANY`` or no protocol."""

    protocols: tuple[Protocol, ...]
    port: int | str | None = None
    end_port: int | None = None
    other_protocol: str | None = None   # VRRP, IGMP, ...: not modelled, matches nothing


@dataclass(frozen=True)
class CiliumPortRule:
    """One ``toPorts`` item: its ports (none = every port) and the L7 kinds it carries."""

    ports: tuple[CiliumPort, ...] = ()
    l7: tuple[str, ...] = ()   # "http", "dns", "kafka", "l7proto", ...; L4 is what we check


@dataclass(frozen=True)
class CiliumService:
    """A ``toServices`` item: by name or by label selector, in ``namespace``."""

    namespace: str
    name: str | None = None
    selector: LabelSelector | None = None


@dataclass(frozen=True)
class FQDNSelector:
    match_name: str | None = None
    match_pattern: str | None = None

    def __str__(self) -> str:
        return self.match_name or self.match_pattern or ""


@dataclass(frozen=True)
class CiliumRule:
    """One ingress/egress (deny) rule. ``endpoints`` None means the field is absent (``[]``
    or ``[{}]`` differ: none, or every endpoint)."""

    direction: Direction
    deny: bool
    index: int
    endpoints: tuple[LabelSelector, ...] | None = None
    entities: tuple[str, ...] = ()
    cidrs: tuple[IPBlock, ...] = ()
    services: tuple[CiliumService, ...] = ()
    fqdns: tuple[FQDNSelector, ...] = ()
    nodes: tuple[LabelSelector, ...] | None = None
    to_ports: tuple[CiliumPortRule, ...] = ()
    unmodelled: tuple[str, ...] = ()   # fields present that the engine does not evaluate
    location: SourceLocation | None = field(default=None, compare=False)

    @property
    def has_peer(self) -> bool:
        """Whether the rule names any L3 peer (else ``toPorts`` alone means every peer)."""
        return (self.endpoints is not None or bool(self.entities) or bool(self.cidrs)
                or bool(self.services) or bool(self.fqdns) or self.nodes is not None
                or "toGroups" in self.unmodelled or "fromGroups" in self.unmodelled)


@dataclass(frozen=True)
class CiliumSpec:
    """One rule of a policy (``spec``, or ``specs[i]``)."""

    index: int | None
    endpoint_selector: LabelSelector | None
    node_selector: LabelSelector | None = None
    ingress: tuple[CiliumRule, ...] = ()
    ingress_deny: tuple[CiliumRule, ...] = ()
    egress: tuple[CiliumRule, ...] = ()
    egress_deny: tuple[CiliumRule, ...] = ()
    default_deny_ingress: bool | None = None
    default_deny_egress: bool | None = None
    description: str = ""
    location: SourceLocation | None = field(default=None, compare=False)

    def allows(self, direction: Direction) -> tuple[CiliumRule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress

    def denies(self, direction: Direction) -> tuple[CiliumRule, ...]:
        return self.ingress_deny if direction is Direction.INGRESS else self.egress_deny

    def default_deny(self, direction: Direction) -> bool:
        """``enableDefaultDeny`` for ``direction``; unset: true when the direction has
        rules (allow or deny)."""
        explicit = (self.default_deny_ingress if direction is Direction.INGRESS
                    else self.default_deny_egress)
        if explicit is not None:
            return explicit
        return bool(self.allows(direction) or self.denies(direction))

    @property
    def is_host_policy(self) -> bool:
        return self.node_selector is not None


@dataclass(frozen=True)
class CiliumPolicy:
    kind: str
    namespace: str | None
    name: str
    specs: tuple[CiliumSpec, ...]
    location: SourceLocation | None = field(default=None, compare=False)

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace \
            else f"{self.kind} {self.name}"

    @property
    def display(self) -> str:
        """The name as an explanation chain prints it after the kind."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name
