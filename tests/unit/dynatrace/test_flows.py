"""applicable_flows per sample and feature (reference §3, §4, §6)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from dtnetpol.dynatrace.components import ComponentId
from dtnetpol.dynatrace.dynakube import DynaKube, HostPort, parse_dynakube, parse_edgeconnect
from dtnetpol.dynatrace.flows import (
    FLOW_SPECS,
    DestKind,
    Flow,
    InstallFacts,
    SourceKind,
    Where,
    applicable_flows,
    flow_spec,
)
from dtnetpol.dynatrace.platforms import platform_profile
from dtnetpol.model import LabelSelector, Protocol

from .conftest import sample_docs, sample_names

INJECTION_FLOWS = {"codemodules-to-endpoints", "init-to-tenant", "dns-from-app-pods",
                   "app-to-activegate-9999", "app-to-activegate-9998"}
CSI_DOWNLOAD = {"csi-to-tenant", "csi-to-registry"}
ONEAGENT_FLOWS = {"oneagent-to-endpoints", "oneagent-to-activegate"}
TENANT_KINDS = {DestKind.TENANT, DestKind.PROXY, DestKind.ONEAGENT_ENDPOINTS,
                DestKind.ACTIVEGATE_ENDPOINTS, DestKind.REGISTRY}


def sample(name: str) -> DynaKube:
    (doc,) = sample_docs(name)
    return parse_dynakube(doc)


def ids(flows: list[Flow]) -> set[str]:
    return {f.id for f in flows}


def by_id(flows: list[Flow]) -> dict[str, Flow]:
    return {f.id: f for f in flows}


def dk(spec: dict[str, Any], name: str = "dk", annotations: dict[str, str] | None = None,
       **top: Any) -> DynaKube:
    return parse_dynakube({
        "apiVersion": "dynatrace.com/v1beta6", "kind": "DynaKube",
        "metadata": {"name": name, "namespace": "dynatrace", "annotations": annotations or {}},
        "spec": {"apiUrl": "https://abc12345.live.dynatrace.com/api", **spec}, **top})


def test_flow_table_ids() -> None:
    seen = [s.id for s in FLOW_SPECS]
    assert len(seen) == len(set(seen))
    for spec in FLOW_SPECS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", spec.id), spec.id
        assert spec.condition and spec.description and spec.symptoms
        for port in spec.ports:
            assert 1 <= port.number <= 65535
    assert flow_spec("apiserver-to-webhook").ports[0].number == 8443


def test_install_flows_always_present() -> None:
    flows = by_id(applicable_flows([]))
    webhook = flows["apiserver-to-webhook"]
    assert [p.number for p in webhook.ports] == [8443]  # the pod port, never 443
    assert webhook.source.kind == SourceKind.APISERVER
    assert webhook.destination.pod_labels == {"internal.dynatrace.com/app": "webhook",
                                              "internal.dynatrace.com/component": "webhook"}
    assert {"operator-to-apiserver", "webhook-to-apiserver", "csi-to-apiserver",
            "dns-from-operator", "dns-from-webhook", "dns-from-csi"} <= set(flows)
    assert [(p.number, p.protocol) for p in flows["dns-from-operator"].ports] == [
        (53, Protocol.UDP), (53, Protocol.TCP)]
    assert not flows["kubelet-to-webhook-probe"].required
    no_csi = ids(applicable_flows([], InstallFacts(csi_driver=False)))
    assert "csi-to-apiserver" not in no_csi and "dns-from-csi" not in no_csi


@pytest.mark.parametrize("name", sample_names())
def test_webhook_never_talks_to_the_tenant(name: str) -> None:
    dks = [parse_dynakube(d) for d in sample_docs(name)]
    for facts in (InstallFacts(), InstallFacts(csi_driver=False, proxy="http://proxy:3128")):
        for flow in applicable_flows(dks, facts):
            if flow.source.component is ComponentId.WEBHOOK:
                assert DestKind(flow.destination.kind) not in TENANT_KINDS, flow.id


def test_classic_fullstack() -> None:
    found = ids(applicable_flows(sample("classicFullStack.yaml")))
    assert not found & INJECTION_FLOWS
    assert not found & CSI_DOWNLOAD
    assert "oneagent-to-endpoints" in found and "operator-to-tenant" in found


def test_application_monitoring() -> None:
    flows = applicable_flows(sample("applicationMonitoring.yaml"))
    found = ids(flows)
    assert not found & ONEAGENT_FLOWS
    assert {"csi-to-tenant", "codemodules-to-endpoints", "dns-from-app-pods"} <= found
    assert "init-to-tenant" not in found  # the CSI driver downloads
    app = by_id(flows)["codemodules-to-endpoints"].source
    assert app.namespace_selector == LabelSelector(
        (("dynakube.internal.dynatrace.com/instance", "dynakube"),))
    assert app.selected_by == LabelSelector()


def test_host_monitoring_csi_has_no_download() -> None:
    found = ids(applicable_flows(sample("hostMonitoring.yaml"), InstallFacts(csi_driver=True)))
    assert not found & CSI_DOWNLOAD
    assert not found & INJECTION_FLOWS
    assert "oneagent-to-endpoints" in found


def test_cloud_native_fullstack() -> None:
    flows = by_id(applicable_flows(sample("cloudNativeFullStack.yaml")))
    assert {"csi-to-tenant", "oneagent-to-endpoints", "codemodules-to-endpoints",
            "app-to-activegate-9999", "oneagent-to-activegate"} <= set(flows)
    oneagent = flows["oneagent-to-endpoints"]
    assert oneagent.source.host_network and not oneagent.egress_governed
    assert oneagent.ports_assumed  # no status in the sample
    assert flows["oneagent-to-activegate"].source.kind == SourceKind.ONEAGENT_NODES
    assert not flows["app-to-activegate-9999"].required  # no OTLP, no network zone
    tenant = flows["operator-to-tenant"]
    assert tenant.destination.hosts == (HostPort("environmentid.live.dynatrace.com", 443),)
    assert any(s.text.startswith("get token scopes: HTTP request: Post") and
               s.where is Where.OPERATOR_LOG for s in tenant.symptoms)
    assert any("csi-provisioner hasn't finished setup yet" in s.text and
               s.where is Where.POD_EVENT for s in flows["csi-to-tenant"].symptoms)


def test_without_csi_init_container_needs_the_tenant() -> None:
    facts = InstallFacts(csi_driver=False)
    for name in ("applicationMonitoring.yaml", "cloudNativeFullStack.yaml"):
        flows = by_id(applicable_flows(sample(name), facts))
        assert "init-to-tenant" in flows and not set(flows) & CSI_DOWNLOAD
        init = flows["init-to-tenant"]
        assert init.required and init.source.kind == SourceKind.APP_PODS
        assert any(s.text == "error during download, the error was suppressed"
                   for s in init.symptoms)
    with_image = dk({"oneAgent": {"applicationMonitoring": {
        "codeModulesImage": "registry.example.com:5000/dt/codemodules:1.2"}}})
    assert "init-to-tenant" not in ids(applicable_flows(with_image, facts))
    registry = by_id(applicable_flows(with_image))["csi-to-registry"]
    assert registry.destination.hosts == (HostPort("registry.example.com", 5000),)
    assert "csi-to-tenant" not in ids(applicable_flows(with_image))
    node_pull = dk({"oneAgent": {"applicationMonitoring": {"codeModulesImage": "dt/cm:1"}}},
                   annotations={"feature.dynatrace.com/node-image-pull": "true"})
    assert not ids(applicable_flows(node_pull)) & CSI_DOWNLOAD


def test_telemetry_ingest() -> None:
    flows = by_id(applicable_flows(sample("telemetryIngest.yaml")))
    ingest = flows["app-to-otel-collector"]
    assert {(p.number, p.protocol) for p in ingest.ports} == {
        (4317, Protocol.TCP), (4318, Protocol.TCP), (9411, Protocol.TCP),
        (14250, Protocol.TCP), (14268, Protocol.TCP), (6831, Protocol.UDP),
        (6832, Protocol.UDP), (8125, Protocol.UDP)}
    assert "otel-to-tenant" in flows and "otel-to-activegate" not in flows
    assert {"otel-to-apiserver", "dns-from-otel"} <= set(flows)
    local = ids(applicable_flows(sample("telemetryIngestWithLocalActiveGate.yaml")))
    assert "otel-to-activegate" in local and "otel-to-tenant" not in local
    only_otlp = dk({"telemetryIngest": {"protocols": ["otlp"]}})
    ports = by_id(applicable_flows(only_otlp))["app-to-otel-collector"].ports
    assert [p.number for p in ports] == [4317, 4318]


def test_kspm_and_log_monitoring() -> None:
    kspm = by_id(applicable_flows(sample("kubernetesSecurityPostureManagement.yaml")))
    assert kspm["kspm-to-activegate"].ports[0].number == 9999
    assert kspm["kspm-to-activegate"].destination.component is ComponentId.ACTIVEGATE
    logs = by_id(applicable_flows(sample("logMonitoring.yaml")))
    kubelet = logs["logmonitoring-to-kubelet"]
    assert [p.number for p in kubelet.ports] == [10250] and kubelet.required
    assert "logmonitoring-to-endpoints" in logs
    # With a OneAgent DaemonSet the OneAgent collects logs: no standalone flows.
    with_agent = dk({"logMonitoring": {}, "oneAgent": {"hostMonitoring": {}}})
    assert not {f for f in ids(applicable_flows(with_agent)) if f.startswith("logmonitoring")}


def test_otlp_exporter() -> None:
    direct = ids(applicable_flows(sample("otlpExporterAutoConfiguration.yaml")))
    assert "app-otlp-to-tenant" in direct and "app-to-activegate-9999" not in direct
    local_ag = sample("otlpExporterAutoConfigurationWithLocalActiveGate.yaml")
    via_ag = by_id(applicable_flows(local_ag))
    assert via_ag["app-to-activegate-9999"].required
    assert "app-otlp-to-tenant" not in via_ag


def test_extensions() -> None:
    flows = by_id(applicable_flows(dk({"extensions": {"prometheus": {},
                                                      "databases": [{"id": "pg"}]}})))
    assert {"eec-to-activegate", "eec-to-apiserver", "sql-executor-to-eec",
            "sql-executor-to-databases", "otel-to-eec", "activegate-to-endpoints"} <= set(flows)
    assert flows["sql-executor-to-eec"].ports[0].number == 14599
    assert flows["sql-executor-to-eec"].destination.pod_labels[
        "app.kubernetes.io/name"] == "dynatrace-extension-controller"


def test_multiple_dynakubes_qualified_shared_once() -> None:
    dks = [parse_dynakube(d) for d in sample_docs("multipleDynakubes.yaml")]
    flows = applicable_flows(dks)
    found = [f.id for f in flows]
    assert found.count("apiserver-to-webhook") == 1
    assert "dynakube-application-monitoring/operator-to-tenant" in found
    assert "dynakube-cloud-native/operator-to-tenant" in found
    assert "operator-to-tenant" not in found
    assert "dynakube-application-monitoring/oneagent-to-endpoints" not in found
    assert "dynakube-cloud-native/oneagent-to-endpoints" in found
    assert by_id(flows)["dynakube-cloud-native/codemodules-to-endpoints"].dynakube == \
        "dynakube-cloud-native"


def test_proxy_redirects_tenant_traffic() -> None:
    proxied = dk({"proxy": {"value": "http://proxy.corp:3128"},
                  "oneAgent": {"cloudNativeFullStack": {}},
                  "activeGate": {"capabilities": ["routing"]}})
    flows = by_id(applicable_flows(proxied))
    for fid in ("operator-to-tenant", "csi-to-tenant", "codemodules-to-endpoints",
                "activegate-to-endpoints"):
        assert flows[fid].destination.kind == DestKind.PROXY, fid
        assert flows[fid].destination.hosts == (HostPort("proxy.corp", 3128, "http"),)
        assert [p.number for p in flows[fid].ports] == [3128]
    assert flows["apiserver-to-webhook"].destination.kind == DestKind.COMPONENT
    secret = by_id(applicable_flows(dk({"proxy": {"valueFrom": "px"}})))["operator-to-tenant"]
    assert secret.destination.kind == DestKind.PROXY and secret.ports_assumed
    assert any("Secret px" in n for n in secret.notes)
    install_proxy = by_id(applicable_flows(dk({}), InstallFacts(proxy="egress.corp:8080")))
    assert install_proxy["operator-to-tenant"].destination.hosts == (
        HostPort("egress.corp", 8080, "http"),)


def test_network_zone_confines_to_activegate() -> None:
    zoned = dk({"networkZone": "eu", "oneAgent": {"cloudNativeFullStack": {}},
                "activeGate": {"capabilities": ["routing", "kubernetes-monitoring"]}})
    flows = by_id(applicable_flows(zoned))
    assert flows["app-to-activegate-9999"].required
    assert flows["oneagent-to-activegate"].required
    assert any("networkZone" in n for n in flows["codemodules-to-endpoints"].notes)
    assert flows["operator-to-tenant"].required and flows["csi-to-tenant"].required


def test_install_facts_shape_flows() -> None:
    facts = InstallFacts(webhook_port=9443, webhook_host_network=True,
                         platform=platform_profile("openshift"),
                         apiserver_endpoints=(HostPort("10.0.0.1", 6443),),
                         monitored_namespaces=("shop",))
    flows = by_id(applicable_flows(sample("applicationMonitoring.yaml"), facts))
    webhook = flows["apiserver-to-webhook"]
    assert [p.number for p in webhook.ports] == [9443]
    assert webhook.destination.host_network and not webhook.ingress_governed
    api = flows["operator-to-apiserver"]
    assert api.destination.hosts == (HostPort("10.0.0.1", 6443),)
    assert [p.number for p in api.ports] == [6443] and not api.ports_assumed
    dns = flows["dns-from-operator"]
    assert dns.destination.namespace == "openshift-dns"
    assert {p.number for p in dns.ports} == {5353}
    assert flows["codemodules-to-endpoints"].source.namespaces == ("shop",)
    eks = by_id(applicable_flows([], InstallFacts(platform=platform_profile("eks"))))
    assert eks["operator-to-apiserver"].ports_assumed
    assert any("CIDR" in n for n in eks["apiserver-to-webhook"].notes)


EDGECONNECT = """
apiVersion: dynatrace.com/v1alpha2
kind: EdgeConnect
metadata: {name: edge, namespace: dynatrace}
spec:
  apiServer: abc123.apps.dynatrace.com
  oauth: {clientSecret: s, endpoint: "https://sso.dynatrace.com/sso/oauth2/token",
          resource: "urn:dtenvironment:abc123", provisioner: true}
  kubernetesAutomation: {enabled: true}
