"""Verdicts that carry their own explanation: which policies isolate a side, which rule allows."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.ports import PortSet
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction, Protocol

IPBLOCK_NOTE = ("an ipBlock matches only addresses outside the cluster network, never pod IPs "
                "(whether a CNI applies it to pod IPs is implementation-defined)")


class SideStatus(StrEnum):
    """How one side (egress of the source, ingress of the destination) decides."""

    NOT_ISOLATED = "not-isolated"   # no policy selects the pod for this direction: all allowed
    ALLOWED = "allowed"             # isolated, and at least one rule allows it
    BLOCKED = "blocked"             # isolated, and no rule allows it
    PARTIAL = "partial"             # isolated; rules allow part of the peer's addresses only
    NOT_GOVERNED = "not-governed"   # host-network pod: NetworkPolicy has no effect on it
    NOT_A_POD = "not-a-pod"         # an address outside the pod network: no policy applies


@dataclass(frozen=True)
class RuleRef:
    """One rule of one policy, with where it is written."""

    policy: str
    direction: Direction
    index: int
    location: SourceLocation | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = ""
        if self.location is not None and self.location.line is not None:
            where = f" ({self.location.file}:{self.location.line})"
        return f"{self.policy} {self.direction.word}[{self.index}]{where}"


class Action(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"
    PASS = "Pass"


@dataclass(frozen=True)
class Step:
    """One decision of a verdict's chain: ``[layer policy] Action`` on ``ports``.

    ``rule`` names the rule when one decided (a default deny or a tier's end-of-tier drop
    has none); ``conditional`` marks an allow that holds only under a condition (a Cilium
    ``toFQDNs`` or an admin ``domainNames`` peer: the host's addresses are learnt from DNS).
    ``policies`` lists each policy (``Kind name``) of a step that stands for several, such as
    the default deny of every policy isolating a direction, so that reports name each once.
    """

    layer: str
    policy: str
    action: Action
    ports: PortSet
    rule: RuleRef | None = None
    conditional: bool = False
    policies: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The policies of this step, each as ``Kind name`` (the layer alone for a step of no
        policy, such as a tier's end)."""
        if self.policies:
            return self.policies
        return (f"{self.layer} {self.policy}" if self.policy else self.layer,)

    def __str__(self) -> str:
        head = f"{self.layer} {self.policy}" if self.policy else self.layer
        return f"[{head}] {self.action.value}"


@dataclass(frozen=True)
class SideVerdict:
    """What one side (egress of the source, ingress of the destination) decides,
    and the policies, rules and steps that decided it."""

    direction: Direction
    subject: str
    status: SideStatus
    isolating_policies: tuple[str, ...] = ()
    allowing_rules: tuple[RuleRef, ...] = ()
    allowed_addresses: AddressSet | None = None
    notes: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()

    @property
    def chain(self) -> str:
        """The layers' decisions in order, e.g. ``[ANP a] Pass -> [NetworkPolicy ns/b] Deny``
        (empty when only NetworkPolicies apply). A decision repeated (several rules of one
        policy, or pieces of an address range) is named once; ``steps`` has them all."""
        return " -> ".join(dict.fromkeys(str(s) for s in self.steps))

    @property
    def allows(self) -> bool:
        return self.status not in (SideStatus.BLOCKED, SideStatus.PARTIAL)

    def describe(self) -> str:
        side = f"{self.direction.word} of {self.subject}"
        if self.steps:
            return f"{side}: {self.status.value}: {self.chain}"
        if self.status is SideStatus.NOT_ISOLATED:
            return f"{side}: not isolated (no policy selects it for {self.direction.value}): " \
                   "allowed"
        if self.status is SideStatus.NOT_GOVERNED:
            return f"{side}: host-network pod, not governed by NetworkPolicy"
        if self.status is SideStatus.NOT_A_POD:
            return f"{side}: not a pod, no NetworkPolicy applies"
        pols = ", ".join(self.isolating_policies)
        if self.status is SideStatus.ALLOWED:
            rules = ", ".join(str(r) for r in self.allowing_rules)
            return f"{side}: isolated by {pols}; allowed by {rules}"
        if self.status is SideStatus.PARTIAL:
            return (f"{side}: isolated by {pols}; allowed only for {self.allowed_addresses} "
                    f"by {', '.join(str(r) for r in self.allowing_rules)}")
        return f"{side}: isolated by {pols}; no rule allows it"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    CONDITIONAL = "conditional"


@dataclass(frozen=True)
class Verdict:
    """Can ``source`` reach ``destination`` on ``port``/``protocol``: both sides explained."""

    source: str
    destination: str
    protocol: Protocol | None
    port: int | None
    egress: SideVerdict
    ingress: SideVerdict
    outcome: Outcome
    condition: str = ""
    #: what Calico's staged policies (never enforced) would change, when the input has any
    staged: str = ""

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED

    @property
    def blocked_by(self) -> str | None:
        e, i = not self.egress.allows, not self.ingress.allows
        if e and i:
            return "both"
        if e:
            return "egress"
        if i:
            return "ingress"
        return None
