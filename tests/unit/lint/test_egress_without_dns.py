"""NPL006 egress-without-dns."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .helpers import DNS, config, deployment, lint_text, where

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: egress
  namespace: shop
spec:
  podSelector: {{}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
    ports:
    - port: 443
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
    ports:
    - port: 53
      protocol: UDP
{tcp}---
"""
TCP = "    - port: 53\n      protocol: TCP\n"
CLUSTER = deployment("shop", "web", {"app": "web"}) + DNS


def test_flags_egress_isolation_with_udp_only(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY.format(tcp="") + CLUSTER, "NPL006")
    assert where(found) == [("NPL006", 9, "spec.egress")]
    assert "TCP 53 blocked" in found[0].message
    assert "UDP 53" not in found[0].message


def test_does_not_flag_udp_and_tcp_53_to_the_dns_pods(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY.format(tcp=TCP) + CLUSTER, "NPL006") == []


def test_judges_policies_alone_against_an_imagined_dns_pod(tmp_path: Path) -> None:
    assert where(lint_text(tmp_path, POLICY.format(tcp=""), "NPL006")) == [
        ("NPL006", 9, "spec.egress")]
    assert lint_text(tmp_path, POLICY.format(tcp=TCP), "NPL006") == []


def test_dns_location_is_configurable(tmp_path: Path) -> None:
    cfg = config("options:\n  egress-without-dns: {namespace: dns, pod-labels: {app: dns}}\n")
    found = lint_text(tmp_path, POLICY.format(tcp=TCP), "NPL006", cfg=cfg)
    assert "dns pods app=dns" in found[0].message


def test_a_default_deny_without_rules_is_reported_at_policy_types(tmp_path: Path) -> None:
    text = """
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
    assert where(lint_text(tmp_path, textwrap.dedent(text) + CLUSTER, "NPL006")) == [
        ("NPL006", 8, "spec.policyTypes")]