"""


def test_edgeconnect_flows() -> None:
    ec = parse_edgeconnect(yaml.safe_load(EDGECONNECT))
    flows = by_id(applicable_flows([], edgeconnects=[ec]))
    tenant = flows["edgeconnect-to-tenant"]
    assert set(tenant.destination.hosts) == {HostPort("abc123.apps.dynatrace.com", 443),
                                             HostPort("sso.dynatrace.com", 443)}
    assert tenant.source.pod_labels["app.kubernetes.io/created-by"] == "edge"
    assert {"edgeconnect-to-apiserver", "dns-from-edgeconnect", "operator-to-edgeconnect-api",
            "operator-to-edgeconnect-registry"} <= set(flows)
    assert "edgeconnect-to-targets" not in flows


def test_ignore_proxy_feature_flags() -> None:
    spec = {"proxy": {"value": "proxy.corp:3128"}, "oneAgent": {"cloudNativeFullStack": {}},
            "activeGate": {"capabilities": ["routing"]}}
    flows = by_id(applicable_flows(dk(spec, annotations={
        "feature.dynatrace.com/oneagent-ignore-proxy": "true",
        "feature.dynatrace.com/activegate-ignore-proxy": "true"})))
    assert flows["codemodules-to-endpoints"].destination.kind == DestKind.ONEAGENT_ENDPOINTS
    assert flows["oneagent-to-endpoints"].destination.kind == DestKind.ONEAGENT_ENDPOINTS
    assert flows["activegate-to-endpoints"].destination.kind == DestKind.ACTIVEGATE_ENDPOINTS
    assert flows["operator-to-tenant"].destination.kind == DestKind.PROXY
    assert flows["csi-to-tenant"].destination.kind == DestKind.PROXY


def test_log_monitoring_uses_the_proxy_whatever_oneagent_ignore_proxy_says() -> None:
    """Standalone log monitoring follows spec.proxy (operator source, reference §intro)."""
    spec = {"proxy": {"value": "proxy.corp:3128"}, "logMonitoring": {}}
    flows = by_id(applicable_flows(dk(spec, annotations={
        "feature.dynatrace.com/oneagent-ignore-proxy": "true"})))
    assert flows["logmonitoring-to-endpoints"].destination.kind == DestKind.PROXY


def test_webhook_not_reached_symptom_is_what_is_missing() -> None:
    flows = by_id(applicable_flows(dk({"oneAgent": {"cloudNativeFullStack": {}}})))
    first = flows["apiserver-to-webhook"].symptoms[0]
    assert first.text.startswith("new pods in monitored namespaces have no Dynatrace "
                                 "annotations and no dynatrace-operator init container")
    assert 'injected: "false" with a reason means it was' in first.text
    assert not any(s.text.startswith("oneagent.dynatrace.com/injected")
                   for f in flows.values() for s in f.symptoms)


@pytest.mark.parametrize("fid", ["dns-from-operator", "dns-from-webhook", "dns-from-csi"])
def test_dns_blocked_for_install_pods_fails_their_startup_probe(fid: str) -> None:
    texts = [s.text for s in by_id(applicable_flows(dk({})))[fid].symptoms]
    assert texts[:2] == ["DNS service not ready", "no DNS record found for kubernetes.default.svc"]
    assert "the webhook never becomes ready" in texts[2]
