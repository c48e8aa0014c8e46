"""Every symptom of the flow table, seeded where it shows, is diagnosed as its own flow.

Exact strings are seeded verbatim (placeholders filled) in the log, event or condition the
table names; behaviours are seeded as what shows them in a cluster: a network error in the
source's log towards the destination's real address, a failed probe event, a pod the webhook
never saw."""

from __future__ import annotations

import re

import pytest

from dtnetpol.diagnose import (
    ConditionObs,
    EventObs,
    LogObs,
    Observations,
    PodObs,
    diagnose,
)
from dtnetpol.dynatrace import FLOW_SPECS, ComponentId, DestKind, Flow, SourceKind, Where
from dtnetpol.dynatrace.flows import FlowSpec, Symptom

from .world import (
    API_HOST,
    APP_NS,
    APP_POD,
    DK_CREATED,
    DNS_IP,
    KUBERNETES_IP,
    NODE_IP,
    TENANT_IP,
    WORLDS,
    World,
    cluster,
    labels,
    pod_of,
    report,
)

CASES = [(spec, s) for spec in FLOW_SPECS for s in spec.symptoms]


def world_for(spec: FlowSpec) -> tuple[World, Flow]:
    for w in WORLDS:
        for f in w.flows():
            if f.spec.id == spec.id:
                return w, f
    raise AssertionError(f"no world brings {spec.id}")


def fill(text: str) -> str:
    text = text.replace("<host>", API_HOST).replace("<dk>", "dk").replace("<ip>", TENANT_IP)
    return re.sub(r"\.\.\.", "x", text)


def component_pod(cid: ComponentId) -> PodObs:
    name, ip = pod_of(cid)
    return PodObs("dynatrace", name, labels(cid), ips=(ip,), created=DK_CREATED)


def emitter(where: Where, flow: Flow) -> tuple[PodObs, str]:
    """The pod and container whose log shows a symptom of ``where``."""
    fixed = {Where.OPERATOR_LOG: (ComponentId.OPERATOR, "operator"),
             Where.WEBHOOK_LOG: (ComponentId.WEBHOOK, "webhook"),
             Where.CSI_PROVISIONER_LOG: (ComponentId.CSI_DRIVER, "provisioner"),
             Where.CSI_SERVER_LOG: (ComponentId.CSI_DRIVER, "server")}
    if where in fixed:
        cid, container = fixed[where]
        return component_pod(cid), container
    if where is Where.INIT_CONTAINER_LOG:
        return PodObs(APP_NS, APP_POD, {"app": "shop-api"}), "dynatrace-operator"
    if where is Where.APP_LOG or SourceKind(flow.source.kind) is SourceKind.APP_PODS:
        return PodObs(APP_NS, APP_POD, {"app": "shop-api"}), "api"
    cid = flow.source.component
    assert cid is not None
    return component_pod(cid), "main"


def destination_error(flow: Flow) -> str:
    """A Go network error towards the flow's real destination address."""
    kind = DestKind(flow.destination.kind)
    port = flow.ports[0].number if flow.ports else 443
    if kind is DestKind.APISERVER:
        return f'Get "https://{KUBERNETES_IP}:443/api": dial tcp {KUBERNETES_IP}:443: i/o timeout'
    if kind is DestKind.DNS:
        return (f"dial tcp: lookup {API_HOST} on {DNS_IP}:53: read udp "
                f"10.244.0.99:40000->{DNS_IP}:53: i/o timeout")
    if kind is DestKind.COMPONENT:
        assert flow.destination.component is not None
        _, ip = pod_of(flow.destination.component)
        return f"dial tcp {ip}:{port}: connect: connection refused"
    if kind is DestKind.KUBELET:
        return f'Get "https://{NODE_IP}:10250/pods": dial tcp {NODE_IP}:10250: i/o timeout'
    if flow.destination.hosts:
        h = flow.destination.hosts[0]
        return f'Post "https://{h.host}:{h.port}/x": dial tcp {TENANT_IP}:{h.port}: i/o timeout'
    return f"dial tcp 198.51.100.7:{port}: i/o timeout"


