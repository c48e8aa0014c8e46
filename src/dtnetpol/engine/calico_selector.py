"""Parsed Calico selectors compiled into predicates over a label mapping.

Compiled once per distinct selector (cached): a cluster repeats the same few selectors over
thousands of endpoints. An ``&&`` of plain equalities, the most common shape, becomes one loop
over (key, value) pairs instead of a chain of closures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

from dtnetpol.model.calico_selector import (
    All,
    And,
    CalicoSelector,
    Compare,
    Global,
    Has,
    InSet,
    Node,
    Not,
    Or,
)

Matcher = Callable[[Mapping[str, str]], bool]


def _always(labels: Mapping[str, str]) -> bool:
    return True


def _compare(node: Compare) -> Matcher:
    key, value, op = node.key, node.value, node.op
    if op == "==":
        return lambda labels: key in labels and labels[key] == value
    if op == "!=":
        return lambda labels: key not in labels or labels[key] != value
    if op == "contains":
        return lambda labels: key in labels and value in labels[key]
    if op == "starts with":
        return lambda labels: key in labels and labels[key].startswith(value)
    if op == "ends with":
        return lambda labels: key in labels and labels[key].endswith(value)
    raise ValueError(f"unknown selector operator {op!r}")


def _compile(node: Node) -> Matcher:
    if isinstance(node, All | Global):
        return _always
    if isinstance(node, Has):
        key = node.key
        return lambda labels: key in labels
    if isinstance(node, Compare):
        return _compare(node)
    if isinstance(node, InSet):
        key, values = node.key, node.values
        if node.negated:
            return lambda labels: key not in labels or labels[key] not in values
        return lambda labels: key in labels and labels[key] in values
    if isinstance(node, Not):
        inner = _compile(node.operand)
        return lambda labels: not inner(labels)
    if isinstance(node, And):
        pairs = tuple((o.key, o.value) for o in node.operands
                      if isinstance(o, Compare) and o.op == "==")
        rest = tuple(_compile(o) for o in node.operands
                     if not (isinstance(o, Compare) and o.op == "=="))

        def conjunction(labels: Mapping[str, str]) -> bool:
            for k, v in pairs:
                if k not in labels or labels[k] != v:
                    return False
            return all(m(labels) for m in rest)

        return conjunction
    if isinstance(node, Or):
        parts = tuple(_compile(o) for o in node.operands)
        return lambda labels: any(m(labels) for m in parts)
    raise TypeError(f"not a selector node: {node!r}")


@lru_cache(maxsize=65536)
def compile_calico_selector(selector: CalicoSelector) -> Matcher:
    """A predicate over a label mapping; equal selectors share one compiled matcher."""
    return _compile(selector.root)


def calico_matches(selector: CalicoSelector, labels: Mapping[str, str]) -> bool:
    return compile_calico_selector(selector)(labels)
