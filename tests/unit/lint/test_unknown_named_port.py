"""NPL005 unknown-named-port."""

from __future__ import annotations

from pathlib import Path

from .helpers import deployment, lint_text, where

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: metrics
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: cart
  ingress:
  - ports:
    - port: {name}
---
"""
CART = deployment("shop", "cart", {"app": "cart"}, [("http", 8080, "TCP"),
                                                     ("metrics", 9090, "TCP")])


def test_flags_a_name_no_destination_pod_declares(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY.format(name="metric") + CART, "NPL005")
    assert where(found) == [("NPL005", 12, "spec.ingress[0].ports[0].port")]
    assert "their named ports are http, metrics" in found[0].message


def test_does_not_flag_a_declared_name(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY.format(name="metrics") + CART, "NPL005") == []


def test_flags_a_name_declared_with_another_protocol(tmp_path: Path) -> None:
    text = POLICY.format(name="metrics").replace("- port: metrics",
                                                 "- port: metrics\n      protocol: UDP")
    found = lint_text(tmp_path, text + CART, "NPL005")
    assert "only as 9090/TCP" in found[0].message


def test_flags_a_named_port_towards_ip_blocks_only(tmp_path: Path) -> None:
    text = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: out
      namespace: shop
    spec:
      podSelector: {}
      policyTypes: [Egress]
      egress:
      - to:
        - ipBlock:
            cidr: 0.0.0.0/0
        ports:
        - port: https
    """
    assert where(lint_text(tmp_path, text, "NPL005")) == [
        ("NPL005", 14, "spec.egress[0].ports[0].port")]
