"""Seeded synthetic clusters for the benchmarks: namespaces, workloads, policies, Dynatrace.

    python bench/generate.py --size M --seed 1 --out bench/.data/M-1
    python bench/generate.py --size S --pods            # also every replica as a Pod object

A cluster is written as multi-document YAML under ``OUT/manifests/`` (one file per kind group)
and described by ``OUT/meta.json`` (sizes as asked, and as counted in what was written: pods,
workloads, namespaces, policies). The same seed always gives the same bytes.

Sizes (pods are replicas: Deployment/StatefulSet ``replicas`` plus one DaemonSet pod per node):

    S     1,000 pods as    100 workloads,     50 namespaces,    200 NetworkPolicies
    M    10,000 pods as  1,000 workloads,    500 namespaces,  2,000 NetworkPolicies
    L   150,000 pods as 15,000 workloads, 10,000 namespaces, 20,000 NetworkPolicies

Counts are totals, the platform (kube-system, ingress-nginx, monitoring, dynatrace) included.
With ``--pods`` every replica is also written as the running Pod a live cluster serves
(``pods.yaml``: L has 150,000 of them, the DaemonSets' pod per node included): scheduled on a
node, an address from the node's pod CIDR, status ``Running`` with container statuses, the
defaults the API server fills in, and in monitored namespaces the webhook's init container and
annotations; about 2.9 kB of JSON each (managedFields left out, as ``kubectl get`` leaves them
out).

Shapes, modelled on real clusters:

- namespaces carry ``team``, ``env``, ``tier`` labels; most are monitored by the DynaKube
  (``dynatrace-monitoring: enabled``), a few are not; workloads per namespace follow a
  long-tailed (Zipf-like) distribution, replicas too;
- workloads are frontends (named port ``http``), backends (``http``, ``grpc``), databases
  (StatefulSets, ``postgres``/``redis``/``mongo``), workers and log shippers (DaemonSets),
  all with ``metrics``; labels ``app``, ``app.kubernetes.io/name``, ``app.kubernetes.io/part-of``,
  ``tier``, ``version``;
- policies: default-deny per namespace (both directions with DNS allowed, or ingress only),
  allow-from-ingress-controller (named port), allow-to-ActiveGate, per-app rules (callers by
  ``matchExpressions In``, the database by named port, another team's backends over an
  ``endPort`` range, the internet as ``0.0.0.0/0`` except private ranges, a database subnet
  with an ``except``), scraping from the monitoring namespace;
- the Dynatrace install of ``examples/cluster`` (operator, webhook, CSI driver, ActiveGate,
  OneAgent on the host network, with their real labels and ports), a DynaKube, and the
  policies a platform team writes for them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

Doc = dict[str, Any]


@dataclass(frozen=True)
class Spec:
    """Target totals of a generated cluster."""

    pods: int
    workloads: int
    namespaces: int
    policies: int
    nodes: int


SIZES: dict[str, Spec] = {
    "S": Spec(pods=1_000, workloads=100, namespaces=50, policies=200, nodes=10),
    "M": Spec(pods=10_000, workloads=1_000, namespaces=500, policies=2_000, nodes=100),
    "L": Spec(pods=150_000, workloads=15_000, namespaces=10_000, policies=20_000, nodes=1_500),
}

DYNAKUBE = "dynakube"
OPERATOR_VERSION = "1.10.2"
AG_VERSION = "1.327.32.20251015-101516"
OA_VERSION = "1.327.38.20251020-144101"
API_SERVER_IP = "172.18.0.2"
NODE_CIDR = "172.18.0.0/16"
PRIVATE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
WORDS = ("cart", "checkout", "catalog", "payments", "auth", "search", "orders", "inventory",
         "shipping", "reviews", "recommend", "email", "notify", "billing", "ledger", "gateway",
         "profile", "media", "pricing", "quotes", "fraud", "loyalty", "geo", "chat", "audit",
         "report", "export", "import", "sync", "ads")
TEAMS = ("red", "blue", "green", "gold", "teal", "plum", "onyx", "ruby", "jade", "sand",
         "iris", "mint", "rust", "sky", "sage", "coral")
ENVS = ("prod", "prod", "prod", "staging", "dev")
DATABASES = (("postgres", 5432), ("redis", 6379), ("mongo", 27017))
INFRA_NAMESPACES = ("default", "kube-system", "ingress-nginx", "monitoring", "dynatrace")


# --------------------------------------------------------------------------- helpers
def _labels_sel(labels: dict[str, str]) -> Doc:
    return {"matchLabels": dict(labels)}


def _ns_sel(name: str) -> Doc:
    return {"matchLabels": {"kubernetes.io/metadata.name": name}}


def _port(name: str, number: int, protocol: str = "TCP") -> Doc:
    return {"name": name, "containerPort": number, "protocol": protocol}


def _container(name: str, image: str, ports: Sequence[Doc]) -> Doc:
    c: Doc = {"name": name, "image": image}
    if ports:
        c["ports"] = list(ports)
    c["resources"] = {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"memory": "256Mi"}}
    return c


def _workload(kind: str, ns: str, name: str, labels: dict[str, str], selector: dict[str, str],
              containers: list[Doc], replicas: int | None, host_network: bool = False,
              meta_labels: dict[str, str] | None = None) -> Doc:
    spec: Doc = {}
    if replicas is not None:
        spec["replicas"] = replicas
    if kind == "StatefulSet":
        spec["serviceName"] = name
    spec["selector"] = _labels_sel(selector)
    pod_spec: Doc = {}
    if host_network:
        pod_spec["hostNetwork"] = True
        pod_spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    pod_spec["containers"] = containers
    spec["template"] = {"metadata": {"labels": dict(labels)}, "spec": pod_spec}
    return {"apiVersion": "apps/v1", "kind": kind,
            "metadata": {"name": name, "namespace": ns, "labels": dict(meta_labels or labels)},
            "spec": spec}


def _policy(ns: str, name: str, selector: Doc, types: Sequence[str],
            ingress: list[Doc] | None = None, egress: list[Doc] | None = None) -> Doc:
    spec: Doc = {"podSelector": selector, "policyTypes": list(types)}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def _service(ns: str, name: str, selector: dict[str, str], ports: list[Doc]) -> Doc:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": dict(selector), "ports": ports}}


DNS_RULE: Doc = {
    "to": [{"namespaceSelector": _ns_sel("kube-system"),
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
}
INTERNET_EXCEPT_PRIVATE: Doc = {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE)}}


# ------------------------------------------------------------------------ platform
def _dynatrace_labels(app: str, component: str, version: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/created-by": DYNAKUBE,
            "app.kubernetes.io/managed-by": "dynatrace-operator",
            "app.kubernetes.io/component": component, "app.kubernetes.io/version": version}


def _operator_labels(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "dynatrace-operator",
            "app.kubernetes.io/managed-by": "Helm",
            "app.kubernetes.io/version": OPERATOR_VERSION,
            "helm.sh/chart": f"dynatrace-operator-{OPERATOR_VERSION}",
            "app.kubernetes.io/component": component}


def dynatrace_install() -> tuple[list[Doc], list[Doc]]:
    """(workloads and objects, policies) of the Dynatrace install, as in examples/cluster."""
    image = f"public.ecr.aws/dynatrace/dynatrace-operator:v{OPERATOR_VERSION}"
    op = {**_operator_labels("operator"), "name": "dynatrace-operator"}
    wh = {**_operator_labels("webhook"), "internal.dynatrace.com/component": "webhook",
          "internal.dynatrace.com/app": "webhook"}
    csi = {**_operator_labels("csi-driver"),
           "internal.oneagent.dynatrace.com/app": "csi-driver",
           "internal.oneagent.dynatrace.com/component": "csi-driver"}
    ag = _dynatrace_labels("activegate", "activegate", AG_VERSION)
    oa = _dynatrace_labels("oneagent", "cloudnativefullstack", OA_VERSION)
    ns = "dynatrace"
    objs = [
        _workload("Deployment", ns, "dynatrace-operator", op, {"name": "dynatrace-operator"},
                  [_container("operator", image, [_port("livez", 10080),
                                                  _port("metrics", 8080)])], 1,
                  meta_labels=_operator_labels("operator")),
        _workload("Deployment", ns, "dynatrace-webhook", wh,
                  {"internal.dynatrace.com/component": "webhook",
                   "internal.dynatrace.com/app": "webhook"},
                  [_container("webhook", image, [_port("server-port", 8443),
                                                 _port("livez", 10080),
                                                 _port("metrics", 8383)])], 2,
                  meta_labels=_operator_labels("webhook")),
        _service(ns, "dynatrace-webhook", {"internal.dynatrace.com/component": "webhook",
                                           "internal.dynatrace.com/app": "webhook"},
                 [{"port": 443, "protocol": "TCP", "targetPort": "server-port"}]),
        _workload("DaemonSet", ns, "dynatrace-oneagent-csi-driver", csi,
                  {"internal.oneagent.dynatrace.com/app": "csi-driver",
                   "internal.oneagent.dynatrace.com/component": "csi-driver"},
                  [_container("server", image, [_port("server-metrics", 8080)]),
                   _container("provisioner", image, [_port("prov-metrics", 8090)]),
                   _container("liveness-probe", image, [])], None,
                  meta_labels=_operator_labels("csi-driver")),
        _workload("StatefulSet", ns, f"{DYNAKUBE}-activegate", ag,
                  {k: ag[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/created-by",
                                      "app.kubernetes.io/managed-by")},
                  [_container("activegate", f"abc12345.live.dynatrace.com/linux/activegate:"
                              f"{AG_VERSION}", [_port("https", 9999), _port("http", 9998)])],
                  1),
        _service(ns, f"{DYNAKUBE}-activegate",
                 {k: ag[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/created-by",
                                     "app.kubernetes.io/managed-by")},
                 [{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"},
                  {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]),
        _workload("DaemonSet", ns, f"{DYNAKUBE}-oneagent", oa,
                  {k: oa[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/created-by",
                                      "app.kubernetes.io/managed-by")},
                  [_container("dynatrace-oneagent", "abc12345.live.dynatrace.com/linux/"
                              f"oneagent:{OA_VERSION}", [])], None, host_network=True),
        {"apiVersion": "dynatrace.com/v1beta6", "kind": "DynaKube",
         "metadata": {"name": DYNAKUBE, "namespace": ns},
         "spec": {"apiUrl": "https://abc12345.live.dynatrace.com/api",
                  "metadataEnrichment": {"enabled": True},
                  "oneAgent": {"hostGroup": "bench",
                               "cloudNativeFullStack": {"namespaceSelector": _labels_sel(
                                   {"dynatrace-monitoring": "enabled"})}},
                  "activeGate": {"capabilities": ["routing", "kubernetes-monitoring"],
                                 "replicas": 1}}},
    ]
    tenant = {"to": [INTERNET_EXCEPT_PRIVATE], "ports": [{"protocol": "TCP", "port": 443}]}
    apiserver = {"to": [{"ipBlock": {"cidr": f"{API_SERVER_IP}/32"}}],
                 "ports": [{"protocol": "TCP", "port": 6443}]}
    pols = [
        _policy(ns, "default-deny-all", {}, ["Ingress", "Egress"]),
        _policy(ns, "allow-dns", {}, ["Egress"], egress=[DNS_RULE]),
        _policy(ns, "dynatrace-operator", _labels_sel({"app.kubernetes.io/component": "operator",
                                                       "name": "dynatrace-operator"}),
                ["Egress"], egress=[apiserver, tenant]),
        _policy(ns, "dynatrace-webhook", _labels_sel({"internal.dynatrace.com/app": "webhook"}),
                ["Ingress", "Egress"],
                ingress=[{"from": [{"ipBlock": {"cidr": NODE_CIDR}}],
                          "ports": [{"protocol": "TCP", "port": "server-port"}]}],
                egress=[apiserver]),
        _policy(ns, "dynatrace-csi-driver",
                _labels_sel({"internal.oneagent.dynatrace.com/app": "csi-driver"}),
                ["Egress"], egress=[apiserver, tenant]),
        _policy(ns, "dynatrace-activegate", _labels_sel({"app.kubernetes.io/name": "activegate"}),
                ["Ingress", "Egress"],
                ingress=[{"from": [{"namespaceSelector": _labels_sel(
                                        {"dynatrace-monitoring": "enabled"})},
                                   {"ipBlock": {"cidr": NODE_CIDR}}],
                          "ports": [{"protocol": "TCP", "port": "https"},
                                    {"protocol": "TCP", "port": "http"}]}],
                egress=[apiserver, tenant]),
    ]
    return objs, pols


def platform(nodes: int) -> tuple[list[Doc], list[Doc], list[Doc], int]:
    """(namespaces, objects, policies, daemonset count) of kube-system, ingress, monitoring."""
    namespaces = [
        _namespace("default", {}),
        _namespace("kube-system", {}),
        _namespace("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}),
        _namespace("monitoring", {"team": "platform"}),
        _namespace("dynatrace", {"pod-security.kubernetes.io/enforce": "privileged"}),
    ]
    dns = {"k8s-app": "kube-dns"}
    ingress = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance":
               "ingress-nginx", "app.kubernetes.io/component": "controller"}
    prom = {"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "k8s"}
    objs: list[Doc] = [
        _workload("Deployment", "kube-system", "coredns", dns, dns,
                  [_container("coredns", "registry.k8s.io/coredns/coredns:v1.11.3",
                              [_port("dns", 53, "UDP"), _port("dns-tcp", 53),
                               _port("metrics", 9153)])], 2),
        _service("kube-system", "kube-dns", dns,
                 [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                  {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]),
        _workload("DaemonSet", "kube-system", "kube-proxy", {"k8s-app": "kube-proxy"},
                  {"k8s-app": "kube-proxy"},
                  [_container("kube-proxy", "registry.k8s.io/kube-proxy:v1.31.0", [])], None,
                  host_network=True),
        _workload("Deployment", "ingress-nginx", "ingress-nginx-controller", ingress, ingress,
                  [_container("controller", "registry.k8s.io/ingress-nginx/controller:v1.11.3",
                              [_port("http", 80), _port("https", 443)])], 2),
        _workload("StatefulSet", "monitoring", "prometheus-k8s", prom, prom,
                  [_container("prometheus", "quay.io/prometheus/prometheus:v2.54.1",
                              [_port("web", 9090)])], 2),
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "kubernetes", "namespace": "default",
                      "labels": {"component": "apiserver", "provider": "kubernetes"}},
         "spec": {"clusterIP": "10.96.0.1",
                  "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                             "targetPort": 6443}]}},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": "kubernetes", "namespace": "default",
                      "labels": {"kubernetes.io/service-name": "kubernetes"}},
         "addressType": "IPv4",
         "endpoints": [{"addresses": [API_SERVER_IP], "conditions": {"ready": True}}],
         "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]},
    ]
    for i in range(nodes):
        third, fourth = divmod(i + 3, 250)
        objs.append({"apiVersion": "v1", "kind": "Node",
                     "metadata": {"name": f"node-{i:04d}",
                                  "labels": {"kubernetes.io/os": "linux",
                                             "topology.kubernetes.io/zone": f"zone-{i % 3}"}},
                     "spec": {"podCIDR": f"10.{244 + (i >> 8)}.{i & 255}.0/24"},
                     "status": {"addresses": [{"type": "InternalIP",
                                               "address": f"172.18.{third}.{fourth + 1}"}]}})
    pols = [
        _policy("ingress-nginx", "ingress-controller", _labels_sel(ingress),
                ["Ingress", "Egress"],
                ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                          "ports": [{"port": "http"}, {"port": "https"}]}],
                egress=[DNS_RULE,
                        {"to": [{"namespaceSelector": {},
                                 "podSelector": _labels_sel({"tier": "frontend"})}],
                         "ports": [{"protocol": "TCP", "port": "http"}]}]),
        _policy("monitoring", "prometheus", _labels_sel(prom), ["Ingress"],
                ingress=[{"from": [{"namespaceSelector": _ns_sel("monitoring")}],
                          "ports": [{"port": "web"}]}]),
    ]
    return namespaces, objs, pols, 1


def _namespace(name: str, labels: dict[str, str]) -> Doc:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name,
                                                  **labels}}}


# ------------------------------------------------------------------------ applications
@dataclass
class _App:
    namespace: str
    name: str
    role: str            # frontend, backend, db, worker, shipper
    kind: str
    replicas: int
    labels: dict[str, str]
    db: tuple[str, int] | None = None


@dataclass
class _Ns:
    name: str
    team: str
    monitored: bool
    labels: dict[str, str]
    apps: list[_App]


def _split(total: int, parts: int, rng: random.Random, skew: float, minimum: int) -> list[int]:
    """``parts`` integers ≥ ``minimum`` summing to ``total``, long-tailed (Zipf-like)."""
    if parts <= 0:
        return []
    weights = [1.0 / (i + 1) ** skew for i in range(parts)]
    rng.shuffle(weights)
    extra = total - minimum * parts
    if extra < 0:
        raise ValueError(f"cannot split {total} into {parts} parts of at least {minimum}")
    scale = extra / sum(weights)
    raw = [w * scale for w in weights]
    out = [minimum + math.floor(r) for r in raw]
    rest = total - sum(out)
    order = sorted(range(parts), key=lambda i: raw[i] - math.floor(raw[i]), reverse=True)
    for i in order[:rest]:
        out[i] += 1
    return out


def _apps_of(rng: random.Random, ns: str, team: str, count: int) -> list[_App]:
    roles: list[str] = []
    if count >= 1:
        roles.append("frontend")
    if count >= 2:
        roles.append("db")
    while len(roles) < count:
        roles.append(rng.choices(("backend", "worker", "shipper", "db", "frontend"),
                                 (60, 20, 3, 10, 7))[0])
    rng.shuffle(roles)
    apps = []
    used: set[str] = set()
    for role in roles:
        base = f"{rng.choice(WORDS)}-{role}" if role != "db" else ""
        db = None
        if role == "db":
            db = rng.choice(DATABASES)
            base = f"{rng.choice(WORDS)}-{db[0]}"
        name = base
        n = 2
        while name in used:
            name = f"{base}-{n}"
            n += 1
        used.add(name)
        kind = {"db": "StatefulSet", "shipper": "DaemonSet"}.get(role, "Deployment")
        labels = {"app": name, "app.kubernetes.io/name": name,
                  "app.kubernetes.io/part-of": team,
                  "tier": {"shipper": "worker"}.get(role, role),
                  "version": rng.choice(("v1", "v1", "v2", "v3"))}
        apps.append(_App(ns, name, role, kind, 0, labels, db))
    return apps


def _app_ports(app: _App) -> list[Doc]:
    if app.role == "frontend":
        return [_port("http", 8080), _port("metrics", 9090)]
    if app.role == "backend":
        return [_port("http", 8080), _port("grpc", 9000), _port("metrics", 9090)]
    if app.role == "db":
        assert app.db is not None
        return [_port(app.db[0], app.db[1]), _port("metrics", 9187)]
    return [_port("metrics", 9090)]


def _app_doc(app: _App) -> Doc:
    image = f"registry.example.com/{app.labels['app.kubernetes.io/part-of']}/{app.name}:" \
            f"{app.labels['version']}"
    replicas = None if app.kind == "DaemonSet" else app.replicas
    return _workload(app.kind, app.namespace, app.name, app.labels, {"app": app.name},
                     [_container(app.name.split("-")[0], image, _app_ports(app))], replicas)


def _app_policy(rng: random.Random, ns: _Ns, app: _App, others: list[_Ns], variant: int) -> Doc:
    """Per-app rules: callers, database, another team's backends, the internet, a subnet."""
    peers_same = [a.name for a in ns.apps if a is not app and a.role in ("frontend", "backend")]
    ingress: list[Doc] = []
    egress: list[Doc] = [DNS_RULE]
    if app.role in ("backend", "db", "frontend") and peers_same:
        callers = sorted(rng.sample(peers_same, min(len(peers_same), rng.randint(1, 3))))
        port = ({"port": app.db[0]} if app.db is not None else
                {"port": rng.choice(("http", "grpc"))} if app.role == "backend" else
                {"port": "http"})
        ingress.append({"from": [{"podSelector": {"matchExpressions": [
            {"key": "app", "operator": "In", "values": callers}]}}], "ports": [port]})
    if app.role != "db":
        dbs = [a for a in ns.apps if a.db is not None]
        if dbs:
            db = rng.choice(dbs)
            assert db.db is not None
            egress.append({"to": [{"podSelector": _labels_sel({"app": db.name})}],
                           "ports": [{"protocol": "TCP", "port": db.db[0]}]})
        same = [a.name for a in ns.apps if a is not app and a.role == "backend"]
        if same:
            egress.append({"to": [{"podSelector": {"matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["backend"]},
                {"key": "app", "operator": "NotIn", "values": [app.name]}]}}],
                "ports": [{"protocol": "TCP", "port": "grpc"}]})
        if others and rng.random() < 0.6:
            other = rng.choice(others)
            egress.append({"to": [{"namespaceSelector": _labels_sel({"team": other.team,
                                                                     "env": other.labels["env"]}),
                                   "podSelector": _labels_sel({"tier": "backend"})}],
                           "ports": [{"protocol": "TCP", "port": 8000, "endPort": 8099}]})
        if rng.random() < 0.35:
            egress.append({"to": [INTERNET_EXCEPT_PRIVATE],
                           "ports": [{"protocol": "TCP", "port": 443}]})
        if rng.random() < 0.15:
            k = rng.randrange(8)
            egress.append({"to": [{"ipBlock": {"cidr": f"10.20.{k * 16}.0/20",
                                               "except": [f"10.20.{k * 16 + 15}.0/24"]}}],
                           "ports": [{"protocol": "TCP", "port": 5432, "endPort": 5439}]})
    ingress.append({"from": [{"namespaceSelector": _ns_sel("monitoring"), "podSelector":
                              _labels_sel({"app.kubernetes.io/name": "prometheus"})}],
                    "ports": [{"port": "metrics"}]})
    name = f"{app.name}-policy" if variant == 0 else f"{app.name}-policy-{variant}"
    return _policy(ns.name, name, _labels_sel({"app": app.name}), ["Ingress", "Egress"],
                   ingress=ingress, egress=egress)


