"""Objects other than NetworkPolicy, lists, dedup and cluster assembly (build_cluster)."""

from __future__ import annotations

import json
from textwrap import dedent

import pytest

from dtnetpol.errors import InputError, InputErrors
from dtnetpol.manifest import OnInvalid, Problem, build_cluster
from dtnetpol.model import (
    Cluster,
    ContainerPort,
    EndpointAddresses,
    Protocol,
    ServicePort,
    SourceLocation,
    WorkloadRef,
)
from dtnetpol.model.cluster import NAME_LABEL
from dtnetpol.sources import read_text


def build(text: str, strict: bool = True, on_invalid: OnInvalid = OnInvalid.REPORT,
          ) -> tuple[Cluster, list[Problem]]:
    docs = read_text(dedent(text), "in.yaml")
    return build_cluster(((d.body, d.location) for d in docs), strict=strict,
                         on_invalid=on_invalid)


def cluster_of(text: str) -> Cluster:
    return build(text)[0]


def error_of(text: str, strict: bool = True,
             on_invalid: OnInvalid = OnInvalid.REPORT) -> InputError:
    with pytest.raises(InputError) as err:
        build(text, strict, on_invalid)
    return err.value


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      hostNetwork: true
      initContainers:
      - name: setup
        ports: [{containerPort: 1}]
      - name: proxy
        restartPolicy: Always
        ports: [{containerPort: 15001, name: proxy}]
      containers:
      - name: web
        ports:
        - {containerPort: 8080, name: http}
        - {containerPort: 53, protocol: UDP}
      - name: sidecar
"""


# --- workloads and pods -------------------------------------------------------------------


def test_deployment_becomes_one_pod_for_its_template() -> None:
    (pod,) = cluster_of(DEPLOYMENT).pods
    assert (pod.namespace, pod.name) == ("shop", "web")
    assert pod.owner == WorkloadRef("shop", "web", "Deployment")
    assert pod.labels == {"app": "web"}
    assert pod.ports == (ContainerPort(8080, Protocol.TCP, "http"),
                         ContainerPort(53, Protocol.UDP, None),
                         ContainerPort(15001, Protocol.TCP, "proxy"))
    assert pod.host_network is True
    assert pod.ips == () and pod.node is None
    assert pod.location == SourceLocation("in.yaml", 1, 1)


@pytest.mark.parametrize("kind", ["StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                                  "ReplicationController"])
def test_other_workloads(kind: str) -> None:
    api = {"Job": "batch/v1", "ReplicationController": "v1"}.get(kind, "apps/v1")
    (pod,) = cluster_of(f"""\
        apiVersion: {api}
        kind: {kind}
        metadata: {{name: w}}
        spec:
          template:
            metadata: {{labels: {{app: w}}}}
            spec:
              containers: [{{name: c}}]
        """).pods
    assert pod.owner == WorkloadRef("default", "w", kind)
    assert pod.labels == {"app": "w"} and pod.ports == () and not pod.host_network


def test_cronjob_template() -> None:
    (pod,) = cluster_of("""\
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly, namespace: ops}
        spec:
          schedule: "0 1 * * *"
          jobTemplate:
            spec:
              template:
                metadata: {labels: {job: nightly}}
                spec:
                  containers: [{name: c, ports: [{containerPort: 9090}]}]
        """).pods
    assert pod.owner == WorkloadRef("ops", "nightly", "CronJob")
    assert pod.labels == {"job": "nightly"}
    assert pod.ports == (ContainerPort(9090),)


def test_bare_pod() -> None:
    (pod,) = cluster_of("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-7d9f-abcde
          namespace: shop
          labels: {app: web, pod-template-hash: 7d9f}
          ownerReferences:
          - {apiVersion: v1, kind: Other, name: first}
          - {apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9f, controller: true}
        spec:
          nodeName: node-1
          containers: [{name: web, ports: [{containerPort: 8080}]}]
        status:
          podIP: 10.1.0.5
          podIPs: [{ip: 10.1.0.5}, {ip: "fd00::5"}]
        """).pods
    assert pod.owner == WorkloadRef("shop", "web-7d9f", "ReplicaSet")
    assert pod.ips == ("10.1.0.5", "fd00::5")
    assert pod.node == "node-1"
    assert pod.labels == {"app": "web", "pod-template-hash": "7d9f"}


