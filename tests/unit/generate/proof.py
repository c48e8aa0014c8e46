"""Proof harness: a default-deny cluster with every Dynatrace pod, plus generated policies.

Used by the unit tests and by tests/corpus/test_generate_corpus.py (loaded by file path).

* :func:`scenario` builds the flows, the generated documents and a cluster in which every
  namespace starts from default-deny (kube-system keeps its own platform policies: DNS
  ingress from every namespace, konnectivity egress), with one pod per Dynatrace component,
  an application pod in the monitored namespace ``app``, one in the unmonitored ``other``,
  the cluster DNS, the konnectivity agents and OneAgent pods on the host network.
* :func:`flow_verdicts` asks the engine about every flow whose two ends exist here.
* :func:`extra_connections` lists every connection to or from a Dynatrace or application pod
  that no flow needs (a port or a peer too many).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dtnetpol.dynatrace import (
    ApiServerSourceKind,
    ComponentId,
    DestKind,
    DynaKube,
    Flow,
    HostPort,
    InstallFacts,
    Platform,
    SourceKind,
    applicable_flows,
    component,
    install_labels,
    operand_labels,
    platform_profile,
)
from dtnetpol.dynatrace.components import LabelFamily
from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.analysis import Analyzer, Endpoint, ExternalEndpoint, PodClass
from dtnetpol.engine.connlist import connection_list
from dtnetpol.engine.explain import Outcome, Verdict
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.ports import PortSet
from dtnetpol.generate import (
    PRIVATE_V4,
    PRIVATE_V6,
    Flavor,
    GeneratedDoc,
    GenerateOptions,
    GenerateResult,
    generate,
)
from dtnetpol.model import (
    Cluster,
    ContainerPort,
    Direction,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Peer,
    Pod,
    PolicyPort,
    Rule,
    WorkloadRef,
)

NODE_IPS = ("10.0.1.10", "10.0.1.11")
APISERVER_IP = "172.18.0.2"
APISERVER_SOURCE_CIDR = "172.18.0.0/28"
TENANT_IP = "203.0.113.10"
HOST_NETWORK_NS = "openshift-host-network"
KONNECTIVITY = ("app", "k8s-app")


@dataclass
class Scenario:
    dynakubes: Sequence[DynaKube]
    install: InstallFacts
    flows: list[Flow]
    result: GenerateResult
    cluster: Cluster
    analyzer: Analyzer
    roles: dict[str, str] = field(default_factory=dict)   # workload ref → role
    tenant_cidrs: tuple[str, ...] = ()

    @property
    def docs(self) -> tuple[GeneratedDoc, ...]:
        return self.result.documents


def app_namespace(dynakubes: Sequence[DynaKube], dk: DynaKube) -> str:
    """The monitored namespace of ``dk``: ``app``, or ``app-<dk>`` with several DynaKubes."""
    return "app" if len(dynakubes) == 1 else f"app-{dk.name}"


def install_facts(platform: Platform | str, *, csi: bool = True,
                  proxy: str | None = None) -> InstallFacts:
    profile = platform_profile(platform, apiserver_cidrs=[APISERVER_SOURCE_CIDR])
    port = profile.apiserver_port.value
    return InstallFacts(platform=profile, csi_driver=csi, monitored_namespaces=("app",),
                        apiserver_endpoints=(HostPort(APISERVER_IP, port),), proxy=proxy)


def _deny_all(ns: str) -> NetworkPolicy:
    return NetworkPolicy(ns, "default-deny-all", LabelSelector(),
                         frozenset({Direction.INGRESS, Direction.EGRESS}))


def _pod(ns: str, name: str, kind: str, labels: dict[str, str],
         ports: Iterable[ContainerPort] = (), host_network: bool = False,
         ips: tuple[str, ...] = ()) -> Pod:
    return Pod(ns, name, WorkloadRef(ns, name, kind), labels, tuple(ports), host_network, ips)


def _component_pod(cid: ComponentId, ns: str, owner: str, mode: str | None) -> Pod:
    comp = component(cid)
    if comp.label_family is LabelFamily.INSTALL:
        labels = install_labels(cid)
    else:
        labels = operand_labels(cid, owner, "1.0.0", mode=mode)
    ports = tuple(ContainerPort(p.number, p.protocol, p.name) for p in comp.declared_ports)
    name = f"{owner}-{cid.value}" if comp.scope is not comp.scope.INSTALL else cid.value
    return _pod(ns, name, comp.workload_kind.value, labels, ports,
                host_network=cid is ComponentId.ONEAGENT,
                ips=NODE_IPS if cid is ComponentId.ONEAGENT else ())


def _mode(dk: DynaKube) -> str | None:
    return dk.mode.value if dk.oneagent_daemonset else None


def scenario(dynakubes: Sequence[DynaKube], platform: Platform | str = Platform.GENERIC, *,
             flavor: Flavor = Flavor.KUBERNETES, csi: bool = True, proxy: str | None = None,
             options: dict[str, object] | None = None,
             install: InstallFacts | None = None) -> Scenario:
    install = install or install_facts(platform, csi=csi, proxy=proxy)
    flows = applicable_flows(dynakubes, install)
    monitored = {dk.name: (app_namespace(dynakubes, dk),) for dk in dynakubes}
    opts = GenerateOptions(flavor=flavor, install=install, dynakubes=tuple(dynakubes),
                           monitored=monitored, node_cidrs=tuple(f"{ip}/32" for ip in NODE_IPS),
                           **(options or {}))  # type: ignore[arg-type]
    result = generate(flows, opts)
    cluster, roles = build_cluster(dynakubes, install, flows,
                                   [d.policy for d in result.documents if d.policy])
    tenant = tuple(str(c) for c in (options or {}).get("tenant_cidrs", ()))  # type: ignore[attr-defined]
    return Scenario(dynakubes, install, flows, result, cluster, Analyzer(cluster), roles,
                    tenant)


def build_cluster(dynakubes: Sequence[DynaKube], install: InstallFacts, flows: Sequence[Flow],
                  generated: Sequence[NetworkPolicy]) -> tuple[Cluster, dict[str, str]]:
    op_ns = install.operator_namespace
    dns = install.platform.dns
    namespaces: dict[str, dict[str, str]] = {
        app_namespace(dynakubes, dk): {"team": "shop",
                                       "dynakube.internal.dynatrace.com/instance": dk.name}
        for dk in dynakubes}
    namespaces.update({
        op_ns: {}, "other": {"team": "other"},
        "kube-system": {}, dns.namespace: {}, HOST_NETWORK_NS: {
            "policy-group.network.openshift.io/host-network": ""}})
    pods: list[Pod] = []
    roles: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for f in flows:
        for end in (f.source, f.destination):
            if end.component is None or end.namespace is None:
                continue
            owner = f.edgeconnect or f.dynakube or "install"
            dk = next((d for d in dynakubes if d.name == f.dynakube), None)
            key = (end.namespace, f"{owner}-{end.component.value}")
            if key in seen:
                continue
            seen.add(key)
            namespaces.setdefault(end.namespace, {})
            pod = _component_pod(end.component, end.namespace, owner,
                                 _mode(dk) if dk else None)
            pods.append(pod)
            roles[str(pod.owner)] = f"{owner}/{end.component.value}" \
                if component(end.component).scope is not component(end.component).scope.INSTALL \
                else end.component.value
    apps = [_pod(app_namespace(dynakubes, dk), "shop", "Deployment", {"app": "shop"})
            for dk in dynakubes]
    other = _pod("other", "stranger", "Deployment", {"app": "stranger"})
    dns_pod = _pod(dns.namespace, "dns", "Deployment", dict(dns.pod_labels),
                   [ContainerPort(n, p) for n, p in dns.ports])
    konn = [_pod("kube-system", f"konnectivity-{k}", "DaemonSet", {k: "konnectivity-agent"})
            for k in KONNECTIVITY]
    pods += [*apps, other, dns_pod, *konn]
    roles.update({str(a.owner): f"app:{a.namespace}" for a in apps})
    roles.update({str(other.owner): "other", str(dns_pod.owner): "dns"})
    roles.update({str(k.owner): "konnectivity" for k in konn})
    policies = [_deny_all(ns) for ns in namespaces]
    everyone = Peer(namespace_selector=LabelSelector())
    policies.append(NetworkPolicy(
        dns.namespace, "platform-dns-ingress", LabelSelector(tuple(sorted(dns.pod_labels.items()))),
        frozenset({Direction.INGRESS}),
        ingress=(Rule(Direction.INGRESS, 0, (everyone,),
                      tuple(PolicyPort(p, n) for n, p in dns.ports)),)))
    policies.append(NetworkPolicy(
        "kube-system", "platform-konnectivity-egress", LabelSelector(),
        frozenset({Direction.EGRESS}), egress=(Rule(Direction.EGRESS, 0),)))
    policies.extend(generated)
    ns_objs = {n: Namespace(n, {"kubernetes.io/metadata.name": n, **labels})
               for n, labels in namespaces.items()}
    return Cluster(namespaces=ns_objs, pods=tuple(pods), policies=tuple(policies)), roles


# --- flows → endpoints ---------------------------------------------------------------------


def _net(c: str) -> AddressSet:
    return AddressSet.of_networks([ipaddress.ip_network(c, strict=False)])


def _class_for(s: Scenario, ns: str, role: str) -> PodClass:
    for cls in s.analyzer.classes:
        for w in cls.workloads:
            if w.namespace == ns and s.roles.get(str(w)) == role:
                return cls
    raise LookupError(f"no pod for {role} in {ns}")


def _app_ns(s: Scenario, f: Flow) -> str:
    dk = next(d for d in s.dynakubes if d.name == f.dynakube)
    return app_namespace(s.dynakubes, dk)


def _role(f: Flow, end_component: ComponentId) -> str:
    comp = component(end_component)
    if comp.scope is comp.scope.INSTALL:
        return end_component.value
    return f"{f.edgeconnect or f.dynakube}/{end_component.value}"


def sources(s: Scenario, f: Flow) -> list[Endpoint]:
    """Every endpoint the flow's source stands for here (several API-server sources)."""
    kind = SourceKind(f.source.kind)
    if kind is SourceKind.COMPONENT:
        assert f.source.component is not None and f.source.namespace is not None
        return [_class_for(s, f.source.namespace, _role(f, f.source.component))]
    if kind is SourceKind.APP_PODS:
        if f.source.namespace_selector is None:
            # Senders in any namespace: the collector must admit every pod; the harness's
            # pod with open egress (konnectivity) stands for them.
            return [_class_for(s, "kube-system", "konnectivity")]
        ns = _app_ns(s, f)
        return [_class_for(s, ns, f"app:{ns}")]
    if kind is SourceKind.ONEAGENT_NODES:
        return [ExternalEndpoint("nodes", _net(f"{NODE_IPS[0]}/32"))]
    if kind is SourceKind.APISERVER:
        out: list[Endpoint] = []
        for src in s.install.platform.webhook_sources:
            if src.kind is ApiServerSourceKind.HOST_NETWORK_NAMESPACE:
                out.append(ExternalEndpoint("kube-apiserver", _net(f"{APISERVER_IP}/32"),
                                            as_namespace=HOST_NETWORK_NS))
            elif src.kind is ApiServerSourceKind.POD_PEER:
                assert src.pod_selector is not None
                key = src.pod_selector.match_labels[0][0]
                out.append(_class_for(s, "kube-system", "konnectivity")
                           if key == "app" else
                           next(c for c in s.analyzer.classes
                                if c.labels.get("k8s-app") == "konnectivity-agent"))
            else:
                out.append(ExternalEndpoint("kube-apiserver", _net(APISERVER_SOURCE_CIDR)))
        return out
    return []  # kubelet


