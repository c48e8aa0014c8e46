"""networking.k8s.io/v1 NetworkPolicy as frozen dataclasses (after API defaulting)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum

from dtnetpol.model.location import SourceLocation

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Direction(StrEnum):
    INGRESS = "Ingress"
    EGRESS = "Egress"

    @property
    def word(self) -> str:
        """``ingress`` or ``egress``, as in a field path."""
        return self.value.lower()


class Protocol(StrEnum):
    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"


@dataclass(frozen=True)
class Requirement:
    """One matchExpressions entry; operator is In, NotIn, Exists or DoesNotExist."""

    key: str
    operator: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelSelector:
    """matchLabels and matchExpressions, ANDed. The empty selector matches everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def __str__(self) -> str:
        parts = [f"{k}={v}" for k, v in self.match_labels]
        for r in self.match_expressions:
            if r.operator in ("Exists", "DoesNotExist"):
                parts.append(("!" if r.operator == "DoesNotExist" else "") + r.key)
            else:
                op = "in" if r.operator == "In" else "notin"
                parts.append(f"{r.key} {op} ({','.join(r.values)})")
        return ",".join(parts) if parts else "{}"


@dataclass(frozen=True)
class IPBlock:
    """cidr minus except; ``text`` keeps what the user wrote for messages."""

    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def __str__(self) -> str:
        if not self.excepts:
            return str(self.cidr)
        return f"{self.cidr} except {', '.join(str(e) for e in self.excepts)}"


@dataclass(frozen=True)
class Peer:
    """One item of ``from``/``to``: selectors (alone or ANDed) or an ipBlock."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None
    location: SourceLocation | None = field(default=None, compare=False)

    def describe(self, policy_namespace: str) -> str:
        if self.ip_block is not None:
            return f"ipBlock {self.ip_block}"
        if self.namespace_selector is None:
            return f"pods [{self.pod_selector}] in namespace {policy_namespace}"
        ns = ("all namespaces" if self.namespace_selector.is_empty
              else f"namespaces [{self.namespace_selector}]")
        if self.pod_selector is None:
            return f"all pods in {ns}"
        return f"pods [{self.pod_selector}] in {ns}"


@dataclass(frozen=True)
class PolicyPort:
    """One ``ports`` item. ``port`` None means every port of the protocol."""

    protocol: Protocol = Protocol.TCP
    port: int | str | None = None
    end_port: int | None = None
    location: SourceLocation | None = field(default=None, compare=False)

    def __str__(self) -> str:
        if self.port is None:
            return f"all/{self.protocol.value}"
        if self.end_port is not None:
            return f"{self.port}-{self.end_port}/{self.protocol.value}"
        return f"{self.port}/{self.protocol.value}"


@dataclass(frozen=True)
class Rule:
    """An ingress or egress rule. Empty ``peers`` or ``ports`` match everything."""

    direction: Direction
    index: int
    peers: tuple[Peer, ...] = ()
    ports: tuple[PolicyPort, ...] = ()
    location: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class NetworkPolicy:
    """A NetworkPolicy with ``policy_types`` already defaulted as the API server does."""

    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: frozenset[Direction]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    policy_types_declared: bool = True
    annotations: tuple[tuple[str, str], ...] = ()
    location: SourceLocation | None = field(default=None, compare=False)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: Direction) -> tuple[Rule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress

    def isolates(self, direction: Direction) -> bool:
        return direction in self.policy_types


def default_policy_types(declared: list[Direction] | None,
                         has_egress_rules: bool) -> frozenset[Direction]:
    """API-server defaulting: empty policyTypes → Ingress, plus Egress if egress has a rule."""
    if declared:
        return frozenset(declared)
    types = {Direction.INGRESS}
    if has_egress_rules:
        types.add(Direction.EGRESS)
    return frozenset(types)
