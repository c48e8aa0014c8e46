"""Cilium policies checked against cilium/cilium's published CRD schemas (shipped as package
data, release v1.16.5): what the Cilium reader lets through but the API server would reject is
an error with its field path and line; the project's own Cilium policies pass."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from dtnetpol.errors import InputError
from dtnetpol.manifest.cluster import build_cluster
from dtnetpol.manifest.crd_schemas import CRD_FILES, unchecked_rules, validator
from dtnetpol.sources.yaml_load import read_text

REPO = Path(__file__).resolve().parents[2]
KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")
MISSING = [k for k in KINDS if not resources.files("dtnetpol").joinpath(
    "data", "crds", *CRD_FILES[k].split("/")).is_file()]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"Cilium CRD data file(s) not installed: {', '.join(MISSING)}")

CNP = """apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: api}}]
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
"""


def error(text: str) -> str:
    with pytest.raises(InputError) as err:
        build_cluster((d.body, d.location) for d in read_text(text, "c.yaml"))
    return str(err.value)


def test_a_valid_policy_passes() -> None:
    cluster, problems = build_cluster((d.body, d.location) for d in read_text(CNP, "c.yaml"))
    assert problems == []
    assert [p.name for p in cluster.cilium_policies] == ["web"]


def test_wrong_type_is_reported_at_its_line() -> None:
    msg = error(CNP + "  description: 5\n")
    assert msg.startswith("c.yaml:10: document 1: spec.description: wrong-type: "
                          "must be a string, not integer (the CRD schema)")


def test_unknown_field_in_a_closed_schema() -> None:
    msg = error(CNP + "      rules: {http: [{methd: GET}]}\n")
    assert msg.startswith("c.yaml:10: document 1: spec.ingress[0].toPorts[0].rules.http[0].methd: "
                          'unknown-field: unknown field "methd"')


def test_value_outside_the_enum() -> None:
    msg = error(CNP + "    authentication: {mode: bogus}\n")
    assert msg.startswith("c.yaml:10: document 1: spec.ingress[0].authentication.mode: "
                          "invalid-value: must be one of 'disabled', 'required', "
                          "'test-always-fail', not 'bogus' (the CRD schema)")


def test_bad_port() -> None:
    msg = error(CNP.replace('"8080"', '"70000"'))
    assert msg.startswith("c.yaml:9: document 1: spec.ingress[0].toPorts[0].ports[0].port: ")
    msg = error(CNP.replace('"8080"', '"-80"'))
    assert msg.startswith("c.yaml:9: document 1: spec.ingress[0].toPorts[0].ports[0].port: ")


def test_clusterwide_policy_is_checked_too() -> None:
    text = CNP.replace("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy").replace(
        ", namespace: shop", "") + "  description: [x]\n"
    assert error(text).startswith("c.yaml:10: document 1: spec.description: wrong-type: "
                                  "must be a string, not list (the CRD schema)")


def test_both_selectors_break_the_one_of() -> None:
    text = CNP.replace("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy").replace(
        ", namespace: shop", "").replace("spec:\n", "spec:\n  nodeSelector: {}\n")
    assert "document 1: spec" in error(text)


def test_the_shipped_crds_carry_no_cel_rules() -> None:
    # Release v1.16.5's Cilium policy CRDs have no x-kubernetes-validations: nothing to list.
    for kind in KINDS:
        assert validator(kind) is not None
        assert unchecked_rules(kind) == []


def _cilium_docs(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh)
                if isinstance(d, dict) and d.get("kind") in KINDS]


@pytest.mark.parametrize("path", ["examples/layers/cluster.yaml",
                                  "tests/golden/generate/cloudNativeFullStack.cilium.yaml"])
def test_the_projects_cilium_policies_pass(path: str) -> None:
    docs = _cilium_docs(REPO / path)
    assert docs
    for doc in docs:
        v = validator(str(doc["kind"]))
        assert v is not None
        assert v.validate(doc) == [], doc["metadata"]
