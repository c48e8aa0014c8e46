"""What Calico's staged policies would change if they were enforced.

Staged policies (StagedNetworkPolicy, StagedGlobalNetworkPolicy, StagedKubernetesNetworkPolicy)
are never enforced; Calico only reports what they would do. Here their effect is the
difference of two connection lists: the cluster as it is, and the cluster with every staged
policy applied by its ``stagedAction`` (``Set``: added, replacing the enforced policy of the
same kind, namespace and name; ``Delete``: that policy removed; ``Learn`` and ``Ignore``:
nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from dtnetpol.engine.analysis import Analyzer
from dtnetpol.engine.connlist import Connection, connection_list
from dtnetpol.engine.explain import SideVerdict, Verdict
from dtnetpol.engine.ports import PortSet
from dtnetpol.model.calico import CalicoKind, CalicoPolicy
from dtnetpol.model.cluster import Cluster
from dtnetpol.model.policy import NetworkPolicy

_ENFORCED = {CalicoKind.STAGED_NETWORK_POLICY: CalicoKind.NETWORK_POLICY,
             CalicoKind.STAGED_GLOBAL_NETWORK_POLICY: CalicoKind.GLOBAL_NETWORK_POLICY}


@dataclass(frozen=True)
class StagedChange:
    """A connection that the staged policies would open (``gained``) or close, by ports."""

    src: str
    dst: str
    ports: str
    gained: bool

    def __str__(self) -> str:
        verb = "would allow" if self.gained else "would block"
        return f"{self.src} -> {self.dst}: {verb} {self.ports}"


def with_staged(cluster: Cluster) -> Cluster:
    """The cluster with its staged policies applied, as if they were enforced."""
    res = cluster.calico
    calico: dict[tuple[CalicoKind, str | None, str], CalicoPolicy] = {
        (p.kind, p.namespace, p.name): p for p in res.policies}
    for s in res.staged:
        key = (_ENFORCED[s.kind], s.namespace, s.name)
        if s.staged_action == "Set":
            calico[key] = replace(s, kind=key[0], staged_action=None)
        elif s.staged_action == "Delete":
            calico.pop(key, None)
    kube: dict[tuple[str, str], NetworkPolicy] = {
        (p.namespace, p.name): p for p in cluster.policies}
    for k in res.staged_kubernetes:
        ref = (k.policy.namespace, k.policy.name)
        if k.staged_action == "Set":
            kube[ref] = k.policy
        elif k.staged_action == "Delete":
            kube.pop(ref, None)
    return replace(cluster, policies=tuple(kube.values()),
                   calico=replace(res, policies=tuple(calico.values()), staged=(),
                                  staged_kubernetes=()))


def staged_changes(cluster: Cluster, analyze: Callable[[Cluster], Analyzer]
                   ) -> list[StagedChange]:
    """The connections that applying the staged policies would open or close.

    Args:
        analyze: builds the analyzer for a cluster (the command's host-network mode).
    """
    if not cluster.calico.staged and not cluster.calico.staged_kubernetes:
        return []
    before = _by_pair(connection_list(analyze(cluster)))
    after = _by_pair(connection_list(analyze(with_staged(cluster))))
    out: list[StagedChange] = []
    for pair in sorted(before.keys() | after.keys()):
        old = before[pair].ports if pair in before else PortSet.none()
        new = after[pair].ports if pair in after else PortSet.none()
        lost, won = old.difference(new), new.difference(old)
        if lost:
            out.append(StagedChange(pair[0], pair[1], str(lost), False))
        if won:
            out.append(StagedChange(pair[0], pair[1], str(won), True))
    return out


def _by_pair(conns: list[Connection]) -> dict[tuple[str, str], Connection]:
    return {(c.src, c.dst): c for c in conns}


def has_staged(cluster: Cluster) -> bool:
    """Whether the input holds staged policies of any kind."""
    return bool(cluster.calico.staged or cluster.calico.staged_kubernetes)


def _side_text(side: SideVerdict) -> str:
    return side.chain or side.status.value


def staged_verdict_note(today: Verdict, staged: Verdict) -> str:
    """What applying the staged policies would change in one connection's verdict, in one
    sentence (``today`` stays the verdict: staged policies are not enforced)."""
    head = "staged policies (not enforced): "
    sides = [f"{t.direction.word} {_side_text(s)}" for t, s in
             ((today.egress, staged.egress), (today.ingress, staged.ingress))
             if _side_text(t) != _side_text(s)]
    how = f" ({'; '.join(sides)})" if sides else ""
    if staged.outcome is not today.outcome:
        return (f"{head}applied, they would make it {staged.outcome.value.upper()}{how}; "
                f"today it is {today.outcome.value.upper()}")
    if sides:
        return f"{head}applied, they would decide it otherwise, still " \
               f"{staged.outcome.value.upper()}{how}"
    return f"{head}applied, they would not change this verdict"


def staged_changes_of(changes: list[StagedChange], workload: str) -> tuple[str, ...]:
    """The staged changes (see :func:`staged_changes`) of connections from or to
    ``workload``, as notes."""
    return tuple(f"staged policies (not enforced): {c}" for c in changes
                 if workload in (c.src, c.dst))
