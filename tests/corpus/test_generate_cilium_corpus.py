"""Proof on real DynaKubes: ``generate --flavor cilium`` checked by the engine's Cilium layer.

For every sample in ../shared/corpora/dynakube-samples/v1beta6/ and every platform profile, a
cluster whose only isolation is a Cilium default-deny (a CiliumClusterwideNetworkPolicy with
``ingress: [{}]`` and ``egress: [{}]`` on every pod) must

* block required flows when nothing else is applied (the default-deny alone bites), and
* block no required flow once the generated CiliumNetworkPolicies are added: every required
  flow is allowed, or, for a tenant reached by name, allowed on the condition ``toFQDNs`` puts
  (Cilium's DNS proxy learns the name's addresses).

The generated documents go through the Cilium reader (the one-line errors of the CLI), so a
document the reader rejects fails the test, and so does one cilium/cilium's CRD schema (the
shipped v1.16.5) rejects. Skips with a reason when the corpus is absent.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from typing import Any

import pytest
from tests.corpora import missing
from tests.corpus.proof import SAMPLE_FILES, SAMPLES, blocked_required, dynakubes, generate_proof

from dtnetpol.dynatrace import Platform
from dtnetpol.engine.analysis import Endpoint
from dtnetpol.engine.explain import Outcome, Verdict
from dtnetpol.generate import Flavor
from dtnetpol.manifest.cilium import parse_cilium_policy
from dtnetpol.manifest.crd_schemas import CRD_FILES, validator
from dtnetpol.model.cilium import CCNP, CiliumPolicy
from dtnetpol.model.cluster import Cluster
from dtnetpol.model.location import SourceLocation

# Every platform, OpenShift included: its cluster DNS listens on 5353 (dns-default), and the
# generated DNS rule (``rules.dns`` on port 5353) is one the Cilium agent accepts (a DNS rule
# needs a single port, not port 53: ``L7Rules.sanitize`` in cilium/cilium).
PLATFORMS = [p.value for p in Platform]

needs_corpus = pytest.mark.skipif(not SAMPLE_FILES, reason=missing(SAMPLES))

DEFAULT_DENY = {"apiVersion": "cilium.io/v2", "kind": CCNP,
                "metadata": {"name": "default-deny"},
                "spec": {"endpointSelector": {}, "ingress": [{}], "egress": [{}]}}


def _cilium(body: dict[str, object], where: str) -> CiliumPolicy:
    policy, problems, _ = parse_cilium_policy(body, SourceLocation(where), str(body["kind"]))
    assert not problems, [str(p) for p in problems]
    assert policy is not None
    return policy


def _fqdn_conditional(v: Verdict, _dst: Endpoint) -> bool:
    """A tenant by name: allowed once Cilium's DNS proxy learns its addresses (toFQDNs)."""
    return v.outcome is Outcome.CONDITIONAL and any("toFQDNs" in n for n in v.egress.notes)


def _cluster_run(sample: str, platform: str, with_generated: bool) -> list[str]:
    """The required flows that are not allowed (conditional toFQDNs allows excepted)."""
    def build(base: Cluster, docs: list[Any]) -> Cluster:
        generated = [_cilium(dict(d.body), d.filename) for d in docs
                     if d.kind.startswith("Cilium")]
        assert generated, "nothing generated"
        policies = tuple(p for p in base.policies if p.name != "default-deny-all")
        if with_generated:
            policies += tuple(d.policy for d in docs if d.policy is not None)
        return replace(base, policies=policies,
                       cilium_policies=(_cilium(DEFAULT_DENY, "default-deny"),
                                        *(generated if with_generated else ())))
    return blocked_required(sample, platform, Flavor.CILIUM, build, _fqdn_conditional)


@needs_corpus
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("sample", SAMPLE_FILES or ["none"])
def test_cilium_policies_leave_no_required_flow_blocked(sample: str, platform: str) -> None:
    assert _cluster_run(sample, platform, with_generated=True) == []


@needs_corpus
@pytest.mark.parametrize("sample", SAMPLE_FILES or ["none"])
def test_the_cilium_default_deny_alone_blocks_required_flows(sample: str) -> None:
    assert _cluster_run(sample, Platform.GENERIC.value, with_generated=False) != []


@needs_corpus
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("sample", SAMPLE_FILES or ["none"])
def test_generated_cilium_policies_pass_the_crd_schema(sample: str, platform: str) -> None:
    """Each generated Cilium document passes cilium/cilium's CRD (the shipped v1.16.5)."""
    if not resources.files("dtnetpol").joinpath(
            "data", "crds", *CRD_FILES["CiliumNetworkPolicy"].split("/")).is_file():
        pytest.skip("the Cilium CRD data file is not installed")
    s = generate_proof.scenario(dynakubes(sample), platform, flavor=Flavor.CILIUM)
    docs = [d.body for d in s.docs if d.kind.startswith("Cilium")]
    assert docs, "nothing generated"
    bad = []
    for body in docs:
        v = validator(str(body["kind"]))
        assert v is not None
        bad += [(body["metadata"], path, msg) for path, msg in v.validate(body)]
    assert bad == []
