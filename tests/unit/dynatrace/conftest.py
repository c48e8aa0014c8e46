"""Fixtures for the Dynatrace knowledge layer: the shared corpora, read at test time only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.corpora import corpus, missing, need

SAMPLES = corpus("dynakube-samples", "v1beta6")
CRD = corpus("dynatrace-operator-assets", "dynakube-crd.yaml")
_need = need


def sample_docs(name: str) -> list[dict[str, Any]]:
    """The DynaKube documents of one v1beta6 sample file (skips when corpora are absent)."""
    path = _need(SAMPLES / name)
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


MISSING_REASON = missing(SAMPLES)


def sample_names() -> list[Any]:
    """Sample file names for parametrize; one skipped entry when the corpora are absent."""
    if not SAMPLES.is_dir():
        return [pytest.param("<absent>", marks=pytest.mark.skip(reason=MISSING_REASON))]
    return sorted(p.name for p in SAMPLES.glob("*.yaml"))


@pytest.fixture(scope="session")
def crd() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(_need(CRD).read_text())
    return loaded


@pytest.fixture
def samples_dir() -> Iterator[Path]:
    yield _need(SAMPLES)
