"""Calico selector parsing: every construct, precedence, and errors that name the column."""

from __future__ import annotations

import pytest

from dtnetpol.engine.calico_selector import calico_matches
from dtnetpol.manifest.calico_selector import SelectorError, parse_selector
from dtnetpol.model.calico_selector import All, And, Compare, Global, Has, InSet, Not, Or

WEB = {"app": "web", "tier": "frontend", "projectcalico.org/name": "shop"}


@pytest.mark.parametrize(("text", "root"), [
    ("", All()),
    (" \t", All()),
    ("all()", All()),
    ("all( )", All()),
    ("global()", Global()),
    ("has(app)", Has("app")),
    ("has( app )", Has("app")),
    ("app == 'web'", Compare("app", "==", "web")),
    ('app=="web"', Compare("app", "==", "web")),
    ("app != ''", Compare("app", "!=", "")),
    ("app contains 'e'", Compare("app", "contains", "e")),
    ("app starts with 'w'", Compare("app", "starts with", "w")),
    ("app ends\twith 'b'", Compare("app", "ends with", "b")),
    ("app in {'a', \"b\",}", InSet("app", frozenset({"a", "b"}))),
    ("app not in {}", InSet("app", frozenset(), negated=True)),
    ("app notin {'a'}", InSet("app", frozenset({"a"}), negated=True)),
    ("in in {'in'}", InSet("in", frozenset({"in"}))),
    ("!has(a)", Not(Has("a"))),
    ("!!has(a)", Has("a")),
    ("a == '1' || b == '2' && c == '3'",
     Or((Compare("a", "==", "1"), And((Compare("b", "==", "2"), Compare("c", "==", "3")))))),
    ("(a == '1' || b == '2') && c == '3'",
     And((Or((Compare("a", "==", "1"), Compare("b", "==", "2"))), Compare("c", "==", "3")))),
    ("!a == '1' && b == '2'", And((Not(Compare("a", "==", "1")), Compare("b", "==", "2")))),
    ("projectcalico.org/name == 'x'", Compare("projectcalico.org/name", "==", "x")),
])
def test_parses(text: str, root: object) -> None:
    assert parse_selector(text).root == root


@pytest.mark.parametrize(("text", "expected"), [
    ("app == 'web'", True),
    ("app == 'db'", False),
    ("missing != 'x'", True),          # != matches an absent label
    ("missing not in {'x'}", True),    # so does not in
    ("missing == ''", False),
    ("missing contains ''", False),
    ("tier starts with 'front'", True),
    ("tier ends with 'end'", True),
    ("tier contains 'onte'", True),
    ("app in {'db', 'web'}", True),
    ("app not in {'db', 'web'}", False),
    ("has(app) && !has(canary)", True),
    ("app == 'db' || tier == 'frontend'", True),
    ("!(app == 'web')", False),
    ("global()", True),
])
def test_matches(text: str, expected: bool) -> None:
    assert calico_matches(parse_selector(text), WEB) is expected


@pytest.mark.parametrize(("text", "column", "reason"), [
    ("app = 'web'", 5, "unexpected character '=' (== is written doubled)"),
    ("app == web", 8, "unexpected 'web', expected a quoted string"),
    ("app == 'web", 8, "unexpected character \"'\" (a string that is never closed)"),
    ("has (app)", 5, "unexpected '(': write has( with no blank before the parenthesis"),
    ("app (x)", 5, "unexpected '(', expected an operator (==, !=, in, not in, contains, "
                   "starts with, ends with)"),
    ("app == 'web' &&", 16, "unexpected end, expected ! or ( or a label or all() or global() "
                            "or has("),
    ("(app == 'web'", 14, "unexpected end, expected )"),
    ("app in {,}", 9, "unexpected ',', expected a quoted string or }"),
    ("app & tier", 5, "unexpected character '&' (&& is written doubled)"),
    ("app == 'web'\n&& has(x)", 13, "unexpected character '\\n' (a selector is one line)"),
])
def test_errors_point_at_the_column(text: str, column: int, reason: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    assert (info.value.column, info.value.reason) == (column, reason)
    assert str(info.value) == f"invalid selector {text!r}: column {column}: {reason}"


def test_uses_global() -> None:
    assert parse_selector("!global() || a == 'b'").uses_global
    assert not parse_selector("a == 'global()'").uses_global
