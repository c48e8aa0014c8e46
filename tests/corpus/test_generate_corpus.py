"""Proof on real DynaKubes: generated plain-Kubernetes policies, checked by the engine.

For every sample in ../shared/corpora/dynakube-samples/v1beta6/ and every platform profile,
a cluster where every namespace starts from default-deny, plus the policies ``generate``
writes, must

* let every flow the model lists through (required and optional; kubelet probes and
  host-network sides are outside NetworkPolicy), asked of the engine flow by flow, and
* allow nothing else to or from a Dynatrace or application pod: every connection in the
  engine's connection list is one a flow needs (no extra port, no extra peer).

The harness is tests/unit/generate/proof.py. Skips with a reason when the corpus is absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from tests.corpora import corpus, missing

from dtnetpol.dynatrace import DynaKube, Platform, parse_dynakube

REPO = Path(__file__).resolve().parents[2]
SAMPLES = corpus("dynakube-samples", "v1beta6")


def _load_proof() -> ModuleType:
    path = REPO / "tests" / "unit" / "generate" / "proof.py"
    spec = importlib.util.spec_from_file_location("dtnetpol_generate_proof", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


proof = _load_proof()
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.yaml")) if SAMPLES.is_dir() else []
PLATFORMS = [p.value for p in Platform]


def _dynakubes(name: str) -> list[DynaKube]:
    with (SAMPLES / name).open(encoding="utf-8") as fh:
        return [parse_dynakube(b) for b in yaml.safe_load_all(fh)
                if isinstance(b, dict) and b.get("kind") == "DynaKube"]


needs_corpus = pytest.mark.skipif(not SAMPLE_FILES, reason=missing(SAMPLES))


@needs_corpus
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("sample", SAMPLE_FILES or ["none"])
def test_generated_policies_let_every_flow_through(sample: str, platform: str) -> None:
    s = proof.scenario(_dynakubes(sample), platform)
    assert s.docs, "nothing generated"
    assert proof.blocked(s, required_only=False) == []


@needs_corpus
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("sample", SAMPLE_FILES or ["none"])
def test_generated_policies_allow_nothing_else(sample: str, platform: str) -> None:
    s = proof.scenario(_dynakubes(sample), platform)
    assert proof.extra_connections(s) == []


@needs_corpus
@pytest.mark.parametrize("sample", SAMPLE_FILES or ["none"])
def test_exact_tenant_cidr_is_least_privilege_too(sample: str) -> None:
    s = proof.scenario(_dynakubes(sample), Platform.GENERIC,
                       options={"tenant_cidrs": ("198.51.100.0/24",)})
    assert proof.blocked(s, required_only=False) == []
    assert proof.extra_connections(s) == []
