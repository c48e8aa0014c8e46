"""The kinds of the policy layers beyond NetworkPolicy, by family.

The loader sorts each document by these before it imports the family's reader
(:mod:`~dtnetpol.manifest.calico`, :mod:`~dtnetpol.manifest.cilium`,
:mod:`~dtnetpol.manifest.admin`, with their models and CRD schemas): an input of plain
NetworkPolicies never loads them, which keeps ``dtnetpol check`` quick to start.
"""

from __future__ import annotations

ADMIN_KINDS = frozenset({"AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
                         "ClusterNetworkPolicy"})
CILIUM_KINDS = frozenset({"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"})

CALICO_GROUPS = frozenset({"projectcalico.org", "crd.projectcalico.org"})
#: The values of :class:`dtnetpol.model.calico.CalicoKind`.
CALICO_POLICY_KINDS = frozenset({"NetworkPolicy", "GlobalNetworkPolicy", "StagedNetworkPolicy",
                                 "StagedGlobalNetworkPolicy"})
CALICO_KINDS = frozenset({*CALICO_POLICY_KINDS, "StagedKubernetesNetworkPolicy", "Tier",
                          "NetworkSet", "GlobalNetworkSet"})
CALICO_GLOBAL_KINDS = frozenset({"GlobalNetworkPolicy", "StagedGlobalNetworkPolicy", "Tier",
                                 "GlobalNetworkSet"})


def is_calico(kind: str, api_version: str | None) -> bool:
    """True for a kind :mod:`dtnetpol.manifest.calico` reads, of a Calico API group."""
    if kind not in CALICO_KINDS or not api_version or "/" not in api_version:
        return False
    return api_version.rsplit("/", 1)[0] in CALICO_GROUPS
