"""Live mode: every command reads the test API server through the real ``kubernetes`` client.

No mock of the client library: the requests go over HTTPS to :mod:`tests.apiserver`, which
records them, so the tests also see what was asked (only GET, never a Secret).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.apiserver import ApiServer, NoOpenSSL, by_path, running_example
from tests.cli_run import run

from dtnetpol.sources.cluster import READS, ClusterSpec, load_live, read_cluster

REPO = Path(__file__).resolve().parent.parent.parent
SRC = REPO / "src"


def _pods(server: ApiServer) -> int:
    return len(server.store.objects(by_path("", "v1", "pods")))  # type: ignore[arg-type]


def _start() -> ApiServer:
    objects, groups = running_example()
    try:
        return ApiServer(objects, installed=groups).start()
    except NoOpenSSL as e:
        pytest.skip(f"no test API server: {e}")


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    srv = _start()
    yield srv
    srv.stop()


@pytest.fixture
def kubeconfig(server: ApiServer, tmp_path: Path) -> Path:
    return server.kubeconfig(tmp_path / "kubeconfig")


def _verdicts(report: str) -> dict[str, str]:
    return {f["id"]: f["verdict"] for f in json.loads(report)["flows"]}


def _offline_files(server: ApiServer, folder: Path) -> Path:
    """The server's objects of the kinds live mode reads, as one manifest file."""
    wanted = {(r.group, r.kind) for r in READS} | {
        (r.alternative, r.kind) for r in READS if r.alternative}
    items = []
    for obj in (o for bucket in server.store.buckets.values()
                for o in server.store.objects(bucket.resource)):
        group = obj["apiVersion"].rpartition("/")[0]
        if (group, obj["kind"]) in wanted and not (
                obj["kind"] == "Pod" and obj["status"]["phase"] in ("Succeeded", "Failed")):
            items.append(obj)
    path = folder / "cluster.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}),
                    encoding="utf-8")
    return path


def test_live_snapshot_and_offline_give_the_same_verdicts(server: ApiServer, kubeconfig: Path,
                                                          tmp_path: Path) -> None:
    server.clear_requests()
    code, live_report, err = run("check", "-o", "json", "--kubeconfig", str(kubeconfig))
    assert code == 1, err  # the example's policies block required flows
    snap = tmp_path / "snap"
    code, _, err = run("snapshot", "--kubeconfig", str(kubeconfig), "--out", str(snap))
    assert code == 0, err
    assert f"to {snap}/" in err
    code2, snap_report, _ = run("check", "-o", "json", str(snap))
    offline = _offline_files(server, tmp_path)
    code3, offline_report, _ = run("check", "-o", "json", str(offline))
    live = _verdicts(live_report)
    assert len(live) > 20 and "blocked" in live.values() and "allowed" in live.values()
    assert _verdicts(snap_report) == live
    assert _verdicts(offline_report) == live
    assert code2 == code3 == 1

    # the connections too, for every workload
    listings = [run("connlist", "-o", "json", *where)[1] for where in
                (("--kubeconfig", str(kubeconfig)), (str(snap),), (str(offline),))]
    assert listings[0] == listings[1] == listings[2]
    assert json.loads(listings[0])["connections"]

    methods = {r.method for r in server.requests}
    assert methods == {"GET"}
    assert not [r.path for r in server.requests if "secret" in r.path.lower()]


def test_live_pods_carry_their_ips_and_owners(kubeconfig: Path) -> None:
    live = read_cluster(ClusterSpec(kubeconfig=str(kubeconfig)))
    cluster, _ = load_live(live)
    by_name = {p.name: p for p in cluster.pods}
    # pods folded into their Deployment (through the ReplicaSet), keeping their IPs
    assert by_name["frontend"].owner.kind == "Deployment"
    assert len(by_name["frontend"].ips) == 2
    assert set(by_name["dynakube-oneagent"].ips) == {"172.18.0.2", "172.18.0.3"}
    assert by_name["dynakube-oneagent"].host_network
    assert {n.name for n in cluster.nodes} == {"shop-prod-control-plane", "shop-prod-worker"}
    assert any(e.service == "kubernetes" and e.addresses == ("172.18.0.2",)
               for e in cluster.endpoints)
    kinds = {o.kind for o in cluster.others}
    assert {"DynaKube", "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration"} <= kinds
    dynakube = next(o for o in cluster.others if o.kind == "DynaKube")
    assert dynakube.api_version == "dynatrace.com/v1beta6"  # the newest served version
    assert dynakube.body["status"]["activeGate"]["connectionInfoStatus"]["endpoints"]
    assert str(dynakube.location).startswith("cluster:test-cluster/dynatrace/DynaKube/dynakube")
    assert live.version["gitVersion"] == "v1.33.1"
    assert "ciliumnetworkpolicies.cilium.io" in {r.resource for r in live.absent}
    assert not live.forbidden


