"""Proof on real DynaKubes: ``generate --flavor calico`` checked by the engine's Calico tiers.

For every sample in ../shared/corpora/dynakube-samples/v1beta6/ and every platform profile, a
cluster whose only isolation is a Calico default-deny (a GlobalNetworkPolicy that selects
every pod for Ingress and Egress and has no rule, so the default tier drops whatever no
earlier policy allowed) must

* block required flows when nothing else is applied (the default-deny alone bites), and
* block no required flow once the generated Calico NetworkPolicies are added (for a tenant
  reached by name, Calico Open Source allows public addresses: the verdict is conditional on
  the name resolving there, which is accepted).

The generated documents go through the Calico reader (the one-line errors of the CLI), so a
document the reader rejects fails the test. Skips with a reason when the corpus is absent.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from tests.corpora import corpus, missing

from dtnetpol.dynatrace import DynaKube, Platform, parse_dynakube
from dtnetpol.engine.analysis import Analyzer, ExternalEndpoint
from dtnetpol.engine.explain import Outcome
from dtnetpol.generate import Flavor
from dtnetpol.manifest.calico import parse_calico_object
from dtnetpol.model.calico import CalicoPolicy, CalicoResources
from dtnetpol.model.location import SourceLocation

REPO = Path(__file__).resolve().parents[2]
SAMPLES = corpus("dynakube-samples", "v1beta6")
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.yaml")) if SAMPLES.is_dir() else []
PLATFORMS = [p.value for p in Platform if p is not Platform.OPENSHIFT]

needs_corpus = pytest.mark.skipif(not SAMPLE_FILES, reason=missing(SAMPLES))

DEFAULT_DENY = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                "metadata": {"name": "default-deny"},
                "spec": {"selector": "all()", "types": ["Ingress", "Egress"]}}


def _load_proof() -> ModuleType:
    path = REPO / "tests" / "unit" / "generate" / "proof.py"
    spec = importlib.util.spec_from_file_location("dtnetpol_generate_proof", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


proof = _load_proof()


def _dynakubes(name: str) -> list[DynaKube]:
    with (SAMPLES / name).open(encoding="utf-8") as fh:
        return [parse_dynakube(b) for b in yaml.safe_load_all(fh)
                if isinstance(b, dict) and b.get("kind") == "DynaKube"]


def _calico(body: dict[str, object], where: str) -> CalicoPolicy:
    policy, problems, _ = parse_calico_object(body, SourceLocation(where), str(body["kind"]),
                                              str(body["apiVersion"]))
    assert not problems, [str(p) for p in problems]
    assert isinstance(policy, CalicoPolicy)
    return policy


def _cluster_run(sample: str, platform: str, with_generated: bool) -> list[str]:
    """The required flows that are not allowed (conditional toFQDNs allows excepted)."""
    dks = _dynakubes(sample)
    s = proof.scenario(dks, platform, flavor=Flavor.CALICO)
    generated = [_calico(dict(d.body), d.filename) for d in s.docs
                 if d.api_version == "projectcalico.org/v3"]
    plain = [d.policy for d in s.docs if d.policy is not None]
    assert generated, "nothing generated"
    base = s.cluster
    policies = tuple(p for p in base.policies if p.name != "default-deny-all")
    if with_generated:
        policies += tuple(plain)
    cluster = replace(base, policies=policies, calico=CalicoResources(
        policies=(_calico(DEFAULT_DENY, "default-deny"), *(generated if with_generated else ()))))
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
        dst = proof.destination(s, f)
        if dst is None:
            continue
        if isinstance(dst, ExternalEndpoint) and dst.name == "tenant":
            host = f.destination.hosts[0].host if f.destination.hosts else endpoint_host
            dst = ExternalEndpoint(host, dst.addresses)
        for src in proof.sources(s, f):
            for port in f.ports:
                v = s.analyzer.can_reach(src, dst, port.number, port.protocol)
                if v.outcome is Outcome.ALLOWED:
                    continue
                if v.outcome is Outcome.CONDITIONAL and dst.addresses is None:
                    continue   # a host by name: allowed if it resolves to the nets allowed
                out.append(f"{f.id}: {v.source} -> {v.destination} {port.number}: {v.outcome}"
                           f" [{v.egress.chain} | {v.ingress.chain}]")
    return out


@needs_corpus
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("sample", SAMPLE_FILES or ["none"])
def test_calico_policies_leave_no_required_flow_blocked(sample: str, platform: str) -> None:
    assert _cluster_run(sample, platform, with_generated=True) == []


@needs_corpus
@pytest.mark.parametrize("sample", SAMPLE_FILES or ["none"])
def test_the_calico_default_deny_alone_blocks_required_flows(sample: str) -> None:
    assert _cluster_run(sample, Platform.GENERIC.value, with_generated=False) != []
