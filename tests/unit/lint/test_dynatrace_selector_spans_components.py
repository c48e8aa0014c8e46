"""NPL017 dynatrace-selector-spans-components."""

from __future__ import annotations

from pathlib import Path

from .helpers import deployment, lint_text, where

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: operator
  namespace: dynatrace
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: dynatrace-operator
{extra}  policyTypes: [Egress]
  egress:
  - ports:
    - port: {port}
---
"""
COMPONENT = "      app.kubernetes.io/component: operator\n"
PODS = "".join(deployment("dynatrace", name, {"app.kubernetes.io/name": "dynatrace-operator",
                                              "app.kubernetes.io/component": comp})
               for name, comp in (("dynatrace-operator", "operator"),
                                  ("dynatrace-webhook", "webhook")))


def test_flags_the_name_label_alone(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY.format(extra="", port=443) + PODS, "NPL017")
    assert where(found) == [("NPL017", 7, "spec.podSelector")]
    assert "(Dynatrace Operator, Dynatrace webhook)" in found[0].message


def test_does_not_flag_one_component(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY.format(extra=COMPONENT, port=443) + PODS, "NPL017") == []


def test_does_not_flag_a_dns_only_policy(tmp_path: Path) -> None:
    assert lint_text(tmp_path, POLICY.format(extra="", port=53) + PODS, "NPL017") == []


def test_judges_policies_alone_by_the_chart_labels(tmp_path: Path) -> None:
    assert len(lint_text(tmp_path, POLICY.format(extra="", port=443), "NPL017")) == 1
    assert lint_text(tmp_path, POLICY.format(extra=COMPONENT, port=443), "NPL017") == []
