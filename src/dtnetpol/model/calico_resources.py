"""The Calico objects of a cluster, as one value of :class:`~dtnetpol.model.cluster.Cluster`.

Apart from :mod:`dtnetpol.model.calico` (which re-exports it) so that every cluster can carry
one, empty, without importing Calico's model: most inputs have no Calico object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dtnetpol.model.calico import (
        CalicoPolicy,
        CalicoTier,
        NetworkSet,
        StagedKubernetesPolicy,
    )


@dataclass(frozen=True)
class CalicoResources:
    """Every Calico object of the input. Staged policies are kept apart: not enforced."""

    policies: tuple[CalicoPolicy, ...] = ()
    tiers: tuple[CalicoTier, ...] = ()
    network_sets: tuple[NetworkSet, ...] = ()
    staged: tuple[CalicoPolicy, ...] = ()
    staged_kubernetes: tuple[StagedKubernetesPolicy, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.policies or self.tiers or self.network_sets or self.staged
                    or self.staged_kubernetes)

    def tier(self, name: str) -> CalicoTier:
        """The tier named ``name``, or Calico's built-in defaults for it."""
        for t in self.tiers:
            if t.name == name:
                return t
        from dtnetpol.model.calico import builtin_tier
        return builtin_tier(name)