def _namespace_policies(rng: random.Random, ns: _Ns, quota: int,
                        others: list[_Ns]) -> list[Doc]:
    """Up to ``quota`` policies for one namespace, the most common shapes first."""
    out: list[Doc] = []
    roll = rng.random()
    if roll < 0.03:
        pass  # no default deny at all (it happens)
    elif roll < 0.15:
        out.append(_policy(ns.name, "default-deny-ingress", {}, ["Ingress"]))
    else:
        out.append(_policy(ns.name, "default-deny", {}, ["Ingress", "Egress"],
                           egress=[DNS_RULE]))
    if any(a.role == "frontend" for a in ns.apps):
        out.append(_policy(
            ns.name, "allow-from-ingress-controller", _labels_sel({"tier": "frontend"}),
            ["Ingress"], ingress=[{"from": [{
                "namespaceSelector": _ns_sel("ingress-nginx"),
                "podSelector": _labels_sel({"app.kubernetes.io/name": "ingress-nginx"})}],
                "ports": [{"protocol": "TCP", "port": "http"}]}]))
    if ns.monitored:
        out.append(_policy(ns.name, "allow-to-activegate", {}, ["Egress"], egress=[{
            "to": [{"namespaceSelector": _ns_sel("dynatrace"),
                    "podSelector": _labels_sel({"app.kubernetes.io/name": "activegate"})}],
            "ports": [{"protocol": "TCP", "port": 9999}, {"protocol": "TCP", "port": 9998}]}]))
    variant = 0
    while len(out) < quota:
        for app in ns.apps:
            if len(out) >= quota:
                break
            out.append(_app_policy(rng, ns, app, others, variant))
        variant += 1
        if not ns.apps:
            break
    return out[:quota]