def test_every_analysing_command_reads_live(server: ApiServer, kubeconfig: Path) -> None:
    server.clear_requests()
    kc = ("--kubeconfig", str(kubeconfig))
    code, out, err = run("can-reach", *kc, "--from", "shop/frontend", "--to", "shop/cart",
                         "--port", "8080")
    assert code == 0, err
    assert "allowed" in out.lower()
    code, out, err = run("explain", *kc, "--workload", "shop/cart", "-o", "json")
    assert code == 0, err
    assert json.loads(out)
    code, out, err = run("lint", *kc, "-o", "json")
    assert code in (0, 1), err
    code, out, err = run("fix", *kc)
    assert code in (0, 1), err
    assert "kind: NetworkPolicy" in out
    code, out, err = run("generate", *kc)
    assert code == 0, err
    assert "kind: NetworkPolicy" in out
    code, out, err = run("connlist", *kc, "-n", "shop")
    assert code == 0, err
    # -n narrows the report; what the verdicts need is still read cluster-wide
    assert not [r.path for r in server.requests if "/namespaces/shop/" in r.path]
    assert {r.method for r in server.requests} == {"GET"}


def test_kubeconfig_env_and_context(server: ApiServer, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    good = server.kubeconfig(tmp_path / "good", context="shop-prod")
    other = server.kubeconfig(tmp_path / "other", context="elsewhere", token="bad")
    monkeypatch.setenv("KUBECONFIG", f"{other}{os.pathsep}{good}")
    # the first file's current context wins, as with kubectl; its token is rejected
    code, _, err = run("connlist")
    assert code == 2
    assert err.splitlines() == [err.strip()]
    assert "401 Unauthorized" in err and 'context "elsewhere"' in err
    code, _, err = run("connlist", "--context", "shop-prod")
    assert code == 0, err
    code, _, err = run("connlist", "--context", "nope")
    assert code == 2
    assert err.strip() == (f'dtnetpol: error: context "nope" is not in '
                           f"{other}{os.pathsep}{good} (contexts: elsewhere, shop-prod)")


def test_paths_and_live_flags_together_are_a_usage_error(kubeconfig: Path) -> None:
    code, _, err = run("connlist", "--kubeconfig", str(kubeconfig), "examples/cluster")
    assert code == 2
    assert "not both" in err


def test_forbidden_nodes_warn_and_the_analysis_goes_on(tmp_path: Path) -> None:
    srv = _start()
    try:
        srv.faults.forbid("nodes")
        kc = str(srv.kubeconfig(tmp_path / "kc"))
        code, out, err = run("check", "-o", "json", "--kubeconfig", kc)
        assert code in (0, 1)
        warning = next(line for line in err.splitlines() if "nodes" in line)
        assert warning.startswith("warning: cannot list nodes (403 Forbidden); add the rule "
                                  '{"apiGroups": [""], "resources": ["nodes"], "verbs": '
                                  '["get", "list"]}')
        assert "host-network pods" in warning and "less certain" in warning
        report = json.loads(out)
        assert any("cannot list nodes" in w for w in report["warnings"])
        assert report["flows"]
        # the snapshot keeps what was forbidden: the same warning on the folder
        snap = tmp_path / "snap"
        assert run("snapshot", "--kubeconfig", kc, "--out", str(snap))[0] == 0
        info = yaml.safe_load((snap / "snapshot.txt").read_text())
        assert [f["resource"] for f in info["forbidden"]] == ["nodes"]
        code2, out2, _ = run("check", "-o", "json", str(snap))
        assert code2 == code
        assert json.loads(out2)["warnings"][0] == report["warnings"][0]
        assert _verdicts(out2) == _verdicts(out)
    finally:
        srv.stop()


def test_paging_with_page_size_one(server: ApiServer, kubeconfig: Path) -> None:
    whole = run("connlist", "-o", "json", "--kubeconfig", str(kubeconfig))[1]
    server.clear_requests()
    paged = run("connlist", "-o", "json", "--kubeconfig", str(kubeconfig), "--chunk-size", "1")
    assert paged[0] == 0 and paged[1] == whole
    pod_pages = [r for r in server.requests if r.path == "/api/v1/pods"]
    assert len(pod_pages) == _pods(server) == 18  # one pod per page
    assert all(r.query["limit"] == "1" for r in pod_pages)
    assert sum(1 for r in pod_pages if "continue" in r.query) == len(pod_pages) - 1


def test_a_410_in_the_middle_of_a_list_restarts_it(tmp_path: Path) -> None:
    srv = _start()
    try:
        kc = str(srv.kubeconfig(tmp_path / "kc"))
        expected = run("connlist", "-o", "json", "--kubeconfig", kc)[1]
        srv.clear_requests()
        srv.faults.expire("pods", after_pages=2)
        code, out, err = run("connlist", "-o", "json", "--kubeconfig", kc, "--chunk-size", "3")
        assert code == 0, err
        assert out == expected
        statuses = [r.status for r in srv.requests if r.path == "/api/v1/pods"]
        assert 410 in statuses
        assert statuses.index(410) == 2
        # the list started over without a continue token, then read every page
        after = [r for r in srv.requests if r.path == "/api/v1/pods"][3:]
        assert "continue" not in after[0].query
        assert statuses[3:].count(200) == -(-_pods(srv) // 3)
    finally:
        srv.stop()


def test_429_and_5xx_are_retried(tmp_path: Path) -> None:
    srv = _start()
    try:
        kc = str(srv.kubeconfig(tmp_path / "kc"))
        expected = run("connlist", "-o", "json", "--kubeconfig", kc)[1]
        srv.clear_requests()
        srv.faults.fail("services", [429, 503], retry_after=0)
        srv.faults.drop("namespaces")
        code, out, err = run("connlist", "-o", "json", "--kubeconfig", kc)
        assert code == 0, err
        assert out == expected
        assert [r.status for r in srv.requests if r.path == "/api/v1/services"] == \
            [429, 503, 200]
        assert [r.status for r in srv.requests if r.path == "/api/v1/namespaces"] == [0, 200]
    finally:
        srv.stop()


@pytest.mark.parametrize(("resource", "body", "says"), [
    ("networkpolicies", b"<html><body>502 Bad Gateway</body></html>",
     "list networkpolicies.networking.k8s.io: the API server's answer is not JSON ("),
    ("pods", b'{"kind": "PodList", "items": [{"metadata": {"name": "a"', "list pods: "
     "the API server's answer is not JSON ("),
    ("namespaces", b'["not", "a", "list"]',
     "list namespaces: the API server's answer is a JSON list, not an object"),
    ("services", b'{"kind": "ServiceList", "items": {"a": 1}}',
     "list services: the API server's answer is not a list (its items or metadata have the "
     "wrong type)"),
    ("services", b'{"items": [], "metadata": {"continue": 7}}',
     "list services: the API server's answer is not a list (its continue token is not a "
     "string)"),
])
def test_an_answer_that_is_not_json_is_one_line_and_exit_2(
        server: ApiServer, tmp_path: Path, resource: str, body: bytes, says: str) -> None:
    """A 200 whose body is not the list asked for (a proxy's error page, a cut answer) names
    the list and what is wrong, never a traceback."""
    kc = str(server.kubeconfig(tmp_path / "kc"))
    server.faults.garble(resource, body)
    try:
        code, out, err = run("check", "--kubeconfig", kc)
    finally:
        server.faults.clear()
    assert code == 2, err
    assert out == ""
    assert err.strip().splitlines() == [f"dtnetpol: error: {err.strip().split(': ', 2)[2]}"]
    assert says in err, err
    assert "Traceback" not in err


def test_discovery_answer_that_is_not_json_is_one_line(server: ApiServer,
                                                        tmp_path: Path) -> None:
    kc = str(server.kubeconfig(tmp_path / "kc"))
    orig = server.get

    def get(path: str, query: Any) -> tuple[bytes, str]:
        return (b"proxy says no", "text/plain") if path == "/apis" else orig(path, query)

    server.get = get  # type: ignore[method-assign]
    try:
        code, _, err = run("check", "--kubeconfig", kc)
    finally:
        server.get = orig  # type: ignore[method-assign]
    assert code == 2
    assert err.startswith("dtnetpol: error: /apis: the API server's answer is not JSON ("), err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_server_is_one_line_and_exit_2(server: ApiServer, tmp_path: Path) -> None:
    kc = server.kubeconfig(tmp_path / "kc")
    config = json.loads(kc.read_text())
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{_closed_port()}"
    kc.write_text(json.dumps(config))
    done = subprocess.run([sys.executable, "-c", "from dtnetpol.cli import entry; entry()",
                           "check", "--kubeconfig", str(kc)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(SRC)})
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("dtnetpol: error: cannot reach the API server at "
                               "https://127.0.0.1:")
    assert lines[0].endswith('(context "test-cluster"): connection refused')


def test_expired_token_is_one_line(server: ApiServer, tmp_path: Path) -> None:
    kc = server.kubeconfig(tmp_path / "kc", token="expired")
    code, out, err = run("explain", "--kubeconfig", str(kc))
    assert (code, out) == (2, "")
    assert err == (f"dtnetpol: error: the API server at {server.url} rejected the credentials "
                   'of context "test-cluster" (401 Unauthorized): the token has expired or is '
                   "not valid; log in again or renew the kubeconfig\n")


def test_no_kubeconfig_and_no_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    code, _, err = run("connlist")
    assert code == 2
    assert err == ("dtnetpol: error: no kubeconfig found (--kubeconfig, $KUBECONFIG, "
                   "~/.kube/config) and not running in a pod; give PATHs to read manifests "
                   "instead\n")


def test_snapshot_files(server: ApiServer, kubeconfig: Path, tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    assert run("snapshot", "--kubeconfig", str(kubeconfig), "--out", str(snap))[0] == 0
    names = sorted(p.name for p in snap.iterdir())
    assert names[0] == "01-namespaces.json" and "snapshot.txt" in names
    assert not [n for n in names if "secret" in n]
    pods = json.loads((snap / "03-pods.json").read_text())
    assert pods["kind"] == "List" and len(pods["items"]) == _pods(server)
    text = json.dumps(pods) + (snap / "06-deployments.apps.json").read_text()
    assert "managedFields" not in text and "containerStatuses" not in text
    assert all(p["kind"] == "Pod" and p["apiVersion"] == "v1" for p in pods["items"])
    info = yaml.safe_load((snap / "snapshot.txt").read_text())
    assert info["context"] == "test-cluster" and info["server"] == server.url
    assert info["serverVersion"]["gitVersion"] == "v1.33.1"
    taken = dt.datetime.strptime(info["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert abs((dt.datetime.now(dt.UTC) - taken).total_seconds()) < 600
    assert info["objects"]["pods"] == _pods(server) and info["forbidden"] == []
    # a second snapshot into the same folder is refused
    code, _, err = run("snapshot", "--kubeconfig", str(kubeconfig), "--out", str(snap))
    assert code == 2 and "not an empty folder" in err


def test_rbac_allows_exactly_what_is_read(golden: Any) -> None:
    code, out, _ = run("rbac")
    assert code == 0
    golden("cli/rbac.yaml", out)
    docs = list(yaml.safe_load_all(out))
    role = next(d for d in docs if d["kind"] == "ClusterRole")
    granted = {(g, r) for rule in role["rules"] for g in rule["apiGroups"]
               for r in rule["resources"]}
    assert granted == {(r.group, r.plural) for r in READS} | {
        (r.alternative, r.plural) for r in READS if r.alternative}
    assert all(rule["verbs"] == ["get", "list"] for rule in role["rules"])
    assert not any("secret" in r for _, r in granted)


def test_only_sources_cluster_imports_the_kubernetes_client() -> None:
    importers = sorted(
        str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
        if any(line.lstrip().startswith(("import kubernetes", "from kubernetes"))
               for line in p.read_text(encoding="utf-8").splitlines()))
    assert importers == ["dtnetpol/sources/cluster.py"]


EXTRA_POLICIES = [
    {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
     "metadata": {"name": "deny-ingress-to-shop"},
     "spec": {"priority": 10,
              "subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}},
              "ingress": [{"name": "no-ingress-controller", "action": "Deny",
                           "from": [{"namespaces": {"matchLabels": {
                               "kubernetes.io/metadata.name": "ingress-nginx"}}}]}]}},
    # Calico without its API server: the CRDs under crd.projectcalico.org/v1
    {"apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
     "metadata": {"name": "default.deny-payments-egress"},
     "spec": {"namespaceSelector": "kubernetes.io/metadata.name == 'payments'",
              "selector": "all()", "types": ["Egress"], "egress": [{"action": "Deny"}]}},
]


def test_other_policy_kinds_are_read_from_their_groups(tmp_path: Path) -> None:
    objects, groups = running_example()
    try:
        srv = ApiServer([*objects, *EXTRA_POLICIES], installed=groups).start()
    except NoOpenSSL as e:
        pytest.skip(f"no test API server: {e}")
    try:
        kc = str(srv.kubeconfig(tmp_path / "kc"))
        live = read_cluster(ClusterSpec(kubeconfig=kc))
        read = {x.read.resource: len(x.items) for x in live.lists}
        assert read["adminnetworkpolicies.policy.networking.k8s.io"] == 1
        assert read["globalnetworkpolicies.crd.projectcalico.org"] == 1
        assert "globalnetworkpolicies.projectcalico.org" not in read
        live_conns = run("connlist", "-o", "json", "--kubeconfig", kc)[1]
        offline = _offline_files(srv, tmp_path)
        assert "AdminNetworkPolicy" in offline.read_text()
        assert run("connlist", "-o", "json", str(offline))[1] == live_conns
        # both reach the model the engine works on, as from files
        cluster, _ = load_live(live)
        assert [p.name for p in cluster.admin_policies] == ["deny-ingress-to-shop"]
        assert [p.api_version for p in cluster.calico.policies] == ["crd.projectcalico.org/v1"]
    finally:
        srv.stop()


def test_diff_of_a_path_against_the_live_cluster(server: ApiServer, kubeconfig: Path,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    code, fixes, err = run("fix", "--kubeconfig", str(kubeconfig))
    assert code in (0, 1), err
    fix_file = tmp_path / "fixes.yaml"
    fix_file.write_text(fixes, encoding="utf-8")
    server.clear_requests()
    code, out, err = run("diff", "-o", "json", "--kubeconfig", str(kubeconfig), str(fix_file))
    assert code == 0, err  # applying the fixes blocks no required flow
    report = json.loads(out)
    changed = {f["id"]: (f["before"], f["after"]) for f in report["flows"]}
    assert changed and not [f for f in report["flows"] if f["breaks"]]
    assert ("blocked", "allowed") in changed.values()
    assert not [f for f in report["flows"] if f["required"] and f["after"] == "blocked"]
    assert "added" in {c["change"] for c in report["changes"]}
    assert {r.method for r in server.requests} == {"GET"}
    # one PATH alone means the same, against the current context
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    assert run("diff", "-o", "json", str(fix_file))[:2] == (code, out)


def test_progress_and_request_timeout(tmp_path: Path) -> None:
    srv = _start()
    try:
        kc = str(srv.kubeconfig(tmp_path / "kc"))
        # the first pods request answers after 3 s: over --request-timeout, so it is retried
        srv.faults.delay("pods", 3.0)
        lines: list[str] = []
        live = read_cluster(ClusterSpec(kubeconfig=kc, request_timeout=1.0, page_size=5,
                                        backoff=0.1), lines.append)
        assert sum(len(x.items) for x in live.lists if x.read.plural == "pods") == _pods(srv)
        pages = [r for r in srv.requests if r.path == "/api/v1/pods" and r.status == 200
                 and "continue" not in r.query]
        assert len(pages) >= 1  # the first page, asked again after the timeout
        assert any(line.startswith("list pods: timed out; retrying in") for line in lines)
        assert "reading pods" in lines and any(line.startswith("reading pods: ")
                                               for line in lines)
    finally:
        srv.stop()


def test_in_cluster_config_reads_with_the_mounted_token(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside a pod (no kubeconfig, KUBERNETES_SERVICE_HOST/PORT set, the service account's
    token and CA mounted) the client library's own in-cluster loader is used: the server
    here accepts only the token of the mounted file, over TLS checked with the mounted CA."""
    from dtnetpol.sources import cluster

    objects, groups = running_example()
    token = "in-cluster-sa-token-4f1c"
    try:
        srv = ApiServer(objects, installed=groups, token=token).start()
    except NoOpenSSL as e:
        pytest.skip(f"no test API server: {e}")
    try:
        assert srv.cert is not None
        account = tmp_path / "serviceaccount"
        account.mkdir()
        (account / "token").write_text(token, encoding="utf-8")
        (account / "ca.crt").write_bytes(srv.cert.pem)
        (account / "namespace").write_text("dtnetpol", encoding="utf-8")
        monkeypatch.setattr(cluster, "SERVICE_ACCOUNT_DIR", account)
        monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
        monkeypatch.delenv("KUBECONFIG", raising=False)
        host, port = srv.url.removeprefix("https://").rsplit(":", 1)
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)

        code, in_pod, err = run("check", "-o", "json")
        assert code == 1, err
        pod_lists = [r for r in srv.requests if r.path == "/api/v1/pods"]
        assert pod_lists and all(r.status == 200 for r in pod_lists)
        assert all(r.user_agent.startswith("dtnetpol/") for r in srv.requests)
        # the same verdicts as through a kubeconfig of the same server
        kc = srv.kubeconfig(tmp_path / "kubeconfig")
        code, with_kubeconfig, err = run("check", "-o", "json", "--kubeconfig", str(kc))
        assert code == 1, err
        assert _verdicts(in_pod) == _verdicts(with_kubeconfig)

        # the token really comes from the file: another token there is refused, and the
        # message speaks of the pod's service account, not of a kubeconfig
        (account / "token").write_text("someone-elses-token", encoding="utf-8")
        srv.clear_requests()
        code, out, err = run("connlist")
        assert (code, out) == (2, "")
        assert err == (f"dtnetpol: error: the API server at {srv.url} rejected the service "
                       f"account token mounted in this pod ({account / 'token'}), in-cluster "
                       "(401 Unauthorized): it has expired, or its ServiceAccount or the pod "
                       "was deleted since it was issued; check that the ServiceAccount exists, "
                       "then restart the pod so that the kubelet mounts a fresh token\n")
        assert "kubeconfig" not in err
        assert any(r.status == 401 for r in srv.requests)
        # a JWT names its ServiceAccount (its sub claim, read for the message only)
        claims = base64.urlsafe_b64encode(json.dumps(
            {"sub": "system:serviceaccount:dtnetpol:reader"}).encode()).decode().rstrip("=")
        (account / "token").write_text(f"eyJhbGciOiJSUzI1NiJ9.{claims}.c2ln", encoding="utf-8")
        code, out, err = run("connlist")
        assert (code, out) == (2, "")
        assert "service account token of ServiceAccount dtnetpol/reader mounted in this pod" \
            in err
        assert "check that the ServiceAccount exists (kubectl -n dtnetpol get serviceaccount " \
            "reader), then restart the pod" in err

        # no CA mounted: one line naming the service account folder, nothing asked
        (account / "token").write_text(token, encoding="utf-8")
        (account / "ca.crt").unlink()
        srv.clear_requests()
        code, _, err = run("connlist")
        assert code == 2
        assert err == (f"dtnetpol: error: cannot use the in-cluster service account "
                       f"({account}): Service certification file does not exist.\n")
        assert srv.requests == []
    finally:
        srv.stop()


EVERY_LAYER_KIND = [
    {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
     "metadata": {"name": "default"},
     "spec": {"subject": {"namespaces": {}},
              "ingress": [{"name": "d", "action": "Deny", "from": [{"namespaces": {}}]}]}},
    {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
     "metadata": {"name": "c"},
     "spec": {"tier": "Admin", "priority": 3, "subject": {"namespaces": {}},
              "ingress": [{"action": "Pass", "from": [{"namespaces": {}}]}]}},
    {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
     "metadata": {"name": "c", "namespace": "shop"},
     "spec": {"endpointSelector": {}, "ingress": [{"fromEntities": ["cluster"]}]}},
    {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
     "metadata": {"name": "cc"},
     "spec": {"endpointSelector": {}, "egressDeny": [{"toCIDR": ["169.254.169.254/32"]}]}},
    *({"apiVersion": "crd.projectcalico.org/v1", **doc} for doc in (
        {"kind": "Tier", "metadata": {"name": "platform"}, "spec": {"order": 100}},
        {"kind": "NetworkPolicy", "metadata": {"name": "platform.p", "namespace": "shop"},
         "spec": {"tier": "platform", "selector": "all()", "ingress": [{"action": "Pass"}]}},
        {"kind": "StagedNetworkPolicy", "metadata": {"name": "s", "namespace": "shop"},
         "spec": {"selector": "all()", "ingress": [{"action": "Deny"}]}},
        {"kind": "StagedGlobalNetworkPolicy", "metadata": {"name": "sg"},
         "spec": {"selector": "all()", "egress": [{"action": "Deny"}]}},
        {"kind": "StagedKubernetesNetworkPolicy", "metadata": {"name": "sk", "namespace": "shop"},
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
        {"kind": "NetworkSet", "metadata": {"name": "ns", "namespace": "shop"},
         "spec": {"nets": ["10.1.0.0/16"]}},
        {"kind": "GlobalNetworkSet", "metadata": {"name": "gns"},
         "spec": {"nets": ["192.0.2.0/24"]}})),
]


def test_the_live_mode_reads_every_layer_kind(tmp_path: Path) -> None:
    """Every kind of the policy layers comes from the API, one list each, into the model."""
    objects, groups = running_example()
    try:
        srv = ApiServer([*objects, *EXTRA_POLICIES, *EVERY_LAYER_KIND],
                        installed=groups).start()
    except NoOpenSSL as e:
        pytest.skip(f"no test API server: {e}")
    try:
        live = read_cluster(ClusterSpec(kubeconfig=str(srv.kubeconfig(tmp_path / "kc"))))
        read = {x.read.resource: len(x.items) for x in live.lists}
        for plural, group in (
                ("adminnetworkpolicies", "policy.networking.k8s.io"),
                ("baselineadminnetworkpolicies", "policy.networking.k8s.io"),
                ("clusternetworkpolicies", "policy.networking.k8s.io"),
                ("ciliumnetworkpolicies", "cilium.io"),
                ("ciliumclusterwidenetworkpolicies", "cilium.io"),
                ("tiers", "crd.projectcalico.org"),
                ("networkpolicies", "crd.projectcalico.org"),
                ("globalnetworkpolicies", "crd.projectcalico.org"),
                ("stagednetworkpolicies", "crd.projectcalico.org"),
                ("stagedglobalnetworkpolicies", "crd.projectcalico.org"),
                ("stagedkubernetesnetworkpolicies", "crd.projectcalico.org"),
                ("networksets", "crd.projectcalico.org"),
                ("globalnetworksets", "crd.projectcalico.org")):
            assert read.get(f"{plural}.{group}") == 1, (plural, read)
        cluster, _ = load_live(live)
        assert sorted(p.kind for p in cluster.admin_policies) == [
            "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"]
        assert sorted(p.kind for p in cluster.cilium_policies) == [
            "CiliumClusterwideNetworkPolicy", "CiliumNetworkPolicy"]
        calico = cluster.calico
        assert sorted(p.name for p in calico.policies) == [
            "default.deny-payments-egress", "platform.p"]
        assert [t.name for t in calico.tiers] == ["platform"]
        assert sorted(s.name for s in calico.staged) == ["s", "sg"]
        assert [k.policy.name for k in calico.staged_kubernetes] == ["sk"]
        assert sorted(n.name for n in calico.network_sets) == ["gns", "ns"]
    finally:
        srv.stop()
