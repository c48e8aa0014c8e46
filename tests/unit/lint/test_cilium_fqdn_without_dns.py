"""NPL019 cilium-fqdn-without-dns."""

from __future__ import annotations

from pathlib import Path

from .helpers import deployment, lint_text, namespace, where

POLICY = """apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: ag, namespace: dynatrace}
spec:
  endpointSelector: {matchLabels: {app: ag}}
  egress:
  - toFQDNs: [{matchPattern: "*.live.dynatrace.com"}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
"""
DNS = """  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system}}]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*"}]}}]
"""
OTHER_DNS = """---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: dns}
spec:
  endpointSelector: {}
  egress:
""" + DNS


def test_flags_fqdn_without_dns_rule(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY, "NPL019")
    assert where(found) == [("NPL019", 7, "spec.egress[0]")]
    assert "matches nothing" in found[0].message


def test_dns_rule_in_the_same_policy_passes(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY + DNS, "NPL019") == []


def test_dns_rule_of_another_policy_counts_when_pods_are_known(tmp_path: Path) -> None:
    pods = namespace("dynatrace") + deployment("dynatrace", "ag", {"app": "ag"}) + "---\n"
    assert lint_text(tmp_path, pods + POLICY + OTHER_DNS, "NPL019") == []
    found = lint_text(tmp_path, pods + POLICY, "NPL019")
    assert len(found) == 1 and "dynatrace/ag[Deployment]" in found[0].message