def generate(spec: Spec, seed: int, *, as_pods: bool = False) -> dict[str, list[Doc]]:
    """The cluster as documents per file name (``namespaces.yaml``, ``workloads.yaml``, ...).

    Totals in ``spec`` include the platform: 5 namespaces, 7 workloads, 8 policies.
    """
    rng = random.Random(seed)
    infra_ns, infra_objs, infra_pols, _ = platform(spec.nodes)
    dt_objs, dt_pols = dynatrace_install()
    infra_workloads = [o for o in infra_objs + dt_objs
                       if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet")]
    app_ns_count = spec.namespaces - len(infra_ns)
    app_wl_count = spec.workloads - len(infra_workloads)
    app_pol_count = spec.policies - len(infra_pols) - len(dt_pols)
    if min(app_ns_count, app_wl_count, app_pol_count) < 1:
        raise ValueError(f"{spec} is too small for the platform objects")

    namespaces: list[_Ns] = []
    sizes = _split(app_wl_count, app_ns_count, rng, 1.1, 1)
    names: set[str] = set()
    for i, count in enumerate(sizes):
        team = rng.choice(TEAMS)
        base = f"{team}-{rng.choice(WORDS)}"
        name = base
        if name in names:
            name = f"{base}-{i}"
        names.add(name)
        env = rng.choice(ENVS)
        monitored = rng.random() < 0.8
        labels = {"team": team, "env": env, "cost-center": f"cc-{rng.randrange(100):02d}"}
        if monitored:
            labels["dynatrace-monitoring"] = "enabled"
            labels["dynakube.internal.dynatrace.com/instance"] = DYNAKUBE
        namespaces.append(_Ns(name, team, monitored, labels, _apps_of(rng, name, team, count)))
    apps = [a for ns in namespaces for a in ns.apps]

    # Replicas: DaemonSets run one pod per node (at most a tenth of the pods; extra log
    # shippers become Deployments); the rest share what is left, long-tailed.
    budget = spec.pods // 10 // spec.nodes - \
        sum(1 for o in infra_workloads if o["kind"] == "DaemonSet")
    for app in apps:
        if app.kind == "DaemonSet":
            if budget > 0:
                budget -= 1
            else:
                app.kind = "Deployment"
    daemonsets = sum(1 for o in infra_workloads if o["kind"] == "DaemonSet") + \
        sum(1 for a in apps if a.kind == "DaemonSet")
    fixed = sum(o["spec"].get("replicas", 0) for o in infra_workloads)
    scalable = [a for a in apps if a.kind != "DaemonSet"]
    left = spec.pods - fixed - daemonsets * spec.nodes
    for app, n in zip(scalable, _split(left, len(scalable), rng, 0.7, 1), strict=True):
        app.replicas = n

    # Every namespace gets one policy (when there are enough), bigger ones get more.
    by_size = sorted(range(app_ns_count), key=lambda i: -len(namespaces[i].apps))
    if app_pol_count >= app_ns_count:
        base = 1
        extra = sorted(_split(app_pol_count - app_ns_count, app_ns_count, rng, 0.9, 0),
                       reverse=True)
    else:
        base = 0
        extra = [1] * app_pol_count + [0] * (app_ns_count - app_pol_count)
    ns_quota = {i: base + extra[r] for r, i in enumerate(by_size)}
    policies: list[Doc] = list(infra_pols) + list(dt_pols)
    short = 0
    for i, ns in enumerate(namespaces):
        others = [namespaces[rng.randrange(len(namespaces))] for _ in range(2)]
        got = _namespace_policies(rng, ns, ns_quota[i] + short, others)
        short = ns_quota[i] + short - len(got)
        policies.extend(got)
    while short > 0:  # tiny namespaces could not use their quota: give it to the biggest
        ns = namespaces[by_size[0]]
        policies.append(_app_policy(rng, ns, ns.apps[short % len(ns.apps)], [], 100 + short))
        short -= 1

    files: dict[str, list[Doc]] = {
        "namespaces.yaml": infra_ns + [_namespace(ns.name, ns.labels) for ns in namespaces],
        "platform.yaml": infra_objs,
        "dynatrace.yaml": dt_objs,
        "workloads.yaml": [_app_doc(a) for a in apps],
        "policies.yaml": policies,
    }
    if as_pods:
        workloads = [d for docs in files.values() for d in docs
                     if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet")]
        nodes = [d for d in files["platform.yaml"] if d["kind"] == "Node"]
        monitored = {d["metadata"]["name"] for d in files["namespaces.yaml"]
                     if d["metadata"]["labels"].get("dynatrace-monitoring") == "enabled"}
        files["pods.yaml"] = list(_pods_of(workloads, nodes, monitored))
    return files


def _digest(text: str, length: int) -> str:
    """A stable generated-name suffix (Kubernetes' safe alphabet), as controllers make them."""
    raw = hashlib.sha256(text.encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in raw[:length])


_SAFE = "bcdfghjklmnpqrstvwxz2456789"
_CREATED = "2026-11-02T09:14:07Z"
#: What the webhook adds to a pod of a monitored namespace (cloudNativeFullStack).
_INJECTED = {"oneagent.dynatrace.com/injected": "true",
             "metadata-enrichment.dynatrace.com/injected": "true",
             "dynakube.dynatrace.com/injected": DYNAKUBE}
_INIT = {"name": "dynatrace-operator",
         "image": f"public.ecr.aws/dynatrace/dynatrace-operator:v{OPERATOR_VERSION}",
         "args": ["bootstrap", "--source=/opt/dynatrace/oneagent", "--target=/mnt/bin"],
         "resources": {"requests": {"cpu": "30m", "memory": "30Mi"},
                       "limits": {"cpu": "100m", "memory": "60Mi"}},
         "volumeMounts": [{"name": "dynatrace-bin", "mountPath": "/mnt/bin"}]}


class _Scheduler:
    """Nodes in turn for replicas, each node's pod CIDR allocated in order."""

    def __init__(self, nodes: list[Doc]) -> None:
        self.nodes = nodes
        self.turn = 0
        self.used = [1] * len(nodes)

    def node_ip(self, i: int) -> str:
        return str(self.nodes[i]["status"]["addresses"][0]["address"])

    def pod_ip(self, i: int) -> str:
        self.used[i] += 1
        net = self.nodes[i]["spec"]["podCIDR"]
        return f"{net.rsplit('.', 1)[0]}.{self.used[i]}"

    def pick(self) -> int:
        i = self.turn % len(self.nodes)
        self.turn += 1
        return i


def _pod_spec(w: Doc, injected: bool) -> Doc:
    """The spec every pod of a workload shares, as the API server defaults it (``nodeName``
    is added per pod)."""
    template = w["spec"]["template"]["spec"]
    spec: Doc = {}
    if injected:
        spec["initContainers"] = [_INIT]
    spec["containers"] = [{**c, "terminationMessagePath": "/dev/termination-log",
                           "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}
                          for c in template["containers"]]
    spec.update({k: v for k, v in template.items() if k != "containers"})
    spec.setdefault("restartPolicy", "Always")
    spec["terminationGracePeriodSeconds"] = 30
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec["serviceAccountName"] = "default"
    spec["serviceAccount"] = "default"
    spec["securityContext"] = {}
    spec["schedulerName"] = "default-scheduler"
    spec["tolerations"] = _TOLERATIONS
    spec["priority"] = 0
    spec["enableServiceLinks"] = True
    spec["preemptionPolicy"] = "PreemptLowerPriority"
    return spec


def _pod(w: Doc, spec: Doc, owner: Doc, name: str, labels: dict[str, str], node: int,
         sched: _Scheduler, generate_name: str) -> Doc:
    """One running Pod as the API returns it (without managedFields, as kubectl prints it)."""
    host_ip = sched.node_ip(node)
    pod_ip = host_ip if spec.get("hostNetwork") else sched.pod_ip(node)
    ns = w["metadata"]["namespace"]
    meta: Doc = {"name": name, "generateName": generate_name, "namespace": ns,
                 "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/Pod/{ns}/{name}")),
                 "resourceVersion": str(100_000 + node), "creationTimestamp": _CREATED,
                 "labels": labels}
    if "initContainers" in spec:
        meta["annotations"] = _INJECTED
    meta["ownerReferences"] = [owner]
    status: Doc = {
        "phase": "Running",
        "conditions": _CONDITIONS,
        "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
        "startTime": _CREATED,
    }
    if "initContainers" in spec:
        status["initContainerStatuses"] = [_status(name, _INIT, init=True)]
    status["containerStatuses"] = [_status(name, c) for c in spec["containers"]]
    status["qosClass"] = "Burstable"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {**spec, "nodeName": sched.nodes[node]["metadata"]["name"]},
            "status": status}


