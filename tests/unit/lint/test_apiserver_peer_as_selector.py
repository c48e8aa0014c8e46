"""NPL007 apiserver-peer-as-selector."""

from __future__ import annotations

from pathlib import Path

from .helpers import deployment, lint_text, service, where

POLICY = """
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
  - from:
    - {peer}
    ports:
    - port: 8443
---
"""
SELECTOR = "namespaceSelector: {}"
IPBLOCK = "ipBlock: {cidr: 172.18.0.2/32}"
WEBHOOK = deployment("dynatrace", "dynatrace-webhook", {
    "app.kubernetes.io/name": "dynatrace-operator",
    "app.kubernetes.io/component": "webhook",
    "internal.dynatrace.com/app": "webhook",
    "internal.dynatrace.com/component": "webhook"}, [("server-port", 8443, "TCP")])


def test_flags_a_namespace_selector_for_the_api_server(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY.format(peer=SELECTOR) + WEBHOOK, "NPL007")
    assert where(found) == [("NPL007", 12, "spec.ingress[0].from[0]")]
    assert "kube-apiserver is not a pod" in found[0].message


def test_does_not_flag_an_ip_block(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY.format(peer=IPBLOCK) + WEBHOOK, "NPL007") == []


def test_flags_policies_alone_that_can_select_the_dynatrace_webhook(tmp_path: Path) -> None:
    assert where(lint_text(tmp_path, POLICY.format(peer=SELECTOR), "NPL007")) == [
        ("NPL007", 12, "spec.ingress[0].from[0]")]
    assert lint_text(tmp_path, POLICY.format(peer=IPBLOCK), "NPL007") == []


def test_accepts_the_openshift_host_network_namespace(tmp_path: Path) -> None:
    peer = ("namespaceSelector: {matchLabels: "
            "{policy-group.network.openshift.io/host-network: ''}}")
    assert lint_text(tmp_path, POLICY.format(peer=peer) + WEBHOOK, "NPL007") == []


def test_finds_webhook_pods_through_a_webhook_configuration(tmp_path: Path) -> None:
    text = (POLICY.format(peer=SELECTOR).replace("app.kubernetes.io/component: webhook",
                                                "app: admission")
            + deployment("dynatrace", "admission", {"app": "admission"},
                         [("https", 8443, "TCP")])
            + service("dynatrace", "admission", {"app": "admission"}, [(443, "https")])
            + "apiVersion: admissionregistration.k8s.io/v1\n"
              "kind: ValidatingWebhookConfiguration\nmetadata:\n  name: admission\n"
              "webhooks:\n- name: check.example.com\n  clientConfig:\n    service:\n"
              "      namespace: dynatrace\n      name: admission\n")
    found = lint_text(tmp_path, text, "NPL007")
    assert where(found) == [("NPL007", 12, "spec.ingress[0].from[0]")]
    assert "ValidatingWebhookConfiguration admission" in found[0].message
