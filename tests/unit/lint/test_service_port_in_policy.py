"""NPL004 service-port-in-policy."""

from __future__ import annotations

from pathlib import Path

from .helpers import deployment, lint_text, service, where

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: cart-to-payments
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: cart
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: payments
      podSelector:
        matchLabels:
          app: payments-api
    ports:
    - port: {port}
---
"""
CLUSTER = (deployment("shop", "cart", {"app": "cart"})
           + deployment("payments", "payments-api", {"app": "payments-api"},
                        [("https", 8443, "TCP")])
           + service("payments", "payments-api", {"app": "payments-api"}, [(443, "https")]))


def test_flags_the_service_port(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY.format(port=443) + CLUSTER, "NPL004")
    assert where(found) == [("NPL004", 20, "spec.egress[0].ports[0].port")]
    assert "Service payments/payments-api" in found[0].message
    assert "pod port 8443" in found[0].message
    assert found[0].fix == "write port: 8443 (or its name https), the Service's targetPort"


def test_does_not_flag_the_pod_port(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY.format(port=8443) + CLUSTER, "NPL004") == []


def test_knows_the_dynatrace_webhook_service_without_workloads(tmp_path: Path) -> None:
    text = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: webhook
      namespace: dynatrace
    spec:
      podSelector:
        matchLabels:
          app.kubernetes.io/component: webhook
      ingress:
      - ports:
        - port: {port}
    """
    found = lint_text(tmp_path, text.format(port=443), "NPL004")
    assert where(found) == [("NPL004", 12, "spec.ingress[0].ports[0].port")]
    assert "dynatrace-webhook" in found[0].message
    assert lint_text(tmp_path, text.format(port=8443), "NPL004") == []