_CONDITIONS = [{"type": t, "status": "True", "lastProbeTime": None,
                "lastTransitionTime": _CREATED}
               for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                         "PodScheduled")]
_TOLERATIONS = [{"key": f"node.kubernetes.io/{k}", "operator": "Exists",
                 "effect": "NoExecute", "tolerationSeconds": 300}
                for k in ("not-ready", "unreachable")]


def _status(pod: str, c: Doc, init: bool = False) -> Doc:
    state = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": _CREATED,
                            "finishedAt": _CREATED, "containerID": ""}} if init else \
        {"running": {"startedAt": _CREATED}}
    return {"name": c["name"], "state": state, "lastState": {}, "ready": not init,
            "restartCount": 0, "image": c["image"],
            "imageID": f"{c['image'].split(':')[0]}@sha256:{_digest(c['image'], 16)}",
            "containerID": f"containerd://{_digest(pod + c['name'], 16)}",
            "started": not init}


def _pods_of(workloads: list[Doc], nodes: list[Doc], monitored: set[str]) -> Iterator[Doc]:
    """Every replica as a running Pod, as a live cluster serves it: Deployments' pods owned
    by their ReplicaSet (``pod-template-hash``), StatefulSets' ``NAME-i``, one DaemonSet pod
    per node, each scheduled on a node with an address from its pod CIDR (the node's own on
    the host network), in status ``Running``; pods of monitored namespaces carry the
    webhook's init container and annotations."""
    sched = _Scheduler(nodes)
    for w in workloads:
        meta, spec = w["metadata"], w["spec"]
        ns, base = meta["namespace"], meta["name"]
        template_labels = spec["template"]["metadata"]["labels"]
        spec_of_pods = _pod_spec(w, ns in monitored)
        if w["kind"] == "Deployment":
            digest = _digest(f"{ns}/{base}", 10)
            rs = f"{base}-{digest}"
            owner = _owner_ref("ReplicaSet", ns, rs)
            labels = {**template_labels, "pod-template-hash": digest}
            names: set[str] = set()
            for i in range(spec.get("replicas", 1)):
                name = _unique(rs, f"{rs}/{i}", names)
                yield _pod(w, spec_of_pods, owner, name, labels, sched.pick(), sched, f"{rs}-")
        elif w["kind"] == "StatefulSet":
            owner = _owner_ref("StatefulSet", ns, base)
            revision = f"{base}-{_digest(base, 10)}"
            for i in range(spec.get("replicas", 1)):
                name = f"{base}-{i}"
                labels = {**template_labels, "controller-revision-hash": revision,
                          "apps.kubernetes.io/pod-index": str(i),
                          "statefulset.kubernetes.io/pod-name": name}
                yield _pod(w, spec_of_pods, owner, name, labels, sched.pick(), sched, f"{base}-")
        elif w["kind"] == "DaemonSet":
            owner = _owner_ref("DaemonSet", ns, base)
            labels = {**template_labels, "controller-revision-hash": _digest(base, 10),
                      "pod-template-generation": "1"}
            names = set()
            for i, node in enumerate(nodes):
                name = _unique(base, base + node["metadata"]["name"], names)
                yield _pod(w, spec_of_pods, owner, name, labels, i, sched, f"{base}-")


