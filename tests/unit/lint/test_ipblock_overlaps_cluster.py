"""NPL012 ipblock-overlaps-cluster."""

from __future__ import annotations

from pathlib import Path

from .helpers import config, lint_text, where

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: out
  namespace: shop
spec:
  podSelector: {{}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock:
        cidr: {cidr}
---
"""
NODE = """apiVersion: v1
kind: Node
metadata:
  name: worker
spec:
  podCIDRs: [10.244.1.0/24]
"""


def test_flags_a_block_inside_a_node_pod_cidr(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY.format(cidr="10.244.1.0/25") + NODE, "NPL012")
    assert where(found) == [("NPL012", 12, "spec.egress[0].to[0].ipBlock.cidr")]
    assert "pod CIDR 10.244.1.0/24" in found[0].message


def test_does_not_flag_a_block_outside_the_cluster(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY.format(cidr="192.0.2.0/24") + NODE, "NPL012") == []


def test_leaves_supersets_alone_unless_asked(tmp_path: Path) -> None:
    text = POLICY.format(cidr="10.0.0.0/8") + NODE
    assert lint_text(tmp_path, text, "NPL012") == []
    cfg = config("options:\n  ipblock-overlaps-cluster: {supersets: true}\n")
    assert len(lint_text(tmp_path, text, "NPL012", cfg=cfg)) == 1


def test_flags_the_service_cidr_from_configuration(tmp_path: Path) -> None:
    cfg = config("service-cidrs: [10.96.0.0/12]\n")
    found = lint_text(tmp_path, POLICY.format(cidr="10.96.0.1/32"), "NPL012", cfg=cfg)
    assert "Service CIDR" in found[0].message
