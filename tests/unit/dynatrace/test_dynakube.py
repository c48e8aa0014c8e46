"""DynaKube/EdgeConnect parsing and validation against the CRD (corpora read at test time)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from dtnetpol.dynatrace.dynakube import (
    ApiUrlKind,
    CrdValidator,
    HostPort,
    Mode,
    parse_dynakube,
    parse_edgeconnect,
    parse_endpoints,
    parse_proxy_url,
    validate_dynakube,
)
from dtnetpol.errors import InputError
from dtnetpol.model import LabelSelector, Requirement, SourceLocation

from .conftest import sample_docs, sample_names


def dk(spec: dict[str, Any], *, version: str = "v1beta6", name: str = "dk",
       annotations: dict[str, str] | None = None, **top: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "dynatrace"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": f"dynatrace.com/{version}", "kind": "DynaKube", "metadata": meta,
            "spec": {"apiUrl": "https://abc12345.live.dynatrace.com/api", **spec}, **top}


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_parses_and_validates_clean(name: str, crd: dict[str, Any]) -> None:
    for doc in sample_docs(name):
        parsed = parse_dynakube(doc, SourceLocation(name))
        assert parsed.api_url.kind is ApiUrlKind.SAAS
        assert parsed.api_url.endpoint.port == 443
        assert validate_dynakube(doc, crd) == [], name


SAMPLE_MODES = {
    "applicationMonitoring.yaml": Mode.APPLICATION_MONITORING,
    "classicFullStack.yaml": Mode.CLASSIC_FULLSTACK,
    "cloudNativeFullStack.yaml": Mode.CLOUD_NATIVE_FULLSTACK,
    "hostMonitoring.yaml": Mode.HOST_MONITORING,
    "kubernetesObservability.yaml": Mode.NONE,
    "telemetryIngest.yaml": Mode.NONE,
}


@pytest.mark.parametrize(("name", "mode"), sorted(SAMPLE_MODES.items()))
def test_sample_modes(name: str, mode: Mode) -> None:
    (doc,) = sample_docs(name)
    assert parse_dynakube(doc).mode is mode


def test_sample_features() -> None:
    kspm = parse_dynakube(sample_docs("kubernetesSecurityPostureManagement.yaml")[0])
    assert kspm.kspm and kspm.activegate is not None and kspm.activegate.kubernetes_monitoring
    logmon = parse_dynakube(sample_docs("logMonitoring.yaml")[0])
    assert logmon.log_monitoring and logmon.log_monitoring_standalone
    assert logmon.template_labels("logMonitoring") == {}
    ti = parse_dynakube(sample_docs("telemetryIngestWithLocalActiveGate.yaml")[0])
    assert ti.telemetry_ingest is not None
    assert set(ti.telemetry_ingest.protocols) == {"otlp", "zipkin", "jaeger", "statsd"}
    assert ti.otel_service_name == "telemetry-ingest"
    assert ti.otel_collector_deployed and ti.routing_activegate
    otlp = parse_dynakube(sample_docs("otlpExporterAutoConfiguration.yaml")[0])
    assert otlp.otlp_exporter is not None and not otlp.activegate_deployed
    first, second = (parse_dynakube(d) for d in sample_docs("multipleDynakubes.yaml"))
    assert first.namespace_selector == LabelSelector((("monitor", "applicationMonitoring"),))
    assert second.mode is Mode.CLOUD_NATIVE_FULLSTACK
    assert second.activegate_capabilities == ("routing", "dynatrace-api")
    cnfs = parse_dynakube(sample_docs("cloudNativeFullStack.yaml")[0])
    assert cnfs.namespace_selector == LabelSelector()  # empty: every namespace
    assert cnfs.metadata_enrichment
    assert any("placeholder" in w for w in cnfs.warnings)


def test_invalid_dynakube_gives_field_paths(crd: dict[str, Any]) -> None:
    body = dk({
        "oneAgent": {"cloudNativeFullStack": {"tolerations": [], "namespaceSelektor": {}},
                     "hostMonitorin": {}},
        "activeGate": {"capabilities": ["routing"], "replicas": "two",
                       "labels": {"app.kubernetes.io/part-of": 3}},
        "networkZone": 7,
        "templates": {"otelCollector": {"imageRef": {"pullPolicy": "Sometimes"}}},
    })
    problems = dict(validate_dynakube(body, crd))
    assert set(problems) == {
        "spec.oneAgent.cloudNativeFullStack.namespaceSelektor",
        "spec.oneAgent.hostMonitorin",
        "spec.activeGate.replicas",
        "spec.activeGate.labels[app.kubernetes.io/part-of]",
        "spec.networkZone",
        "spec.templates.otelCollector.imageRef.pullPolicy",
    }
    assert problems["spec.oneAgent.hostMonitorin"].startswith('unknown field "hostMonitorin"')
    assert problems["spec.activeGate.replicas"] == "must be an integer, not string"
    assert "IfNotPresent" in problems["spec.templates.otelCollector.imageRef.pullPolicy"]


def test_validation_missing_required_and_versions(crd: dict[str, Any]) -> None:
    body = dk({})
    del body["spec"]["apiUrl"]
    assert validate_dynakube(body, crd) == [("spec.apiUrl", "required field is missing")]
    assert validate_dynakube(dk({}, version="v1beta5"), crd) == []
    old = validate_dynakube(dk({}, version="v1beta3"), crd)
    assert [p for p, _ in old] == ["apiVersion"]
    assert validate_dynakube({**dk({}), "kind": "EdgeConnect"}, crd)[0][0] == "kind"


def test_validation_nulls_and_open_objects(crd: dict[str, Any]) -> None:
    validator = CrdValidator(crd)
    # A null for a non-nullable field is pruned by the API server, not rejected.
    assert validator.validate(dk({"logMonitoring": None, "networkZone": None})) == []
    # Status and metadata are not over-checked.
    body = dk({"oneAgent": {"applicationMonitoring": None}},
              status={"oneAgent": {"healthcheck": {"anything": 1}}})
    body["metadata"]["uid"] = "1234"
    assert validator.validate(body) == []


def test_parse_errors_carry_field_paths() -> None:
    with pytest.raises(InputError) as err:
        parse_dynakube(dk({"oneAgent": {"cloudNativeFullStack": True}}),
                       SourceLocation("dk.yaml", 2, 10))
    assert err.value.location is not None
    assert err.value.location.path == "spec.oneAgent.cloudNativeFullStack"
    assert err.value.location.file == "dk.yaml" and err.value.location.document == 2
    with pytest.raises(InputError) as err:
        parse_dynakube(dk({"oneAgent": {"cloudNativeFullStack": {}, "hostMonitoring": {}}}))
    assert err.value.location is not None and err.value.location.path == "spec.oneAgent"
    with pytest.raises(InputError) as err:
        parse_dynakube(dk({"activeGate": {"capabilities": ["routing", "kubernetes_monitoring"]}}))
    assert err.value.location is not None
    assert err.value.location.path == "spec.activeGate.capabilities[1]"
    with pytest.raises(InputError) as err:
        parse_dynakube(dk({"apiUrl": "https://host:99999/api"}))
    assert err.value.location is not None and err.value.location.path == "spec.apiUrl"
    with pytest.raises(InputError):
        parse_dynakube(dk({}, version="v1beta1"))
    with pytest.raises(InputError) as err:
        parse_dynakube(dk({"oneAgent": {"applicationMonitoring": {
            "namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "Is"}]}}}}))
    assert err.value.location is not None
    assert err.value.location.path == \
        "spec.oneAgent.applicationMonitoring.namespaceSelector.matchExpressions[0].operator"


@pytest.mark.parametrize(("url", "kind", "host", "port", "env"), [
    ("https://abc123.live.dynatrace.com/api", ApiUrlKind.SAAS, "abc123.live.dynatrace.com",
     443, "abc123"),
    ("https://abc123.apps.dynatrace.com", ApiUrlKind.SAAS, "abc123.live.dynatrace.com", 443,
     "abc123"),
    ("https://dt.example.com/e/0123-4567/api", ApiUrlKind.MANAGED, "dt.example.com", 443,
     "0123-4567"),
    ("https://ag.example.com:9999/e/abc123/api", ApiUrlKind.ACTIVEGATE, "ag.example.com", 9999,
     "abc123"),
    ("http://10.0.0.5:8080/api", ApiUrlKind.UNKNOWN, "10.0.0.5", 8080, None),
])
def test_api_url_shapes(url: str, kind: ApiUrlKind, host: str, port: int,
                        env: str | None) -> None:
    api = parse_dynakube(dk({"apiUrl": url})).api_url
    assert (api.kind, api.endpoint.host, api.endpoint.port, api.environment_id) == \
        (kind, host, port, env)


def test_mode_table_and_null_mode() -> None:
    assert Mode.CLASSIC_FULLSTACK.has_oneagent_daemonset and not Mode.CLASSIC_FULLSTACK.injects
    assert not Mode.APPLICATION_MONITORING.has_oneagent_daemonset
    assert Mode.HOST_MONITORING.csi_role.name == "STORAGE_ONLY"
    null_mode = parse_dynakube(dk({"oneAgent": {"applicationMonitoring": None}}))
    assert null_mode.mode is Mode.NONE
    assert any("null" in w for w in null_mode.warnings)


def test_proxy_inline_and_from_secret() -> None:
    inline = parse_dynakube(dk({"proxy": {"value": "http://user:pw@proxy.corp:3128"}}))
    assert inline.proxy is not None and inline.proxy.endpoint == HostPort("proxy.corp", 3128,
                                                                          "http")
    secret = parse_dynakube(dk({"proxy": {"valueFrom": "proxy-secret"}}))
    assert secret.proxy is not None and not secret.proxy.known
    assert secret.proxy.from_secret == "proxy-secret"
    assert parse_proxy_url("proxy.corp") == HostPort("proxy.corp", 80, "http")
    assert parse_proxy_url("https://proxy.corp") == HostPort("proxy.corp", 443, "https")


def test_extensions_by_version() -> None:
    old = parse_dynakube(dk({"extensions": {}}, version="v1beta5"))
    assert old.extensions.prometheus and old.activegate_deployed and old.eec_deployed
    new = parse_dynakube(dk({"extensions": {"databases": [{"id": "pg"}]}}))
    assert not new.extensions.prometheus and new.extensions.databases == ("pg",)
    assert new.activegate_deployed and not new.otel_collector_deployed
    prom = parse_dynakube(dk({"extensions": {"prometheus": {}}}))
    assert prom.otel_collector_deployed


def test_selector_expressions_and_labels() -> None:
    parsed = parse_dynakube(dk({"oneAgent": {"cloudNativeFullStack": {
        "namespaceSelector": {"matchExpressions": [
            {"key": "team", "operator": "In", "values": ["a", "b"]}]},
        "labels": {"x": "y"}}}}))
    assert parsed.namespace_selector == LabelSelector(
        (), (Requirement("team", "In", ("a", "b")),))
    assert parsed.oneagent_labels == {"x": "y"}


def test_status_endpoints_and_feature_flags() -> None:
    parsed = parse_dynakube(dk(
        {"networkZone": "zone-a"},
        annotations={"feature.dynatrace.com/use-public-registry": "true", "other": "x"},
        status={"oneAgent": {"connectionInfoStatus": {"endpoints":
            "https://a.live.dynatrace.com:443/communication;https://10.0.0.7:9999/communication"}},
            "activeGate": {"connectionInfoStatus": {"endpoints":
                "https://b.live.dynatrace.com/communication,https://c:8443"}}}))
    assert parsed.oneagent_endpoints == (HostPort("a.live.dynatrace.com", 443),
                                         HostPort("10.0.0.7", 9999))
    assert parsed.activegate_endpoints == (HostPort("b.live.dynatrace.com", 443),
                                           HostPort("c", 8443))
    assert parsed.public_registry and parsed.code_modules_from_image
    assert parsed.feature_flags == {"feature.dynatrace.com/use-public-registry": "true"}
    assert parsed.network_zone == "zone-a"
    assert parse_endpoints("", ";") == ()


EDGECONNECT = """
apiVersion: dynatrace.com/v1alpha2
kind: EdgeConnect
metadata: {name: edge, namespace: dynatrace}
spec:
  apiServer: abc123.apps.dynatrace.com
  oauth:
    clientSecret: ec-oauth
    endpoint: https://sso.dynatrace.com/sso/oauth2/token
    resource: urn:dtenvironment:abc123
    provisioner: true
  kubernetesAutomation: {enabled: true}
  hostPatterns: ["*.internal.example"]
  proxy: {host: proxy.corp, port: 3128}
