"""NPL009 and-or-confusion."""

from __future__ import annotations

from pathlib import Path

from .helpers import lint_text, where

OR = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: from-cart
  namespace: payments
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          team: shop
    - podSelector:
        matchLabels:
          app: cart
"""
AND = OR.replace("    - podSelector:", "      podSelector:")


def test_flags_a_namespace_item_followed_by_a_pod_item(tmp_path: Path) -> None:
    found = lint_text(tmp_path, OR, "NPL009")
    assert where(found) == [("NPL009", 13, "spec.ingress[0].from[1]")]
    assert "two peers (OR)" in found[0].message
    assert "remove the '-' before podSelector" in found[0].fix


def test_does_not_flag_one_peer_with_both_selectors(tmp_path: Path) -> None:
    assert lint_text(tmp_path, AND, "NPL009") == []


def test_does_not_flag_an_empty_pod_selector(tmp_path: Path) -> None:
    text = OR.replace("      matchLabels:\n          app: cart", "      {}").replace(
        "    - podSelector:\n        matchLabels:\n          app: cart", "    - podSelector: {}")
    assert lint_text(tmp_path, text, "NPL009") == []
