"""Label selector evaluation and the nearest-miss explanation."""

from __future__ import annotations

import pytest

from dtnetpol.engine.selectors import compile_selector, explain_mismatch, selector_matches
from dtnetpol.model import LabelSelector, Requirement

from .builders import expr, sel


def test_empty_selector_matches_everything() -> None:
    assert LabelSelector().is_empty
    assert selector_matches(sel(), {})
    assert selector_matches(sel(), {"a": "b"})
    assert str(sel()) == "{}"


def test_match_labels_need_every_pair() -> None:
    s = sel({"app": "web", "tier": "fe"})
    assert selector_matches(s, {"app": "web", "tier": "fe", "x": "y"})
    assert not selector_matches(s, {"app": "web"})
    assert not selector_matches(s, {"app": "web", "tier": "be"})
    assert not selector_matches(sel({"a": ""}), {})       # empty value still needs the key
    assert selector_matches(sel({"a": ""}), {"a": ""})


@pytest.mark.parametrize(("req", "labels", "expected"), [
    (expr("k", "In", "a", "b"), {"k": "b"}, True),
    (expr("k", "In", "a", "b"), {"k": "c"}, False),
    (expr("k", "In", "a"), {}, False),
    (expr("k", "NotIn", "a"), {}, True),
    (expr("k", "NotIn", "a"), {"k": "a"}, False),
    (expr("k", "NotIn", "a"), {"k": "b"}, True),
    (expr("k", "Exists"), {"k": ""}, True),
    (expr("k", "Exists"), {}, False),
    (expr("k", "DoesNotExist"), {}, True),
    (expr("k", "DoesNotExist"), {"k": ""}, False),
])
def test_operators(req: Requirement, labels: dict[str, str], expected: bool) -> None:
    assert selector_matches(sel(None, req), labels) is expected


def test_labels_and_expressions_are_anded() -> None:
    s = sel({"app": "web"}, expr("env", "NotIn", "dev"), expr("canary", "DoesNotExist"))
    assert selector_matches(s, {"app": "web"})
    assert selector_matches(s, {"app": "web", "env": "prod"})
    assert not selector_matches(s, {"app": "web", "env": "dev"})
    assert not selector_matches(s, {"app": "web", "canary": "true"})
    assert not selector_matches(s, {"env": "prod"})


def test_unknown_operator_is_rejected() -> None:
    with pytest.raises(ValueError, match="Equals"):
        compile_selector(sel(None, expr("k", "Equals", "v")))


def test_identical_selectors_share_a_compiled_matcher() -> None:
    assert compile_selector(sel({"a": "1"})) is compile_selector(sel({"a": "1"}))


def test_selector_str() -> None:
    s = sel({"app": "web"}, expr("env", "In", "a", "b"), expr("x", "NotIn", "c"),
            expr("y", "Exists"), expr("z", "DoesNotExist"))
    assert str(s) == "app=web,env in (a,b),x notin (c),y,!z"


def test_explain_mismatch_lists_every_failed_term() -> None:
    s = sel({"a": "1", "b": "2"}, expr("c", "In", "x", "y"), expr("d", "Exists"),
            expr("e", "DoesNotExist"), expr("f", "NotIn", "z"))
    assert explain_mismatch(s, {"b": "3", "e": "1", "f": "z"}) == [
        "label a=1 required, key absent",
        "label b=2 required, found b=3",
        "expression c In ['x', 'y']",
        "expression d Exists",
        "expression e DoesNotExist",
        "expression f NotIn ['z']",
    ]


def test_explain_mismatch_is_empty_when_the_selector_matches() -> None:
    s = sel({"a": "1"}, expr("c", "In", "x"))
    assert explain_mismatch(s, {"a": "1", "c": "x"}) == []
    assert explain_mismatch(sel(), {}) == []


def test_explain_mismatch_agrees_with_matching() -> None:
    s = sel({"a": "1"}, expr("b", "NotIn", "2"), expr("c", "Exists"))
    for labels in ({}, {"a": "1"}, {"a": "1", "c": ""}, {"a": "1", "b": "2", "c": ""},
                   {"a": "2", "b": "3", "c": "x"}):
        assert (explain_mismatch(s, labels) == []) is selector_matches(s, labels)
