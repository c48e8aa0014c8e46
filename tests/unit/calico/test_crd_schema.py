"""Calico objects checked against Calico's published CRD schemas (shipped in data/crds/calico)."""

from __future__ import annotations

import textwrap
from importlib import resources

import pytest

from dtnetpol.errors import InputError
from dtnetpol.manifest import build_cluster
from dtnetpol.manifest.calico import CALICO_KINDS
from dtnetpol.manifest.crd_schemas import CALICO_PLURALS, crd_file, unchecked_rules, validator
from dtnetpol.sources.yaml_load import read_text


def load(text: str, strict: bool = True):  # type: ignore[no-untyped-def]
    docs = read_text(textwrap.dedent(text), "c.yaml")
    return build_cluster(((d.body, d.location) for d in docs), strict=strict)


def error(text: str) -> str:
    with pytest.raises(InputError) as info:
        load(text)
    return str(info.value)


def test_every_calico_kind_has_its_shipped_crd_with_licence_and_source() -> None:
    assert set(CALICO_PLURALS) == CALICO_KINDS
    crds = resources.files("dtnetpol").joinpath("data", "crds", "calico")
    source = crds.joinpath("SOURCE").read_text(encoding="utf-8")
    assert "Apache License" in crds.joinpath("LICENSE.md").read_text(encoding="utf-8")
    for kind in CALICO_KINDS:
        for group in ("projectcalico.org/v3", "crd.projectcalico.org/v1"):
            name = crd_file(kind, group)
            assert name is not None and name.startswith("calico/")
            v = validator(kind, group)
            assert v is not None and v.kind == kind and v.group == "crd.projectcalico.org"
            assert name.removeprefix("calico/") in source
        # Calico's 3.30 CRDs carry no CEL rules: nothing is left unchecked silently
        assert unchecked_rules(kind, "crd.projectcalico.org/v1") == []
    # a Kubernetes NetworkPolicy is not a Calico one
    assert crd_file("NetworkPolicy", "networking.k8s.io/v1") is None


VALID = """\
apiVersion: {group}
kind: NetworkPolicy
metadata:
  name: default.allow-web
  namespace: shop
  uid: 3c1b6f0e-1111-4a4a-8c8c-000000000001
  resourceVersion: "4711"
  creationTimestamp: "2026-01-01T00:00:00Z"
  annotations: {{projectcalico.org/metadata: '{{}}'}}
spec:
  tier: default
  order: 100
  selector: app == 'web'
  types: [Ingress, Egress]
  ingress:
    - action: Allow
      protocol: TCP
      source: {{selector: app == 'api', namespaceSelector: global()}}
      destination: {{ports: [8080, "9000:9100", http]}}
      metadata: {{annotations: {{owner: shop}}}}
  egress:
    - action: Allow
      protocol: 17
      destination: {{nets: [10.0.0.0/8], notPorts: [53]}}
    - action: Allow
      protocol: ICMP
      icmp: {{type: 8, code: 0}}
"""


@pytest.mark.parametrize("group", ["projectcalico.org/v3", "crd.projectcalico.org/v1"])
def test_a_valid_policy_passes_in_both_api_groups(group: str) -> None:
    cluster, problems = load(VALID.format(group=group))
    assert problems == []
    (policy,) = cluster.calico.policies
    assert policy.name == "default.allow-web" and len(policy.egress) == 2


def test_valid_tiers_sets_and_staged_kinds_pass() -> None:
    cluster, problems = load("""\
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: security}
        spec: {order: 100, defaultAction: Pass}
        ---
        apiVersion: crd.projectcalico.org/v1
        kind: GlobalNetworkSet
        metadata: {name: tenant, labels: {role: tenant}}
        spec: {nets: [203.0.113.0/24]}
        ---
        apiVersion: projectcalico.org/v3
        kind: StagedGlobalNetworkPolicy
        metadata: {name: s}
        spec: {stagedAction: Set, selector: all(), egress: [{action: Deny}], doNotTrack: false}
        ---
        apiVersion: projectcalico.org/v3
        kind: StagedKubernetesNetworkPolicy
        metadata: {name: sk, namespace: shop}
        spec: {stagedAction: Delete, podSelector: {}, policyTypes: [Ingress]}
    """)
    assert problems == []
    assert cluster.calico.tier("security").order == 100
    assert [s.name for s in cluster.calico.network_sets] == ["tenant"]
    assert len(cluster.calico.staged) == 1 and len(cluster.calico.staged_kubernetes) == 1


