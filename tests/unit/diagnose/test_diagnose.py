"""diagnose on seeded observations: verdicts joined from check, causes, commands, pods."""

from __future__ import annotations

import json

from dtnetpol.check import FlowVerdict
from dtnetpol.diagnose import (
    ContainerObs,
    Diagnosis,
    ErrorClass,
    EventObs,
    EvidenceKind,
    LogObs,
    Observations,
    PodObs,
    diagnose,
    log_line,
    network_error,
)
from dtnetpol.dynatrace import ComponentId
from dtnetpol.model import Direction, LabelSelector, NetworkPolicy

from .world import API_HOST, APP_NS, APP_POD, DK_CREATED, WORLDS, cluster, labels, pod_of, report

FULL = WORLDS[0]
OPERATOR, _ = pod_of(ComponentId.OPERATOR)
WEBHOOK, _ = pod_of(ComponentId.WEBHOOK)
TOKEN_LINE = ('{"level":"info","ts":"2026-12-01T08:00:01Z","logger":"dynakube","msg":'
              '"failed to reconcile","error":"get token scopes: HTTP request: Post \\"https://'
              + API_HOST + '/api/v2/apiTokens/lookup\\": dial tcp 203.0.113.10:443: i/o '
              'timeout"}')
DENY_EGRESS = NetworkPolicy("dynatrace", "deny-egress", LabelSelector(), (Direction.EGRESS,),
                            (), ())


def run(obs: Observations, policies: tuple[NetworkPolicy, ...] = ()) -> Diagnosis:
    _, rep, book = report(FULL, cluster(policies))
    return diagnose(obs, rep, book, monitored={"dk": (APP_NS,)}, owners=("dk",))


def operator_log(*lines: str) -> Observations:
    pod = PodObs("dynatrace", OPERATOR, labels(ComponentId.OPERATOR))
    return Observations(pods=(pod,), logs=(LogObs("dynatrace", OPERATOR, "operator", lines),),
                        dynakube_created={"dynatrace/dk": DK_CREATED})


def test_json_log_lines_are_unescaped_and_timed() -> None:
    text, time = log_line(TOKEN_LINE)
    assert time == "2026-12-01T08:00:01Z"
    assert text.startswith('failed to reconcile: get token scopes: HTTP request: Post "https://')
    err = network_error(text)
    assert err is not None and err.cls is ErrorClass.TIMEOUT
    assert (err.ip, err.port, err.host) == ("203.0.113.10", 443, API_HOST)


def test_blocked_flow_names_policy_and_fix() -> None:
    diag = run(operator_log(TOKEN_LINE), (DENY_EGRESS,))
    f = next(f for f in diag.findings if f.flow == "operator-to-tenant")
    assert f.verdict is FlowVerdict.BLOCKED and f.required
    assert "dynatrace/deny-egress" in f.policies
    assert f.fix is not None and "kind: NetworkPolicy" in f.fix
    assert f.cause.startswith("NetworkPolicy blocks the egress side")
    (ev,) = f.evidence
    assert (ev.kind, ev.object, ev.time) == (EvidenceKind.LOG, f"dynatrace/{OPERATOR}",
                                             "2026-12-01T08:00:01Z")
    assert "get token scopes" in ev.text
    assert diag.failing
    assert diag.findings[0] is f  # required and blocked first


def test_allowed_flow_gets_a_cause_outside_networkpolicy_and_commands() -> None:
    diag = run(operator_log(TOKEN_LINE))
    (f,) = diag.findings
    assert f.verdict is FlowVerdict.ALLOWED and f.fix is None and f.policies == ()
    assert "outside them" in f.cause and "firewall" in f.cause
    assert f"kubectl -n dynatrace logs {OPERATOR} -c operator --since=1h --timestamps" in f.next
    assert (f"kubectl -n dynatrace debug {OPERATOR} -it --image=busybox:1.36 "
            f"--target=operator -- nc -z -v -w 5 {API_HOST} 443") in f.next
    assert "dtnetpol probe --yes --flow operator-to-tenant" in f.next


def test_no_such_host_is_dns_for_the_host_looked_up() -> None:
    line = (f'Post "https://{API_HOST}/api/v1/x": dial tcp: lookup {API_HOST} on '
            "10.96.0.10:53: no such host")
    (f,) = run(operator_log(line)).findings
    assert f.flow == "operator-to-tenant"
    assert "DNS: the name does not resolve" in f.cause
    assert any(c.endswith(f"-- nslookup {API_HOST}") for c in f.next)


def test_lookup_timeout_towards_cluster_dns_is_the_dns_flow() -> None:
    line = (f"dial tcp: lookup {API_HOST} on 10.96.0.10:53: read udp "
            "10.244.0.2:5353->10.96.0.10:53: i/o timeout")
    diag = run(operator_log(line), (DENY_EGRESS,))
    (f,) = diag.findings
    assert f.flow == "dns-from-operator" and f.verdict is FlowVerdict.BLOCKED


def test_apiserver_timeout_resolves_the_kubernetes_service_ip() -> None:
    line = 'Get "https://10.96.0.1:443/apis": dial tcp 10.96.0.1:443: i/o timeout'
    (f,) = run(operator_log(line), (DENY_EGRESS,)).findings
    assert f.flow == "operator-to-apiserver"


