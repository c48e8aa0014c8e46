"""docs/rules.md is generated from the rule docstrings and committed up to date."""

from __future__ import annotations

from pathlib import Path

from dtnetpol.lint.docs import render_rules_markdown
from dtnetpol.lint.registry import all_rules

DOC = Path(__file__).resolve().parents[3] / "docs" / "rules.md"


def test_rules_md_is_up_to_date() -> None:
    assert DOC.is_file(), "docs/rules.md is missing: python -m dtnetpol.lint.docs > docs/rules.md"
    assert DOC.read_text(encoding="utf-8") == render_rules_markdown(), \
        "docs/rules.md is stale: run python -m dtnetpol.lint.docs > docs/rules.md"


def test_every_rule_has_a_section() -> None:
    text = render_rules_markdown()
    for spec in all_rules():
        assert f"\n## {spec.id} {spec.name}\n" in text
        assert f"(#{spec.id.lower()}-{spec.name})" in text