POLICY = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  selector: all()
"""


@pytest.mark.parametrize(("text", "expected"), [
    (POLICY + "  ingress:\n    - action: Allow\n      from: [{selector: all()}]\n",
     "c.yaml:8: document 1: spec.ingress[0].from: unknown-field: unknown field 'from': "
     "Calico rules use source (the CRD schema) (Calico would reject this NetworkPolicy)"),
    (POLICY + "  ingress:\n    - protocol: TCP\n",
     "c.yaml:7: document 1: spec.ingress[0].action: missing-field: required field is missing "
     "(the CRD schema) (Calico would reject this NetworkPolicy)"),
    (POLICY + "  egress:\n    - action: Deny\n      destination: {nets: 10.0.0.0/8}\n",
     "c.yaml:8: document 1: spec.egress[0].destination.nets: wrong-type: must be a list, "
     "not string (the CRD schema) (Calico would reject this NetworkPolicy)"),
    (POLICY + "  ingress:\n    - action: Allow\n      icmp: {type: eight}\n      protocol: ICMP\n",
     "c.yaml:8: document 1: spec.ingress[0].icmp.type: wrong-type: must be an integer, not "
     "string (the CRD schema) (Calico would reject this NetworkPolicy)"),
    (POLICY + "  flavour: strict\n",
     'c.yaml:6: document 1: spec.flavour: unknown-field: unknown field "flavour": kubectl '
     "(--validate=strict, the default) rejects the object; with --validate=false the API "
     "server silently drops the field (the CRD schema) (Calico would reject this "
     "NetworkPolicy)"),
    ("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\n"
     "spec: {defaultAction: Allow}\n",
     "c.yaml:4: document 1: spec.defaultAction: invalid-value: must be one of 'Pass', 'Deny', "
     "not 'Allow' (the CRD schema) (Calico would reject this Tier)"),
    ("apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkSet\nmetadata: {name: g}\n"
     "spec: {nets: [10.0.0.0/8], allowedEgressDomains: [x.example]}\n",
     'c.yaml:4: document 1: spec.allowedEgressDomains: unknown-field: unknown field '
     '"allowedEgressDomains": kubectl (--validate=strict, the default) rejects the object; '
     "with --validate=false the API server silently drops the field (the CRD schema) "
     "(Calico would reject this GlobalNetworkSet)"),
    ("apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\n"
     "metadata: {name: sk, namespace: shop}\nspec: {podSelector: {}, stagedAction: 5}\n",
     "c.yaml:4: document 1: spec.stagedAction: wrong-type: must be a string, not integer "
     "(the CRD schema) (Calico would reject this StagedKubernetesNetworkPolicy)"),
])
def test_invalid_objects_are_caught_by_the_schema(text: str, expected: str) -> None:
    assert error(text) == expected


def test_semantic_checks_beyond_the_schema_stay_and_every_problem_is_reported_once() -> None:
    # the schema knows only that action is a string and ports are ints or strings; Calico's
    # validator rejects the lowercase action and the port without a protocol
    text = POLICY + ("  ingress:\n    - action: allow\n      destination: {ports: [80]}\n"
                     "      sauce: {}\n")
    cluster, problems = load(text, strict=False)
    assert cluster.calico.policies == ()
    assert [(p.code, p.location.path) for p in problems] == [
        ("unknown-field", "spec.ingress[0].sauce"),
        ("invalid-action", "spec.ingress[0].action"),
        ("conflicting-fields", "spec.ingress[0].protocol"),
    ]
