"""The bundled example (examples/cluster) as a running cluster would serve it.

What the controllers would have made from the manifests is added: a ReplicaSet per Deployment
(``<deployment>-<pod-template-hash>``), pods with generated names, ``ownerReferences``, node
names and pod IPs from the nodes' pod CIDRs (host-network pods get their node's address),
StatefulSet pods ``<name>-<ordinal>``, a DaemonSet pod on every node it tolerates, an
EndpointSlice per selecting Service, the DynaKube's status (connection info, conditions), the
Dynatrace webhook configurations, and a Secret that a reader must never ask for. Every object
carries ``managedFields`` as the real server returns them (snapshot strips them).
"""

from __future__ import annotations

import copy
import datetime as dt
import ipaddress
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml
from tests.apiserver._store import (
    CREATED,
    Obj,
    no_gc,
    pod_template_hash,
    safe_suffix,
    uid_of,
)

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLE = REPO / "examples" / "cluster"
TENANT = "abc12345"


def example_manifests(folder: Path = EXAMPLE) -> list[Obj]:
    """The example's objects as written (the API server would reject ``policies/invalid``)."""
    out: list[Obj] = []
    for path in sorted(folder.rglob("*.yaml")):
        if "invalid" in path.relative_to(folder).parts:
            continue
        with path.open(encoding="utf-8") as f:
            out.extend(d for d in yaml.safe_load_all(f) if d)
    return out


_MANAGED: dict[str, list[Obj]] = {}