def test_webhook_not_reached_only_for_pods_created_after_the_dynakube() -> None:
    before = PodObs(APP_NS, "old-1", {"app": "x"}, created="2026-11-29T10:00:00Z")
    after = PodObs(APP_NS, "new-1", {"app": "x"}, created="2026-12-01T10:00:00Z")
    injected = PodObs(APP_NS, "new-2", {"app": "x"}, init_containers=("dynatrace-operator",),
                      created="2026-12-01T10:00:00Z",
                      annotations={"oneagent.dynatrace.com/injected": "true"})
    opted_out = PodObs(APP_NS, "new-3", annotations={"oneagent.dynatrace.com/inject": "false"},
                       created="2026-12-01T10:00:00Z")
    obs = Observations(pods=(before, after, injected, opted_out),
                       dynakube_created={"dynatrace/dk": DK_CREATED})
    (f,) = run(obs).findings
    assert f.flow == "apiserver-to-webhook"
    assert [e.object for e in f.evidence] == [f"{APP_NS}/new-1"]
    assert f.evidence[0].kind is EvidenceKind.POD
    assert "webhook was not reached" in f.evidence[0].text


def test_injected_false_with_reason_is_a_note_not_a_finding() -> None:
    pod = PodObs(APP_NS, APP_POD, created="2026-12-01T10:00:00Z", annotations={
        "oneagent.dynatrace.com/injected": "false",
        "oneagent.dynatrace.com/reason": "MissingTenantUUID"})
    diag = run(Observations(pods=(pod,), dynakube_created={"dynatrace/dk": DK_CREATED}))
    assert not diag.findings and not diag.failing
    (note,) = diag.notes
    assert note.flow == "apiserver-to-webhook" and "MissingTenantUUID" in note.text


def test_startup_probe_dns_failure_and_restarts_of_the_webhook() -> None:
    pod = PodObs("dynatrace", WEBHOOK, labels(ComponentId.WEBHOOK), states=(
        ContainerObs("webhook", restarts=5, ready=False, waiting="CrashLoopBackOff",
                     last_exit_code=1),))
    ev = EventObs("dynatrace", "Pod", WEBHOOK, "Unhealthy",
                  "Startup probe failed: DNS service not ready: no DNS record found for "
                  "kubernetes.default.svc", "Warning", "2026-12-01T08:02:00Z", 12)
    diag = run(Observations(pods=(pod,), events=(ev,)), (DENY_EGRESS,))
    (f,) = diag.findings
    assert f.flow == "dns-from-webhook" and f.verdict is FlowVerdict.BLOCKED
    kinds = [e.kind for e in f.evidence]
    assert kinds == [EvidenceKind.EVENT, EvidenceKind.POD]
    assert "restarted 5 times (last exit code 1), now CrashLoopBackOff" in f.evidence[1].text


def test_failed_liveness_probe_is_the_kubelet_flow_not_a_tenant_flow() -> None:
    ev = EventObs("dynatrace", "Pod", OPERATOR, "Unhealthy",
                  'Liveness probe failed: Get "http://10.244.0.2:10080/livez": dial tcp '
                  "10.244.0.2:10080: connect: connection refused", "Warning")
    (f,) = run(Observations(events=(ev,))).findings
    assert f.flow == "kubelet-to-operator-probe" and not f.required


def test_failed_init_container_with_download_error() -> None:
    from .world import WORLDS as worlds
    no_csi = worlds[1]
    pod = PodObs(APP_NS, APP_POD, init_containers=("dynatrace-operator",), phase="Pending",
                 states=(ContainerObs("dynatrace-operator", init=True, ready=False,
                                      exit_code=1, terminated="Error"),))
    log = LogObs(APP_NS, APP_POD, "dynatrace-operator",
                 ("error during download, the error was suppressed",))
    _, rep, book = report(no_csi, cluster())
    diag = diagnose(Observations(pods=(pod,), logs=(log,)), rep, book,
                    monitored={"dk": (APP_NS,)}, owners=("dk",))
    (f,) = diag.findings
    assert f.flow == "init-to-tenant"
    assert [e.kind for e in f.evidence] == [EvidenceKind.POD, EvidenceKind.LOG]


def test_an_error_no_flow_explains_is_a_note() -> None:
    pod = PodObs(APP_NS, APP_POD)
    log = LogObs(APP_NS, APP_POD, "api", ("dial tcp 10.0.0.99:5432: i/o timeout",))
    diag = run(Observations(pods=(pod,), logs=(log,)))
    assert not diag.findings
    assert "no flow of the input explains" in diag.notes[0].text


def test_condition_alone_is_weak_evidence() -> None:
    from dtnetpol.diagnose import ConditionObs
    c = ConditionObs("DynaKube", "dynatrace", "dk", "Tokens", "False", "TokenError",
                     "Token verification failed", "2026-12-01T08:00:00Z")
    (f,) = run(Observations(conditions=(c,))).findings
    assert f.flow == "operator-to-tenant" and f.evidence[0].weak
    assert "not conclusive" in f.cause
    assert json.dumps(f.evidence[0].text)  # plain text


def test_activegate_service_address_is_translated_to_the_pod_port() -> None:
    pod = PodObs(APP_NS, APP_POD, {"app": "shop-api"})
    for port, flow in ((443, "app-to-activegate-9999"), (9998, "app-to-activegate-9998")):
        ip = "10.96.5.5" if port == 443 else "10.244.0.6"
        log = LogObs(APP_NS, APP_POD, "api", (f"dial tcp {ip}:{port}: i/o timeout",))
        (f,) = run(Observations(pods=(pod,), logs=(log,))).findings
        assert f.flow == flow
