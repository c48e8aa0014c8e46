"""NPL008 apiserver-egress-service-port."""

from __future__ import annotations

from pathlib import Path

from dtnetpol.lint.context import ClusterFacts

from .helpers import config, deployment, lint_text, where

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: to-apiserver
  namespace: shop
spec:
  podSelector: {{}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock:
        cidr: 172.18.0.2/32
    ports:
    - port: {port}
---
"""
ENDPOINTS = """apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes
  namespace: default
  labels:
    kubernetes.io/service-name: kubernetes
addressType: IPv4
endpoints:
- addresses: [172.18.0.2]
ports:
- name: https
  port: 6443
  protocol: TCP
---
"""
WEB = deployment("shop", "web", {"app": "web"})


def test_flags_the_service_port_when_the_endpoint_is_6443(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY.format(port=443) + ENDPOINTS + WEB, "NPL008")
    assert where(found) == [("NPL008", 14, "spec.egress[0].ports[0].port")]
    assert "172.18.0.2 port 6443" in found[0].message


def test_does_not_flag_the_endpoint_port(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY.format(port=6443) + ENDPOINTS + WEB, "NPL008") == []


def test_is_silent_when_the_endpoint_is_unknown(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY.format(port=443) + WEB, "NPL008") == []


def test_takes_the_endpoint_from_configuration_or_flags(tmp_path: Path) -> None:
    cfg = config("apiserver: {addresses: [172.18.0.2], port: 6443}\n")
    assert len(lint_text(tmp_path, POLICY.format(port=443), "NPL008", cfg=cfg)) == 1
    facts = ClusterFacts(apiserver_port=443)
    assert lint_text(tmp_path, POLICY.format(port=443), "NPL008", cfg=cfg, facts=facts) == []


def test_flags_a_broad_block_on_443_for_the_dynatrace_operator(tmp_path: Path) -> None:
    text = POLICY.format(port=443).replace("podSelector: {}", "podSelector:\n    matchLabels:\n"
                                           "      app.kubernetes.io/component: operator")
    text = text.replace("172.18.0.2/32", "0.0.0.0/0")
    cfg = config("apiserver: {addresses: [172.18.0.2], port: 6443}\n")
    found = lint_text(tmp_path, text, "NPL008", cfg=cfg)
    assert "Dynatrace Operator pods, which need the API server" in found[0].message
    plain = text.replace("app.kubernetes.io/component: operator", "app: web")
    assert lint_text(tmp_path, plain, "NPL008", cfg=cfg) == []