def seed(spec: FlowSpec, symptom: Symptom, flow: Flow) -> Observations:
    created = {"dynatrace/dk": DK_CREATED}
    source = SourceKind(flow.source.kind)
    if symptom.where is Where.POD_ANNOTATION:
        pod = PodObs(APP_NS, APP_POD, annotations={
            "oneagent.dynatrace.com/injected": "false",
            "oneagent.dynatrace.com/reason": "DynaKubeStatusNotReady"},
            created="2026-11-30T11:00:00Z")
        return Observations(pods=(pod,), dynakube_created=created)
    if symptom.exact:
        text = fill(symptom.text)
        if symptom.where in (Where.DYNAKUBE_CONDITION, Where.DYNAKUBE_STATUS):
            m = re.fullmatch(r"condition (\w+), reason (\w+), message (.*)", text)
            if m:
                c = ConditionObs("DynaKube", "dynatrace", "dk", m[1], "False", m[2], m[3])
            elif text.startswith("status.phase: "):
                c = ConditionObs("DynaKube", "dynatrace", "dk", "phase", text.split(": ")[1])
            elif " " not in text:
                c = ConditionObs("DynaKube", "dynatrace", "dk", "Tokens", "False", text, "x")
            else:
                c = ConditionObs("DynaKube", "dynatrace", "dk", "OneAgent", "False",
                                 "SomeReason", text)
            return Observations(conditions=(c,), dynakube_created=created)
        if symptom.where is Where.POD_EVENT:
            pod = (emitter(Where.COMPONENT_LOG, flow)[0] if source is SourceKind.COMPONENT
                   else PodObs(APP_NS, APP_POD))
            reason = "Unhealthy" if "DNS" in text else "FailedMount"
            msg = f"Startup probe failed: {text}" if reason == "Unhealthy" else \
                f"MountVolume.SetUp failed for volume \"oneagent-bin\" : rpc error: {text}"
            ev = EventObs(pod.namespace, "Pod", pod.name, reason, msg, "Warning")
            return Observations(pods=(pod,), events=(ev,), dynakube_created=created)
        if symptom.where is Where.APISERVER_ERROR:
            ev = EventObs(APP_NS, "ReplicaSet", "shop-api-6d5f8", "FailedCreate",
                          f"Error creating: Internal error occurred: {text}", "Warning")
            return Observations(events=(ev,), dynakube_created=created)
        pod, container = emitter(symptom.where, flow)
        log = LogObs(pod.namespace, pod.name, container,
                     (f"2026-12-01T08:00:00Z {text}",))
        return Observations(pods=(pod,), logs=(log,), dynakube_created=created)
    # Behaviours: what shows them.
    if source is SourceKind.APISERVER:
        pod = PodObs(APP_NS, APP_POD, {"app": "shop-api"}, containers=("api",),
                     created="2026-12-01T07:00:00Z")
        return Observations(pods=(pod,), dynakube_created=created)
    if source is SourceKind.KUBELET:
        assert flow.destination.component is not None
        pod = component_pod(flow.destination.component)
        port = flow.ports[0].number
        ev = EventObs("dynatrace", "Pod", pod.name, "Unhealthy",
                      f'Liveness probe failed: Get "http://{pod.ips[0]}:{port}/livez": dial '
                      f"tcp {pod.ips[0]}:{port}: connect: connection refused", "Warning")
        return Observations(pods=(pod,), events=(ev,), dynakube_created=created)
    if source is SourceKind.ONEAGENT_NODES:
        flow_src = ComponentId.ONEAGENT
        pod = component_pod(flow_src)
        log = LogObs(pod.namespace, pod.name, "dynatrace-oneagent",
                     (destination_error(flow),))
        return Observations(pods=(pod,), logs=(log,), dynakube_created=created)
    if spec.id == "init-to-tenant" and symptom.where is Where.POD_STATUS:
        from dtnetpol.diagnose import ContainerObs
        pod = PodObs(APP_NS, APP_POD, init_containers=("dynatrace-operator",),
                     phase="Pending", states=(ContainerObs(
                         "dynatrace-operator", init=True, restarts=3, ready=False,
                         waiting="CrashLoopBackOff", last_exit_code=1),))
        return Observations(pods=(pod,), dynakube_created=created)
    pod, container = emitter(Where.COMPONENT_LOG, flow)
    log = LogObs(pod.namespace, pod.name, container, (destination_error(flow),))
    return Observations(pods=(pod,), logs=(log,), dynakube_created=created)


@pytest.mark.parametrize(("spec", "symptom"), CASES,
                         ids=[f"{sp.id}:{s.text[:40]}" for sp, s in CASES])
def test_every_symptom_maps_to_its_flow(spec: FlowSpec, symptom: Symptom) -> None:
    world, flow = world_for(spec)
    _, rep, book = report(world, cluster())
    obs = seed(spec, symptom, flow)
    diag = diagnose(obs, rep, book, monitored={"dk": (APP_NS,)}, owners=("dk", "edge"))
    if symptom.where is Where.POD_ANNOTATION:
        assert [n.flow for n in diag.notes] == [spec.id]
        assert not diag.findings
        return
    found = {f.flow for f in diag.findings}
    assert spec.id in found, (found, [n.text for n in diag.notes])
    assert len(found) <= 2, found  # one flow, or two that share the exact string


def test_the_catalogue_is_not_empty() -> None:
    assert len(CASES) > 80
    assert sum(1 for _, s in CASES if s.exact) >= 25