def _managed(manager: str) -> list[Obj]:
    """The managedFields of an object written by ``manager``: one list per manager, shared by
    every object (as are a pod's conditions; 200,000 copies are 200 MB at bench L)."""
    found = _MANAGED.get(manager)
    if found is None:
        found = _MANAGED[manager] = [
            {"manager": manager, "operation": "Update", "apiVersion": "v1", "time": CREATED,
             "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {}}}}]
    return found


_POD_CONDITIONS = [{"type": t, "status": "True", "lastTransitionTime": CREATED}
                   for t in ("PodReadyToStartContainers", "Initialized", "Ready",
                             "ContainersReady", "PodScheduled")]


def _owner(obj: Obj) -> Obj:
    meta = obj["metadata"]
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": meta["name"],
            "uid": uid_of(obj["kind"], meta.get("namespace", ""), meta["name"]),
            "controller": True, "blockOwnerDeletion": True}


class _Nodes:
    """Pod IP allocation per node, from the node's pod CIDR, in order.

    Addresses, CIDRs and the nodes a set of tolerations allows are worked out once: with
    1,500 nodes and 150,000 pods (bench L) a scan of every node per pod is minutes.
    """

    def __init__(self, nodes: list[Obj]) -> None:
        self.nodes = nodes
        self.next: dict[str, int] = {n["metadata"]["name"]: 2 for n in nodes}
        self.turn = 0
        self._address: dict[str, str] = {}
        self._cidr: dict[str, tuple[int, int, int]] = {}  # name -> (base, size, version)
        self._schedulable: dict[frozenset[object], list[Obj]] = {}

    def address(self, node: Obj) -> str:
        name = node["metadata"]["name"]
        found = self._address.get(name)
        if found is None:
            found = next(a["address"] for a in node["status"]["addresses"]
                         if a["type"] == "InternalIP")
            self._address[name] = found
        return found

    def allocate(self, node: Obj) -> str:
        name = node["metadata"]["name"]
        cidr = self._cidr.get(name)
        if cidr is None:
            net = ipaddress.ip_network(node["spec"]["podCIDR"])
            cidr = (int(net.network_address), net.num_addresses, net.version)
            self._cidr[name] = cidr
        base, size, version = cidr
        offset = self.next[name]
        if offset >= size:
            raise IndexError(f"node {name}: pod CIDR {node['spec']['podCIDR']} is full")
        self.next[name] = offset + 1
        if version == 4:  # inet_ntoa: a tenth of ipaddress's cost, 150,000 times
            return socket.inet_ntoa((base + offset).to_bytes(4, "big"))
        return str(ipaddress.IPv6Address(base + offset))

    def schedulable(self, pod_spec: Obj) -> list[Obj]:
        """Nodes whose taints the pod tolerates (only the NoSchedule control-plane taint is
        modelled)."""
        tolerated = frozenset(t.get("key") for t in pod_spec.get("tolerations", []))
        found = self._schedulable.get(tolerated)
        if found is None:
            found = [n for n in self.nodes
                     if all(t["key"] in tolerated for t in n.get("spec", {}).get("taints", []))]
            self._schedulable[tolerated] = found
        return found

    def pick(self, pod_spec: Obj) -> Obj:
        candidates = self.schedulable(pod_spec)
        node = candidates[self.turn % len(candidates)]
        self.turn += 1
        return node


def _pod(owner: Obj, name: str, labels: dict[str, str], template: Obj, node: Obj,
         nodes: _Nodes) -> Obj:
    # a shallow copy: the pods of a template share its containers, volumes... (150,000 deep
    # copies were most of bench L's build); whoever changes a pod replaces, never edits, them
    spec = dict(template["spec"])
    spec["nodeName"] = node["metadata"]["name"]
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", "default")
    host_ip = nodes.address(node)
    pod_ip = host_ip if spec.get("hostNetwork") else nodes.allocate(node)
    annotations = dict(template.get("metadata", {}).get("annotations") or {})
    meta: Obj = {"name": name, "namespace": owner["metadata"].get("namespace", "default"),
                 "labels": labels, "ownerReferences": [_owner(owner)],
                 "managedFields": _managed("kube-controller-manager")}
    if annotations:
        meta["annotations"] = annotations
    if owner["kind"] == "ReplicaSet" or owner["kind"] == "DaemonSet":
        meta["generateName"] = name[: name.rfind("-") + 1]
    containers = spec.get("containers", [])
    return {
        "apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
        "status": {
            "phase": "Running", "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
            "podIP": pod_ip, "podIPs": [{"ip": pod_ip}], "qosClass": "Burstable",
            "startTime": CREATED,
            "conditions": _POD_CONDITIONS,
            "containerStatuses": [
                {"name": c["name"], "image": c["image"], "imageID": "", "ready": True,
                 "restartCount": 0, "started": True,
                 "containerID": "containerd://" + safe_suffix(name + c["name"], 12),
                 "state": {"running": {"startedAt": CREATED}}} for c in containers],
        },
    }


def _workload_status(obj: Obj, ready: int) -> None:
    if obj["kind"] == "DaemonSet":
        obj["status"] = {"currentNumberScheduled": ready, "desiredNumberScheduled": ready,
                         "numberAvailable": ready, "numberReady": ready,
                         "updatedNumberScheduled": ready, "observedGeneration": 1}
    else:
        obj["status"] = {"replicas": ready, "readyReplicas": ready,
                         "availableReplicas": ready, "updatedReplicas": ready,
                         "observedGeneration": 1}


def _run(obj: Obj, nodes: _Nodes) -> Iterator[Obj]:
    """The object and what its controllers made of it."""
    kind = obj["kind"]
    obj["metadata"].setdefault("generation", 1)
    obj["metadata"]["managedFields"] = _managed("kubectl-client-side-apply")
    if kind == "Deployment":
        template = obj["spec"]["template"]
        replicas = obj["spec"].get("replicas", 1)
        digest = pod_template_hash(f"{obj['metadata']['namespace']}/{obj['metadata']['name']}")
        labels = {**template["metadata"].get("labels", {}), "pod-template-hash": digest}
        rs_name = f"{obj['metadata']['name']}-{digest}"
        rs_template = {**template,
                       "metadata": {**template.get("metadata", {}), "labels": labels}}
        rs: Obj = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": obj["metadata"]["namespace"],
                         "labels": labels, "ownerReferences": [_owner(obj)],
                         "annotations": {"deployment.kubernetes.io/revision": "1"},
                         "managedFields": _managed("kube-controller-manager")},
            "spec": {"replicas": replicas,
                     "selector": {"matchLabels": {**obj["spec"]["selector"]["matchLabels"],
                                                  "pod-template-hash": digest}},
                     "template": rs_template},
        }
        _workload_status(obj, replicas)
        _workload_status(rs, replicas)
        yield obj
        yield rs
        for i in range(replicas):
            name = f"{rs_name}-{safe_suffix(f'{rs_name}/{i}')}"
            yield _pod(rs, name, dict(labels), template, nodes.pick(template["spec"]), nodes)
    elif kind == "StatefulSet":
        template = obj["spec"]["template"]
        replicas = obj["spec"].get("replicas", 1)
        revision = f"{obj['metadata']['name']}-{pod_template_hash(obj['metadata']['name'])}"
        _workload_status(obj, replicas)
        yield obj
        for i in range(replicas):
            name = f"{obj['metadata']['name']}-{i}"
            labels = {**template["metadata"].get("labels", {}),
                      "controller-revision-hash": revision,
                      "apps.kubernetes.io/pod-index": str(i),
                      "statefulset.kubernetes.io/pod-name": name}
            pod = _pod(obj, name, labels, template, nodes.pick(template["spec"]), nodes)
            pod["spec"].setdefault("hostname", name)
            yield pod
    elif kind == "DaemonSet":
        template = obj["spec"]["template"]
        targets = nodes.schedulable(template["spec"])
        _workload_status(obj, len(targets))
        yield obj
        revision = pod_template_hash(obj["metadata"]["name"])
        base = obj["metadata"]["name"]
        for node in targets:
            name = f"{base}-{safe_suffix(base + node['metadata']['name'])}"
            labels = {**template["metadata"].get("labels", {}),
                      "controller-revision-hash": revision, "pod-template-generation": "1"}
            yield _pod(obj, name, labels, template, node, nodes)
    else:
        yield obj


