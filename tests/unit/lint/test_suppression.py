"""Suppressions: the policy annotation and the configuration file."""

from __future__ import annotations

from pathlib import Path

import pytest

from dtnetpol.errors import InputError
from dtnetpol.lint.finding import Severity
from dtnetpol.lint.linter import path_matches

from .helpers import config, lint_result, lint_text

OR_POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: from-cart
  namespace: payments
  annotations:
    dtnetpol.dev/ignore: {ignore}
spec:
  podSelector: {{}}
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          team: shop
    - podSelector:
        matchLabels:
          app: cart
"""


def test_annotation_suppresses_the_listed_rules_of_that_policy(tmp_path: Path) -> None:
    result = lint_result(tmp_path, OR_POLICY.format(ignore="NPL009"))
    assert [f.rule_id for f in result.findings] == []
    assert result.suppressed == 1


def test_annotation_accepts_names_and_keeps_other_rules(tmp_path: Path) -> None:
    text = OR_POLICY.format(ignore='"broad-egress, NPL015"')
    assert [f.rule_id for f in lint_text(tmp_path, text)] == ["NPL009"]


def test_annotation_with_an_unknown_rule_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown rule 'NPL099'") as info:
        lint_text(tmp_path, OR_POLICY.format(ignore="NPL009,NPL099"))
    loc = info.value.location
    assert loc is not None
    assert (loc.line, loc.path) == (7, "metadata.annotations[dtnetpol.dev/ignore]")


def test_config_disables_and_changes_severity(tmp_path: Path) -> None:
    text = OR_POLICY.format(ignore="NPL001")
    assert lint_text(tmp_path, text, cfg=config("disable: [and-or-confusion]\n")) == []
    found = lint_text(tmp_path, text, cfg=config("severity: {NPL009: error}\n"))
    assert [(f.rule_id, f.severity) for f in found] == [("NPL009", Severity.ERROR)]


def test_config_ignores_rules_by_path(tmp_path: Path) -> None:
    text = OR_POLICY.format(ignore="NPL001")
    cfg = config("ignore:\n- path: '*.yaml'\n  rules: [NPL009]\n",
                 file=str(tmp_path / ".dtnetpol.yaml"))
    result = lint_result(tmp_path, text, cfg=cfg)
    assert (result.findings, result.suppressed) == ((), 1)
    other = config("ignore:\n- path: 'legacy/'\n", file=str(tmp_path / ".dtnetpol.yaml"))
    assert len(lint_text(tmp_path, text, cfg=other)) == 1


@pytest.mark.parametrize(("pattern", "path", "hit"), [
    ("*.yaml", "deploy/policies/a.yaml", True),
    ("deploy/*.yaml", "deploy/policies/a.yaml", True),
    ("deploy/", "deploy/policies/a.yaml", True),
    ("./deploy/**/a.yaml", "deploy/policies/a.yaml", True),
    ("legacy/**", "deploy/policies/a.yaml", False),
    ("a.json", "deploy/policies/a.yaml", False),
])
def test_path_globs(pattern: str, path: str, hit: bool) -> None:
    assert path_matches(pattern, path) is hit