def test_pod_without_owner_owns_itself_and_falls_back_to_pod_ip() -> None:
    (pod,) = cluster_of("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: debug
          ownerReferences: [{kind: Thing, name: t}]
        spec: {containers: [{name: c}]}
        status: {podIP: 10.0.0.9}
        """).pods
    assert pod.owner == WorkloadRef("default", "t", "Thing")
    assert pod.ips == ("10.0.0.9",)
    lone = cluster_of("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: lone}
        spec: {containers: [{name: c}]}
        """).pods[0]
    assert lone.owner == WorkloadRef("default", "lone", "Pod")


# --- dedup ---------------------------------------------------------------------------------

OWNED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5c6d
  namespace: shop
  ownerReferences: [{kind: Deployment, name: web, controller: true}]
spec:
  template:
    metadata: {labels: {app: web, pod-template-hash: 5c6d}}
    spec: {containers: [{name: web}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5c6d-x1
  namespace: shop
  labels: {app: web, pod-template-hash: 5c6d}
  ownerReferences: [{kind: ReplicaSet, name: web-5c6d, controller: true}]
spec: {containers: [{name: web}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-9f8e-x2
  namespace: shop
  labels: {app: web, pod-template-hash: 9f8e}
  ownerReferences: [{kind: ReplicaSet, name: web-9f8e, controller: true}]
spec: {containers: [{name: web}]}
status: {podIP: 10.0.0.2}
"""


def test_replicaset_and_pods_of_a_given_deployment_are_folded_into_it() -> None:
    cluster = cluster_of(OWNED)
    (pod,) = cluster.pods
    assert pod.owner == WorkloadRef("shop", "web", "Deployment")
    # x1 through its given ReplicaSet, x2 through the pod-template-hash naming rule.
    assert pod.ips == ("10.0.0.1", "10.0.0.2")


def test_replicaset_without_its_deployment_stands_for_its_pods() -> None:
    text = OWNED.split("---\n", 1)[1]
    pods = cluster_of(text).pods
    assert [(p.name, p.owner.kind, p.ips) for p in pods] == [
        ("web-5c6d", "ReplicaSet", ("10.0.0.1",)),
        ("web-9f8e-x2", "ReplicaSet", ("10.0.0.2",)),
    ]


def test_pods_of_other_namespaces_or_unknown_owners_are_kept() -> None:
    text = OWNED.replace("name: web-9f8e-x2\n  namespace: shop", "name: web-9f8e-x2\n"
                         "  namespace: other")
    names = [p.ref for p in cluster_of(text).pods]
    assert names == ["shop/web", "other/web-9f8e-x2"]


def test_job_of_a_given_cronjob_is_dropped() -> None:
    pods = cluster_of("""\
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly}
        spec:
          jobTemplate:
            spec:
              template:
                spec: {containers: [{name: c}]}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: nightly-2890
          ownerReferences: [{kind: CronJob, name: nightly, controller: true}]
        spec:
          template:
            spec: {containers: [{name: c}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: nightly-2890-abc
          ownerReferences: [{kind: Job, name: nightly-2890, controller: true}]
        spec: {containers: [{name: c}]}
        """).pods
    assert [(p.name, p.owner.kind) for p in pods] == [("nightly", "CronJob")]


def test_statefulset_pods_are_folded() -> None:
    pods = cluster_of("""\
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: ag, namespace: dynatrace}
        spec:
          template:
            spec: {containers: [{name: c}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: ag-0
          namespace: dynatrace
          ownerReferences: [{kind: StatefulSet, name: ag, controller: true}]
        spec: {containers: [{name: c}]}
        status: {podIPs: [{ip: 10.2.0.1}]}
        """).pods
    assert [(p.name, p.ips) for p in pods] == [("ag", ("10.2.0.1",))]


def test_duplicate_object_later_wins_with_a_warning() -> None:
    cluster = cluster_of("""\
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec: {ports: [{port: 8080}]}
        """)
    (service,) = cluster.services
    assert service.ports == (ServicePort(8080, 8080),)
    assert cluster.warnings[0] == (
        "Service default/web is given twice, at in.yaml:1 (document 1) and at in.yaml:6 "
        "(document 2); the later one is used")


# --- lists ---------------------------------------------------------------------------------


def test_kubectl_json_list_with_typed_items() -> None:
    listing = {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [
        {"metadata": {"name": "a", "namespace": "shop", "labels": {"app": "a"}},
         "spec": {"containers": [{"name": "c"}]}},
        {"metadata": {"name": "b", "namespace": "shop"},
         "spec": {"containers": [{"name": "c", "ports": [{"containerPort": "80"}]}]}},
    ]}
    text = json.dumps(listing, indent=1)
    error = error_of(text)
    assert error.location is not None
    assert error.location.path == "items[1].spec.containers[0].ports[0].containerPort"
    lines = text.splitlines()
    assert error.location.line == next(
        n for n, line in enumerate(lines, 1) if '"containerPort": "80"' in line)
    assert error.message == "must be an integer, not string"
    listing["items"].pop()  # type: ignore[attr-defined]
    cluster = cluster_of(json.dumps(listing, indent=1))
    (pod,) = cluster.pods
    assert pod.ref == "shop/a"
    assert pod.location is not None
    assert (pod.location.path, pod.location.line) == ("items[0]", 6)


def test_generic_list_of_mixed_kinds() -> None:
    cluster = cluster_of("""\
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Namespace
          metadata: {name: shop, labels: {team: a}}
        - apiVersion: networking.k8s.io/v1
          kind: NetworkPolicy
          metadata: {name: deny, namespace: shop}
          spec: {podSelector: {}}
        - kind: List
          items:
          - kind: Service
            metadata: {name: web, namespace: shop}
        """)
    assert cluster.namespaces["shop"].labels == {"team": "a", NAME_LABEL: "shop"}
    assert [p.ref for p in cluster.policies] == ["shop/deny"]
    assert [s.name for s in cluster.services] == ["web"]
    assert cluster.warnings == ()


def test_item_of_a_generic_list_needs_a_kind() -> None:
    error = error_of("""\
        apiVersion: v1
        kind: List
        items:
        - kind: Namespace
          metadata: {name: a}
        - metadata: {name: b}
        """)
    assert error.location == SourceLocation("in.yaml", 1, 6, "items[1].kind")
    assert str(error) == "in.yaml:6: document 1: items[1].kind: required field is missing"


def test_invalid_policy_in_a_list_points_at_the_item() -> None:
    error = error_of("""\
        kind: NetworkPolicyList
        apiVersion: networking.k8s.io/v1
        items:
        - metadata: {name: ok}
        - metadata: {name: bad}
          spec:
            ingress:
            - from: [{}]
        """)
    assert error.location == SourceLocation("in.yaml", 1, 8, "items[1].spec.ingress[0].from[0]")
    assert error.message.startswith("empty-peer: a peer needs")
    assert error.message.endswith("(the API server would reject this NetworkPolicy)")


# --- namespaces, skipped kinds ----------------------------------------------------------------


def test_assumed_namespaces_and_default_namespace() -> None:
    cluster = cluster_of("""\
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny}
        spec: {podSelector: {}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: payments}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec: {template: {spec: {containers: [{name: c}]}}}
        """)
    assert cluster.policies[0].namespace == "default"
    assert list(cluster.namespaces) == ["default", "payments", "shop"]
    assert cluster.namespaces["default"].assumed
    assert cluster.namespaces["default"].labels == {NAME_LABEL: "default"}
    assert not cluster.namespaces["shop"].assumed
    assert cluster.namespaces["shop"].labels == {NAME_LABEL: "shop"}
    assert cluster.namespaces["shop"].location == SourceLocation("in.yaml", 1, 1)
    assert cluster.warnings == (
        'namespace "default" not given; assumed with only its kubernetes.io/metadata.name '
        "label",
        'namespace "payments" not given; assumed with only its kubernetes.io/metadata.name '
        "label",
    )


def test_unmodelled_kinds_are_kept_and_counted() -> None:
    cluster = cluster_of("""\
        apiVersion: dynatrace.com/v1beta6
        kind: DynaKube
        metadata: {name: dk, namespace: dynatrace}
        spec: {apiUrl: "https://x.live.dynatrace.com/api"}
        ---
        apiVersion: dynatrace.com/v1beta6
        kind: DynaKube
        metadata: {name: dk2, namespace: dynatrace}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cm}
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: calico, namespace: shop}
        spec: {selector: all(), types: [Ingress]}
        ---
        apiVersion: projectcalico.org/v3
        kind: HostEndpoint
        metadata: {name: eth0}
        spec: {node: n1}
        ---
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [a.yaml]
        """)
    assert cluster.skipped_kinds == {
        "ConfigMap": 1, "DynaKube": 2, "Kustomization": 1,
        "HostEndpoint": 1}
    assert [(o.kind, o.namespace, o.name) for o in cluster.others] == [
        ("DynaKube", "dynatrace", "dk"), ("DynaKube", "dynatrace", "dk2"),
        ("ConfigMap", None, "cm"), ("HostEndpoint", None, "eth0")]
    # Calico's policy kinds are read (tests/unit/calico), not kept as raw objects.
    assert [p.ref for p in cluster.calico.policies] == ["shop/calico"]
    assert cluster.others[0].body["spec"]["apiUrl"] == "https://x.live.dynatrace.com/api"
    assert cluster.others[0].api_version == "dynatrace.com/v1beta6"
    assert cluster.policies == () and list(cluster.namespaces) == ["shop"]  # the Calico one


# --- services, endpoints, nodes -----------------------------------------------------------------


def test_service() -> None:
    (service,) = cluster_of("""\
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec:
          type: NodePort
          selector: {app: web}
          clusterIP: 10.96.0.10
          clusterIPs: [10.96.0.10, "fd00::10"]
          ports:
          - {name: https, port: 443, targetPort: 8443}
          - {name: dns, port: 53, protocol: UDP, targetPort: dns}
          - {port: 80}
        """).services
    assert service.selector == {"app": "web"}
    assert service.type == "NodePort"
    assert service.cluster_ips == ("10.96.0.10", "fd00::10")
    assert service.ports == (ServicePort(443, 8443, Protocol.TCP, "https"),
                             ServicePort(53, "dns", Protocol.UDP, "dns"),
                             ServicePort(80, 80))


def test_headless_service_without_selector() -> None:
    (service,) = cluster_of("""\
        apiVersion: v1
        kind: Service
        metadata: {name: ext}
        spec: {clusterIP: None}
        """).services
    assert service.selector is None and service.cluster_ips == () and service.type == "ClusterIP"


def test_endpoints_and_endpoint_slice() -> None:
    cluster = cluster_of("""\
        apiVersion: v1
        kind: Endpoints
        metadata: {name: kubernetes, namespace: default}
        subsets:
        - addresses: [{ip: 172.18.0.2}, {ip: 172.18.0.3}]
          notReadyAddresses: [{ip: 172.18.0.4}]
          ports: [{name: https, port: 6443, protocol: TCP}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: web-abc
          namespace: shop
          labels: {kubernetes.io/service-name: web}
        addressType: IPv4
        endpoints:
        - addresses: [10.0.0.1]
        - addresses: [10.0.0.2]
          conditions: {ready: false}
        - addresses: [10.0.0.3]
          conditions: {ready: true}
        ports: [{name: http, port: 8080}, {name: all}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: orphan, namespace: shop}
        endpoints: []
        """)
    api, web = cluster.endpoints
    assert api == EndpointAddresses("default", "kubernetes", ("172.18.0.2", "172.18.0.3"),
                                    (ServicePort(6443, 6443, Protocol.TCP, "https"),))
    assert api.location is not None and api.location.path == "subsets[0]"
    assert web == EndpointAddresses("shop", "web", ("10.0.0.1", "10.0.0.3"),
                                    (ServicePort(8080, 8080, Protocol.TCP, "http"),))
    assert cluster.warnings[0] == (
        "EndpointSlice shop/orphan at in.yaml:24 (document 3) has no "
        "kubernetes.io/service-name label; ignored")


def test_node() -> None:
    (node,) = cluster_of("""\
        apiVersion: v1
        kind: Node
        metadata:
          name: node-1
          labels: {topology.kubernetes.io/zone: a}
        spec: {podCIDR: 10.244.1.0/24}
        status:
          addresses:
          - {type: InternalIP, address: 172.18.0.5}
          - {type: Hostname, address: node-1}
          - {type: ExternalIP, address: 203.0.113.5}
        """).nodes
    assert node.addresses == ("172.18.0.5", "203.0.113.5")
    assert node.pod_cidrs == ("10.244.1.0/24",)
    assert node.labels == {"topology.kubernetes.io/zone": "a"}
    (dual,) = cluster_of("""\
        apiVersion: v1
        kind: Node
        metadata: {name: n}
        spec: {podCIDR: 10.244.1.0/24, podCIDRs: [10.244.1.0/24, "fd00:1::/64"]}
        """).nodes
    assert dual.pod_cidrs == ("10.244.1.0/24", "fd00:1::/64")


# --- structural errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "path", "line", "message"), [
    ("- a\n- b\n", "", 1, "a Kubernetes object must be a mapping, not list"),
    ("apiVersion: v1\nmetadata: {name: a}\n", "kind", 1, "required field is missing"),
    ("kind: Pod\nmetadata: {namespace: a}\nspec: {}\n", "metadata.name", 2,
     "required field is missing"),
    ("kind: Pod\nspec: {}\n", "metadata.name", 1, "required field is missing"),
    ("kind: Service\nmetadata:\n  name: a\n  labels: [app]\n", "metadata.labels", 4,
     "must be a mapping, not list"),
    ("kind: Service\nmetadata:\n  name: a\n  labels:\n    tier: 1\n", "metadata.labels[tier]",
     5, 'value must be a string, not integer (quote it: tier: "1")'),
    ("kind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - ports:\n"
     "    - containerPort: http\n", "spec.containers[0].ports[0].containerPort", 6,
     "must be an integer, not string"),
    ("kind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - ports:\n"
     "    - {containerPort: 80, protocol: ICMP}\n", "spec.containers[0].ports[0].protocol", 6,
     "protocol 'ICMP' is not one of TCP, UDP, SCTP"),
    ("kind: Pod\nmetadata: {name: a}\nspec:\n  hostNetwork: 'yes'\n", "spec.hostNetwork", 4,
     "must be a boolean, not string"),
    ("kind: Deployment\napiVersion: apps/v1\nmetadata: {name: a}\nspec: {replicas: 1}\n",
     "spec.template", 4, "required field is missing"),
    ("kind: Service\nmetadata: {name: a}\nspec:\n  ports:\n  - port: 0\n",
     "spec.ports[0].port", 5, "port 0 must be between 1 and 65535"),
    ("kind: Namespace\nmetadata:\n  name: [a]\n", "metadata.name", 3,
     "must be a string, not list"),
])
@pytest.mark.parametrize("strict", [True, False])
def test_structural_errors_raise_in_both_modes(text: str, path: str, line: int, message: str,
                                               strict: bool) -> None:
    error = error_of(text, strict)
    assert error.location == SourceLocation("in.yaml", 1, line, path)
    assert error.message == message


# --- strict and lenient NetworkPolicy handling ------------------------------------------------

BAD_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 0
      protocol: tcp
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ok, namespace: shop}
spec:
  podSelector: {}
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.1/8}
"""


def test_strict_mode_raises_the_first_problem() -> None:
    error = error_of(BAD_POLICY, on_invalid=OnInvalid.STOP)
    assert str(error) == (
        "in.yaml:9: document 1: spec.ingress[0].ports[0].protocol: invalid-protocol: "
        "protocol 'tcp' is not one of TCP, UDP, SCTP (protocols are case-sensitive: TCP) "
        "(the API server would reject this NetworkPolicy)")


def test_lenient_mode_drops_the_policy_and_returns_its_problems() -> None:
    cluster, problems = build(BAD_POLICY, strict=False)
    assert [p.ref for p in cluster.policies] == ["shop/ok"]
    assert [(p.code, p.location.path, p.location.line) for p in problems] == [
        ("invalid-protocol", "spec.ingress[0].ports[0].protocol", 9),
        ("invalid-port", "spec.ingress[0].ports[0].port", 8),
    ]
    assert cluster.warnings[0] == (
        "NetworkPolicy shop/web at in.yaml:1 (document 1) ignored: the API server would "
        "reject it (2 problems; first: spec.ingress[0].ports[0].protocol: protocol 'tcp' is "
        "not one of TCP, UDP, SCTP (protocols are case-sensitive: TCP))")
    assert cluster.warnings[1] == (
        "in.yaml:18 (document 2, spec.egress[0].to[0].ipBlock.cidr): "
        "CIDR '10.0.0.1/8' has bits set beyond the "
        "prefix length; read as 10.0.0.0/8 (API servers with StrictIPCIDRValidation "
        "reject it)")
    assert "shop" in cluster.namespaces


def test_no_documents_gives_an_empty_cluster() -> None:
    cluster, problems = build_cluster([])
    assert cluster == Cluster() and problems == []


def test_static_pods_owned_by_a_node_are_each_their_own_workload() -> None:
    """kubeadm/kind/minikube mirror pods: ownerReference kind Node, controller true."""
    c = cluster_of("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: kube-apiserver-cp1
          namespace: kube-system
          labels: {component: kube-apiserver, tier: control-plane}
          ownerReferences: [{apiVersion: v1, kind: Node, name: cp1, controller: true}]
        spec: {hostNetwork: true, nodeName: cp1, containers: [{name: c}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: etcd-cp1
          namespace: kube-system
          labels: {component: etcd, tier: control-plane}
          ownerReferences: [{apiVersion: v1, kind: Node, name: cp1, controller: true}]
        spec: {hostNetwork: true, nodeName: cp1, containers: [{name: c}]}
        """)
    assert [str(p.owner) for p in c.pods] == ["kube-system/kube-apiserver-cp1[Pod]",
                                             "kube-system/etcd-cp1[Pod]"]


# --- every problem in one run; lenient fields; --skip-invalid; --strict --------------------

MESSY = """\
apiVersion: v1
kind: Pod
metadata:
  name: web_1
  namespace: shop
  ownerReferences: [{name: web-5d9c, controller: true}]
spec:
  containers:
  - name: web
    ports:
    - {name: http}
    - {containerPort: 8080, name: alt}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports: [{port: 0}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow_dns, namespace: shop}
spec:
  podSelector: {}
  egress: [{ports: [{port: 53, protocol: UDP}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: shop}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 70000}]}]
---
name: my-chart-values
replicaCount: 2
"""


def test_every_error_of_every_document_in_one_run_sorted_by_line() -> None:
    error = error_of(MESSY)
    assert isinstance(error, InputErrors)
    assert [(e.location.line, e.location.path) for e in error.errors
            if e.location is not None] == [(18, "spec.ports[0].port"),
                                           (32, "spec.ingress[0].ports[0].port")]
    assert str(error).splitlines()[0] == ("in.yaml:18: document 2: spec.ports[0].port: port 0 "
                                          "must be between 1 and 65535")


def test_malformed_but_clear_fields_load_with_a_warning() -> None:
    fixed = MESSY.replace("ports: [{port: 0}]", "ports: [{port: 80}]").replace("70000", "7000")
    c, _ = build(fixed)
    (pod,) = c.pods
    assert str(pod.owner) == "shop/web_1[Pod]"               # the owner without kind: ignored
    assert [(p.port, p.name) for p in pod.ports] == [(8080, "alt")]   # the port without number
    assert [p.ref for p in c.policies] == ["shop/allow_dns", "shop/bad"]
    text = "\n".join(c.warnings)
    assert "ownerReference without kind or name; owner ignored" in text
    assert "container port without a number; port dropped" in text
    assert "Pod name 'web_1'" in text and "read as given" in text
    assert "name 'allow_dns'" in text
    assert [str(loc) for loc in c.not_kubernetes] == ["in.yaml:34 (document 5)"]


def test_skip_invalid_covers_every_kind() -> None:
    c, problems = build(MESSY, strict=False, on_invalid=OnInvalid.SKIP)
    assert c.services == ()                                   # the Service with port 0: left out
    assert [p.ref for p in c.policies] == ["shop/allow_dns"]   # the rejected policy: left out
    assert [p.code for p in problems] == ["invalid-name", "invalid-port"]
    assert any(w.startswith("object at in.yaml:14 (document 2) skipped: in.yaml:18")
               for w in c.warnings)


def test_strict_stops_at_the_first_error_and_reads_nothing_leniently() -> None:
    error = error_of(MESSY, on_invalid=OnInvalid.STOP)
    assert not isinstance(error, InputErrors)
    assert error.location == SourceLocation("in.yaml", 1, 6, "metadata.ownerReferences[0].kind")