def _target_port(port: Obj, pod: Obj) -> int | None:
    target = port.get("targetPort", port["port"])
    if isinstance(target, int):
        return target
    for c in pod["spec"].get("containers", []):
        for p in c.get("ports", []):
            if p.get("name") == target:
                return int(p["containerPort"])
    return None


def _endpoint_slice(service: Obj, pods_by_namespace: dict[str, list[Obj]]) -> Obj | None:
    selector = service.get("spec", {}).get("selector")
    if not selector:
        return None
    ns, name = service["metadata"]["namespace"], service["metadata"]["name"]
    chosen = [p for p in pods_by_namespace.get(ns, ())
              if all(p["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())]
    ports = []
    for port in service["spec"].get("ports", []):
        number = next((n for n in (_target_port(port, p) for p in chosen) if n), None)
        entry: Obj = {"port": number, "protocol": port.get("protocol", "TCP")}
        if port.get("name"):
            entry["name"] = port["name"]
        ports.append(entry)
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": f"{name}-{safe_suffix(ns + '/' + name)}", "namespace": ns,
                     "generateName": f"{name}-",
                     "labels": {"kubernetes.io/service-name": name,
                                "endpointslice.kubernetes.io/managed-by":
                                    "endpointslice-controller.k8s.io"},
                     "ownerReferences": [{**_owner(service), "controller": True}],
                     "managedFields": _managed("kube-controller-manager")},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [p["status"]["podIP"]],
                       "conditions": {"ready": True, "serving": True, "terminating": False},
                       "nodeName": p["spec"]["nodeName"],
                       "targetRef": {"kind": "Pod", "namespace": ns,
                                     "name": p["metadata"]["name"],
                                     "uid": uid_of("Pod", ns, p["metadata"]["name"])}}
                      for p in chosen],
        "ports": ports,
    }


def _dynakube_status(dk: Obj) -> None:
    host = f"{TENANT}.live.dynatrace.com"
    dk["status"] = {
        "phase": "Running",
        "kubeSystemUUID": uid_of("Namespace", "", "kube-system"),
        "kubernetesClusterMEID": "KUBERNETES_CLUSTER-0123456789ABCDEF",
        "kubernetesClusterName": "shop-prod",
        "oneAgent": {
            "connectionInfoStatus": {
                "tenantUUID": TENANT,
                "endpoints": f"https://{host}:443/communication",
                "communicationHosts": [{"protocol": "https", "host": host, "port": 443}],
                "lastRequest": CREATED},
            "healthcheck": {"test": ["/usr/bin/watchdog-healthcheck64"]},
            "instances": {},
            "version": "1.327.38.20251020-144101",
        },
        "activeGate": {
            "connectionInfoStatus": {
                "tenantUUID": TENANT,
                "endpoints": f"https://{host}:443/communication",
                "lastRequest": CREATED},
            "serviceIPs": ["10.96.50.30"],
            "version": "1.327.32.20251015-101516",
        },
        "codeModules": {"version": "1.327.38.20251020-144101"},
        "conditions": [
            {"type": t, "status": "True", "reason": "Ready", "message": "",
             "lastTransitionTime": CREATED}
            for t in ("ActiveGateStatefulSet", "OneAgentConnectionInfo",
                      "ActiveGateConnectionInfo", "Tokens")],
    }


