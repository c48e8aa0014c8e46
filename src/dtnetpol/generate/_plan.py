"""Flows → a flavor-neutral plan: which pods get which allow rules, for which flows, and why.

The plan is built once from :func:`~dtnetpol.dynatrace.applicable_flows` and then lowered
per flavor (plain Kubernetes, Cilium, Calico, OpenShift). It keeps what each peer *means*
(cluster DNS, the API server, hosts named by DNS, node addresses) together with the address
fallback a CIDR-only flavor must use, so every flavor can say the same thing its own way.

Invariants:

1. One policy per (namespace, selected pods, direction); its name is stable:
   ``dynatrace-<component>-<direction>`` for install pods, ``dynatrace-<dynakube>-<component>-
   <direction>`` for a DynaKube's operands, ``dynatrace-<dynakube>-app-egress`` in each
   monitored namespace.
2. A rule has exactly one peer; rules with equal peers are merged by uniting their ports
   (exact: no peer × port cross product appears).
3. Ports are pod ports, as numbers (the OTel collector declares none, and numbers survive
   renamed container ports).
4. Kubelet probes get no rule: traffic from the pod's own node is admitted by the CNIs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from dtnetpol.dynatrace.components import COMPONENTS, ComponentId, Scope
from dtnetpol.dynatrace.dynakube import ApiUrlKind, DynaKube
from dtnetpol.dynatrace.flows import (
    DestKind,
    Flow,
    FlowEnd,
    FlowPort,
    InstallFacts,
    SourceKind,
)
from dtnetpol.dynatrace.platforms import ApiServerSource, ApiServerSourceKind
from dtnetpol.errors import InputError
from dtnetpol.model import Direction, LabelSelector, Protocol

NAME_LABEL = "kubernetes.io/metadata.name"

#: RFC 1918 private IPv4 ranges: what the default "public internet" range leaves out.
PRIVATE_V4 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
#: IPv6 unique local addresses (RFC 4193).
PRIVATE_V6 = ("fc00::/7",)


class PeerKind(StrEnum):
    PODS = "pods"                          # selectors, as in a NetworkPolicy peer
    ALL_PODS = "all-pods"                  # every pod of every namespace
    APISERVER = "apiserver"                # egress to the API server's endpoints
    APISERVER_SOURCE = "apiserver-source"  # ingress from the API server
    HOSTS = "hosts"                        # outside the cluster, named by DNS
    NODES = "nodes"                        # node addresses (kubelet, host-network pods)


class HostsChoice(StrEnum):
    """How the address fallback of a HOSTS peer was chosen (the README's trade-offs)."""

    TENANT_CIDR = "tenant-cidr"   # --tenant-cidr: exact, maintained by the user
    PUBLIC = "public"             # 0.0.0.0/0 minus private ranges, on the needed port only
    PROXY = "proxy"               # spec.proxy: only the proxy
    LITERAL = "literal"           # the hosts are IP addresses


class NodesChoice(StrEnum):
    GIVEN = "given"       # --node-cidr
    OBSERVED = "observed"  # Node objects in PATH
    PRIVATE = "private"   # unknown: the private ranges


@dataclass(frozen=True)
class PlanPeer:
    """One peer of a rule, with what it means and the addresses CIDR-only flavors use.

    ``namespace`` is the concrete namespace of a PODS peer when there is one (a component's
    namespace), so flavors with their own namespace syntax need not parse selectors.
    """

    kind: PeerKind
    description: str
    namespace_selector: LabelSelector | None = None
    pod_selector: LabelSelector | None = None
    namespace: str | None = None
    cidrs: tuple[str, ...] = ()
    excepts: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    hosts_assumed: bool = False
    hosts_choice: HostsChoice | None = None
    nodes_choice: NodesChoice | None = None
    sources: tuple[ApiServerSource, ...] = ()
    address_known: bool = True
    dns: bool = False
    notes: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True, order=True)
class PlanPort:
    """A port a planned rule allows, printed as ``8443/TCP``."""

    protocol: Protocol
    number: int

    def __str__(self) -> str:
        return f"{self.number}/{self.protocol.value}"


