"""The label index selects exactly what testing every item with the selector selects."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dtnetpol.engine.label_index import LabelIndex
from dtnetpol.engine.selectors import selector_matches
from dtnetpol.model.policy import LabelSelector, Requirement

from .strategies import POD_LABELS, labels_from, selectors


@given(st.lists(labels_from(POD_LABELS), max_size=12), selectors(POD_LABELS))
def test_select_is_the_items_the_selector_matches(items: list[dict[str, str]],
                                                  selector: LabelSelector) -> None:
    index = LabelIndex(enumerate(items))
    got = index.select(selector)
    assert len(got) == len(set(got))
    assert set(got) == {i for i, labels in enumerate(items) if selector_matches(selector, labels)}
    # The estimate (which side a peer's class set is computed from) bounds what is selected.
    assert len(got) <= index.estimate(selector) <= len(items)


def test_narrowest_term_decides_and_negative_terms_still_apply() -> None:
    index = LabelIndex([("a", {"app": "web", "tier": "x"}), ("b", {"app": "web"}),
                        ("c", {"app": "db", "tier": "x"})])
    web_not_x = LabelSelector((("app", "web"),), (Requirement("tier", "DoesNotExist"),))
    assert index.select(web_not_x) == ["b"]
    assert sorted(index.select(LabelSelector(match_expressions=(
        Requirement("app", "In", ("web", "db", "web")),)))) == ["a", "b", "c"]
    assert index.select(LabelSelector((("app", "cache"),))) == []
    assert sorted(index.select(LabelSelector())) == ["a", "b", "c"]
    assert len(index) == 3
