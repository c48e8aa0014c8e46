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

from dataclasses import replace
from typing import Any

import pytest
from tests.corpora import missing
from tests.corpus.proof import SAMPLE_FILES, SAMPLES, blocked_required

from dtnetpol.dynatrace import Platform
from dtnetpol.engine.analysis import Endpoint, ExternalEndpoint
from dtnetpol.engine.explain import Outcome, Verdict
from dtnetpol.generate import Flavor
from dtnetpol.manifest.calico import parse_calico_object
from dtnetpol.model.calico import CalicoPolicy, CalicoResources
from dtnetpol.model.cluster import Cluster
from dtnetpol.model.location import SourceLocation

PLATFORMS = [p.value for p in Platform]

needs_corpus = pytest.mark.skipif(not SAMPLE_FILES, reason=missing(SAMPLES))

DEFAULT_DENY = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                "metadata": {"name": "default-deny"},
                "spec": {"selector": "all()", "types": ["Ingress", "Egress"]}}


def _calico(body: dict[str, object], where: str) -> CalicoPolicy:
    policy, problems, _ = parse_calico_object(body, SourceLocation(where), str(body["kind"]),
                                              str(body["apiVersion"]))
    assert not problems, [str(p) for p in problems]
    assert isinstance(policy, CalicoPolicy)
    return policy


def _by_name(v: Verdict, dst: Endpoint) -> bool:
    """A host by name: allowed if it resolves to the nets allowed (Calico Open Source)."""
    return v.outcome is Outcome.CONDITIONAL and isinstance(dst, ExternalEndpoint) \
        and dst.addresses is None


def _cluster_run(sample: str, platform: str, with_generated: bool) -> list[str]:
    """The required flows that are not allowed (conditional allows of a host by name
    excepted)."""
    def build(base: Cluster, docs: list[Any]) -> Cluster:
        generated = [_calico(dict(d.body), d.filename) for d in docs
                     if d.api_version == "projectcalico.org/v3"]
        assert generated, "nothing generated"
        policies = tuple(p for p in base.policies if p.name != "default-deny-all")
        if with_generated:
            policies += tuple(d.policy for d in docs if d.policy is not None)
        return replace(base, policies=policies, calico=CalicoResources(policies=(
            _calico(DEFAULT_DENY, "default-deny"), *(generated if with_generated else ()))))
    return blocked_required(sample, platform, Flavor.CALICO, build, _by_name)


@needs_corpus
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("sample", SAMPLE_FILES or ["none"])
def test_calico_policies_leave_no_required_flow_blocked(sample: str, platform: str) -> None:
    assert _cluster_run(sample, platform, with_generated=True) == []


@needs_corpus
@pytest.mark.parametrize("sample", SAMPLE_FILES or ["none"])
def test_the_calico_default_deny_alone_blocks_required_flows(sample: str) -> None:
    assert _cluster_run(sample, Platform.GENERIC.value, with_generated=False) != []
