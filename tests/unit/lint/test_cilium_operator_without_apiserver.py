"""NPL020 cilium-operator-without-apiserver."""

from __future__ import annotations

from pathlib import Path

from .helpers import deployment, lint_text, namespace

POLICY = """apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: operator, namespace: dynatrace}
spec:
  endpointSelector: {}
  egress:
  - toFQDNs: [{matchPattern: "*.live.dynatrace.com"}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
"""
APISERVER = """  - toEntities: [kube-apiserver]
    toPorts: [{ports: [{port: "6443", protocol: TCP}]}]
"""


def test_flags_operator_namespace_without_apiserver(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY, "NPL020")
    assert len(found) == 1 and found[0].location.line == 4
    assert "CiliumNetworkPolicy dynatrace/operator" in found[0].message


def test_apiserver_entity_passes(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY + APISERVER, "NPL020") == []


def test_with_pods_only_isolated_ones_count(tmp_path: Path) -> None:
    pods = (namespace("dynatrace") + deployment("dynatrace", "operator",
                                                {"app.kubernetes.io/name": "operator"})
            + "---\n")
    found = lint_text(tmp_path, pods + POLICY, "NPL020")
    assert len(found) == 1 and "dynatrace/operator[Deployment]" in found[0].message
    other_ns = POLICY.replace("namespace: dynatrace", "namespace: shop")
    assert lint_text(tmp_path, pods + other_ns, "NPL020") == []
