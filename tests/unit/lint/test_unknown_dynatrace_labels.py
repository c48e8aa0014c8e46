"""NPL016 unknown-dynatrace-labels."""

from __future__ import annotations

from pathlib import Path

from .helpers import lint_text, where

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: webhook
  namespace: dynatrace
spec:
  podSelector:
    matchLabels:
      {labels}
  policyTypes: [Ingress]
"""


def test_flags_a_label_no_dynatrace_pod_carries(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY.format(labels="app.kubernetes.io/name: dynatrace-webhook"),
                      "NPL016")
    assert where(found) == [("NPL016", 7, "spec.podSelector")]
    assert "closest: Dynatrace webhook" in found[0].message
    assert "app.kubernetes.io/component: webhook" in found[0].fix


def test_does_not_flag_the_real_webhook_labels(tmp_path: Path) -> None:
    text = POLICY.format(labels="app.kubernetes.io/name: dynatrace-operator\n"
                                "      app.kubernetes.io/component: webhook")
    assert lint_text(tmp_path, text, "NPL016") == []


def test_flags_a_combination_of_the_two_label_families(tmp_path: Path) -> None:
    text = POLICY.format(labels="app.kubernetes.io/name: dynatrace-operator\n"
                                "      app.kubernetes.io/managed-by: dynatrace-operator")
    found = lint_text(tmp_path, text, "NPL016")
    assert "managed-by=Helm" in found[0].message


def test_judges_a_policy_the_api_server_rejects(tmp_path: Path) -> None:
    text = POLICY.format(labels="app.kubernetes.io/name: dynatrace-activegate") + \
        "  egress:\n  - to:\n    - ipBlock: {cidr: 0.0.0.0/0}\n      ports: [{port: 443}]\n"
    found = lint_text(tmp_path, text)
    assert [f.rule_id for f in found] == ["NPL016", "NPL001"]
    assert "closest: ActiveGate" in found[0].message
