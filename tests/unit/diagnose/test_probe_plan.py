"""Probe plans: which pod each flow gets, exactly; and what results say about the engine."""

from __future__ import annotations

import pytest

from dtnetpol.check import FlowVerdict
from dtnetpol.dynatrace import ComponentId
from dtnetpol.model import Direction, LabelSelector, NetworkPolicy
from dtnetpol.probe import (
    PROBE_LABEL,
    RUN_LABEL,
    Agreement,
    Outcome,
    ProbeResult,
    anchor_spec,
    compare,
    plan_probes,
    pod_spec,
)

from .world import API_HOST, DNS_IP, KUBERNETES_IP, WORLDS, cluster, labels, report

FULL = WORLDS[0]


def plan(*flows: str, policies: tuple[NetworkPolicy, ...] = ()):  # type: ignore[no-untyped-def]
    c = cluster(policies)
    _, rep, _ = report(FULL, c)
    return plan_probes(rep, c, FULL.facts(), flows=flows, run="r1")


def test_default_is_the_required_flows_that_a_pod_can_stand_in_for() -> None:
    probes, skipped = plan()
    ids = {p.flow for p in probes}
    assert "operator-to-tenant" in ids and "dns-from-operator" in ids
    assert "kubelet-to-operator-probe" not in ids  # not required
    reasons = {s.flow: s.reason for s in skipped}
    assert "not a pod" in reasons["apiserver-to-webhook"]
    assert "host network" in reasons["oneagent-to-endpoints"]


def test_destinations_are_real_addresses_and_pod_ports() -> None:
    probes, _ = plan("operator-to-tenant", "dns-from-operator", "operator-to-apiserver",
                     "eec-to-activegate")
    by = {p.flow: p for p in probes}
    assert (by["operator-to-tenant"].host, by["operator-to-tenant"].port) == (API_HOST, 443)
    assert (by["dns-from-operator"].host, by["dns-from-operator"].port) == (DNS_IP, 53)
    assert (by["operator-to-apiserver"].host, by["operator-to-apiserver"].port) == \
        (KUBERNETES_IP, 443)
    # A Dynatrace pod: its pod IP and the pod port (what NetworkPolicy sees).
    assert (by["eec-to-activegate"].host, by["eec-to-activegate"].port) == ("10.244.0.6", 9999)


def test_the_exact_pod_spec() -> None:
    (p,), _ = plan("operator-to-tenant")
    spec = pod_spec(p, owner_uid="uid-1")
    meta = spec["metadata"]
    assert meta["namespace"] == "dynatrace"
    assert meta["labels"] == {**labels(ComponentId.OPERATOR), PROBE_LABEL: "true",
                              RUN_LABEL: "r1"}
    assert meta["annotations"] == {"dtnetpol.dynatrace.com/flow": "operator-to-tenant",
                                   "dtnetpol.dynatrace.com/target": f"{API_HOST}:443"}
    assert meta["ownerReferences"] == [{"apiVersion": "v1", "kind": "ConfigMap",
                                        "name": "dtnetpol-probe-r1", "uid": "uid-1",
                                        "controller": True, "blockOwnerDeletion": False}]
    s = spec["spec"]
    assert s["activeDeadlineSeconds"] == 60 and s["restartPolicy"] == "Never"
    assert s["automountServiceAccountToken"] is False and s["enableServiceLinks"] is False
    assert s["securityContext"] == {"runAsNonRoot": True, "runAsUser": 65534,
                                    "runAsGroup": 65534,
                                    "seccompProfile": {"type": "RuntimeDefault"}}
    (c,) = s["containers"]
    assert c["command"] == ["nc", "-z", "-v", "-w", "5", API_HOST, "443"]
    assert "ports" not in c
    assert c["readinessProbe"]["exec"]["command"] == ["false"]
    assert c["resources"] == {"requests": {"cpu": "10m", "memory": "8Mi"},
                              "limits": {"cpu": "100m", "memory": "32Mi"}}
    assert c["securityContext"] == {"allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                                    "capabilities": {"drop": ["ALL"]}}
    assert anchor_spec("dynatrace", "r1")["metadata"]["labels"] == {PROBE_LABEL: "true",
                                                                     RUN_LABEL: "r1"}


def test_controller_labels_are_never_copied() -> None:
    from dtnetpol.model import Pod, WorkloadRef
    c = cluster()
    pods = tuple(p if p.name != "dk-activegate-0" else Pod(
        p.namespace, p.name, WorkloadRef("dynatrace", "dk-activegate", "StatefulSet"),
        {**p.labels, "controller-revision-hash": "dk-activegate-7c",
         "statefulset.kubernetes.io/pod-name": "dk-activegate-0"}, ips=p.ips) for p in c.pods)
    from dataclasses import replace
    c = replace(c, pods=pods)
    _, rep, _ = report(FULL, c)
    (p,), _ = plan_probes(rep, c, FULL.facts(), flows=["activegate-to-endpoints"], run="r")
    assert "controller-revision-hash" not in p.labels
    assert "statefulset.kubernetes.io/pod-name" not in p.labels
    assert p.labels["app.kubernetes.io/name"] == "activegate"


def test_unknown_flow_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        plan("no-such-flow")


DENY = NetworkPolicy("dynatrace", "deny-egress", LabelSelector(), (Direction.EGRESS,), (), ())


@pytest.mark.parametrize(("policies", "exit_code", "log", "reason", "outcome", "agreement"), [
    ((), 0, "x (x:443) open", "", Outcome.CONNECTED, Agreement.AGREE),
    ((), 1, "nc: x (x:443): Connection timed out", "", Outcome.FAILED, Agreement.OUTSIDE),
    ((DENY,), 1, "nc: x (x:443): Connection timed out", "", Outcome.FAILED, Agreement.AGREE),
    ((DENY,), 0, "x (x:443) open", "", Outcome.CONNECTED, Agreement.NOT_ENFORCED),
    ((DENY,), None, "", "ImagePullBackOff", Outcome.UNKNOWN, Agreement.UNKNOWN),
    ((), 1, "nc: bad address 'x'", "", Outcome.UNKNOWN, Agreement.UNKNOWN),
])
def test_results_against_the_engine(policies: tuple[NetworkPolicy, ...], exit_code: int | None,
                                    log: str, reason: str, outcome: Outcome,
                                    agreement: Agreement) -> None:
    (p,), _ = plan("operator-to-tenant", policies=policies)
    assert p.verdict is (FlowVerdict.BLOCKED if policies else FlowVerdict.ALLOWED)
    c = compare(ProbeResult(p, "Failed" if exit_code else "Pending", exit_code, log, reason))
    assert (c.outcome, c.agreement) == (outcome, agreement)
