"""NPL002 pod-selector-matches-nothing."""

from __future__ import annotations

from pathlib import Path

from .helpers import deployment, lint_text, where

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: {app}
  ingress:
  - ports:
    - port: 8080
---
"""
WEB = deployment("shop", "web", {"app": "web"}, [("http", 8080, "TCP")])


def test_flags_a_selector_no_pod_carries(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY.format(app="frontend") + WEB, "NPL002")
    assert where(found) == [("NPL002", 7, "spec.podSelector")]
    assert "closest: shop/web[Deployment]" in found[0].message
    assert "app=frontend required, found app=web" in found[0].message


def test_does_not_flag_a_selector_that_selects_the_workload(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY.format(app="web") + WEB, "NPL002") == []


def test_is_silent_without_workloads(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY.format(app="frontend"), "NPL002") == []


def test_names_an_empty_namespace(tmp_path: Path) -> None:
    text = POLICY.format(app="web").replace("namespace: shop", "namespace: other") + WEB
    found = lint_text(tmp_path, text, "NPL002")
    assert "namespace other holds no workload" in found[0].message
