"""NPL010 redundant-rule."""

from __future__ import annotations

from pathlib import Path

from .helpers import deployment, lint_text, namespace, where

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - from:
    - namespaceSelector: {{}}
    ports:
    - port: 8080
  - from:
    - podSelector:
        matchLabels:
          app: client
    ports:
    - port: {port}
---
"""
CLUSTER = (namespace("shop") + deployment("shop", "web", {"app": "web"}, [("http", 8080, "TCP")])
           + deployment("shop", "client", {"app": "client"}))


def test_flags_a_rule_covered_by_a_broader_one(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY.format(port=8080) + CLUSTER, "NPL010")
    assert where(found) == [("NPL010", 15, "spec.ingress[1]")]
    assert "also allowed by shop/web ingress[0]" in found[0].message


def test_does_not_flag_a_rule_that_adds_a_port(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY.format(port=9090) + CLUSTER, "NPL010") == []


def test_compares_structurally_without_workloads(tmp_path: Path) -> None:
    assert where(lint_text(tmp_path, POLICY.format(port=8080), "NPL010")) == [
        ("NPL010", 15, "spec.ingress[1]")]
    assert lint_text(tmp_path, POLICY.format(port=9090), "NPL010") == []


def test_reports_the_later_of_two_equal_policies_once(tmp_path: Path) -> None:
    one = POLICY.format(port=9090)
    two = one.replace("name: web\n", "name: web-copy\n")
    found = lint_text(tmp_path, one + two.lstrip("\n") + CLUSTER, "NPL010")
    assert len(found) == 1
    assert found[0].location.path == "metadata.name"
    assert "policy shop/web-copy is redundant" in found[0].message
