"""The loop the flavour proofs share: every required flow of a DynaKube sample on a platform,
judged by the engine on a cluster of one flavour's default-deny (with or without the policies
``generate`` wrote for that flavour).

``tests/corpus/test_generate_{cilium,calico}_corpus.py`` give the flavour: how its default-deny
and generated documents become a cluster, and which conditional verdict is accepted.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from tests.corpora import corpus

from dtnetpol.dynatrace import DynaKube, parse_dynakube
from dtnetpol.engine.analysis import Analyzer, Endpoint, ExternalEndpoint
from dtnetpol.engine.explain import Outcome, Verdict
from dtnetpol.generate import Flavor
from dtnetpol.model.cluster import Cluster

REPO = Path(__file__).resolve().parents[2]
SAMPLES = corpus("dynakube-samples", "v1beta6")
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.yaml")) if SAMPLES.is_dir() else []


def _load_generate_proof() -> ModuleType:
    path = REPO / "tests" / "unit" / "generate" / "proof.py"
    spec = importlib.util.spec_from_file_location("dtnetpol_generate_proof", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


#: tests/unit/generate/proof.py: the scenario (cluster, flows, generated documents) of a sample
generate_proof = _load_generate_proof()


def dynakubes(name: str) -> list[DynaKube]:
    with (SAMPLES / name).open(encoding="utf-8") as fh:
        return [parse_dynakube(b) for b in yaml.safe_load_all(fh)
                if isinstance(b, dict) and b.get("kind") == "DynaKube"]


def blocked_required(sample: str, platform: str, flavor: Flavor,
                     build: Callable[[Cluster, list[Any]], Cluster],
                     accept: Callable[[Verdict, Endpoint], bool]) -> list[str]:
    """The required flows of ``sample`` on ``platform`` that are not allowed.

    Args:
        build: the cluster to judge, from the scenario's cluster and its generated
            documents (the flavour adds its default-deny, and the documents or not).
        accept: a verdict that is not ALLOWED but counts as allowed (a conditional allow of
            a host by name), given the destination.
    """
    s = generate_proof.scenario(dynakubes(sample), platform, flavor=flavor)
    cluster = build(s.cluster, list(s.docs))
    s = replace(s, cluster=cluster, analyzer=Analyzer(cluster))
    # The tenant by name: its API host, or for the endpoints the tenant hands out (no host
    # in the DynaKube) a host of the tenant's domain.
    tenant = next((f.destination.hosts[0].host for f in s.flows if f.destination.hosts
                   and not f.destination.hosts[0].host[0].isdigit()), "tenant.example.com")
    endpoint_host = "sg-endpoint." + tenant.split(".", 1)[-1]
    out = []
    for f in s.flows:
        if not f.required:
            continue
        dst = generate_proof.destination(s, f)
        if dst is None:
            continue
        if isinstance(dst, ExternalEndpoint) and dst.name == "tenant":
            host = f.destination.hosts[0].host if f.destination.hosts else endpoint_host
            dst = ExternalEndpoint(host, dst.addresses)
        for src in generate_proof.sources(s, f):
            for port in f.ports:
                v = s.analyzer.can_reach(src, dst, port.number, port.protocol)
                if v.outcome is Outcome.ALLOWED or accept(v, dst):
                    continue
                out.append(f"{f.id}: {v.source} -> {v.destination} {port.number}: {v.outcome}"
                           f" [{v.egress.chain} | {v.ingress.chain}]")
    return out
