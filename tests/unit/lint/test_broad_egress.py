"""NPL013 broad-egress."""

from __future__ import annotations

from pathlib import Path

from .helpers import lint_text, where

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: out
  namespace: shop
spec:
  podSelector: {{}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
{ports}"""


def test_flags_everything_on_every_port(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY.format(ports="    ports: []\n"), "NPL013")
    assert where(found) == [("NPL013", 12, "spec.egress[0].to[0].ipBlock.cidr")]


def test_does_not_flag_one_port(tmp_path: Path) -> None:
    text = POLICY.format(ports="    ports:\n    - port: 443\n")
    assert lint_text(tmp_path, text, "NPL013") == []


def test_flags_a_rule_without_to(tmp_path: Path) -> None:
    text = POLICY.format(ports="").replace(
        "  - to:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n", "  - {}\n")
    assert where(lint_text(tmp_path, text, "NPL013")) == [("NPL013", 10, "spec.egress[0]")]
