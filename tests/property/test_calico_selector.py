"""The lark selector parser and compiled matcher against the hand-written reference."""

from __future__ import annotations

import pytest
from hypothesis import example, given, note
from hypothesis import strategies as st
from tests.property.calico_selector_reference import evaluate

from dtnetpol.engine.calico_selector import compile_calico_selector
from dtnetpol.manifest.calico_selector import SelectorError, parse_selector

KEYS = ("app", "tier", "in", "has", "a/b", "x.y-z")
VALUES = ("", "web", "db", "w", "eb", "we b")
BLANK = st.sampled_from(("", " ", "  ", "\t"))


def _quoted(value: str) -> st.SearchStrategy[str]:
    return st.sampled_from((f"'{value}'", f'"{value}"'))


@st.composite
def atoms(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(("cmp", "set", "has", "all", "global")))
    key = draw(st.sampled_from(KEYS))
    b = draw(BLANK)
    if kind == "cmp":
        op = draw(st.sampled_from(("==", "!=", "contains", "starts with", "ends with",
                                   "starts  with", "ends\twith")))
        return f"{key}{b} {op}{b}{draw(_quoted(draw(st.sampled_from(VALUES))))}"
    if kind == "set":
        op = draw(st.sampled_from(("in", "not in", "notin", "not \t in")))
        values = draw(st.lists(st.sampled_from(VALUES), max_size=3))
        items = [draw(_quoted(v)) for v in values]
        trailing = "," if items and draw(st.booleans()) else ""
        return f"{key} {op}{b}{{{b}{(',' + b).join(items)}{trailing}}}"
    if kind == "has":
        return f"has({b}{key}{b})"
    return f"{kind}({b})"


def expressions(depth: int = 3) -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from((" && ", "&&", " || ", "||")), inner).map(
                "".join),
            inner.map(lambda s: f"!{s}"),
            inner.map(lambda s: f"( {s} )"),
        )
    return st.recursive(atoms(), extend, max_leaves=6)


TOKENS = ("app", "in", "not", "==", "!=", "=", "!", "&&", "&", "||", "(", ")", "{", "}",
          ",", "'web'", '"db"', "'open", "has(", "has(app)", "all()", "global()",
          "contains", "starts", "with", "ends", " ", "\n")

soups = st.lists(st.sampled_from(TOKENS), max_size=8).map("".join)
label_sets = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=4)


def _agree(text: str, labels: dict[str, str]) -> None:
    expected = evaluate(text, labels)
    note(f"reference: {expected}")
    if expected is None:
        with pytest.raises(SelectorError):
            parse_selector(text)
        return
    selector = parse_selector(text)
    note(f"parsed: {selector.root}")
    assert compile_calico_selector(selector)(labels) is expected
    # The printed form reads back as the same selector.
    again = parse_selector(str(selector.root))
    assert again.root == selector.root
    assert compile_calico_selector(again)(labels) is expected


@given(expressions(), label_sets)
@example("app == 'web' && !has(tier) || tier in {'db',}", {"app": "web"})
@example("in in {'in'}", {"in": "in"})
@example("!!!has(app)", {})
@example("app not in {}", {})
@example("app != 'web'", {})
def test_well_formed_selectors_match_as_the_reference_says(text: str,
                                                           labels: dict[str, str]) -> None:
    _agree(text, labels)


@given(soups, label_sets)
@example("has (app)", {})
@example("app = 'web'", {})
@example("app == 'web", {})
@example("app in {,}", {})
@example("app\n== 'web'", {})
@example("has()", {})
def test_any_text_is_accepted_or_rejected_as_the_reference_says(
        text: str, labels: dict[str, str]) -> None:
    _agree(text, labels)
