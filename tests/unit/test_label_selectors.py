"""One label-selector reader: NetworkPolicies, DynaKubes and the linter apply the same rules.

Each case is a selector with the problem the API server reports for it (None: valid). The
same text reaches a NetworkPolicy's podSelector, a DynaKube's namespaceSelector and the
reader itself; all three must agree. The fast path agrees with the full reader on every
selector, valid or not (property test).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dtnetpol.dynatrace.dynakube import parse_dynakube
from dtnetpol.errors import InputError
from dtnetpol.lint.rules.unknown_dynatrace_labels import _raw_selector
from dtnetpol.manifest._fields import Field
from dtnetpol.manifest.networkpolicy import parse_network_policy_with_notes
from dtnetpol.manifest.selectors import SelectorReader, Slow, fast_selector, read_selector
from dtnetpol.model import LabelSelector, Requirement, SourceLocation

LOC = SourceLocation("s.yaml", 1, 1)

CASES: list[tuple[Any, str | None]] = [
    ({"matchLabels": {"app": "web"}}, None),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}, None),
    ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, None),
    ({"matchExpressions": [{"key": "tier", "operator": "in", "values": ["a"]}]},
     "invalid-selector-operator"),
    ({"matchExpressions": [{"key": "tier", "operator": "In"}]}, "invalid-selector-values"),
    ({"matchExpressions": [{"key": "tier", "operator": "Exists", "values": ["a"]}]},
     "invalid-selector-values"),
    ({"matchLabels": {"-bad": "x"}}, "invalid-label-key"),
    ({"matchLabels": {"app": "-bad-"}}, "invalid-label-value"),
    ({"matchLabels": {"app": 1}}, "wrong-type"),
    ({"matchLabel": {"app": "web"}}, "unknown-field"),
    ({"matchExpressions": [{"operator": "Exists"}]}, "missing-field"),
]


def _netpol_codes(selector: Any) -> list[str]:
    body = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "p", "namespace": "a"}, "spec": {"podSelector": selector}}
    _, problems, _ = parse_network_policy_with_notes(body, LOC)
    return [p.code for p in problems]


def _dynakube_error(selector: Any) -> str | None:
    body = {"apiVersion": "dynatrace.com/v1beta6", "kind": "DynaKube",
            "metadata": {"name": "dk", "namespace": "dynatrace"},
            "spec": {"apiUrl": "https://abc12345.live.dynatrace.com/api",
                     "oneAgent": {"applicationMonitoring": {"namespaceSelector": selector}}}}
    try:
        parse_dynakube(body, LOC)
    except InputError as e:
        return e.message.split(":")[0]
    return None


@pytest.mark.parametrize(("selector", "code"), CASES)
def test_every_reader_applies_the_same_rules(selector: Any, code: str | None) -> None:
    _, problems = read_selector(selector, LOC.at("spec.podSelector"))
    assert [p.code for p in problems][:1] == ([code] if code else [])
    assert _netpol_codes(selector)[:1] == ([code] if code else [])
    assert _dynakube_error(selector) == code
    assert (_raw_selector(selector, LOC) is None) == (code is not None)


def test_problem_points_at_the_field() -> None:
    _, problems = read_selector({"matchExpressions": [{"key": "t", "operator": "in",
                                                       "values": ["a"]}]},
                                LOC.at("spec.podSelector"))
    assert problems[0].location.path == "spec.podSelector.matchExpressions[0].operator"
    assert "case-sensitive: In" in problems[0].message


def test_null_is_absent_and_valid_selectors_are_shared() -> None:
    assert read_selector(None, LOC) == (None, ())
    a, _ = read_selector({"matchLabels": {"x": "1"}}, LOC)
    b, _ = read_selector({"matchLabels": {"x": "1"}}, LOC)
    assert a == LabelSelector((("x", "1"),)) and a is b


keys = st.sampled_from(["app", "tier", "a.b/c", "-x", "", "x" * 64, 3])
values = st.sampled_from(["web", "", "-v", "a" * 64, None, 1, True])
operators = st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist", "in", None, 1])
requirement = st.fixed_dictionaries(
    {"key": keys, "operator": operators},
    optional={"values": st.one_of(st.none(), st.lists(values, max_size=3), values),
              "extra": st.just(1)})
selectors = st.one_of(
    st.none(), values,
    st.fixed_dictionaries({}, optional={
        "matchLabels": st.one_of(st.none(), st.dictionaries(keys, values, max_size=3), values),
        "matchExpressions": st.one_of(st.none(), st.lists(requirement, max_size=3), values),
        "other": st.just({})}))


@given(selectors)
def test_fast_path_agrees_with_the_reader(selector: Any) -> None:
    reader = SelectorReader()
    full = reader.selector(Field(selector, LOC))
    try:
        fast = fast_selector(selector)
    except Slow:
        return
    assert reader.problems == [] and fast == full
    if fast is not None:
        assert all(isinstance(r, Requirement) for r in fast.match_expressions)
