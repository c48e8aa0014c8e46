"""Generated YAML: reads back as generated, loads as the same policies, validates against the
Kubernetes schemas (kubernetes-validate) and the CNI schemas in ./schemas."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dtnetpol.dynatrace import DynaKube, HostPort, InstallFacts, applicable_flows, platform_profile
from dtnetpol.generate import (
    CalicoEdition,
    Flavor,
    GeneratedDoc,
    GenerateOptions,
    generate,
)
from dtnetpol.generate.yaml_out import document_yaml, stream_yaml
from dtnetpol.manifest import build_cluster
from dtnetpol.model import SourceLocation

from .conftest import dynakube

SCHEMAS = Path(__file__).parent / "schemas"
kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="kubernetes-validate (test extra) is not installed")

SPECS: dict[str, dict[str, Any]] = {
    "cloudnative": {"apiUrl": "https://abc12345.live.dynatrace.com/api",
                    "oneAgent": {"cloudNativeFullStack": {}},
                    "activeGate": {"capabilities": ["routing", "kubernetes-monitoring"]}},
    "everything": {
        "apiUrl": "https://abc12345.live.dynatrace.com/api",
        "oneAgent": {"applicationMonitoring": {"codeModulesImage":
                                               "registry.example.com/dt/codemodules:1.2"}},
        "activeGate": {"capabilities": ["routing", "kubernetes-monitoring"]},
        "extensions": {"prometheus": {}},
        "telemetryIngest": {"protocols": ["otlp", "jaeger", "statsd", "zipkin"]},
        "kspm": {}, "logMonitoring": {},
        "templates": {"kspmNodeConfigurationCollector": {"imageRef": {
            "repository": "r", "tag": "t"}}},
    },
    "managed-proxy": {"apiUrl": "https://dt.example.com/e/abc/api",
                      "proxy": {"value": "http://192.0.2.10:3128"},
                      "oneAgent": {"hostMonitoring": {}}},
    "otlp-only": {"apiUrl": "https://abc12345.live.dynatrace.com/api",
                  "otlpExporterConfiguration": {"signals": {"metrics": {}},
                                                "namespaceSelector": {}}},
}
CASES = [(name, flavor, edition) for name in SPECS for flavor in Flavor
         for edition in (CalicoEdition if flavor is Flavor.CALICO else [CalicoEdition.OSS])]


def _generate(spec: dict[str, Any], flavor: Flavor,
              edition: CalicoEdition = CalicoEdition.OSS) -> tuple[GeneratedDoc, ...]:
    dk: DynaKube = dynakube(spec)
    platform = "openshift" if flavor is Flavor.OPENSHIFT else "generic"
    install = InstallFacts(platform=platform_profile(platform, apiserver_cidrs=["10.0.0.0/28"]),
                           apiserver_endpoints=(HostPort("10.0.0.2", 6443),))
    result = generate(applicable_flows(dk, install), GenerateOptions(
        flavor=flavor, install=install, dynakubes=(dk,), monitored={dk.name: ("shop",)},
        calico_edition=edition))
    return result.documents


def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


def _calico_schema(edition: CalicoEdition) -> dict[str, Any]:
    schema = _schema("calico-networkpolicy.schema.json")
    if edition is CalicoEdition.ENTERPRISE:
        schema = copy.deepcopy(schema)
        schema["$defs"]["entityRule"]["properties"]["domains"] = {
            "type": "array", "items": {"type": "string"}}
    return schema


@pytest.mark.parametrize(("spec", "flavor", "edition"), CASES)
def test_yaml_reads_back_as_generated(spec: str, flavor: Flavor,
                                      edition: CalicoEdition) -> None:
    docs = _generate(SPECS[spec], flavor, edition)
    text = stream_yaml(docs, ("a preamble", "over two lines"))
    assert list(yaml.safe_load_all(text)) == [d.body for d in docs]
    for d in docs:
        assert yaml.safe_load(document_yaml(d)) == d.body


@pytest.mark.parametrize(("spec", "flavor", "edition"), CASES)
def test_every_document_validates(spec: str, flavor: Flavor, edition: CalicoEdition) -> None:
    version = kubernetes_validate.latest_version()
    for d in _generate(SPECS[spec], flavor, edition):
        body = json.loads(json.dumps(d.body))
        if d.api_version == "networking.k8s.io/v1":
            kubernetes_validate.validate(body, version, strict=True)
        elif d.kind == "CiliumNetworkPolicy":
            jsonschema.validate(body, _schema("ciliumnetworkpolicy.schema.json"))
        elif d.api_version == "projectcalico.org/v3":
            jsonschema.validate(body, _calico_schema(edition))
        elif d.kind == "EgressFirewall":
            jsonschema.validate(body, _schema("egressfirewall.schema.json"))
        else:
            pytest.fail(f"no schema for {d.api_version} {d.kind}")


@pytest.mark.parametrize("spec", list(SPECS))
def test_loaded_back_policies_equal_the_generated_model(spec: str) -> None:
    docs = [d for d in _generate(SPECS[spec], Flavor.KUBERNETES) if d.policy is not None]
    text = stream_yaml(docs)
    bodies = list(yaml.safe_load_all(text))
    cluster, problems = build_cluster(
        ((b, SourceLocation("gen.yaml", i + 1)) for i, b in enumerate(bodies)), strict=True)
    assert problems == []
    assert [(p.ref, p.pod_selector, p.policy_types, p.ingress, p.egress)
            for p in cluster.policies] == \
        [(d.policy.ref, d.policy.pod_selector, d.policy.policy_types, d.policy.ingress,
          d.policy.egress) for d in docs if d.policy is not None]


def test_calico_oss_has_no_domains_and_enterprise_has_them() -> None:
    oss = stream_yaml(_generate(SPECS["cloudnative"], Flavor.CALICO, CalicoEdition.OSS))
    ent = stream_yaml(_generate(SPECS["cloudnative"], Flavor.CALICO, CalicoEdition.ENTERPRISE))
    assert "domains:" not in oss and "notNets:" in oss
    assert "domains:" in ent and "abc12345.live.dynatrace.com" in ent
    assert "Calico Enterprise" in ent and "Calico Cloud" in ent
    with pytest.raises(jsonschema.ValidationError):
        for b in yaml.safe_load_all(ent):
            jsonschema.validate(b, _calico_schema(CalicoEdition.OSS))


def test_cilium_fqdn_policies_carry_the_dns_rule_and_entities() -> None:
    docs = {d.name: d.body for d in _generate(SPECS["cloudnative"], Flavor.CILIUM)}
    egress = docs["dynatrace-operator-egress"]["spec"]["egress"]
    dns = next(r for r in egress if "toEndpoints" in r)
    assert dns["toEndpoints"] == [{"matchLabels": {
        "k8s-app": "kube-dns", "k8s:io.kubernetes.pod.namespace": "kube-system"}}]
    assert dns["toPorts"] == [{"ports": [{"port": "53", "protocol": "ANY"}],
                               "rules": {"dns": [{"matchPattern": "*"}]}}]
    assert {"toEntities": ["kube-apiserver"],
            "toPorts": [{"ports": [{"port": "6443", "protocol": "TCP"}]}]} in egress
    assert any(r.get("toFQDNs") == [{"matchName": "abc12345.live.dynatrace.com"}]
               for r in egress)
    webhook = docs["dynatrace-webhook-ingress"]["spec"]["ingress"]
    assert webhook[0]["fromEntities"] == ["kube-apiserver", "host", "remote-node"]
    assert webhook[0]["toPorts"] == [{"ports": [{"port": "8443", "protocol": "TCP"}]}]


def test_cilium_on_aks_admits_the_webhook_from_the_cluster_entity() -> None:
    dk = dynakube(SPECS["cloudnative"])
    install = InstallFacts(platform=platform_profile("aks"),
                           apiserver_endpoints=(HostPort("10.0.0.2", 443),))
    docs = generate(applicable_flows(dk, install), GenerateOptions(
        flavor=Flavor.CILIUM, install=install, dynakubes=(dk,))).documents
    webhook = next(d for d in docs if d.name == "dynatrace-webhook-ingress")
    assert webhook.body["spec"]["ingress"][0]["fromEntities"] == ["cluster"]
    assert any("AKS/GKE" in c for cs in webhook.comments.values() for c in cs)


def test_openshift_egress_firewall_is_default_per_namespace_without_deny() -> None:
    docs = _generate(SPECS["cloudnative"], Flavor.OPENSHIFT)
    firewalls = [d for d in docs if d.kind == "EgressFirewall"]
    assert sorted(d.namespace for d in firewalls) == ["dynatrace", "shop"]
    for fw in firewalls:
        assert fw.name == "default"
        rules = fw.body["spec"]["egress"]
        assert all(r["type"] == "Allow" for r in rules)
        assert any("dnsName" in r["to"] for r in rules)
        assert any("Deny" in line and "test" in line for line in fw.header)
    dynatrace = next(f for f in firewalls if f.namespace == "dynatrace")
    first = dynatrace.body["spec"]["egress"][0]
    assert first["to"] == {"cidrSelector": "10.0.0.2/32"}  # the API server comes first


def test_openshift_oneagent_reaches_activegate_via_the_host_network_label() -> None:
    docs = _generate(SPECS["cloudnative"], Flavor.OPENSHIFT)
    ag = next(d for d in docs if d.name == "dynatrace-dynakube-activegate-ingress")
    peers = [p for r in ag.body["spec"]["ingress"] for p in r["from"]]
    assert {"namespaceSelector": {"matchLabels": {
        "policy-group.network.openshift.io/host-network": ""}}} in peers


@settings(deadline=None)
@given(st.text(st.sampled_from("aeflnosty-YNOTF._/019:"), min_size=1, max_size=8)
       | st.sampled_from(["yes", "No", "ON", "off", "true", "False", "null", "NULL", "y",
                          "nginx-1.2", "e5", "a.b", "kube-system", "Null", "n"]))
def test_scalars_written_without_a_dumper_are_what_pyyaml_writes(text: str) -> None:
    """Plain words skip PyYAML's dumper (start-up of check): same text as yaml.safe_dump."""
    from dtnetpol.generate import yaml_out

    dumped = yaml.safe_dump(text, default_flow_style=True, width=1 << 20, allow_unicode=True)
    expected = dumped.rstrip("\n").removesuffix("\n...")
    assert yaml_out._plain_scalar.__wrapped__(text) == expected
