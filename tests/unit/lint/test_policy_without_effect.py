"""NPL011 policy-without-effect."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .helpers import deployment, lint_text, where

EMPTY_EGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-egress
  namespace: shop
spec:
  podSelector: {}
  egress: []
"""


def test_flags_egress_empty_list_without_policy_types(tmp_path: Path) -> None:
    found = lint_text(tmp_path, EMPTY_EGRESS, "NPL011")
    assert where(found) == [("NPL011", 8, "spec.egress")]
    assert "denies all ingress and leaves egress open" in found[0].message


def test_does_not_flag_egress_listed_in_policy_types(tmp_path: Path) -> None:
    text = EMPTY_EGRESS.replace("  egress: []", "  policyTypes: [Egress]\n  egress: []")
    assert lint_text(tmp_path, text, "NPL011") == []


def test_flags_rules_of_a_direction_policy_types_leaves_out(tmp_path: Path) -> None:
    text = EMPTY_EGRESS.replace("  egress: []", "  policyTypes: [Ingress]\n  egress:\n"
                                "  - ports:\n    - port: 443")
    assert where(lint_text(tmp_path, text, "NPL011")) == [("NPL011", 9, "spec.egress")]


def test_flags_a_policy_selecting_only_host_network_pods(tmp_path: Path) -> None:
    text = textwrap.dedent("""
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: agent
      namespace: dynatrace
    spec:
      podSelector:
        matchLabels:
          app: agent
      policyTypes: [Ingress]
    ---
    """)
    host = deployment("dynatrace", "agent", {"app": "agent"}, host_network=True)
    assert where(lint_text(tmp_path, text + host, "NPL011")) == [
        ("NPL011", 7, "spec.podSelector")]
    pod = deployment("dynatrace", "agent", {"app": "agent"})
    assert lint_text(tmp_path, text + pod, "NPL011") == []
