"""NPL014 broad-ingress."""

from __future__ import annotations

from pathlib import Path

from .helpers import lint_text, where

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: in
  namespace: shop
spec:
  podSelector: {{}}
  ingress:
  - from:
    - namespaceSelector: {{}}
{ports}"""


def test_flags_every_namespace_on_every_port(tmp_path: Path) -> None:
    found = lint_text(tmp_path, POLICY.format(ports=""), "NPL014")
    assert where(found) == [("NPL014", 10, "spec.ingress[0].from[0].namespaceSelector")]


def test_does_not_flag_one_port(tmp_path: Path) -> None:
    text = POLICY.format(ports="    ports:\n    - port: 8080\n")
    assert lint_text(tmp_path, text, "NPL014") == []


def test_does_not_flag_selected_namespaces(tmp_path: Path) -> None:
    text = POLICY.format(ports="").replace("namespaceSelector: {}",
                                           "namespaceSelector: {matchLabels: {team: shop}}")
    assert lint_text(tmp_path, text, "NPL014") == []