def _webhooks() -> list[Obj]:
    def client(path: str) -> Obj:
        return {"service": {"namespace": "dynatrace", "name": "dynatrace-webhook",
                            "path": path, "port": 443},
                "caBundle": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="}

    meta = {"name": "dynatrace-webhook", "labels": {"app.kubernetes.io/name":
                                                     "dynatrace-operator",
                                                     "app.kubernetes.io/component": "webhook"},
            "managedFields": _managed("helm")}
    mutating = {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": copy.deepcopy(meta),
        "webhooks": [
            {"name": "webhook.pod.dynatrace.com", "clientConfig": client("/inject"),
             "admissionReviewVersions": ["v1beta1", "v1"], "sideEffects": "None",
             "failurePolicy": "Ignore", "timeoutSeconds": 10, "reinvocationPolicy": "IfNeeded",
             "matchPolicy": "Equivalent",
             "namespaceSelector": {"matchExpressions": [
                 {"key": "dynakube.internal.dynatrace.com/instance", "operator": "Exists"}]},
             "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                        "resources": ["pods"], "scope": "Namespaced"}]},
            {"name": "webhook.ns.dynatrace.com", "clientConfig": client("/label-ns"),
             "admissionReviewVersions": ["v1beta1", "v1"], "sideEffects": "None",
             "failurePolicy": "Ignore", "timeoutSeconds": 10, "reinvocationPolicy": "Never",
             "matchPolicy": "Equivalent",
             "rules": [{"apiGroups": [""], "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"], "resources": ["namespaces"],
                        "scope": "*"}]},
        ],
    }
    validating = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration", "metadata": copy.deepcopy(meta),
        "webhooks": [
            {"name": f"{version}.{kind}.webhook.dynatrace.com",
             "clientConfig": client(f"/validate-dynatrace-com-{version}-{kind}"),
             "admissionReviewVersions": ["v1"], "sideEffects": "None",
             "failurePolicy": "Fail", "timeoutSeconds": 10, "matchPolicy": "Equivalent",
             "rules": [{"apiGroups": ["dynatrace.com"], "apiVersions": [version],
                        "operations": ["CREATE", "UPDATE"], "resources": [f"{kind}s"],
                        "scope": "*"}]}
            for kind, version in (("dynakube", "v1beta6"), ("edgeconnect", "v1alpha2"))],
    }
    return [mutating, validating]


def running_cluster(manifests: Iterable[Obj] | None = None, *, owned: bool = False
                    ) -> list[Obj]:
    """The objects a running cluster made from ``manifests`` (default: the bundled example)
    would serve.

    ``owned=True`` hands the manifests over: they are completed in place instead of copied
    first (bench L: 50,000 manifests a second copy of which is only garbage). Pods share
    their template's nested values with it.
    """
    given = manifests if manifests is not None else example_manifests()
    with no_gc():
        return _running(list(given) if owned else [copy.deepcopy(o) for o in given])


def _running(source: list[Obj]) -> list[Obj]:
    nodes = [o for o in source if o["kind"] == "Node"]
    for node in nodes:
        node.setdefault("status", {})["conditions"] = [
            {"type": "Ready", "status": "True", "reason": "KubeletReady",
             "lastHeartbeatTime": CREATED, "lastTransitionTime": CREATED}]
        node["status"]["nodeInfo"] = {"kubeletVersion": "v1.33.1", "osImage": "Debian 12",
                                      "containerRuntimeVersion": "containerd://2.1.1",
                                      "architecture": "amd64", "operatingSystem": "linux"}
    allocator = _Nodes(nodes)
    out: list[Obj] = []
    for obj in source:
        if obj["kind"] == "Namespace":
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = \
                obj["metadata"]["name"]
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
        elif obj["kind"] == "Service":
            spec = obj["spec"]
            if spec.get("clusterIP"):
                spec.setdefault("clusterIPs", [spec["clusterIP"]])
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("sessionAffinity", "None")
            spec.setdefault("internalTrafficPolicy", "Cluster")
            obj["status"] = {"loadBalancer": {}}
        elif obj["kind"] == "DynaKube":
            _dynakube_status(obj)
        out.extend(_run(obj, allocator))
    pods: dict[str, list[Obj]] = {}
    for o in out:
        if o["kind"] == "Pod":
            pods.setdefault(o["metadata"]["namespace"], []).append(o)
    have_slices = {(o["metadata"].get("namespace"), o["metadata"]["labels"].get(
        "kubernetes.io/service-name")) for o in out if o["kind"] == "EndpointSlice"}
    for svc in [o for o in out if o["kind"] == "Service"]:
        key = (svc["metadata"]["namespace"], svc["metadata"]["name"])
        if key not in have_slices:
            eps = _endpoint_slice(svc, pods)
            if eps is not None:
                out.append(eps)
    out.extend(_webhooks())
    out.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": "dynakube", "namespace": "dynatrace"},
                "data": {"apiToken": "ZHQwYzAxLm5vdC1hLXJlYWwtdG9rZW4=",
                         "dataIngestToken": "ZHQwYzAxLm5vdC1hLXJlYWwtdG9rZW4="}})
    return out


def example_logs(objects: Iterable[Obj]) -> dict[tuple[str, str, str], list[tuple[dt.datetime,
                                                                                   str]]]:
    """A few log lines per container, an hour apart up to now (for pods/P/log)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    out: dict[tuple[str, str, str], list[tuple[dt.datetime, str]]] = {}
    for pod in objects:
        if pod["kind"] != "Pod":
            continue
        meta = pod["metadata"]
        for c in pod["spec"].get("containers", []):
            out[(meta["namespace"], meta["name"], c["name"])] = [
                (now - dt.timedelta(hours=3 - i), f"{c['name']} log line {i + 1}")
                for i in range(4)]
    return out


def running_example() -> tuple[list[Obj], set[str]]:
    """The running example and the custom resource groups installed in it."""
    return running_cluster(), {"dynatrace.com"}