"""


def test_parse_edgeconnect() -> None:
    ec = parse_edgeconnect(yaml.safe_load(EDGECONNECT))
    assert ec.api_server == HostPort("abc123.apps.dynatrace.com", 443)
    assert ec.oauth_endpoint == HostPort("sso.dynatrace.com", 443)
    assert ec.provisioner and ec.kubernetes_automation
    assert ec.proxy == HostPort("proxy.corp", 3128, "http")
    assert ec.host_patterns == ("*.internal.example",)
    broken = copy.deepcopy(yaml.safe_load(EDGECONNECT))
    del broken["spec"]["apiServer"]
    with pytest.raises(InputError) as err:
        parse_edgeconnect(broken)
    assert err.value.location is not None and err.value.location.path == "spec.apiServer"


def test_parse_label_selector_public() -> None:
    from dtnetpol.dynatrace.dynakube import parse_label_selector
    assert parse_label_selector(None) == LabelSelector()
    sel = parse_label_selector({"matchLabels": {"a": "b"},
                                "matchExpressions": [{"key": "c", "operator": "Exists"}]})
    assert sel == LabelSelector((("a", "b"),), (Requirement("c", "Exists"),))
    with pytest.raises(InputError) as err:
        parse_label_selector({"matchLabels": {"a": 1}}, SourceLocation("x.yaml", path="sel"))
    assert err.value.location is not None and err.value.location.path == "sel.matchLabels[a]"


# --- served versions (the operator's CRDs serve v1beta5 and v1beta6; EdgeConnect v1alpha1/2) --


@pytest.mark.parametrize("version", ["v1beta5", "v1beta6"])
def test_served_dynakube_versions_parse(version: str) -> None:
    parsed = parse_dynakube(dk({}, version=version))
    assert parsed.api_version == f"dynatrace.com/{version}" and parsed.warnings == ()


@pytest.mark.parametrize("version", ["v1beta3", "v1beta4"])
def test_unserved_dynakube_versions_are_an_error_unless_accepted(version: str) -> None:
    with pytest.raises(InputError) as err:
        parse_dynakube(dk({}, version=version))
    assert err.value.location is not None and err.value.location.path == "apiVersion"
    assert err.value.message == (
        f"DynaKube apiVersion 'dynatrace.com/{version}' is no longer served: a current API "
        "server rejects it; convert it to dynatrace.com/v1beta6 (or pass --accept-unserved to "
        "analyse it anyway)")
    accepted = parse_dynakube(dk({}, version=version), accept_unserved=True)
    assert accepted.api_version == f"dynatrace.com/{version}"
    assert [w for w in accepted.warnings if "no longer served" in w]


@pytest.mark.parametrize("version", ["v1alpha1", "v1alpha2"])
def test_served_edgeconnect_versions_parse(version: str) -> None:
    body = yaml.safe_load(EDGECONNECT.replace("v1alpha2", version))
    assert parse_edgeconnect(body).name == "edge"


def test_enable_istio_is_noted() -> None:
    parsed = parse_dynakube(dk({"enableIstio": True}))
    assert [w for w in parsed.warnings if w.startswith("spec.enableIstio: the operator creates "
                                                       "Istio ServiceEntry and VirtualService")]
    assert not parse_dynakube(dk({"enableIstio": False})).warnings