@dataclass(frozen=True)
class PlanRule:
    """One planned rule: a peer, its ports and the flows it serves."""

    peer: PlanPeer
    ports: tuple[PlanPort, ...]
    flows: tuple[Flow, ...]

    @property
    def flow_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.id for f in self.flows))


@dataclass(frozen=True)
class Selected:
    """The pods one policy selects: a namespace and matchLabels (empty: every pod)."""

    namespace: str
    labels: tuple[tuple[str, str], ...]
    slug: str
    description: str
    component: ComponentId | None
    app_pods: bool = False

    @property
    def selector(self) -> LabelSelector:
        return LabelSelector(self.labels)


@dataclass(frozen=True)
class PlanPolicy:
    """One planned policy: the pods it selects, one direction, its rules."""

    name: str
    selected: Selected
    direction: Direction
    rules: tuple[PlanRule, ...]
    notes: tuple[str, ...] = ()

    @property
    def flows(self) -> tuple[Flow, ...]:
        return tuple(dict.fromkeys(f for r in self.rules for f in r.flows))


@dataclass(frozen=True)
class Skipped:
    """A flow (side) that gets no rule, and why."""

    flow: Flow
    direction: Direction | None
    reason: str
    warn: bool = False


@dataclass(frozen=True)
class Plan:
    """The policies to write, the flows that get none and why, and warnings."""

    policies: tuple[PlanPolicy, ...]
    skipped: tuple[Skipped, ...]
    warnings: tuple[str, ...]
    install: InstallFacts


@dataclass(frozen=True)
class PlanInput:
    """What the plan needs besides the flows.

    Args:
        install: the install facts the flows were resolved with.
        monitored: per DynaKube name, the namespaces whose pods it instruments.
        tenant_cidrs: where the Dynatrace hosts are (exact, user-maintained).
        proxy_cidrs: the proxy's addresses when spec.proxy names a host.
        node_cidrs: node addresses (``--node-cidr``).
        observed_node_addresses: InternalIP/ExternalIP of the Node objects in PATH.
        ipv6: add the IPv6 public range to the default.
        names_resolve: the flavor can name hosts (Cilium toFQDNs, Calico Enterprise
            domains): a hostname proxy then needs no CIDR.
        dynakubes: by name, for the apiUrl host that stands in for unknown endpoints.
    """

    install: InstallFacts
    monitored: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    tenant_cidrs: tuple[str, ...] = ()
    proxy_cidrs: tuple[str, ...] = ()
    node_cidrs: tuple[str, ...] = ()
    observed_node_addresses: tuple[str, ...] = ()
    ipv6: bool = False
    names_resolve: bool = False
    dynakubes: Mapping[str, DynaKube] = field(default_factory=dict)


# --- naming ---------------------------------------------------------------------------------

_INSTALL_ORDER = (ComponentId.OPERATOR, ComponentId.WEBHOOK, ComponentId.CSI_DRIVER,
                  ComponentId.CRD_STORAGE_MIGRATION)
_COMPONENT_ORDER = {c: i for i, c in enumerate(ComponentId)}


def _selected_for(end: FlowEnd, flow: Flow) -> Selected:
    """The policy subject for a component end (install pod or operand)."""
    assert end.component is not None and end.namespace is not None
    comp = COMPONENTS[end.component]
    labels = tuple(sorted(end.pod_labels.items()))
    if comp.scope is Scope.INSTALL:
        slug = end.component.value
    else:
        owner = flow.edgeconnect if comp.scope is Scope.EDGECONNECT else flow.dynakube
        slug = f"{owner}-{end.component.value}"
    what = f"{comp.display_name} pods" if comp.scope is Scope.INSTALL else end.description
    return Selected(end.namespace, labels, slug, what, end.component)


def _sort_key(p: PlanPolicy) -> tuple[object, ...]:
    sel = p.selected
    comp = sel.component
    if sel.app_pods:
        group, rank = 2, 0
    elif comp is not None and comp in _INSTALL_ORDER:
        group, rank = 0, _INSTALL_ORDER.index(comp)
    elif comp is ComponentId.EDGECONNECT:
        group, rank = 3, 0
    else:
        group, rank = 1, _COMPONENT_ORDER.get(comp, 99) if comp is not None else 99
    direction = 0 if p.direction is Direction.INGRESS else 1
    return (group, sel.slug if group != 0 else "", rank, sel.namespace, direction)


