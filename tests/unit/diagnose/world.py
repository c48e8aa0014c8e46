"""Small clusters for diagnose tests: DynaKubes that together bring every flow of the table,
the pods of their components with addresses, and check's report on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dtnetpol.check import CheckOptions, CheckReport, check_flows
from dtnetpol.diagnose import AddressBook
from dtnetpol.dynatrace import (
    ComponentId,
    DynaKube,
    EdgeConnect,
    Flow,
    InstallFacts,
    applicable_flows,
    install_labels,
    operand_labels,
    parse_dynakube,
    parse_edgeconnect,
)
from dtnetpol.dynatrace.components import INSTANCE_NAMESPACE_LABEL
from dtnetpol.engine.analysis import Analyzer
from dtnetpol.generate import Flavor, GenerateOptions
from dtnetpol.model import (
    Cluster,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    Service,
    ServicePort,
    WorkloadRef,
)

API_HOST = "abc12345.live.dynatrace.com"
OA_ENDPOINT = "sg-oa.example.com"
AG_ENDPOINT = "sg-ag.example.com"
APP_NS = "shop"
DK_CREATED = "2026-11-30T10:00:00Z"
KUBERNETES_IP = "10.96.0.1"
DNS_IP = "10.96.0.10"
NODE_IP = "192.168.1.10"
TENANT_IP = "203.0.113.10"

STATUS = {"oneAgent": {"connectionInfoStatus": {"endpoints": f"https://{OA_ENDPOINT}:443"}},
          "activeGate": {"connectionInfoStatus": {"endpoints": f"https://{AG_ENDPOINT}:443"}}}


def dk_body(spec: dict[str, Any], name: str = "dk") -> dict[str, Any]:
    return {"apiVersion": "dynatrace.com/v1beta6", "kind": "DynaKube",
            "metadata": {"name": name, "namespace": "dynatrace",
                         "creationTimestamp": DK_CREATED},
            "spec": {"apiUrl": f"https://{API_HOST}/api", **spec}, "status": STATUS}


FULL = {"oneAgent": {"cloudNativeFullStack": {}}, "networkZone": "zone-a",
        "activeGate": {"capabilities": ["routing", "kubernetes-monitoring"]},
        "extensions": {"prometheus": {"enabled": True},
                       "databases": [{"id": "db1"}]},
        "telemetryIngest": {"protocols": ["otlp"]}, "kspm": {},
        "otlpExporterConfiguration": {"signals": {"metrics": {}}}}

EDGECONNECT = {
    "apiVersion": "dynatrace.com/v1alpha2", "kind": "EdgeConnect",
    "metadata": {"name": "edge", "namespace": "dynatrace"},
    "spec": {"apiServer": "abc12345.apps.dynatrace.com",
             "oauth": {"clientSecret": "s", "endpoint": "https://sso.dynatrace.com/sso/token",
                       "resource": "urn:dtenvironment:abc12345", "provisioner": True},
             "kubernetesAutomation": {"enabled": True}, "hostPatterns": ["*.internal"]}}


@dataclass(frozen=True)
class World:
    name: str
    dynakube_bodies: tuple[dict[str, Any], ...]
    edgeconnect_bodies: tuple[dict[str, Any], ...] = ()
    install: dict[str, Any] = field(default_factory=dict)

    @property
    def dynakubes(self) -> list[DynaKube]:
        return [parse_dynakube(b) for b in self.dynakube_bodies]

    @property
    def edgeconnects(self) -> list[EdgeConnect]:
        return [parse_edgeconnect(b) for b in self.edgeconnect_bodies]

    def facts(self) -> InstallFacts:
        return InstallFacts(monitored_namespaces=(APP_NS,), **self.install)

    def flows(self) -> list[Flow]:
        return applicable_flows(self.dynakubes, self.facts(), edgeconnects=self.edgeconnects)


WORLDS = (
    World("full", (dk_body(FULL),)),
    World("no-csi", (dk_body({"oneAgent": {"applicationMonitoring": {}},
                              "otlpExporterConfiguration": {"signals": {"metrics": {}}},
                              "telemetryIngest": {}}),),
          install={"csi_driver": False}),
    World("image", (dk_body({"oneAgent": {"cloudNativeFullStack": {
        "codeModulesImage": "registry.example.com/dynatrace/codemodules:1.2"}},
        "logMonitoring": {}}),)),
    World("logs", (dk_body({"logMonitoring": {}, "kubernetesMonitoring": {}, "kspm": {},
                            "activeGate": {"capabilities": ["kubernetes-monitoring"]}}),),
          (EDGECONNECT,), install={"kubemon_operand": True}),
)

#: (component, pod name, IP) for every pod the worlds need; operands belong to "dk".
PODS: tuple[tuple[ComponentId, str, str], ...] = (
    (ComponentId.OPERATOR, "dynatrace-operator-6c9f7d-x2k4p", "10.244.0.2"),
    (ComponentId.WEBHOOK, "dynatrace-webhook-7b8d9-q9w8e", "10.244.0.3"),
    (ComponentId.CSI_DRIVER, "dynatrace-oneagent-csi-driver-h7g6f", "10.244.0.4"),
    (ComponentId.CRD_STORAGE_MIGRATION, "dynatrace-operator-crd-storage-migration-z1",
     "10.244.0.5"),
    (ComponentId.ACTIVEGATE, "dk-activegate-0", "10.244.0.6"),
    (ComponentId.ONEAGENT, "dk-oneagent-4xk2m", NODE_IP),
    (ComponentId.EXTENSION_CONTROLLER, "dk-extension-controller-0", "10.244.0.8"),
    (ComponentId.OTEL_COLLECTOR, "dk-otel-collector-0", "10.244.0.9"),
    (ComponentId.KSPM, "dk-node-config-collector-p5z8", "10.244.0.10"),
    (ComponentId.LOG_MONITORING, "dk-logmonitoring-v6b2", "10.244.0.11"),
    (ComponentId.SQL_EXECUTOR, "dk-sql-ext-exec-db1-5f7c9-k2j3", "10.244.0.12"),
    (ComponentId.EDGECONNECT, "edge-7d8f9c-m4n5b", "10.244.0.13"),
    (ComponentId.KUBEMON, "dk-kubemon-0", "10.244.0.14"),
)
APP_POD = "shop-api-6d5f8-abcde"


def labels(cid: ComponentId, owner: str = "dk") -> dict[str, str]:
    if cid in (ComponentId.OPERATOR, ComponentId.WEBHOOK, ComponentId.CSI_DRIVER,
               ComponentId.CRD_STORAGE_MIGRATION):
        return install_labels(cid)
    if cid is ComponentId.EDGECONNECT:
        return operand_labels(cid, "edge")
    return operand_labels(cid, owner, mode="cloudNativeFullStack")


def pod_of(cid: ComponentId) -> tuple[str, str]:
    name, ip = next((n, i) for c, n, i in PODS if c is cid)
    return name, ip


def cluster(policies: Sequence[NetworkPolicy] = ()) -> Cluster:
    pods = tuple(Pod("dynatrace", name, WorkloadRef("dynatrace", name, "Pod"), labels(cid),
                     ips=(ip,), host_network=cid is ComponentId.ONEAGENT)
                 for cid, name, ip in PODS)
    app = Pod(APP_NS, APP_POD, WorkloadRef(APP_NS, "shop-api", "Deployment"),
              {"app": "shop-api"}, ips=("10.244.1.20",))
    namespaces = {
        "dynatrace": Namespace("dynatrace", {"kubernetes.io/metadata.name": "dynatrace"}),
        APP_NS: Namespace(APP_NS, {"kubernetes.io/metadata.name": APP_NS,
                                   INSTANCE_NAMESPACE_LABEL: "dk"}),
        "kube-system": Namespace("kube-system",
                                 {"kubernetes.io/metadata.name": "kube-system"}),
    }
    services = (
        Service("default", "kubernetes", None, (ServicePort(443, 6443),), (KUBERNETES_IP,)),
        Service("kube-system", "kube-dns", {"k8s-app": "kube-dns"},
                (ServicePort(53, 53),), (DNS_IP,)),
        Service("dynatrace", "dk-activegate", {"app.kubernetes.io/name": "activegate",
                     "app.kubernetes.io/created-by": "dk",
                     "app.kubernetes.io/managed-by": "dynatrace-operator"},
                (ServicePort(443, 9999),), ("10.96.5.5",)),
    )
    nodes = (Node("node-1", addresses=(NODE_IP,)),)
    return Cluster(namespaces=namespaces, pods=(*pods, app), services=services,
                   nodes=nodes, policies=tuple(policies))


def report(world: World, c: Cluster) -> tuple[list[Flow], CheckReport, AddressBook]:
    flows = world.flows()
    install = world.facts()
    gen = GenerateOptions(flavor=Flavor.KUBERNETES, install=install,
                          dynakubes=tuple(world.dynakubes), monitored={"dk": (APP_NS,)})
    opts = CheckOptions(install=install, monitored={"dk": (APP_NS,)},
                        oneagent_modes={"dk": "cloudNativeFullStack"}, generate=gen)
    rep = check_flows(Analyzer(c), flows, opts)
    book = AddressBook(c, install, flows, world.dynakubes, world.edgeconnects)
    return flows, rep, book
