"""NPL015 missing-default-deny."""

from __future__ import annotations

from pathlib import Path

from .helpers import deployment, lint_text, namespace, where

DENY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
"""
CLUSTER = namespace("shop") + deployment("shop", "web", {"app": "web"})


def test_flags_a_namespace_with_workloads_and_no_default_deny(tmp_path: Path) -> None:
    found = lint_text(tmp_path, CLUSTER, "NPL015")
    assert where(found) == [("NPL015", 4, "metadata.name")]
    assert "no default-deny policy for Ingress and Egress" in found[0].message
    assert found[0].severity.value == "info"


def test_does_not_flag_a_namespace_with_default_deny(tmp_path: Path) -> None:
    assert lint_text(tmp_path, DENY + CLUSTER, "NPL015") == []


def test_names_the_direction_still_open(tmp_path: Path) -> None:
    text = DENY.replace("[Ingress, Egress]", "[Ingress]") + CLUSTER
    assert "for Egress" in lint_text(tmp_path, text, "NPL015")[0].message


def test_a_cilium_default_deny_counts(tmp_path: Path) -> None:
    text = namespace("shop") + deployment("shop", "web", {"app": "web"}) + """---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: deny-egress}
spec: {endpointSelector: {}, egress: [{}]}
"""
    found = lint_text(tmp_path, text, "NPL015")
    assert len(found) == 1 and found[0].message.endswith("no default-deny policy for Ingress")
