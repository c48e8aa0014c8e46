"""``dtnetpol probe`` against the test API server, through the real ``kubernetes`` client.

The server creates and deletes pods and ConfigMaps and plays the kubelet
(:mod:`tests.apiserver._probes`): the tests see exactly what was created, that it is gone
afterwards, and what a probe that never starts gives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.apiserver import NoOpenSSL, running_example
from tests.apiserver._probes import ProbeApiServer
from tests.cli_run import run

from dtnetpol.probe import PROBE_LABEL

Kubelet = Callable[[Mapping[str, Any]], str]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[Kubelet], tuple[ProbeApiServer, Path]]]:
    started: list[ProbeApiServer] = []

    def start(kubelet: Kubelet) -> tuple[ProbeApiServer, Path]:
        objects, groups = running_example()
        try:
            srv = ProbeApiServer(objects, installed=groups, kubelet=kubelet).start()
        except NoOpenSSL as e:
            pytest.skip(f"no test API server: {e}")
        started.append(srv)
        return srv, srv.kubeconfig(tmp_path / "kubeconfig")

    yield start
    for s in started:
        s.stop()


def by_target(fates: Mapping[str, str], default: str = "connected") -> Kubelet:
    """The kubelet's answer per destination host:port of the probe's nc command."""
    def kubelet(pod: Mapping[str, Any]) -> str:
        cmd = pod["spec"]["containers"][0]["command"]
        return fates.get(f"{cmd[-2]}:{cmd[-1]}", default)
    return kubelet


FLOWS = ("operator-to-tenant", "dns-from-operator", "webhook-to-apiserver")


def probe(kubeconfig: Path, *extra: str, output: str = "json"
          ) -> tuple[int, dict[str, Any], str]:
    args = ["probe", "--yes", "--kubeconfig", str(kubeconfig), "--skip-invalid", "-o", output,
            "--timeout", "20"]
    for f in FLOWS:
        args += ["--flow", f]
    code, out, err = run(*args, *extra)
    assert code in (0, 1), err
    if output == "yaml":
        assert not out.lstrip().startswith("{")
        return code, yaml.safe_load(out), err
    return code, json.loads(out), err


def test_exact_pods_are_created_then_deleted(serve: Any) -> None:
    server, kubeconfig = serve(by_target({}))
    code, doc, _ = probe(kubeconfig)
    pods = [o for o in server.created if o["kind"] == "Pod"]
    anchors = [o for o in server.created if o["kind"] == "ConfigMap"]
    assert len(pods) == 3 and len(anchors) == 1
    (anchor,) = anchors
    assert anchor["metadata"]["namespace"] == "dynatrace"
    for pod in pods:
        meta, spec = pod["metadata"], pod["spec"]
        assert meta["namespace"] == "dynatrace"
        assert meta["labels"][PROBE_LABEL] == "true"
        assert meta["ownerReferences"][0]["uid"] == anchor["metadata"]["uid"]
        assert meta["ownerReferences"][0]["controller"] is True
        assert spec["activeDeadlineSeconds"] == 60
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == 65534
        (c,) = spec["containers"]
        assert c["resources"]["limits"] == {"cpu": "100m", "memory": "32Mi"}
        assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert "ports" not in c and c["readinessProbe"]["exec"]["command"] == ["false"]
    by_flow = {p["metadata"]["annotations"]["dtnetpol.dynatrace.com/flow"]: p for p in pods}
    op = by_flow["operator-to-tenant"]["metadata"]["labels"]
    assert op["app.kubernetes.io/component"] == "operator" and op["name"] == \
        "dynatrace-operator"
    assert "pod-template-hash" not in op
    wh = by_flow["webhook-to-apiserver"]["metadata"]["labels"]
    assert wh["internal.dynatrace.com/app"] == "webhook"
    # Everything it created is gone again: pods first, then their owner.
    assert server.live("Pod") and not [p for p in server.live("Pod")
                                       if PROBE_LABEL in p["metadata"].get("labels", {})]
    assert not [c for c in server.live("ConfigMap")
                if PROBE_LABEL in c["metadata"].get("labels", {})]
    kinds = [k for k, _, _ in server.deleted]
    assert kinds == ["Pod", "Pod", "Pod", "ConfigMap"]
    # The verdicts on the example: the operator's egress is blocked there.
    assert {p["flow"]: p["agreement"] for p in doc["probes"]} == {
        "operator-to-tenant": "agree", "dns-from-operator": "engine blocked, connected",
        "webhook-to-apiserver": "engine blocked, connected"}
    assert code == 1


def test_outcomes_against_the_engine(serve: Any) -> None:
    _, kubeconfig = serve(by_target({}, default="timeout"))
    code, doc, _ = probe(kubeconfig)
    got = {p["flow"]: (p["verdict"], p["outcome"], p["agreement"]) for p in doc["probes"]}
    assert got["dns-from-operator"] == ("blocked", "failed", "agree")
    assert got["operator-to-tenant"] == ("allowed", "failed", "engine allowed, connection failed")
    assert code == 1


def test_yaml_output_is_the_json_document(serve: Any) -> None:
    _, kubeconfig = serve(by_target({}, default="timeout"))
    as_json = probe(kubeconfig)
    as_yaml = probe(kubeconfig, output="yaml")

    def same_run(doc: dict[str, Any]) -> dict[str, Any]:
        # Each run names its pods after its own run id; the rest is the same document.
        for p in doc["probes"]:
            assert p.pop("pod").startswith("dynatrace/dtnetpol-probe-")
        return doc

    assert as_yaml[0] == as_json[0]
    assert same_run(as_yaml[1]) == same_run(as_json[1])
    assert as_yaml[1]["kind"] == "ProbeReport" and len(as_yaml[1]["probes"]) == len(FLOWS)


def test_a_probe_that_never_starts_is_unknown_not_blocked(serve: Any) -> None:
    server, kubeconfig = serve(by_target({}, default="never"))
    code, doc, err = probe(kubeconfig)
    assert {p["outcome"] for p in doc["probes"]} == {"unknown"}
    assert {p["agreement"] for p in doc["probes"]} == {"unknown"}
    assert all("ImagePullBackOff" in p["detail"] for p in doc["probes"])
    assert code == 0
    assert "never ran to the end (ImagePullBackOff)" in err
    assert not [p for p in server.live("Pod") if PROBE_LABEL in p["metadata"].get("labels", {})]


def test_leftovers_of_an_earlier_run_are_removed_first(serve: Any) -> None:
    server, kubeconfig = serve(by_target({}))
    leftover = {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "dtnetpol-probe-old-0-x", "namespace": "shop",
        "labels": {PROBE_LABEL: "true"}}, "spec": {"containers": [
            {"name": "probe", "image": "busybox:1.36"}]}, "status": {"phase": "Failed"}}
    server.store.add(leftover)
    _, doc, _ = probe(kubeconfig)
    assert doc["cleaned"] == ["Pod shop/dtnetpol-probe-old-0-x"]


def test_without_yes_nothing_is_written(serve: Any) -> None:
    server, kubeconfig = serve(by_target({}))
    code, _, err = run("probe", "--kubeconfig", str(kubeconfig), "--skip-invalid")
    assert code == 2 and "give --yes" in err
    code, out, _ = run("probe", "--dry-run", "--kubeconfig", str(kubeconfig), "--skip-invalid",
                       "--flow", "operator-to-tenant")
    assert code == 0 and "kind: Pod" in out and "activeDeadlineSeconds: 60" in out
    assert {r.method for r in server.requests} == {"GET"}
    assert not server.created


def test_ephemeral_containers(serve: Any) -> None:
    server, kubeconfig = serve(by_target({}))
    code, doc, _ = probe(kubeconfig, "--ephemeral")
    assert code == 1  # the engine blocks two of them: they connect here
    added = [o for o in server.created if o["kind"] == "EphemeralContainer"]
    assert {o["pod"].split("/")[0] for o in added} == {"dynatrace"}
    assert not [o for o in server.created if o["kind"] in ("Pod", "ConfigMap")]
    assert {p["outcome"] for p in doc["probes"]} == {"connected"}
    for o in added:
        sc = o["container"]["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["capabilities"] == {"drop": ["ALL"]}


def test_rbac_probe_is_golden_and_only_adds(golden: Any) -> None:
    _, plain, _ = run("rbac")
    code, out, _ = run("rbac", "--probe", "--diagnose", "--probe-namespace", "dynatrace",
                       "--probe-namespace", "shop")
    assert code == 0
    golden("cli/rbac-probe.yaml", out)
    reader = plain.split("---\n")
    assert out.startswith(reader[0])  # the same ServiceAccount and comment first
    assert "kind: RoleBinding" in out and "kind: ClusterRoleBinding" in out
    assert out.count("name: dtnetpol-reader-probe\n  namespace: shop") == 1