def _unique(base: str, text: str, used: set[str]) -> str:
    """``base-xxxxx``, a suffix not used yet by this owner (a controller retries too)."""
    salt = 0
    while True:
        name = f"{base}-{_digest(text if not salt else f'{text}#{salt}', 5)}"
        if name not in used:
            used.add(name)
            return name
        salt += 1


def _owner_ref(kind: str, ns: str, name: str) -> Doc:
    return {"apiVersion": "apps/v1", "kind": kind, "name": name,
            "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{kind}/{ns}/{name}")),
            "controller": True, "blockOwnerDeletion": True}


# ------------------------------------------------------------------------ broad shapes
#: Workloads per copy of the demo (three namespaces) and per namespace of ``broad``.
DEMO_WORKLOADS = 11
BROAD_WORKLOADS = 7
SHAPES = ("demo", "broad")


def _svc_workload(ns: str, name: str, labels: dict[str, str], ports: list[Doc],
                  replicas: int) -> Doc:
    image = f"registry.example.com/demo/{name}:v1"
    return _workload("Deployment", ns, name, labels, {"app": labels["app"]},
                     [_container(name.split("-")[0], image, ports)], replicas)


def _demo_copy(i: int, rng: random.Random) -> tuple[list[Doc], list[Doc], list[Doc]]:
    """One copy of a small real demo: a shop, a payments team and their data stores in three
    namespaces, written the way a quick demo is: broad ``namespaceSelector: {}`` rules.

    Its own flows are 12 workload pairs (plus DNS and metrics scraping); the broad egress rules
    reach every pod of every copy on their ports, but no other copy admits them.
    """
    shop, pay, data = f"demo{i}-shop", f"demo{i}-pay", f"demo{i}-data"
    copy = f"c{i}"
    namespaces = [_namespace(ns, {"demo": copy, "role": role, "dynatrace-monitoring": "enabled"})
                  for ns, role in ((shop, "shop"), (pay, "pay"), (data, "data"))]
    http, metrics = _port("http", 8080), _port("metrics", 9090)
    apps = {
        shop: ("frontend", "cart", "checkout", "catalog"),
        pay: ("payments-api", "fraud", "ledger"),
        data: ("postgres", "redis", "mongo", "queue"),
    }
    data_ports = {"postgres": 5432, "redis": 6379, "mongo": 27017, "queue": 5672}
    objs: list[Doc] = []
    for ns, names in apps.items():
        for name in names:
            labels = {"app": name, "app.kubernetes.io/part-of": "demo", "demo": copy}
            ports = [_port("tcp", data_ports[name]), metrics] if ns == data else [http, metrics]
            objs.append(_svc_workload(ns, name, labels, ports, rng.randint(1, 3)))
    everyone: Doc = {"namespaceSelector": {}}
    same_copy = {"namespaceSelector": _labels_sel({"demo": copy})}
    scrape = {"from": [{"namespaceSelector": {},
                        "podSelector": _labels_sel({"app.kubernetes.io/name": "prometheus"})}],
              "ports": [{"port": "metrics"}]}
    dns = {"to": [{"namespaceSelector": {}, "podSelector": _labels_sel({"k8s-app": "kube-dns"})}],
           "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
    pols: list[Doc] = []
    for ns in apps:
        pols.append(_policy(ns, "default-deny", {}, ["Ingress", "Egress"]))
        pols.append(_policy(ns, "allow-dns", {}, ["Egress"], egress=[dns]))
        pols.append(_policy(ns, "allow-scrape", {}, ["Ingress"], ingress=[scrape]))
        # The demo's shortcut: every pod may call anything on the app ports.
        pols.append(_policy(ns, "allow-egress-anywhere", {}, ["Egress"], egress=[
            {"to": [everyone], "ports": [{"protocol": "TCP", "port": 8080},
                                         {"protocol": "TCP", "port": 5432, "endPort": 5672},
                                         {"protocol": "TCP", "port": 6379},
                                         {"protocol": "TCP", "port": 27017}]}]))
    ingress_nginx = {"namespaceSelector": {}, "podSelector": _labels_sel(
        {"app.kubernetes.io/name": "ingress-nginx"})}
    pols += [
        _policy(shop, "frontend", _labels_sel({"app": "frontend"}), ["Ingress"],
                ingress=[{"from": [ingress_nginx], "ports": [{"port": "http"}]}]),
        _policy(shop, "shop-internal", {"matchExpressions": [{"key": "app", "operator": "In",
                                       "values": ["cart", "checkout", "catalog"]}]},
                ["Ingress"], ingress=[{"from": [{"podSelector": _labels_sel(
                    {"app": "frontend"})}], "ports": [{"port": "http"}]}]),
        _policy(pay, "payments-api", _labels_sel({"app": "payments-api"}), ["Ingress"],
                ingress=[{"from": [{**same_copy, "podSelector": _labels_sel(
                    {"app": "checkout"})}], "ports": [{"port": "http"}]}]),
        _policy(pay, "pay-internal", {"matchExpressions": [
            {"key": "app", "operator": "In", "values": ["fraud", "ledger"]}]}, ["Ingress"],
            ingress=[{"from": [{"podSelector": _labels_sel({"app": "payments-api"})}],
                      "ports": [{"port": "http"}]}]),
        _policy(data, "data-from-copy", {}, ["Ingress"], ingress=[
            {"from": [{**same_copy, "podSelector": {"matchExpressions": [
                {"key": "app", "operator": "In",
                 "values": ["cart", "checkout", "ledger"]}]}}],
             "ports": [{"port": "tcp"}]}]),
    ]
    return namespaces, objs, pols


def _broad_namespace(i: int, count: int, rng: random.Random
                     ) -> tuple[list[Doc], list[Doc], list[Doc]]:
    """One namespace of the ``broad`` shape: default-deny, ingress from all namespaces on one
    port, egress to all namespaces on others (the two never meet), calls inside the namespace,
    one call to a unique label value anywhere, many ipBlocks and many port ranges."""
    team = TEAMS[i % len(TEAMS)]
    ns = f"{team}-{WORDS[i % len(WORDS)]}-{i}"
    namespaces = [_namespace(ns, {"team": team, "env": ENVS[i % len(ENVS)],
                                  "cost-center": f"cc-{i % 100:02d}",
                                  "dynatrace-monitoring": "enabled"})]
    objs: list[Doc] = []
    for k in range(count):
        name = f"{WORDS[(i + k) % len(WORDS)]}-{k}"
        labels = {"app": f"{ns}-{name}", "instance": f"i{i * BROAD_WORKLOADS + k}",
                  "tier": ("frontend", "backend", "backend", "worker")[k % 4],
                  "version": f"v{rng.randint(1, 9)}"}
        objs.append(_svc_workload(ns, name, labels,
                                  [_port("http", 8080), _port("grpc", 9000),
                                   _port("metrics", 9090)], rng.randint(1, 4)))
    ranges = [{"protocol": "TCP", "port": 10_000 + 100 * r, "endPort": 10_000 + 100 * r + 49}
              for r in range(12)]
    blocks = [{"ipBlock": {"cidr": f"10.{100 + (i + b) % 100}.{(i * 7 + b) % 256}.0/24"}}
              for b in range(16)]
    partner = f"i{(i * 31 + 3) % (i + 1) * BROAD_WORKLOADS + 1}"   # a backend, 1 namespace
    pols = [
        _policy(ns, "default-deny", {}, ["Ingress", "Egress"], egress=[DNS_RULE]),
        _policy(ns, "allow-from-all-namespaces", {}, ["Ingress"], ingress=[
            {"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": 8080}]}]),
        _policy(ns, "allow-to-all-namespaces", {}, ["Egress"], egress=[
            {"to": [{"namespaceSelector": {}}],
             "ports": [{"protocol": "TCP", "port": 8443}, {"protocol": "TCP", "port": 9000,
                                                            "endPort": 9009}]}]),
        _policy(ns, "allow-same-namespace", {}, ["Egress", "Ingress"],
                egress=[{"to": [{"podSelector": {}}], "ports": [{"port": "http"}, *ranges]}],
                ingress=[{"from": [{"podSelector": {}}], "ports": [{"port": "grpc"}, *ranges]}]),
        _policy(ns, "allow-to-partner", {"matchLabels": {"tier": "backend"}}, ["Egress"],
                egress=[{"to": [{"namespaceSelector": {}, "podSelector": _labels_sel(
                    {"instance": partner})}],
                    "ports": [{"port": "http"}]}]),
        _policy(ns, "allow-external", {}, ["Egress"],
                egress=[{"to": blocks, "ports": ranges}]),
    ]
    return namespaces, objs, pols


