"""The test API server answers as the Kubernetes API server does (kubectl is the judge)."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.apiserver import (
    TOKEN,
    VERSION_INFO,
    ApiServer,
    NoOpenSSL,
    example_logs,
    running_example,
)

KUBECTL = shutil.which("kubectl")


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    objects, groups = running_example()
    try:
        srv = ApiServer(objects, installed=groups).start()
    except NoOpenSSL as e:
        pytest.skip(f"no test API server: {e}")
    srv.store.logs.update(example_logs(objects))
    yield srv
    srv.stop()


def _get(server: ApiServer, path: str, token: str | None = TOKEN,
         method: str = "GET") -> tuple[int, Any, dict[str, str]]:
    assert server.cert is not None
    context = ssl.create_default_context(cafile=str(server.cert.cert_file))
    req = urllib.request.Request(server.url + path, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, context=context, timeout=10) as resp:
            body = resp.read()
            ctype = resp.headers.get("Content-Type", "")
            return resp.status, (json.loads(body) if "json" in ctype else body.decode()), \
                dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), dict(e.headers)


def test_version_has_every_field(server: ApiServer) -> None:
    status, body, _ = _get(server, "/version", token=None)
    assert status == 200
    assert body == dict(VERSION_INFO)
    assert set(body) >= {"major", "minor", "gitVersion", "gitCommit", "gitTreeState",
                         "buildDate", "goVersion", "compiler", "platform", "emulationMajor",
                         "emulationMinor", "minCompatibilityMajor", "minCompatibilityMinor"}


def test_discovery(server: ApiServer) -> None:
    status, body, _ = _get(server, "/api")
    assert (status, body["kind"], body["versions"]) == (200, "APIVersions", ["v1"])
    _, groups, _ = _get(server, "/apis")
    names = [g["name"] for g in groups["groups"]]
    assert "apps" in names and "dynatrace.com" in names
    assert "cilium.io" not in names  # a CRD group that is not installed is not served
    dynatrace = next(g for g in groups["groups"] if g["name"] == "dynatrace.com")
    assert dynatrace["preferredVersion"]["version"] == "v1beta6"
    _, core, _ = _get(server, "/api/v1")
    pods = next(r for r in core["resources"] if r["name"] == "pods")
    assert pods["namespaced"] and pods["kind"] == "Pod" and "list" in pods["verbs"]
    assert any(r["name"] == "pods/log" for r in core["resources"])
    status, body, _ = _get(server, "/apis/cilium.io/v2")
    assert status == 404 and body["kind"] == "Status" and body["reason"] == "NotFound"


def test_builtin_list_items_have_no_kind_but_custom_resources_do(server: ApiServer) -> None:
    _, pods, _ = _get(server, "/api/v1/namespaces/shop/pods")
    assert pods["kind"] == "PodList" and pods["apiVersion"] == "v1"
    assert pods["items"] and all("kind" not in p and "apiVersion" not in p
                                 for p in pods["items"])
    _, dks, _ = _get(server, "/apis/dynatrace.com/v1beta5/dynakubes")
    assert [d["apiVersion"] for d in dks["items"]] == ["dynatrace.com/v1beta5"]
    assert dks["items"][0]["status"]["phase"] == "Running"


def test_pods_run_as_controllers_made_them(server: ApiServer) -> None:
    _, pods, _ = _get(server, "/api/v1/pods")
    _, rss, _ = _get(server, "/apis/apps/v1/replicasets")
    _, nodes, _ = _get(server, "/api/v1/nodes")
    node_ips = {a["address"] for n in nodes["items"] for a in n["status"]["addresses"]
                if a["type"] == "InternalIP"}
    rs_names = {r["metadata"]["name"] for r in rss["items"]}
    frontend = [p for p in pods["items"] if p["metadata"]["name"].startswith("frontend-")]
    assert len(frontend) == 2
    for pod in frontend:
        owner = pod["metadata"]["ownerReferences"][0]
        assert owner["kind"] == "ReplicaSet" and owner["name"] in rs_names
        assert pod["metadata"]["name"].startswith(owner["name"] + "-")
        assert pod["metadata"]["labels"]["pod-template-hash"] in owner["name"]
        assert pod["status"]["podIP"].startswith("10.244.")
    oneagent = [p for p in pods["items"] if p["metadata"]["name"].startswith("dynakube-oneagent")]
    assert len(oneagent) == 2  # tolerates the control plane: one per node
    assert {p["status"]["podIP"] for p in oneagent} == node_ips
    assert any(p["metadata"]["name"] == "db-0" for p in pods["items"])


def test_selectors(server: ApiServer) -> None:
    _, body, _ = _get(server, "/api/v1/pods?labelSelector=app.kubernetes.io/name%20in%20"
                              "(oneagent,activegate),app.kubernetes.io/created-by=dynakube")
    names = sorted(p["metadata"]["name"].split("-")[1] for p in body["items"])
    assert names == ["activegate", "oneagent", "oneagent"]
    _, body, _ = _get(server, "/api/v1/pods?fieldSelector=spec.hostNetwork%3Dtrue")
    assert {p["metadata"]["name"].rsplit("-", 1)[0] for p in body["items"]} == \
        {"dynakube-oneagent"}
    _, body, _ = _get(server, "/api/v1/namespaces?labelSelector=!team")
    assert "shop" not in {n["metadata"]["name"] for n in body["items"]}
    status, body, _ = _get(server, "/api/v1/pods?fieldSelector=spec.bogus%3Dx")
    assert status == 400 and body["message"] == "field label not supported: spec.bogus"


def test_paging_with_continue(server: ApiServer) -> None:
    _, whole, _ = _get(server, "/api/v1/pods")
    seen, token, pages = [], "", 0
    while True:
        _, page, _ = _get(server, f"/api/v1/pods?limit=3&continue={token}")
        pages += 1
        seen += [p["metadata"]["name"] for p in page["items"]]
        token = page["metadata"].get("continue", "")
        if not token:
            break
        assert page["metadata"]["remainingItemCount"] == len(whole["items"]) - len(seen)
    assert seen == [p["metadata"]["name"] for p in whole["items"]]
    assert pages == -(-len(seen) // 3)


def test_status_bodies_and_auth(server: ApiServer) -> None:
    status, body, _ = _get(server, "/api/v1/pods", token="wrong")
    assert (status, body["reason"], body["code"]) == (401, "Unauthorized", 401)
    status, body, _ = _get(server, "/api/v1/namespaces/shop/pods/nope")
    assert status == 404 and body["message"] == 'pods "nope" not found'
    status, body, _ = _get(server, "/api/v1/namespaces/shop/pods", method="DELETE")
    assert status == 405 and body["reason"] == "MethodNotAllowed"


def test_faults() -> None:
    objects, groups = running_example()
    with ApiServer(objects, installed=groups) as srv:
        srv.faults.forbid("nodes")
        status, body, _ = _get(srv, "/api/v1/nodes")
        assert status == 403 and body["reason"] == "Forbidden"
        assert 'cannot list resource "nodes" in API group "" at the cluster scope' \
            in body["message"]
        srv.faults.fail("services", [429, 503], retry_after=2)
        status, body, headers = _get(srv, "/api/v1/services")
        assert status == 429 and headers["Retry-After"] == "2"
        assert body["details"]["retryAfterSeconds"] == 2
        assert _get(srv, "/api/v1/services")[0] == 503
        assert _get(srv, "/api/v1/services")[0] == 200
        srv.faults.expire("pods", after_pages=1)
        _, first, _ = _get(srv, "/api/v1/pods?limit=2")
        token = first["metadata"]["continue"]
        status, body, _ = _get(srv, f"/api/v1/pods?limit=2&continue={token}")
        assert status == 410 and body["reason"] == "Expired"
        assert _get(srv, f"/api/v1/pods?limit=2&continue={token}")[0] == 200
        assert [r.status for r in srv.requests] == [403, 429, 503, 200, 200, 410, 200]


def test_pod_logs(server: ApiServer) -> None:
    _, pods, _ = _get(server, "/api/v1/namespaces/shop/pods")
    name = pods["items"][0]["metadata"]["name"]
    container = pods["items"][0]["spec"]["containers"][0]["name"]
    status, text, _ = _get(server, f"/api/v1/namespaces/shop/pods/{name}/log?tailLines=2")
    assert status == 200 and text == f"{container} log line 3\n{container} log line 4\n"
    _, text, _ = _get(server, f"/api/v1/namespaces/shop/pods/{name}/log?sinceSeconds=5400"
                              f"&container={container}")
    assert text.splitlines() == [f"{container} log line 3", f"{container} log line 4"]
    status, _body, _ = _get(server, f"/api/v1/namespaces/shop/pods/{name}/log?container=x")
    assert status == 400


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (Debian package kubectl)")
def test_kubectl_reads_the_server(server: ApiServer, tmp_path: Path) -> None:
    kubeconfig = server.kubeconfig(tmp_path / "kubeconfig")
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path)}
    server.clear_requests()

    def kubectl(*args: str) -> str:
        assert KUBECTL is not None
        done = subprocess.run([KUBECTL, *args], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    pods = json.loads(kubectl("get", "pods", "-A", "-o", "json"))
    _, served, _ = _get(server, "/api/v1/pods")
    assert [p["metadata"]["name"] for p in pods["items"]] == \
        [p["metadata"]["name"] for p in served["items"]]
    assert all(p["kind"] == "Pod" and p["apiVersion"] == "v1" for p in pods["items"])
    names = kubectl("get", "pods", "-n", "shop", "--chunk-size=1", "-o", "name").split()
    assert names == [f"pod/{p['metadata']['name']}" for p in served["items"]
                     if p["metadata"]["namespace"] == "shop"]
    assert kubectl("get", "dynakubes", "-A", "-o", "jsonpath={.items[*].status.phase}") \
        == "Running"
    assert json.loads(kubectl("version", "-o", "json"))["serverVersion"]["gitVersion"] \
        == VERSION_INFO["gitVersion"]
    pod = next(p for p in served["items"] if p["metadata"]["namespace"] == "shop")
    assert kubectl("logs", "-n", "shop", "--tail=1", pod["metadata"]["name"]).endswith(
        "log line 4\n")
    assert {r.method for r in server.requests} == {"GET"}


def test_fixture_uids_are_uuid5() -> None:
    """The fast uid is exactly uuid5 (golden outputs carry uids)."""
    import uuid

    from tests.apiserver import uid_of

    for kind, ns, name in (("Pod", "shop", "web-0"), ("Node", "", "n" * 300),
                           ("Namespace", "", "kube-system"), ("Pod", "ü", "é")):
        want = uuid.uuid5(uuid.NAMESPACE_URL, f"dtnetpol-test/{kind}/{ns}/{name}")
        assert uid_of(kind, ns, name) == str(want)


def test_pod_ips_come_from_each_node_cidr_and_host_network_pods_use_the_node() -> None:
    """Pod IPs are unique, inside their node's pod CIDR; host-network pods have the node's."""
    import ipaddress

    objects, _ = running_example()
    nodes = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Node"}
    ips = []
    for pod in (o for o in objects if o["kind"] == "Pod"):
        node = nodes[pod["spec"]["nodeName"]]
        ip = pod["status"]["podIP"]
        if pod["spec"].get("hostNetwork"):
            assert ip == pod["status"]["hostIP"]
        else:
            assert ipaddress.ip_address(ip) in ipaddress.ip_network(node["spec"]["podCIDR"])
            ips.append(ip)
    assert ips and len(ips) == len(set(ips))


@pytest.mark.parametrize("query", ["", "labelSelector=app.kubernetes.io/created-by%3Ddynakube",
                                   "fieldSelector=spec.hostNetwork%3Dtrue"])
@pytest.mark.parametrize("scope", ["/api/v1/pods", "/api/v1/namespaces/dynatrace/pods"])
def test_pages_of_one_join_up_to_the_whole_list(server: ApiServer, scope: str,
                                                 query: str) -> None:
    """Pages cut from the encoded buffer (a run, or items picked by selectors) are exactly
    the items of the unpaged list, in order, whatever the scope and selectors."""
    _, whole, _ = _get(server, f"{scope}?{query}")
    assert whole["items"], "the example has pods for every case"
    seen, token = [], ""
    while True:
        _, page, _ = _get(server, f"{scope}?{query}&limit=1&continue={token}")
        assert len(page["items"]) == 1
        seen += page["items"]
        token = page["metadata"].get("continue", "")
        if not token:
            break
    assert seen == whole["items"]