def policy_name(selected: Selected, direction: Direction) -> str:
    return f"dynatrace-{selected.slug}-{direction.word}"


# --- addresses ------------------------------------------------------------------------------


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _host_cidr(host: str) -> str:
    addr = ipaddress.ip_address(host)
    return f"{addr}/{addr.max_prefixlen}"


def check_cidrs(cidrs: Iterable[str], flag: str) -> tuple[str, ...]:
    """Normalised CIDRs; raises InputError naming ``flag`` for an invalid one."""
    out: list[str] = []
    for c in cidrs:
        try:
            out.append(str(ipaddress.ip_network(c.strip(), strict=False)))
        except ValueError as exc:
            raise InputError(f"{flag} {c!r}: {exc}") from None
    return tuple(dict.fromkeys(out))


def _public(ipv6: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    cidrs = ("0.0.0.0/0", "::/0") if ipv6 else ("0.0.0.0/0",)
    excepts = PRIVATE_V4 + (PRIVATE_V6 if ipv6 else ())
    return cidrs, excepts


# --- peers ----------------------------------------------------------------------------------


def _pods_peer(end: FlowEnd, policy_namespace: str) -> PlanPeer:
    """A peer for a component end, seen from a policy in ``policy_namespace``."""
    assert end.namespace is not None
    pods = LabelSelector(tuple(sorted(end.pod_labels.items())))
    ns_sel = None if end.namespace == policy_namespace else \
        LabelSelector(((NAME_LABEL, end.namespace),))
    return PlanPeer(PeerKind.PODS, end.description, namespace_selector=ns_sel,
                    pod_selector=pods, namespace=end.namespace)


def _dns_peer(install: InstallFacts) -> PlanPeer:
    dns = install.platform.dns
    return PlanPeer(PeerKind.PODS, f"cluster DNS pods in {dns.namespace}",
                    namespace_selector=dns.namespace_selector, pod_selector=dns.pod_selector,
                    namespace=dns.namespace, dns=True)


def _apiserver_peer(install: InstallFacts) -> PlanPeer:
    eps = install.apiserver_endpoints
    if eps:
        cidrs = tuple(sorted({_host_cidr(e.host) for e in eps if is_ip(e.host)}))
        if len(cidrs) == len({e.host for e in eps}):
            return PlanPeer(PeerKind.APISERVER,
                            "kube-apiserver endpoints " + ", ".join(str(e) for e in eps),
                            cidrs=cidrs)
    port = install.platform.apiserver_port
    return PlanPeer(
        PeerKind.APISERVER, "kube-apiserver (address unknown)", cidrs=("0.0.0.0/0",),
        address_known=False,
        notes=(f"FILL IN: the API server's endpoint address is unknown, so this rule admits "
               f"every address on port {port.value}. Replace 0.0.0.0/0 by the addresses of "
               "`kubectl get endpointslice -n default -l kubernetes.io/service-name="
               "kubernetes` (or give the EndpointSlice in PATH, or --apiserver IP:PORT).",))


def _apiserver_sources(install: InstallFacts) -> tuple[PlanPeer, list[str]]:
    """The webhook's ingress peer: the platform's API-server sources, CIDRs filled in."""
    warnings: list[str] = []
    sources: list[ApiServerSource] = []
    notes: list[str] = []
    endpoint_ips = tuple(sorted({_host_cidr(e.host) for e in install.apiserver_endpoints
                                 if is_ip(e.host)}))
    for s in install.platform.webhook_sources:
        if not s.missing_cidrs:
            sources.append(s)
            continue
        if s.kind is ApiServerSourceKind.NODE_CIDR and endpoint_ips:
            sources.append(replace(s, cidrs=endpoint_ips))
            notes.append(f"{s.description}: the default/kubernetes endpoint address "
                         f"({', '.join(endpoint_ips)}) is used, which tigera/operator notes "
                         "usually is the source; if the webhook still times out, give the "
                         "control-plane node CIDRs with --apiserver-cidr.")
            continue
        warnings.append(f"{s.description}: no CIDRs given (--apiserver-cidr); this source is "
                        "left out of the webhook's ingress")
        notes.append(f"Left out: {s.description} (give --apiserver-cidr).")
    if not sources:
        names = "; ".join(s.description for s in install.platform.webhook_sources)
        self_hosted = any(s.kind is ApiServerSourceKind.NODE_CIDR
                          for s in install.platform.webhook_sources)
        hint = (" (or --apiserver IP:PORT: on self-hosted clusters the endpoint address "
                "usually is the source)") if self_hosted else ""
        raise InputError(f"the webhook's ingress from the API server needs its source "
                         f"addresses on {install.platform.display_name} ({names}): give "
                         f"--apiserver-cidr CIDR{hint}")
    for s in sources:
        notes.extend(s.extra_steps)
        if not s.verified:
            notes.append(f"Unverified: {s.description} ({s.source}).")
    desc = "; ".join(s.description for s in sources)
    return (PlanPeer(PeerKind.APISERVER_SOURCE, f"kube-apiserver ({desc})",
                     sources=tuple(sources), notes=tuple(notes)), warnings)


def _nodes_peer(inp: PlanInput, why: str) -> PlanPeer:
    if inp.node_cidrs:
        return PlanPeer(PeerKind.NODES, f"node addresses (--node-cidr) {why}",
                        cidrs=inp.node_cidrs, nodes_choice=NodesChoice.GIVEN)
    if inp.observed_node_addresses:
        cidrs = tuple(sorted({_host_cidr(a) for a in inp.observed_node_addresses},
                             key=_cidr_key))
        return PlanPeer(PeerKind.NODES, f"node addresses (Nodes in PATH) {why}", cidrs=cidrs,
                        nodes_choice=NodesChoice.OBSERVED)
    cidrs = PRIVATE_V4 + (PRIVATE_V6 if inp.ipv6 else ())
    return PlanPeer(PeerKind.NODES, f"node addresses {why}", cidrs=cidrs,
                    nodes_choice=NodesChoice.PRIVATE, address_known=False,
                    notes=("Node addresses unknown: the private ranges stand in for them; "
                           "give --node-cidr (or the Node objects in PATH) to narrow this.",))


def _cidr_key(c: str) -> tuple[int, int, int]:
    net = ipaddress.ip_network(c)
    return (net.version, int(net.network_address), net.prefixlen)


def _names(flow: Flow, inp: PlanInput) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """Host names (exact), wildcard patterns, and whether they are assumed.

    Communication endpoints come from the DynaKube's status; without it the apiUrl host
    (and, for SaaS, ``*.<its domain>``) stands in for them.
    """
    end = flow.destination
    hosts = tuple(dict.fromkeys(h.host for h in end.hosts))
    if hosts:
        return hosts, (), False
    dk = inp.dynakubes.get(flow.dynakube or "")
    if dk is None and len(inp.dynakubes) == 1:
        dk = next(iter(inp.dynakubes.values()))
    if dk is None:
        return (), (), True
    api = dk.api_url.api_host
    patterns: tuple[str, ...] = ()
    if dk.api_url.kind is ApiUrlKind.SAAS and "." in api:
        patterns = ("*." + api.split(".", 1)[1],)
    return (api,), patterns, True


def _hosts_peer(flow: Flow, inp: PlanInput) -> PlanPeer:
    end = flow.destination
    hosts, patterns, assumed = _names(flow, inp)
    notes: tuple[str, ...] = ()
    if assumed:
        notes = (f"{end.description}: not in the input (no DynaKube status); the apiUrl host"
                 + (" and " + ", ".join(patterns) if patterns else "")
                 + " stand in for them.",)
    if DestKind(end.kind) is DestKind.PROXY:
        proxy = end.hosts[0] if end.hosts else None
        if proxy is not None and is_ip(proxy.host):
            return PlanPeer(PeerKind.HOSTS, f"proxy {proxy}", cidrs=(_host_cidr(proxy.host),),
                            hosts=(proxy.host,), hosts_choice=HostsChoice.PROXY)
        if inp.proxy_cidrs:
            return PlanPeer(PeerKind.HOSTS, f"proxy {proxy or '(from a Secret)'}",
                            cidrs=inp.proxy_cidrs, hosts=(proxy.host,) if proxy else (),
                            hosts_choice=HostsChoice.PROXY)
        if proxy is not None and inp.names_resolve:
            return PlanPeer(PeerKind.HOSTS, f"proxy {proxy}", hosts=(proxy.host,),
                            hosts_choice=HostsChoice.PROXY, address_known=False)
        what = f"names the host {proxy.host}" if proxy is not None else \
            "comes from a Secret (its address is not in the input)"
        raise InputError(f"{end.description} {what}: give its addresses with --proxy-cidr "
                         "(NetworkPolicy cannot name hosts)")
    if hosts and not patterns and all(is_ip(h) for h in hosts):
        return PlanPeer(PeerKind.HOSTS, end.description,
                        cidrs=tuple(sorted({_host_cidr(h) for h in hosts}, key=_cidr_key)),
                        hosts=hosts, hosts_choice=HostsChoice.LITERAL)
    if inp.tenant_cidrs:
        return PlanPeer(PeerKind.HOSTS, end.description, cidrs=inp.tenant_cidrs, hosts=hosts,
                        patterns=patterns, hosts_assumed=assumed,
                        hosts_choice=HostsChoice.TENANT_CIDR, notes=notes)
    cidrs, excepts = _public(inp.ipv6)
    return PlanPeer(PeerKind.HOSTS, end.description, cidrs=cidrs, excepts=excepts, hosts=hosts,
                    patterns=patterns, hosts_assumed=assumed, hosts_choice=HostsChoice.PUBLIC,
                    notes=notes)


def _ports(ports: Sequence[FlowPort]) -> tuple[PlanPort, ...]:
    return tuple(sorted({PlanPort(p.protocol, p.number) for p in ports}))


# --- the plan -------------------------------------------------------------------------------


@dataclass
class _Builder:
    """Collects the rules per selected pods and direction while the flows are planned."""

    inp: PlanInput
    rules: dict[tuple[Selected, Direction], list[PlanRule]] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _apiserver_source: PlanPeer | None = None

    def add(self, selected: Selected, direction: Direction, peer: PlanPeer,
            ports: tuple[PlanPort, ...], flow: Flow) -> None:
        rules = self.rules.setdefault((selected, direction), [])
        for i, r in enumerate(rules):
            if r.peer == peer:
                merged = tuple(sorted(set(r.ports) | set(ports)))
                rules[i] = PlanRule(r.peer, merged, (*r.flows, flow))
                return
        rules.append(PlanRule(peer, ports, (flow,)))

    def skip(self, flow: Flow, direction: Direction | None, reason: str,
             warn: bool = False) -> None:
        self.skipped.append(Skipped(flow, direction, reason, warn))
        if warn:
            self.warnings.append(f"{flow.id}: {reason}")

    def apiserver_source(self) -> PlanPeer:
        if self._apiserver_source is None:
            self._apiserver_source, warns = _apiserver_sources(self.inp.install)
            self.warnings.extend(warns)
        return self._apiserver_source

    # ---- ingress side: the destination pods admit the source --------------------------
    def ingress(self, flow: Flow) -> None:
        dst, src = flow.destination, flow.source
        if dst.component is None or dst.namespace is None:
            return
        if not flow.ingress_governed:
            if dst.host_network:
                self.skip(flow, Direction.INGRESS, "the destination runs on the host network; "
                          "NetworkPolicy does not govern its ingress")
            return
        selected = _selected_for(dst, flow)
        kind = SourceKind(src.kind)
        ports = _ports(flow.ports)
        if kind is SourceKind.KUBELET:
            self.skip(flow, Direction.INGRESS, "kubelet probes come from the pod's own node, "
                      "which the CNIs admit regardless of policy")
            return
        if kind is SourceKind.COMPONENT:
            if src.host_network:
                peer = _nodes_peer(self.inp, "(the source runs on the host network)")
            else:
                peer = _pods_peer(src, dst.namespace)
        elif kind is SourceKind.APP_PODS:
            if src.namespace_selector is not None:
                peer = PlanPeer(PeerKind.PODS, src.description,
                                namespace_selector=src.namespace_selector)
            else:
                peer = PlanPeer(PeerKind.ALL_PODS, src.description,
                                namespace_selector=LabelSelector())
        elif kind is SourceKind.APISERVER:
            peer = self.apiserver_source()
        else:  # OneAgent on the host network: node addresses
            peer = _nodes_peer(self.inp, "(OneAgent runs on the host network)")
        self.add(selected, Direction.INGRESS, peer, ports, flow)

    # ---- egress side: the source pods may open the connection ----------------------------
    def egress(self, flow: Flow) -> None:
        src, dst = flow.source, flow.destination
        kind = SourceKind(src.kind)
        if kind not in (SourceKind.COMPONENT, SourceKind.APP_PODS):
            return
        if not flow.egress_governed:
            if src.host_network:
                self.skip(flow, Direction.EGRESS, "the source runs on the host network; "
                          "NetworkPolicy does not govern its egress (node firewall or host "
                          "policy does)")
            return
        dkind = DestKind(dst.kind)
        if dkind is DestKind.EXTERNAL:
            self.skip(flow, Direction.EGRESS, f"{dst.description}: user-defined addresses; "
                      "add an egress rule for them yourself", warn=flow.required)
            return
        ports = _ports(flow.ports)
        if kind is SourceKind.APP_PODS:
            targets = self._app_targets(flow)
            if not targets:
                return
        else:
            targets = [_selected_for(src, flow)]
        for selected in targets:
            peer = self._egress_peer(flow, dkind, selected.namespace)
            self.add(selected, Direction.EGRESS, peer, ports, flow)

    def _egress_peer(self, flow: Flow, dkind: DestKind, namespace: str) -> PlanPeer:
        dst = flow.destination
        if dkind is DestKind.COMPONENT:
            if dst.host_network:
                return _nodes_peer(self.inp, "(the destination runs on the host network)")
            return _pods_peer(dst, namespace)
        if dkind is DestKind.DNS:
            return _dns_peer(self.inp.install)
        if dkind is DestKind.APISERVER:
            peer = _apiserver_peer(self.inp.install)
            if not peer.address_known:
                self.warnings.append(
                    "the API server's endpoint address is unknown: its egress rules admit "
                    "0.0.0.0/0 on the API port until you fill it in (give the default/"
                    "kubernetes EndpointSlice in PATH or --apiserver IP:PORT)")
            return peer
        if dkind is DestKind.KUBELET:
            return _nodes_peer(self.inp, "(kubelet)")
        return _hosts_peer(flow, self.inp)

    def _app_targets(self, flow: Flow) -> list[Selected]:
        src = flow.source
        if src.namespace_selector is None:
            self.skip(flow, Direction.EGRESS, "the senders may be in any namespace: allow "
                      "their egress where they run (the destination admits every pod)")
            return []
        dk = flow.dynakube or ""
        namespaces = self.inp.monitored.get(dk, ())
        if not namespaces:
            self.skip(flow, Direction.EGRESS, "no monitored namespace is known: give "
                      "--monitored-namespaces or the Namespaces in PATH",
                      warn=flow.required)
            return []
        return [Selected(ns, (), f"{dk}-app", f"application pods monitored by {dk}",
                         ComponentId.CODE_MODULES, app_pods=True) for ns in namespaces]


def _policy_notes(selected: Selected, direction: Direction) -> tuple[str, ...]:
    if selected.app_pods:
        return (f"Selects EVERY pod of {selected.namespace} and isolates its egress: apply it "
                "only where a default-deny egress policy already exists, or the pods lose "
                "every other egress they had.",)
    return ()


def build_plan(flows: Sequence[Flow], inp: PlanInput) -> Plan:
    """The policies that let exactly these flows through.

    Raises:
        InputError: when a needed address cannot be known (a hostname proxy without
            ``--proxy-cidr``, the webhook's API-server source without any CIDR).
    """
    b = _Builder(inp)
    for flow in flows:
        b.ingress(flow)
        b.egress(flow)
    policies = [
        PlanPolicy(policy_name(sel, d), sel, d, tuple(rules), _policy_notes(sel, d))
        for (sel, d), rules in b.rules.items()]
    policies.sort(key=_sort_key)
    names = [p.name + "/" + p.selected.namespace for p in policies]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise InputError(f"two generated policies would share a name: {', '.join(sorted(dup))}")
    warnings = list(dict.fromkeys(b.warnings))
    return Plan(tuple(policies), tuple(b.skipped), tuple(warnings), inp.install)
