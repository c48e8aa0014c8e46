"""Which probe pod each flow gets: namespace, labels, destination, and the exact pod spec.

A probe pod stands in for the flow's source: it runs in the source's namespace with the
source's labels (those the engine judged, minus the labels controllers use to claim pods), so
the same NetworkPolicies select it, and tries one TCP connect (busybox ``nc -z``) to the
destination's real address and port: a pod IP and pod port for Dynatrace pods (NetworkPolicy
sees the pod port), the cluster DNS Service, the API server endpoint, the tenant host.

Because it carries a workload's labels it could join that workload's Services: it declares
no container port, has a readiness probe that never succeeds (never an endpoint), lives at
most ``activeDeadlineSeconds``, runs as non-root with every capability dropped and small
limits, and is owned (``controller: true``) by a ConfigMap of the run, so no ReplicaSet,
StatefulSet or DaemonSet adopts it, and deleting that ConfigMap deletes every pod of the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dtnetpol.check import CheckReport, FlowResult, FlowVerdict
from dtnetpol.dynatrace.flows import DestKind, InstallFacts, SourceKind
from dtnetpol.engine.analysis import PodClass
from dtnetpol.model import Cluster, Protocol

__all__ = ["DEFAULT_IMAGE", "PROBE_LABEL", "RUN_LABEL", "Probe", "Skipped", "anchor_spec",
           "plan_probes", "pod_spec"]

DEFAULT_IMAGE = "busybox:1.36"
PROBE_LABEL = "dtnetpol.dynatrace.com/probe"
RUN_LABEL = "dtnetpol.dynatrace.com/probe-run"
FLOW_ANNOTATION = "dtnetpol.dynatrace.com/flow"
TARGET_ANNOTATION = "dtnetpol.dynatrace.com/target"
CONTAINER = "probe"
DEADLINE_SECONDS = 60
CONNECT_TIMEOUT = 5
RUN_AS = 65534  # nobody
#: Labels that controllers use to claim pods (or that name one pod): never copied.
CONTROLLER_LABELS = frozenset({
    "pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index", "controller-uid", "batch.kubernetes.io/controller-uid",
    "job-name", "batch.kubernetes.io/job-name", "pod-template-generation",
})


@dataclass(frozen=True)
class Probe:
    """One planned probe: run as ``namespace``/``labels``, connect to ``host``:``port``."""

    flow: str
    verdict: FlowVerdict
    required: bool
    namespace: str
    labels: Mapping[str, str] = field(hash=False)
    host: str
    port: int
    name: str
    source: str
    destination: str
    run: str
    #: The labels that select the source's pods (its workload selector): which running pod
    #: ``--ephemeral`` may use.
    selector: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Skipped:
    flow: str
    reason: str


def _dns_name(text: str, limit: int = 63) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return name[:limit].rstrip("-")


def _source(result: FlowResult) -> PodClass | str:
    kind = SourceKind(result.flow.source.kind)
    if kind in (SourceKind.APISERVER, SourceKind.KUBELET, SourceKind.ONEAGENT_NODES):
        return f"the source ({result.flow.source.description}) is not a pod: a probe pod " \
               "cannot stand in for it"
    if result.flow.source.host_network:
        return "the source runs on the host network: a pod would not be judged the same way"
    for p in result.ports:
        if isinstance(p.source_endpoint, PodClass) and not p.source_endpoint.host_network:
            return p.source_endpoint
    return "no pod of the input stands for the source"


def _tcp_port(result: FlowResult) -> int | None:
    tcp = [p.number for p in result.flow.ports if p.protocol is Protocol.TCP]
    return tcp[0] if tcp else None


def _service_address(cluster: Cluster, namespace: str, labels: Mapping[str, str],
                     pod_port: int) -> tuple[str, int] | None:
    for svc in cluster.services:
        if svc.namespace != namespace or not svc.selector or not svc.cluster_ips:
            continue
        if svc.cluster_ips[0] in ("None", ""):
            continue
        if all(labels.get(k) == v for k, v in svc.selector.items()):
            for sp in svc.ports:
                if sp.target_port == pod_port or sp.port == pod_port:
                    return svc.cluster_ips[0], sp.port
    return None


def _destination(result: FlowResult, cluster: Cluster, install: InstallFacts, port: int
                 ) -> tuple[str, int] | str:
    flow = result.flow
    kind = DestKind(flow.destination.kind)
    if kind is DestKind.COMPONENT:
        for p in result.ports:
            dst = p.destination_endpoint
            if isinstance(dst, PodClass):
                for pod in dst.pods:
                    if pod.ips:
                        return pod.ips[0], port
                found = _service_address(cluster, dst.namespace, dst.labels, port)
                if found is not None:
                    return found
        return "no address of the destination pods is known (read the cluster live)"
    if kind is DestKind.DNS:
        dns = install.platform.dns
        for svc in cluster.services:
            if svc.namespace == dns.namespace and svc.selector and svc.cluster_ips and all(
                    svc.selector.get(k) == v for k, v in dns.pod_labels.items()):
                return svc.cluster_ips[0], 53
        return "the cluster DNS Service is not in the input"
    if kind is DestKind.APISERVER:
        if install.apiserver_endpoints:
            ep = install.apiserver_endpoints[0]
            return ep.host, ep.port
        for svc in cluster.services:
            if svc.namespace == "default" and svc.name == "kubernetes" and svc.cluster_ips:
                return svc.cluster_ips[0], 443
        return "the API server endpoint is not known"
    if kind is DestKind.KUBELET:
        for node in cluster.nodes:
            if node.addresses:
                return node.addresses[0], port
        return "no node address is known"
    if flow.destination.hosts:
        h = flow.destination.hosts[0]
        return h.host, h.port
    return f"the destination ({flow.destination.description}) has no address in the input"


def plan_probes(report: CheckReport, cluster: Cluster, install: InstallFacts, *,
                flows: Iterable[str] = (), run: str = "run") -> tuple[list[Probe], list[Skipped]]:
    """The probes for ``flows`` (default: every required flow), and the flows skipped.

    Raises:
        KeyError: a flow id that is not in the report.
    """
    wanted = list(flows)
    by_id = {r.id: r for r in report.results}
    for fid in wanted:
        if fid not in by_id:
            raise KeyError(fid)
    chosen = [by_id[f] for f in wanted] if wanted else [r for r in report.results
                                                      if r.required]
    probes: list[Probe] = []
    skipped: list[Skipped] = []
    for i, r in enumerate(chosen):
        src = _source(r)
        if isinstance(src, str):
            skipped.append(Skipped(r.id, src))
            continue
        port = _tcp_port(r)
        if port is None:
            skipped.append(Skipped(r.id, "a UDP-only flow cannot be proven by a connect"
                                   if r.flow.ports else "the flow names no port"))
            continue
        dst = _destination(r, cluster, install, port)
        if isinstance(dst, str):
            skipped.append(Skipped(r.id, dst))
            continue
        labels = {k: v for k, v in src.labels.items() if k not in CONTROLLER_LABELS}
        name = _dns_name(f"dtnetpol-probe-{run}-{i}-{r.flow.spec.id}")
        selector = dict(r.flow.source.pod_labels) or labels
        probes.append(Probe(r.id, r.verdict, r.required, src.namespace, labels, dst[0], dst[1],
                            name, r.source, r.destination, run, selector))
    return probes, skipped


def anchor_name(run: str) -> str:
    return _dns_name(f"dtnetpol-probe-{run}", 253)


def anchor_spec(namespace: str, run: str) -> dict[str, Any]:
    """The ConfigMap that owns a run's probe pods in one namespace."""
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": anchor_name(run), "namespace": namespace,
                         "labels": {PROBE_LABEL: "true", RUN_LABEL: run}},
            "data": {"purpose": "owner of the probe pods of one dtnetpol probe run; deleting "
                                "it deletes them"}}


