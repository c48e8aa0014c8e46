"""Nearest-miss explanations: which pod came closest to a selector, and why it failed."""

from __future__ import annotations

from collections.abc import Iterable

from dtnetpol.engine.analysis import PodClass
from dtnetpol.engine.selectors import explain_mismatch
from dtnetpol.model.policy import LabelSelector


def nearest_miss(selector: LabelSelector, classes: Iterable[PodClass]) -> str:
    """``; closest: ns/web[Deployment] (label app=x required, found app=y)`` or ``""``."""
    best: tuple[int, str, list[str]] | None = None
    for cls in classes:
        misses = explain_mismatch(selector, cls.labels)
        if not misses:
            continue
        key = (len(misses), cls.name, misses)
        if best is None or key[:2] < best[:2]:
            best = key
    if best is None:
        return ""
    return f"; closest: {best[1]} ({'; '.join(best[2])})"