def destination(s: Scenario, f: Flow) -> Endpoint | None:
    kind = DestKind(f.destination.kind)
    end = f.destination
    if kind is DestKind.COMPONENT:
        assert end.component is not None and end.namespace is not None
        return _class_for(s, end.namespace, _role(f, end.component))
    if kind is DestKind.DNS:
        return _class_for(s, s.install.platform.dns.namespace, "dns")
    if kind is DestKind.APISERVER:
        return ExternalEndpoint("kube-apiserver", _net(f"{APISERVER_IP}/32"))
    if kind is DestKind.KUBELET:
        return ExternalEndpoint("kubelet", _net(f"{NODE_IPS[0]}/32"))
    if kind is DestKind.PROXY:
        host = end.hosts[0].host
        return ExternalEndpoint("proxy", _net(f"{host}/32"))
    if kind is DestKind.EXTERNAL:
        return None
    if s.tenant_cidrs:
        first = ipaddress.ip_network(s.tenant_cidrs[0], strict=False)
        return ExternalEndpoint("tenant", _net(f"{first.network_address}/32"))
    return ExternalEndpoint("tenant", _net(f"{TENANT_IP}/32"))


def flow_verdicts(s: Scenario, flows: Iterable[Flow] | None = None
                  ) -> list[tuple[Flow, Verdict]]:
    out = []
    for f in flows if flows is not None else s.flows:
        dst = destination(s, f)
        if dst is None:
            continue
        for src in sources(s, f):
            for port in f.ports:
                out.append((f, s.analyzer.can_reach(src, dst, port.number, port.protocol)))
    return out


