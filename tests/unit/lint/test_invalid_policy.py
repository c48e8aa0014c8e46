"""NPL001 invalid-policy: the loader's API validation problems, at their field and line."""

from __future__ import annotations

from pathlib import Path

from .helpers import lint_text, where

BAD = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-activegate
  namespace: dynatrace
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
      ports:
      - port: 443
"""

GOOD = BAD.replace("      ports:\n      - port: 443", "    ports:\n    - port: 443")


def test_flags_ports_indented_under_a_peer(tmp_path: Path) -> None:
    found = lint_text(tmp_path, BAD, "NPL001")
    assert where(found) == [("NPL001", 13, "spec.egress[0].to[0].ports")]
    assert "[unknown-field]" in found[0].message
    assert found[0].severity.value == "error"
    assert "beside from/to" in found[0].fix


def test_does_not_flag_ports_beside_to(tmp_path: Path) -> None:
    assert lint_text(tmp_path, GOOD, "NPL001") == []


def test_flags_every_problem_with_its_own_line(tmp_path: Path) -> None:
    text = GOOD.replace("cidr: 0.0.0.0/0", "cidr: 10.0.0.0/33").replace("port: 443",
                                                                         "port: 70000")
    assert where(lint_text(tmp_path, text, "NPL001")) == [
        ("NPL001", 12, "spec.egress[0].to[0].ipBlock.cidr"),
        ("NPL001", 14, "spec.egress[0].ports[0].port"),
    ]