def pod_spec(probe: Probe, *, image: str = DEFAULT_IMAGE, owner_uid: str | None = None
             ) -> dict[str, Any]:
    """The probe pod, exactly as it is created."""
    meta: dict[str, Any] = {
        "name": probe.name, "namespace": probe.namespace,
        "labels": {**probe.labels, PROBE_LABEL: "true", RUN_LABEL: probe.run},
        "annotations": {FLOW_ANNOTATION: probe.flow,
                        TARGET_ANNOTATION: f"{probe.host}:{probe.port}"},
    }
    if owner_uid is not None:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap",
                                    "name": anchor_name(probe.run), "uid": owner_uid,
                                    "controller": True, "blockOwnerDeletion": False}]
    return {
        "apiVersion": "v1", "kind": "Pod", "metadata": meta,
        "spec": {
            "restartPolicy": "Never",
            "activeDeadlineSeconds": DEADLINE_SECONDS,
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": RUN_AS,
                                "runAsGroup": RUN_AS,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": CONTAINER, "image": image, "imagePullPolicy": "IfNotPresent",
                "command": ["nc", "-z", "-v", "-w", str(CONNECT_TIMEOUT), probe.host,
                            str(probe.port)],
                # Never ready: a pod with a workload's labels must never be a Service endpoint.
                "readinessProbe": {"exec": {"command": ["false"]}, "periodSeconds": 3600,
                                   "failureThreshold": 1},
                "resources": {"requests": {"cpu": "10m", "memory": "8Mi"},
                              "limits": {"cpu": "100m", "memory": "32Mi"}},
                "securityContext": {"allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                                    "capabilities": {"drop": ["ALL"]}},
            }],
        },
    }


def probe_names(probes: Sequence[Probe]) -> list[str]:
    return [f"{p.namespace}/{p.name}" for p in probes]


def ephemeral_target(probe: Probe, pods: Iterable[tuple[str, str, Mapping[str, str]]]
                     ) -> str | None:
    """A running pod of the source to add an ephemeral probe container to (``--ephemeral``):
    the first of ``pods`` (namespace, name, labels of running Pod objects) in the probe's
    namespace that the source's selector selects."""
    for namespace, name, labels in pods:
        if namespace == probe.namespace and all(
                labels.get(k) == v for k, v in probe.selector.items()):
            return name
    return None


def ephemeral_container(probe: Probe, *, image: str = DEFAULT_IMAGE) -> dict[str, Any]:
    """The ephemeral container ``--ephemeral`` adds to a source pod: the same connect, in the
    pod's own network namespace (so the pod's own policies apply exactly). Ephemeral
    containers take no resources, ports or probes, and cannot be removed: it ends at once and
    stays listed, terminated, in the pod until the pod is replaced."""
    return {
        "name": probe.name[:63],
        "image": image, "imagePullPolicy": "IfNotPresent",
        "command": ["nc", "-z", "-v", "-w", str(CONNECT_TIMEOUT), probe.host, str(probe.port)],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS,
                            "capabilities": {"drop": ["ALL"]}},
    }