def blocked(s: Scenario, required_only: bool = True) -> list[str]:
    return [f"{f.id}: {v.source} → {v.destination} {v.port}/{v.protocol}: {v.outcome}"
            for f, v in flow_verdicts(s)
            if (f.required or not required_only) and v.outcome is not Outcome.ALLOWED]


# --- least privilege -----------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    src: str | AddressSet      # a role, "*" (any pod) or addresses
    dst: str | AddressSet
    ports: PortSet


def _ports(f: Flow) -> PortSet:
    out = PortSet.none()
    for p in f.ports:
        out = out.union(PortSet.of(p.protocol, IntervalSet.single(p.number, p.number)))
    return out


def needs(s: Scenario) -> list[Need]:
    """What the model needs, in the harness's roles and addresses."""
    out: list[Need] = []
    for f in s.flows:
        ports = _ports(f)
        kind = SourceKind(f.source.kind)
        srcs: list[str | AddressSet] = []
        if kind is SourceKind.COMPONENT:
            assert f.source.component is not None
            srcs = [_role(f, f.source.component)]
        elif kind is SourceKind.APP_PODS:
            srcs = [f"app:{_app_ns(s, f)}" if f.source.namespace_selector is not None else "*"]
        elif kind is SourceKind.ONEAGENT_NODES:
            srcs = [_nodes(), f"{f.dynakube}/oneagent"]
        elif kind is SourceKind.APISERVER:
            srcs = ["konnectivity", _net(APISERVER_SOURCE_CIDR)]
        dkind = DestKind(f.destination.kind)
        dsts: list[str | AddressSet]
        if dkind is DestKind.COMPONENT:
            assert f.destination.component is not None
            dsts = [_role(f, f.destination.component)]
        elif dkind is DestKind.DNS:
            dsts = ["dns"]
        elif dkind is DestKind.APISERVER:
            dsts = [_net(f"{APISERVER_IP}/32")]
        elif dkind is DestKind.KUBELET:
            dsts = [_nodes()]
        else:
            # Hosts outside the cluster: whatever the generator had to choose for them.
            dsts = [_hosts_addresses(s, f)]
        out.extend(Need(a, b, ports) for a in srcs for b in dsts)
    return out


