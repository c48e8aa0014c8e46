"""Fixes: the smallest new policies that let the blocked sides of the required flows through.

For every rule the plan would generate, each flow it serves is asked of the engine on the
user's own cluster, side by side (egress of the source pods, ingress of the destination
pods) and port by port. A side that blocks a port gets a new policy named after the one
``generate`` would write, plus ``-fix``: same pods, only the rules of the blocked sides,
only the blocked ports. Nothing existing is changed, so applying a fix only adds.

A side is judged on the pods the input shows; when they are absent, on pods with the labels
the operator gives them (so a cluster given as policies alone can be fixed too). A side that
allows part of the addresses (a narrower tenant range than the default) counts as allowed:
the user chose it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import count

from dtnetpol.dynatrace.flows import Flow, FlowEnd, InstallFacts, SourceKind, expected_pod
from dtnetpol.dynatrace.platforms import ApiServerSourceKind
from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.analysis import Analyzer, Endpoint, ExternalEndpoint, PodClass
from dtnetpol.engine.explain import SideStatus
from dtnetpol.engine.selectors import compile_selector
from dtnetpol.generate._doc import GeneratedDoc
from dtnetpol.generate._flavor import Flavor
from dtnetpol.generate._kubernetes import ip_blocks, kubernetes_doc
from dtnetpol.generate._options import GenerateOptions
from dtnetpol.generate._plan import (
    PeerKind,
    PlanPeer,
    PlanPort,
    PlanRule,
    Selected,
    build_plan,
)
from dtnetpol.model import Cluster, ContainerPort, Direction, Pod, WorkloadRef

FIX_SUFFIX = "-fix"


@dataclass(frozen=True)
class BlockedSide:
    """One side of one flow that blocks some ports."""

    flow: Flow
    direction: Direction
    subject: str
    ports: tuple[PlanPort, ...]


@dataclass(frozen=True)
class FixResult:
    """The fix policies, the blocked sides they open, and warnings."""

    documents: tuple[GeneratedDoc, ...]
    blocked: tuple[BlockedSide, ...]
    warnings: tuple[str, ...]


class _Ends:
    """Endpoints for the engine: real pod classes where the input has them, else stand-ins."""

    def __init__(self, an: Analyzer, install: InstallFacts, options: GenerateOptions) -> None:
        self.an = an
        self.install = install
        self.modes = {dk.name: dk.mode.value for dk in options.dynakubes
                      if dk.oneagent_daemonset}
        self._ids = count(-1, -1)

    def _synthetic(self, namespace: str, labels: dict[str, str],
                   ports: tuple[ContainerPort, ...] = ()) -> PodClass:
        name = f"<{labels.get('app.kubernetes.io/name', 'pod')}>"
        pod = Pod(namespace, name, WorkloadRef(namespace, name, "Pod"), labels, ports)
        return PodClass(next(self._ids), namespace, labels, ports, False, (pod,))

    def subjects(self, selected: Selected, flow: Flow) -> list[PodClass]:
        match = compile_selector(selected.selector)
        real = [c for c in self.an.classes_in(selected.namespace)
                if not c.host_network and match(c.labels)]
        if real:
            return real
        if selected.component is None or selected.app_pods:
            return [self._synthetic(selected.namespace, {})]
        end = flow.source if flow.source.component is selected.component else flow.destination
        return [self._component(end, flow)]

    def _component(self, end: FlowEnd, flow: Flow) -> PodClass:
        assert end.component is not None and end.namespace is not None
        labels, ports = expected_pod(flow, end, release_name=self.install.release_name,
                                     oneagent_modes=self.modes)
        real = [c for c in self.an.classes_in(end.namespace)
                if all(c.labels.get(k) == v for k, v in end.pod_labels.items())]
        return real[0] if real else self._synthetic(end.namespace, labels, ports)

    def others(self, peer: PlanPeer, flow: Flow, direction: Direction) -> list[Endpoint]:
        """The far ends of a rule, as the engine sees them (several API-server sources)."""
        far = flow.destination if direction is Direction.EGRESS else flow.source
        if peer.kind is PeerKind.PODS:
            if far.component is not None and far.namespace is not None:
                return [self._component(far, flow)]
            if peer.dns:
                dns = self.install.platform.dns
                real = [c for c in self.an.classes_in(dns.namespace) if
                        compile_selector(dns.pod_selector)(c.labels)]
                return list(real[:1]) or [self._synthetic(
                    dns.namespace, dict(dns.pod_labels),
                    tuple(ContainerPort(n, p) for n, p in dns.ports))]
            return [self._app_pods(flow)]
        if peer.kind is PeerKind.ALL_PODS:
            return [self._synthetic("default", {})]
        if peer.kind is PeerKind.APISERVER_SOURCE:
            out: list[Endpoint] = []
            for s in peer.sources:
                if s.kind is ApiServerSourceKind.HOST_NETWORK_NAMESPACE:
                    ns = _namespace_of(self.an.cluster, s.namespace_selector)
                    out.append(ExternalEndpoint("kube-apiserver", None, as_namespace=ns))
                elif s.kind is ApiServerSourceKind.POD_PEER:
                    labels = dict(s.pod_selector.match_labels) if s.pod_selector else {}
                    out.append(self._synthetic("kube-system", labels))
                else:
                    out.append(ExternalEndpoint("kube-apiserver", _addresses(s.cidrs, ())))
            return out
        name = {PeerKind.APISERVER: "kube-apiserver", PeerKind.NODES: "nodes"}.get(
            peer.kind, "hosts")
        return [ExternalEndpoint(name, _addresses(peer.cidrs, peer.excepts))]

    def _app_pods(self, flow: Flow) -> PodClass:
        sel = flow.source.namespace_selector if flow.source.kind == SourceKind.APP_PODS else None
        if sel is not None:
            for c in self.an.classes:
                if not c.host_network and self.an.namespace_matches(sel, c.namespace):
                    return c
        namespaces = self.install.monitored_namespaces or ("default",)
        return self._synthetic(namespaces[0], {})


def _namespace_of(cluster: Cluster, selector: object) -> str | None:
    from dtnetpol.model import LabelSelector

    if not isinstance(selector, LabelSelector):
        return None
    match = compile_selector(selector)
    for ns in cluster.namespaces.values():
        if match(ns.labels):
            return ns.name
    return "openshift-host-network"


def _addresses(cidrs: Sequence[str], excepts: Sequence[str]) -> AddressSet:
    out = AddressSet()
    for block in ip_blocks(tuple(cidrs), tuple(excepts)):
        out = out.union(AddressSet.of_block(block))
    if not cidrs:
        return AddressSet.of_networks([ipaddress.ip_network("0.0.0.0/0")])
    return out


def _blocked_ports(an: Analyzer, subject: PodClass, direction: Direction,
                   others: list[Endpoint], ports: tuple[PlanPort, ...],
                   dst_ports: tuple[ContainerPort, ...] | None) -> tuple[PlanPort, ...]:
    """Ports on which the side blocks every one of ``others`` (NOT_ISOLATED never blocks)."""
    out = []
    for p in ports:
        statuses = [an.side_verdict(subject, direction, o, dst_ports if dst_ports is not None
                                    else (o.ports if isinstance(o, PodClass) else None),
                                    p.number, p.protocol)[0].status for o in others]
        if statuses and all(s is SideStatus.BLOCKED for s in statuses):
            out.append(p)
    return tuple(out)


def fix(cluster: Cluster, flows: Sequence[Flow], options: GenerateOptions,
        required_only: bool = True, analyzer: Analyzer | None = None) -> FixResult:
    """New policies for the blocked sides of ``flows`` on ``cluster`` (required flows only,
    unless ``required_only`` is False). ``analyzer``: ``cluster`` already compiled, so that
    callers asking flow by flow compile it once.

    Raises:
        InputError: as :func:`~dtnetpol.generate.generate` (an address that must be given).
    """
    plan = build_plan([f for f in flows if f.required or not required_only],
                      options.plan_input())
    an = analyzer if analyzer is not None else Analyzer(cluster, plan.install.host_network)
    ends = _Ends(an, plan.install, options)
    found: list[BlockedSide] = []
    docs: list[GeneratedDoc] = []
    for policy in plan.policies:
        rules: list[PlanRule] = []
        for rule in policy.rules:
            keep_flows: list[Flow] = []
            keep_ports: set[PlanPort] = set()
            for flow in rule.flows:
                ports = tuple(p for p in rule.ports
                              if any(fp.number == p.number and fp.protocol is p.protocol
                                     for fp in flow.ports))
                others = ends.others(rule.peer, flow, policy.direction)
                for subject in ends.subjects(policy.selected, flow):
                    dst_ports = subject.ports if policy.direction is Direction.INGRESS else None
                    bad = _blocked_ports(an, subject, policy.direction, others, ports,
                                         dst_ports)
                    if bad:
                        found.append(BlockedSide(flow, policy.direction, subject.name, bad))
                        keep_flows.append(flow)
                        keep_ports.update(bad)
            if keep_flows:
                rules.append(PlanRule(rule.peer, tuple(sorted(keep_ports)),
                                      tuple(dict.fromkeys(keep_flows))))
        if rules:
            fixed = replace(policy, name=policy.name + FIX_SUFFIX, rules=tuple(rules),
                            notes=(*policy.notes, "Added by dtnetpol fix: only the blocked "
                                   "sides of these flows, only their blocked ports."))
            # In the flavour the cluster uses: a Cilium default-deny gets Cilium fixes, a
            # Calico default-deny Calico policies placed before it.
            if options.flavor is Flavor.CILIUM:
                from dtnetpol.generate._cilium import cilium_doc  # only for its flavour

                docs.append(cilium_doc(fixed, plan.install))
            elif options.flavor is Flavor.CALICO:
                from dtnetpol.generate._calico import calico_doc

                docs.append(calico_doc(fixed, options.calico_edition, options.calico_tier,
                                       options.calico_order))
            else:
                docs.append(kubernetes_doc(fixed))
    return FixResult(tuple(docs), tuple(found), plan.warnings)
