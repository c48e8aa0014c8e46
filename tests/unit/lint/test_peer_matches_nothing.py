"""NPL003 peer-matches-nothing."""

from __future__ import annotations

from pathlib import Path

from .helpers import deployment, lint_text, namespace, where

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-prometheus
  namespace: shop
spec:
  podSelector: {{}}
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          {ns_label}
      podSelector:
        matchLabels:
          app: {app}
---
"""
CLUSTER = (namespace("shop") + namespace("monitoring")
           + deployment("shop", "web", {"app": "web"})
           + deployment("monitoring", "prometheus", {"app": "prometheus"}))
NS = "kubernetes.io/metadata.name: monitoring"


def test_flags_a_namespace_selector_on_a_label_no_namespace_has(tmp_path: Path) -> None:
    text = POLICY.format(ns_label="name: monitoring", app="prometheus") + CLUSTER
    found = lint_text(tmp_path, text, "NPL003")
    assert where(found) == [("NPL003", 10, "spec.ingress[0].from[0].namespaceSelector")]
    assert "matches no namespace" in found[0].message


def test_flags_a_pod_selector_no_pod_in_those_namespaces_matches(tmp_path: Path) -> None:
    text = POLICY.format(ns_label=NS, app="prometheus-server") + CLUSTER
    found = lint_text(tmp_path, text, "NPL003")
    assert where(found) == [("NPL003", 13, "spec.ingress[0].from[0].podSelector")]
    assert "closest: monitoring/prometheus[Deployment]" in found[0].message


def test_does_not_flag_a_peer_that_matches(tmp_path: Path) -> None:
    text = POLICY.format(ns_label=NS, app="prometheus") + CLUSTER
    assert lint_text(tmp_path, text, "NPL003") == []


def test_skips_label_selectors_when_namespace_labels_are_unknown(tmp_path: Path) -> None:
    text = (POLICY.format(ns_label="team: observability", app="prometheus")
            + deployment("shop", "web", {"app": "web"})
            + deployment("monitoring", "prometheus", {"app": "prometheus"}))
    assert lint_text(tmp_path, text, "NPL003") == []


def test_skips_peers_whose_namespaces_the_input_does_not_show(tmp_path: Path) -> None:
    every = POLICY.format(ns_label=NS, app="x").replace(
        "    - namespaceSelector:\n        matchLabels:\n          " + NS,
        "    - namespaceSelector: {}")
    assert lint_text(tmp_path, every + CLUSTER, "NPL003") == []
    elsewhere = POLICY.format(ns_label="kubernetes.io/metadata.name: kube-system", app="dns")
    assert lint_text(tmp_path, elsewhere + CLUSTER, "NPL003") == []
