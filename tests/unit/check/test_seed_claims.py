"""Every wrong claim of the seed document (reference §7), found by dtnetpol on the example.

The example's policies under ``examples/cluster/policies/`` are the seed's sections 4–8
verbatim (``seed-samples.yaml``, ``seed-workload-egress.yaml``,
``invalid/seed-activegate.yaml``). Each test is one row of §7: the finding that reports it,
asserted from ``check`` (or, for the policy the API server rejects, the loader and ``lint``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.cli_run import run

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def flows() -> dict[str, dict[str, Any]]:
    cwd = Path.cwd()
    import os
    os.chdir(REPO)
    try:
        code, out, _ = run("check", "--skip-invalid", "examples/cluster", "-o", "json")
    finally:
        os.chdir(cwd)
    assert code == 1
    return {f["id"]: f for f in json.loads(out)["flows"]}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def misses(flow: dict[str, Any]) -> str:
    return "\n".join(flow["nearest_misses"])


def test_operator_selector_also_isolates_webhook_and_csi(flows: dict[str, Any]) -> None:
    # "operator selected by app.kubernetes.io/name: dynatrace-operator": partly; webhook and
    # CSI pods carry it too, so the operator's policy isolates them as well.
    for flow in ("webhook-to-apiserver", "csi-to-apiserver", "dns-from-webhook"):
        assert "dynatrace/dynatrace-operator-allow" in flows[flow]["policies"], flow


def test_webhook_label_selects_no_pod(flows: dict[str, Any]) -> None:
    text = misses(flows["apiserver-to-webhook"])
    assert "dynatrace/dynatrace-webhook-allow" in text
    assert "its podSelector {app.kubernetes.io/name=dynatrace-webhook} does not select " \
           "dynatrace/dynatrace-webhook[Deployment] (it has " \
           "app.kubernetes.io/name=dynatrace-operator)" in text
    assert "it selects no pod" in text


def test_webhook_port_443_is_the_service_port(flows: dict[str, Any]) -> None:
    text = misses(flows["apiserver-to-webhook"])
    assert "it allows TCP 443, not 8443/TCP (443 is the port of Service " \
           "dynatrace/dynatrace-webhook; policies see pod port 8443)" in text


def test_namespace_selector_never_admits_the_api_server(flows: dict[str, Any]) -> None:
    hook = flows["apiserver-to-webhook"]
    assert (hook["verdict"], hook["blocked_by"]) == ("blocked", "ingress")
    assert "its peers (namespaceSelector {}) select pods; kube-apiserver is not a pod" \
        in misses(hook)


def test_csi_label_selects_no_pod(flows: dict[str, Any]) -> None:
    text = misses(flows["csi-to-apiserver"])
    assert "dynatrace/allow-csi-egress" in text
    assert "its podSelector {app.kubernetes.io/name=dynatrace-oneagent-csi-node} does not " \
           "select" in text
    assert "its labels name the Dynatrace CSI driver" in text


def test_activegate_sample_is_rejected_and_its_label_is_wrong() -> None:
    # The §8 sample: the loader rejects it (ports under the peer) ...
    code, _, err = run("check", "examples/cluster")
    assert code == 2
    assert "seed-activegate.yaml:21: document 1: spec.egress[0].to[0].ports: unknown-field" \
        in err
    # ... and its label names the ServiceAccount, not the ActiveGate pods.
    code, out, _ = run("lint", "examples/cluster", "-o", "json")
    findings = json.loads(out)["findings"]
    labels = [f for f in findings if f["rule"] == "NPL016"
              and f["file"].endswith("seed-activegate.yaml")]
    assert labels and "dynatrace-activegate" in labels[0]["message"]


def test_tenant_443_is_wrong_for_many_components(flows: dict[str, Any]) -> None:
    # "every component needs egress 443 to the tenant": the webhook has no tenant flow at
    # all; its needs are the API server (endpoint port) and DNS, both blocked here.
    assert not any(i.startswith("webhook-to-") and "tenant" in i for i in flows)
    assert flows["webhook-to-apiserver"]["port"] == 6443
    assert flows["dns-from-webhook"]["verdict"] == "blocked"
    # the operator's 0.0.0.0/0:443 does reach the tenant
    assert flows["operator-to-tenant"]["verdict"] == "allowed"


def test_kubernetes_default_svc_443_is_not_the_endpoint(flows: dict[str, Any]) -> None:
    f = flows["operator-to-apiserver"]
    assert (f["verdict"], f["port"]) == ("blocked", 6443)
    assert "it allows TCP 443, not 6443/TCP (kubernetes.default.svc:443 is the Service; " \
           "policies see 6443)" in misses(f)


def test_samples_never_allow_dns(flows: dict[str, Any]) -> None:
    for flow in ("dns-from-operator", "dns-from-webhook", "dns-from-activegate"):
        assert flows[flow]["verdict"] == "blocked"
    assert "missing DNS: no rule allows 53/UDP+TCP to the DNS pods in kube-system" in \
        misses(flows["dns-from-operator"])


def test_workload_egress_sample_without_namespace_lands_in_default() -> None:
    # §6 has no namespace: it lands in default and does nothing for the monitored apps.
    code, out, _ = run("lint", "examples/cluster", "-o", "json")
    assert code == 1
    findings = json.loads(out)["findings"]
    assert any(f["rule"] == "NPL002" and "default/allow-dynatrace-egress" in f["message"]
               for f in findings)
