"""Label selector evaluation (matchLabels AND matchExpressions), compiled once per selector."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

from dtnetpol.model.policy import LabelSelector, Requirement

Matcher = Callable[[Mapping[str, str]], bool]


def _requirement_matcher(req: Requirement) -> Matcher:
    key, values = req.key, frozenset(req.values)
    if req.operator == "In":
        return lambda labels: key in labels and labels[key] in values
    if req.operator == "NotIn":
        # Kubernetes: NotIn matches objects that do not have the key at all.
        return lambda labels: key not in labels or labels[key] not in values
    if req.operator == "Exists":
        return lambda labels: key in labels
    if req.operator == "DoesNotExist":
        return lambda labels: key not in labels
    raise ValueError(f"unknown selector operator {req.operator!r}")


@lru_cache(maxsize=65536)
def compile_selector(selector: LabelSelector) -> Matcher:
    """A predicate over a label mapping; identical selectors share one compiled matcher."""
    if selector.is_empty:
        return lambda labels: True
    pairs = selector.match_labels
    reqs = tuple(_requirement_matcher(r) for r in selector.match_expressions)

    def matches(labels: Mapping[str, str]) -> bool:
        for k, v in pairs:
            if labels.get(k) != v:
                return False
        return all(r(labels) for r in reqs)

    return matches


def selector_matches(selector: LabelSelector, labels: Mapping[str, str]) -> bool:
    return compile_selector(selector)(labels)


def explain_mismatch(selector: LabelSelector, labels: Mapping[str, str]) -> list[str]:
    """The terms of ``selector`` that ``labels`` fail, in words (for nearest-miss messages)."""
    misses: list[str] = []
    for k, v in selector.match_labels:
        if k not in labels:
            misses.append(f"label {k}={v} required, key absent")
        elif labels[k] != v:
            misses.append(f"label {k}={v} required, found {k}={labels[k]}")
    for r in selector.match_expressions:
        if not _requirement_matcher(r)(labels):
            misses.append(f"expression {r.key} {r.operator} {list(r.values) or ''}".rstrip())
    return misses
