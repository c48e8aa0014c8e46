"""The policy flavors dtnetpol generates, and the Calico editions."""

from __future__ import annotations

from enum import StrEnum


class Flavor(StrEnum):
    KUBERNETES = "kubernetes"   # networking.k8s.io/v1 NetworkPolicy only
    CILIUM = "cilium"           # cilium.io/v2 CiliumNetworkPolicy (toFQDNs, entities)
    CALICO = "calico"           # projectcalico.org/v3 NetworkPolicy
    OPENSHIFT = "openshift"     # NetworkPolicy + k8s.ovn.org/v1 EgressFirewall


class CalicoEdition(StrEnum):
    OSS = "oss"                 # Calico Open Source: no domains in rules
    ENTERPRISE = "enterprise"   # Calico Enterprise / Calico Cloud: destination.domains