def generate_shape(shape: str, workloads: int, seed: int) -> dict[str, list[Doc]]:
    """A broad-selector cluster of about ``workloads`` workloads (platform and Dynatrace
    install included): ``demo`` copies or ``broad`` namespaces."""
    rng = random.Random(seed)
    nodes = 3
    infra_ns, infra_objs, infra_pols, _ = platform(nodes)
    dt_objs, dt_pols = dynatrace_install()
    fixed = sum(1 for o in infra_objs + dt_objs
                if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet"))
    namespaces: list[Doc] = []
    objs: list[Doc] = []
    pols: list[Doc] = []
    if shape == "demo":
        for i in range(max(1, (workloads - fixed) // DEMO_WORKLOADS)):
            n, o, p = _demo_copy(i, rng)
            namespaces += n
            objs += o
            pols += p
    elif shape == "broad":
        left = max(1, workloads - fixed)
        for i in range(max(1, left // BROAD_WORKLOADS)):
            n, o, p = _broad_namespace(i, BROAD_WORKLOADS, rng)
            namespaces += n
            objs += o
            pols += p
    else:
        raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")
    return {
        "namespaces.yaml": infra_ns + namespaces,
        "platform.yaml": infra_objs,
        "dynatrace.yaml": dt_objs,
        "workloads.yaml": objs,
        "policies.yaml": infra_pols + dt_pols + pols,
    }


# ------------------------------------------------------------------------ counting
def count(files: dict[str, list[Doc]], nodes: int) -> dict[str, int]:
    """What was written: pods as replicas (one per node for DaemonSets), workloads, ..."""
    docs = [d for ds in files.values() for d in ds]
    workloads = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet")]
    pods = sum(nodes if w["kind"] == "DaemonSet" else w["spec"].get("replicas", 1)
               for w in workloads)
    return {"pods": pods, "workloads": len(workloads),
            "namespaces": sum(d["kind"] == "Namespace" for d in docs),
            "policies": sum(d["kind"] == "NetworkPolicy" for d in docs),
            "nodes": sum(d["kind"] == "Node" for d in docs),
            "pod_objects": sum(d["kind"] == "Pod" for d in docs),
            "documents": len(docs)}


# ------------------------------------------------------------------------ YAML out
_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")
_RESERVED = {"y", "yes", "n", "no", "true", "false", "on", "off", "null"}


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text)


def _emit(value: object, indent: str, out: list[str]) -> None:
    """Block-style YAML for dicts, lists and scalars (the subset the generator builds)."""
    if isinstance(value, dict):
        for k, v in value.items():
            key = _scalar(k)
            if isinstance(v, dict) and v:
                out.append(f"{indent}{key}:\n")
                _emit(v, indent + "  ", out)
            elif isinstance(v, list) and v:
                out.append(f"{indent}{key}:\n")
                _emit(v, indent, out)
            elif isinstance(v, dict | list):
                out.append(f"{indent}{key}: {'{}' if isinstance(v, dict) else '[]'}\n")
            else:
                out.append(f"{indent}{key}: {_scalar(v)}\n")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                sub: list[str] = []
                _emit(item, indent + "  ", sub)
                first = sub[0]
                out.append(f"{indent}- {first[len(indent) + 2:]}")
                out.extend(sub[1:])
            elif isinstance(item, list) and item:
                raise ValueError("nested lists are not generated")
            else:
                out.append(f"{indent}- {_scalar(item) if not isinstance(item, dict) else '{}'}\n")
    else:
        out.append(f"{indent}{_scalar(value)}\n")


def to_yaml(docs: list[Doc]) -> str:
    out: list[str] = []
    for doc in docs:
        out.append("---\n")
        _emit(doc, "", out)
    return "".join(out)


def write(files: dict[str, list[Doc]], out: Path, meta: dict[str, Any]) -> Path:
    """Write ``out/manifests/*.yaml`` and ``out/meta.json``; returns the manifests folder."""
    manifests = out / "manifests"
    manifests.mkdir(parents=True, exist_ok=True)
    for old in manifests.glob("*.yaml"):
        old.unlink()
    for name, docs in files.items():
        (manifests / name).write_text(to_yaml(docs), encoding="utf-8")
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return manifests


def ensure(size: str, seed: int, root: Path, *, as_pods: bool = False) -> Path:
    """The manifests folder of (size, seed), generated once and reused when its meta matches."""
    out = root / f"{size}-{seed}{'-pods' if as_pods else ''}"
    meta_path = out / "meta.json"
    spec = SIZES[size]
    want = {"size": size, "seed": seed, "as_pods": as_pods, "spec": asdict(spec),
            "generator": GENERATOR_VERSION}
    if as_pods:
        want["pods"] = PODS_VERSION
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if {k: meta.get(k) for k in want} == want:
            return out / "manifests"
    files = generate(spec, seed, as_pods=as_pods)
    return write(files, out, {**want, "written": count(files, spec.nodes)})


GENERATOR_VERSION = 1
#: Pod objects as a live cluster serves them (every workload, DaemonSet pods per node, status)
PODS_VERSION = 2


def ensure_shape(shape: str, workloads: int, seed: int, root: Path) -> Path:
    """The manifests folder of a broad shape, generated once and reused when its meta matches."""
    out = root / f"{shape}-{workloads}-{seed}"
    meta_path = out / "meta.json"
    want = {"shape": shape, "workloads": workloads, "seed": seed,
            "generator": GENERATOR_VERSION}
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if {k: meta.get(k) for k in want} == want:
            return out / "manifests"
    files = generate_shape(shape, workloads, seed)
    return write(files, out, {**want, "written": count(files, 3)})


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", choices=sorted(SIZES), default="S")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--pods", action="store_true", help="also write every replica as a Pod")
    p.add_argument("--shape", choices=SHAPES,
                   help="a broad-selector shape instead of a size (with --workloads)")
    p.add_argument("--workloads", type=int, default=1_000, help="workloads of a --shape")
    p.add_argument("--out", type=Path, help="folder (default bench/.data/SIZE-SEED)")
    args = p.parse_args(argv)
    if args.shape:
        out = args.out or Path(__file__).parent / ".data" / \
            f"{args.shape}-{args.workloads}-{args.seed}"
        files = generate_shape(args.shape, args.workloads, args.seed)
        meta = {"shape": args.shape, "workloads": args.workloads, "seed": args.seed,
                "generator": GENERATOR_VERSION, "written": count(files, 3)}
        manifests = write(files, out, meta)
        print(f"{manifests}: {json.dumps(meta['written'])}", file=sys.stderr)
        return 0
    spec = SIZES[args.size]
    out = args.out or Path(__file__).parent / ".data" / \
        f"{args.size}-{args.seed}{'-pods' if args.pods else ''}"
    files = generate(spec, args.seed, as_pods=args.pods)
    meta = {"size": args.size, "seed": args.seed, "as_pods": args.pods, "spec": asdict(spec),
            "generator": GENERATOR_VERSION, "written": count(files, spec.nodes)}
    manifests = write(files, out, meta)
    print(f"{manifests}: {json.dumps(meta['written'])}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
