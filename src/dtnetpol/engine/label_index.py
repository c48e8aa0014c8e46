"""An inverted index of label sets: which items a selector matches, without testing each one.

A cluster of 10,000 namespaces and 15,000 pod classes is asked the same kind of question for
every distinct peer of every policy. Scanning every item per peer costs items × peers selector
tests; the index narrows each selector to the items of its most selective positive term
(a ``matchLabels`` pair, an ``In`` or an ``Exists``) and tests only those.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

from dtnetpol.engine.selectors import compile_selector
from dtnetpol.model.policy import LabelSelector

K = TypeVar("K")


class LabelIndex(Generic[K]):
    """Items (any hashable key) with their labels; answers "which keys does a selector match"."""

    def __init__(self, items: Iterable[tuple[K, Mapping[str, str]]]) -> None:
        self._labels: dict[K, Mapping[str, str]] = {}
        self._by_pair: dict[tuple[str, str], list[K]] = defaultdict(list)
        self._by_key: dict[str, list[K]] = defaultdict(list)
        for key, labels in items:
            self._labels[key] = labels
            for pair in labels.items():
                self._by_pair[pair].append(key)
                self._by_key[pair[0]].append(key)

    def __len__(self) -> int:
        return len(self._labels)

    def _candidates(self, selector: LabelSelector) -> Iterable[K]:
        """The items of the smallest positive term: only they can match (all items when the
        selector has no positive term)."""
        best: list[K] | None = None
        for pair in selector.match_labels:
            found = self._by_pair.get(pair, [])
            if best is None or len(found) < len(best):
                best = found
        for req in selector.match_expressions:
            if req.operator == "In":
                found = [k for v in dict.fromkeys(req.values)
                         for k in self._by_pair.get((req.key, v), [])]
            elif req.operator == "Exists":
                found = self._by_key.get(req.key, [])
            else:
                continue
            if best is None or len(found) < len(best):
                best = found
        return self._labels if best is None else best

    def estimate(self, selector: LabelSelector) -> int:
        """How many items ``select`` would test: the size of the narrowest positive term."""
        best = len(self._labels)
        for pair in selector.match_labels:
            best = min(best, len(self._by_pair.get(pair, ())))
        for req in selector.match_expressions:
            if req.operator == "In":
                best = min(best, sum(len(self._by_pair.get((req.key, v), ()))
                                     for v in dict.fromkeys(req.values)))
            elif req.operator == "Exists":
                best = min(best, len(self._by_key.get(req.key, ())))
        return best

    def select(self, selector: LabelSelector) -> list[K]:
        """The keys whose labels the selector matches, in insertion order of the index's
        narrowest list (no key twice)."""
        match = compile_selector(selector)
        labels = self._labels
        return [k for k in self._candidates(selector) if match(labels[k])]
