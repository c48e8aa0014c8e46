"""The rule catalogue: explicit, complete, documented."""

from __future__ import annotations

import pkgutil

import pytest

import dtnetpol.lint.rules as rules_pkg
from dtnetpol.lint.registry import RULES, UnknownRuleError, all_rules, get, resolve


def test_every_rule_module_is_registered() -> None:
    modules = {m.name for m in pkgutil.iter_modules(rules_pkg.__path__)
               if not m.name.startswith("_")}
    registered = {spec.check.__module__.rsplit(".", 1)[1] for spec in all_rules()}
    assert modules == registered


def test_ids_are_sequential_and_names_unique() -> None:
    assert list(RULES) == [f"NPL{i:03d}" for i in range(1, len(RULES) + 1)]
    assert len({s.name for s in all_rules()}) == len(RULES)


def test_get_accepts_ids_and_names_and_raises_on_unknown() -> None:
    assert get("npl004").name == "service-port-in-policy"
    assert resolve("service-port-in-policy") == "NPL004"
    with pytest.raises(UnknownRuleError, match="unknown rule 'NPL999'"):
        get("NPL999")


@pytest.mark.parametrize("spec", all_rules(), ids=lambda s: s.id)
def test_docs_have_every_section_and_an_example(spec: object) -> None:
    from dtnetpol.lint.registry import RuleSpec
    assert isinstance(spec, RuleSpec)
    for section in ("What it does", "Why is this bad?", "Example", "Use instead", "Options"):
        assert spec.section(section), f"{spec.id}: empty section {section}"
    assert "```yaml" in spec.section("Example")
    assert "```yaml" in spec.section("Use instead")
    for option in spec.options:
        assert f"`{option}`" in spec.section("Options"), f"{spec.id}: {option} undocumented"
