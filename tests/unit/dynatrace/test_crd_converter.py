"""The CRD → JSON Schema converter: branches stay open, OpenAPI 3.0 exclusive bounds, the
``cidr`` format, CEL rules listed; and the shipped network-policy-api CRDs in use."""

from __future__ import annotations

from typing import Any

import pytest

from dtnetpol.errors import InputError
from dtnetpol.manifest.cluster import build_cluster
from dtnetpol.manifest.crd_schemas import unchecked_rules
from dtnetpol.manifest.crd_validator import CrdValidator, cel_rules
from dtnetpol.sources.yaml_load import read_text


def crd(spec_schema: dict[str, Any]) -> CrdValidator:
    return CrdValidator({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "spec": {"group": "example.io", "names": {"kind": "Thing"}, "versions": [
            {"name": "v1", "served": True, "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                               "metadata": {"type": "object"}, "spec": spec_schema}}}}]}})


def check(v: CrdValidator, spec: object) -> list[tuple[str, str]]:
    return v.validate({"apiVersion": "example.io/v1", "kind": "Thing",
                       "metadata": {"name": "x"}, "spec": spec})


# The shape of the Cilium rule: a oneOf that only says which field must be present.
ONE_OF = {"type": "object",
          "oneOf": [{"properties": {"endpointSelector": {}}, "required": ["endpointSelector"]},
                    {"properties": {"nodeSelector": {}}, "required": ["nodeSelector"]}],
          "properties": {"endpointSelector": {"type": "object"},
                         "nodeSelector": {"type": "object"},
                         "ingress": {"type": "array", "items": {"type": "object"}}}}


def test_one_of_branches_do_not_close_the_field_list() -> None:
    v = crd(ONE_OF)
    assert check(v, {"endpointSelector": {}, "ingress": [{}]}) == []
    assert check(v, {"endpointSelector": {}, "nodeSelector": {}}) != []   # both: not one of
    assert check(v, {"endpointSelector": {}, "egres": []}) == [
        ("spec.egres", 'unknown field "egres": kubectl (--validate=strict, the default) '
                       "rejects the object; with --validate=false the API server silently "
                       "drops the field")]


def test_openapi_boolean_exclusive_minimum() -> None:
    v = crd({"type": "object", "properties": {
        "n": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
        "m": {"type": "integer", "maximum": 10, "exclusiveMaximum": False}}})
    assert check(v, {"n": 1, "m": 10}) == []
    assert [p for p, _ in check(v, {"n": 0})] == ["spec.n"]


def test_cidr_format_is_checked() -> None:
    v = crd({"type": "object", "properties": {"net": {"type": "string", "format": "cidr"}}})
    assert check(v, {"net": "10.0.0.0/8"}) == []
    assert check(v, {"net": "fd00::/8"}) == []
    assert [p for p, _ in check(v, {"net": "10.0.0.0/33"})] == ["spec.net"]
    assert [p for p, _ in check(v, {"net": "10.0.0.1"})] == ["spec.net"]


def test_cel_rules_are_listed_with_their_paths() -> None:
    schema = {"type": "object", "x-kubernetes-validations": [{"rule": "a", "message": "m"}],
              "properties": {"items": {"type": "array", "items": {
                  "type": "object",
                  "x-kubernetes-validations": [{"rule": "self.x < 3"}]}}}}
    assert cel_rules(schema) == [("(object)", "a", "m"), ("items[]", "self.x < 3", "")]


def test_shipped_crds_list_their_cel_rules() -> None:
    paths = {p for p, _, _ in unchecked_rules("ClusterNetworkPolicy")}
    assert "spec.egress[]" in paths
    assert unchecked_rules("CiliumNetworkPolicy") == []   # v1.16.5's CRD has no CEL rules


def test_shipped_crd_catches_what_the_reader_does_not() -> None:
    text = """apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: a}
spec:
  priority: 1
  subject: {namespaces: {}}
  egress:
  - action: Allow
    to: [{domainNames: ["not a domain!"]}]
"""
    with pytest.raises(InputError) as err:
        build_cluster((d.body, d.location) for d in read_text(text, "t.yaml"))
    assert "the CRD schema" in str(err.value)
    assert "t.yaml:9" in str(err.value)