def _hosts_addresses(s: Scenario, f: Flow) -> AddressSet:
    """Addresses a host outside the cluster may have: the proxy, --tenant-cidr, or any
    public address (the documented default: 0.0.0.0/0 minus the private ranges)."""
    if DestKind(f.destination.kind) is DestKind.PROXY and f.destination.hosts:
        return _net(f"{f.destination.hosts[0].host}/32")
    if s.tenant_cidrs:
        out = AddressSet()
        for c in s.tenant_cidrs:
            out = out.union(_net(c))
        return out
    public = AddressSet.everything()
    for c in (*PRIVATE_V4, *PRIVATE_V6):
        public = public.difference(_net(c))
    return public


def _nodes() -> AddressSet:
    out = AddressSet()
    for ip in NODE_IPS:
        out = out.union(_net(f"{ip}/32"))
    return out


def _parse_range(text: str) -> AddressSet | None:
    if "-" not in text or "/" in text:
        return None
    lo, _, hi = text.partition("-")
    try:
        a, b = ipaddress.ip_address(lo), ipaddress.ip_address(hi)
    except ValueError:
        return None
    iv = IntervalSet.single(int(a), int(b))
    return AddressSet(v4=iv) if a.version == 4 else AddressSet(v6=iv)


def _matches(want: str | AddressSet, role: str | None, addrs: AddressSet | None) -> bool:
    if isinstance(want, AddressSet):
        return addrs is not None and not addrs.difference(want)
    if role is None:
        return False
    return want in ("*", role)


def extra_connections(s: Scenario) -> list[str]:
    """Connections to or from a Dynatrace/application pod that no flow needs."""
    wanted = needs(s)
    host_network = {str(w) for c in s.analyzer.classes if c.host_network for w in c.workloads}
    dynatrace_roles = {r for r in s.roles.values()
                       if r not in ("dns", "konnectivity", "other")}
    out: list[str] = []
    for conn in connection_list(s.analyzer):
        if conn.src in host_network or conn.dst in host_network:
            continue  # NetworkPolicy does not govern host-network pods
        src_role, dst_role = s.roles.get(conn.src), s.roles.get(conn.dst)
        if src_role not in dynatrace_roles and dst_role not in dynatrace_roles:
            continue
        src_addr = _parse_range(conn.src) if src_role is None else None
        dst_addr = _parse_range(conn.dst) if dst_role is None else None
        covered = PortSet.none()
        for n in wanted:
            if _matches(n.src, src_role, src_addr) and _matches(n.dst, dst_role, dst_addr):
                covered = covered.union(n.ports)
        extra = conn.ports.difference(covered)
        if extra:
            out.append(f"{conn.src} → {conn.dst}: {extra} not needed")
    return out

