"""``dtnetpol diagnose`` on the test API server: events, pods and logs read live.

The example cluster, running, with what a bad week leaves behind seeded into the server:
the operator's log, a webhook that fails its startup probe, a pod the webhook never saw,
a DynaKube condition. Reads go through the real ``kubernetes`` client; only GETs are made and
never a Secret.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.apiserver import ApiServer, NoOpenSSL, running_example
from tests.cli_run import run

OPERATOR = "dynatrace-operator-w7lpr7pntl-z8lzt"
WEBHOOK = "dynatrace-webhook-9xglm2s5f8-2cx9c"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TOKEN_ERROR = ('{"level":"info","ts":"%s","msg":"failed to reconcile","error":"get token '
               'scopes: HTTP request: Post \\"https://abc12345.live.dynatrace.com/api/v2/'
               'apiTokens/lookup\\": dial tcp 203.0.113.10:443: i/o timeout"}')


def _event(ns: str, pod: str, reason: str, message: str, minutes_ago: int = 5) -> dict[str, Any]:
    t = (NOW - dt.timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{pod}.{reason.lower()}", "namespace": ns},
            "involvedObject": {"kind": "Pod", "namespace": ns, "name": pod},
            "reason": reason, "message": message, "type": "Warning", "count": 3,
            "lastTimestamp": t}


def seeded() -> ApiServer:
    objects, groups = running_example()
    for o in objects:
        if o["kind"] == "DynaKube":
            o["metadata"]["creationTimestamp"] = "2026-11-30T09:00:00Z"
            o["status"] = {"phase": "Error", "conditions": [{
                "type": "Tokens", "status": "False", "reason": "TokenError",
                "message": "Token verification failed",
                "lastTransitionTime": "2026-12-01T08:00:00Z"}]}
        if o["kind"] == "Pod" and o["metadata"]["name"] == WEBHOOK:
            o["status"]["containerStatuses"] = [{
                "name": "webhook", "ready": False, "restartCount": 7,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1}}}]
    uninjected = {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "cart-s8bh82hv7x-new01", "namespace": "shop",
        "creationTimestamp": "2026-12-01T07:58:03Z", "labels": {"app": "cart"}},
        "spec": {"containers": [{"name": "cart", "image": "cart:1"}]},
        "status": {"phase": "Running", "podIP": "10.244.1.99"}}
    secret = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "dynakube", "namespace": "dynatrace"},
              "data": {"apiToken": "c2VjcmV0"}}
    events = [
        _event("dynatrace", WEBHOOK, "Unhealthy", "Startup probe failed: DNS service not "
               "ready: no DNS record found for kubernetes.default.svc"),
        _event("dynatrace", WEBHOOK, "BackOff", "Back-off restarting failed container",
               minutes_ago=600),
        _event("kube-system", "coredns-x", "Unhealthy", "Readiness probe failed"),
    ]
    try:
        server = ApiServer([*objects, uninjected, secret, *events], installed=groups).start()
    except NoOpenSSL as e:
        pytest.skip(f"no test API server: {e}")
    server.store.logs[("dynatrace", OPERATOR, "operator")] = [
        (NOW - dt.timedelta(minutes=2), TOKEN_ERROR % NOW.isoformat()),
        (NOW - dt.timedelta(minutes=1), "an unrelated line")]
    return server


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    srv = seeded()
    yield srv
    srv.stop()


def diagnose(server: ApiServer, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    kubeconfig = server.kubeconfig(tmp_path / "kubeconfig")
    server.clear_requests()
    code, out, err = run("diagnose", "--kubeconfig", str(kubeconfig), "--skip-invalid",
                         "-o", "json", *extra)
    assert code in (0, 1), err
    return code, json.loads(out)


def test_seeded_symptoms_give_their_flows(server: ApiServer, tmp_path: Path) -> None:
    code, doc = diagnose(server, tmp_path)
    by = {f["flow"]: f for f in doc["findings"]}
    assert code == 1
    # The webhook's startup probe: its DNS flow, blocked on the example, with its restarts.
    dns = by["dns-from-webhook"]
    assert dns["verdict"] == "blocked" and dns["fix"]
    texts = [e["text"] for e in dns["evidence"]]
    assert any("DNS service not ready" in t for t in texts)
    assert any("restarted 7 times" in t for t in texts)
    # The operator's log (JSON, read with timestamps) and the DynaKube condition.
    tenant = by["operator-to-tenant"]
    kinds = {(e["kind"], e["object"]) for e in tenant["evidence"]}
    assert ("log", f"dynatrace/{OPERATOR}") in kinds
    assert ("condition", "dynatrace/dynakube") in kinds
    # A pod created after the DynaKube without injection.
    web = by["apiserver-to-webhook"]
    assert web["evidence"][0]["object"] == "shop/cart-s8bh82hv7x-new01"
    # Events outside the operator's and the monitored namespaces are not read as symptoms.
    assert all("coredns" not in e["object"] for f in doc["findings"] for e in f["evidence"])


def test_only_reads_and_never_a_secret(server: ApiServer, tmp_path: Path) -> None:
    diagnose(server, tmp_path)
    assert {r.method for r in server.requests} == {"GET"}
    assert not [r for r in server.requests if "secret" in r.path]
    logs = [r for r in server.requests if r.path.endswith("/log")]
    assert logs and all(r.query.get("tailLines") == "200" for r in logs)
    assert all(r.query.get("timestamps") == "true" for r in logs)
    events = [r for r in server.requests if r.path.endswith("/events")]
    assert events and events[0].query.get("fieldSelector") == "type=Warning"


def test_since_and_log_lines(server: ApiServer, tmp_path: Path) -> None:
    _, doc = diagnose(server, tmp_path, "--since", "1h", "--log-lines", "5")
    logs = [r for r in server.requests if r.path.endswith("/log")]
    assert all(r.query.get("sinceSeconds") == "3600" and r.query.get("tailLines") == "5"
               for r in logs)
    texts = [e["text"] for f in doc["findings"] for e in f["evidence"]]
    assert not any(t.startswith("BackOff") for t in texts)  # ten hours old


def test_snapshot_with_logs_gives_the_same_diagnosis(server: ApiServer, tmp_path: Path) -> None:
    _, live = diagnose(server, tmp_path)
    kubeconfig = server.kubeconfig(tmp_path / "kubeconfig")
    snap = tmp_path / "snap"
    code, _, err = run("snapshot", "--with-logs", "--kubeconfig", str(kubeconfig), "--out",
                       str(snap))
    assert code == 0, err
    log = snap / "logs" / "dynatrace" / OPERATOR / "operator.log"
    assert "get token scopes" in log.read_text(encoding="utf-8")
    (events,) = snap.glob("*-events.json")
    assert "DNS service not ready" in events.read_text(encoding="utf-8")
    assert not [p for p in snap.rglob("*") if "secret" in p.name.lower()]
    code, out, err = run("diagnose", "--skip-invalid", "-o", "json", str(snap))
    assert code == 1, err
    offline = json.loads(out)

    def shape(doc: dict[str, Any]) -> set[tuple[str, str, str, str]]:
        return {(f["flow"], f["verdict"], e["kind"], e["object"]) for f in doc["findings"]
                for e in f["evidence"]}

    assert shape(offline) == shape(live)
