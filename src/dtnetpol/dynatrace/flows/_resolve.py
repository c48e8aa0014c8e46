"""From the flow table to the concrete flows of one installation.

Sources and destinations are resolved to namespaces, pod labels, hosts and ports; a proxy
replaces the tenant where one applies; notes say what NetworkPolicy cannot govern.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from dtnetpol.dynatrace.components import (
    APP_COMPONENT,
    APP_NAME,
    CSI_SELECTOR_LABELS,
    INSTALL_APP_NAME,
    INSTANCE_NAMESPACE_LABEL,
    OPERATOR_SELECTOR_KEY,
    TELEMETRY_PROTOCOL_PORTS,
    WEBHOOK_SELECTOR_LABELS,
    ComponentId,
    LabelFamily,
    Scope,
    component,
    install_labels,
    operand_labels,
    operand_selector,
)
from dtnetpol.dynatrace.dynakube import DynaKube, EdgeConnect, HostPort
from dtnetpol.dynatrace.flows._shared import AG, EC, KUBEMON, OA, OTEL, zone_confined
from dtnetpol.dynatrace.flows._table import FLOW_SPECS
from dtnetpol.dynatrace.flows._types import (
    DestKind,
    Flow,
    FlowContext,
    FlowEnd,
    FlowPort,
    FlowSpec,
    InstallFacts,
    SourceKind,
)
from dtnetpol.model import ContainerPort, LabelSelector

__all__ = ["applicable_flows", "expected_pod"]


def _install_labels(cid: ComponentId, install: InstallFacts) -> dict[str, str]:
    if cid is ComponentId.WEBHOOK:
        return dict(WEBHOOK_SELECTOR_LABELS)
    if cid is ComponentId.CSI_DRIVER:
        return dict(CSI_SELECTOR_LABELS)
    if cid is ComponentId.OPERATOR:
        # Stable across versions: pre-1.0 charts used the release name as name label.
        return {APP_COMPONENT: "operator", OPERATOR_SELECTOR_KEY: install.release_name}
    return {APP_NAME: INSTALL_APP_NAME, APP_COMPONENT: component(cid).component_label or ""}


def _component_end(cid: ComponentId, ctx: FlowContext) -> FlowEnd:
    comp = component(cid)
    install = ctx.install
    if comp.scope is Scope.INSTALL:
        host_net = cid is ComponentId.WEBHOOK and install.webhook_host_network \
            and install.node_traffic
        return FlowEnd(SourceKind.COMPONENT.value, cid, install.operator_namespace,
                       _install_labels(cid, install), host_network=host_net,
                       description=comp.display_name)
    if comp.scope is Scope.EDGECONNECT:
        ec = ctx.ec
        return FlowEnd(SourceKind.COMPONENT.value, cid, ec.namespace,
                       operand_selector(cid, ec.name), description=f"EdgeConnect {ec.name}")
    dk = ctx.dk
    return FlowEnd(SourceKind.COMPONENT.value, cid, dk.namespace, operand_selector(cid, dk.name),
                   host_network=cid is ComponentId.ONEAGENT and install.node_traffic,
                   description=f"{comp.display_name} of {dk.name}")


def _app_end(spec: FlowSpec, ctx: FlowContext) -> FlowEnd:
    if spec.dest == OTEL.value:
        return FlowEnd(SourceKind.APP_PODS.value,
                       description=f"pods sending telemetry to {ctx.dk.otel_service_name} "
                                   "(any namespace)")
    dk = ctx.dk
    selected = dk.namespace_selector
    if selected is None and dk.otlp_exporter is not None:
        selected = dk.otlp_exporter.namespace_selector
    return FlowEnd(
        SourceKind.APP_PODS.value, ComponentId.CODE_MODULES,
        namespace_selector=LabelSelector(((INSTANCE_NAMESPACE_LABEL, dk.name),)),
        selected_by=selected, namespaces=ctx.install.monitored_namespaces,
        description=f"application pods in namespaces monitored by {dk.name}")


def _image_registry(image: str) -> HostPort:
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        host, _, port = first.partition(":")
        return HostPort(host.lower(), int(port) if port.isdigit() else 443)
    return HostPort("registry-1.docker.io", 443)


#: Sources that follow the OneAgent proxy setting (feature.dynatrace.com/oneagent-ignore-proxy):
#: the OneAgent DaemonSet and the code modules / init download. Standalone log monitoring
#: uses spec.proxy whenever it is set, whatever that flag says.
_ONEAGENT_PROXY_SOURCES = (OA.value, SourceKind.APP_PODS.value)


def _proxy_for(spec: FlowSpec, ctx: FlowContext) -> tuple[FlowEnd, tuple[str, ...]] | None:
    """The proxy a tenant-bound flow must use instead, if any."""
    if not spec.tenant_traffic:
        return None
    if ctx.edgeconnect is not None and spec.scope is Scope.EDGECONNECT:
        if spec.source == EC.value and ctx.ec.proxy is not None:
            return (FlowEnd(DestKind.PROXY.value, hosts=(ctx.ec.proxy,),
                            description="EdgeConnect spec.proxy"), ())
        return None
    if ctx.dynakube is not None:
        dk = ctx.dk
        if spec.source == AG.value and dk.activegate_ignores_proxy:
            return None
        if spec.source in _ONEAGENT_PROXY_SOURCES and dk.oneagent_ignores_proxy:
            return None
        if dk.proxy is not None:
            if dk.proxy.endpoint is not None:
                return (FlowEnd(DestKind.PROXY.value, hosts=(dk.proxy.endpoint,),
                                description=f"spec.proxy of {dk.name}"), ())
            note = (f"spec.proxy comes from Secret {dk.proxy.from_secret}: its address is "
                    "unknown here; give it (InstallFacts.proxy) to check this flow")
            return (FlowEnd(DestKind.PROXY.value, description=f"spec.proxy of {dk.name}"),
                    (note,))
    proxy = ctx.install.proxy_endpoint
    if proxy is not None:
        return FlowEnd(DestKind.PROXY.value, hosts=(proxy,), description="egress proxy"), ()
    return None


def _destination(spec: FlowSpec, ctx: FlowContext
                 ) -> tuple[FlowEnd, tuple[FlowPort, ...], bool, tuple[str, ...]]:
    """Destination, ports, whether the ports are assumed, extra notes."""
    install = ctx.install
    proxied = _proxy_for(spec, ctx)
    if proxied is not None:
        end, notes = proxied
        ports = tuple(FlowPort(h.port) for h in end.hosts)
        return end, ports, not ports, notes
    kind = spec.dest_kind
    if kind is DestKind.COMPONENT:
        cid = ComponentId(spec.dest)
        end = _component_end(cid, ctx)
        ports = spec.ports
        if cid is ComponentId.WEBHOOK:
            ports = tuple(FlowPort(install.webhook_port, p.protocol, p.name)
                          if p.number == 8443 else
                          FlowPort(install.webhook_probe_port, p.protocol, p.name)
                          if p.number == 10080 else p for p in ports)
        if cid is ComponentId.OTEL_COLLECTOR and spec.source_kind is SourceKind.APP_PODS:
            ti = ctx.dk.telemetry_ingest
            numbers = [n for proto in (ti.protocols if ti else ())
                       for n in TELEMETRY_PROTOCOL_PORTS[proto]]
            ports = tuple(sorted(FlowPort(p.number, p.protocol, p.name)
                                 for p in component(cid).ports if p.number in numbers))
        return end, ports, False, ()
    if kind is DestKind.APISERVER:
        ports = tuple(FlowPort(p) for p in install.apiserver_ports)
        assumed = not install.apiserver_endpoints and not install.platform.apiserver_port.verified
        note = () if install.apiserver_endpoints else (
            f"API server port {install.platform.apiserver_port.value} from the "
            f"{install.platform.display_name} profile ({install.platform.apiserver_port.source}); "
            "read the default/kubernetes EndpointSlice to be sure",)
        return (FlowEnd(kind.value, hosts=install.apiserver_endpoints,
                        description="kube-apiserver endpoints"), ports, assumed, note)
    if kind is DestKind.DNS:
        dns = install.platform.dns
        return (FlowEnd(kind.value, namespace=dns.namespace, pod_labels=dict(dns.pod_labels),
                        namespace_selector=dns.namespace_selector,
                        description=f"cluster DNS in {dns.namespace}"),
                tuple(FlowPort(n, p) for n, p in dns.ports), not dns.verified, ())
    if kind is DestKind.KUBELET:
        return (FlowEnd(kind.value, description="kubelet on the node IPs"), spec.ports, False,
                ())
    if kind is DestKind.TENANT:
        if ctx.edgeconnect is not None and spec.scope is Scope.EDGECONNECT:
            ec = ctx.ec
            hosts = (ec.api_server,) + ((ec.oauth_endpoint,) if ec.oauth_endpoint else ())
            return (FlowEnd(kind.value, hosts=hosts, description="EdgeConnect API server"),
                    tuple(sorted({FlowPort(h.port) for h in hosts})), False, ())
        api = ctx.dk.api_url
        return (FlowEnd(kind.value, hosts=(api.endpoint,), description=f"apiUrl {api.raw}"),
                (FlowPort(api.port),), False, ())
    if kind in (DestKind.ONEAGENT_ENDPOINTS, DestKind.ACTIVEGATE_ENDPOINTS):
        dk = ctx.dk
        oneagent = kind is DestKind.ONEAGENT_ENDPOINTS
        eps = dk.oneagent_endpoints if oneagent else dk.activegate_endpoints
        if spec.source == KUBEMON.value:
            eps = ()
        field_name = ("status.oneAgent.connectionInfoStatus.endpoints (';'-separated)"
                      if oneagent else
                      "status.activeGate.connectionInfoStatus.endpoints (',')")
        ep_notes: tuple[str, ...] = ("Chosen by the tenant and may change; " + field_name,)
        if oneagent and zone_confined(ctx):
            ep_notes += ("spec.networkZone with a routing ActiveGate: the endpoints can be only "
                      "the in-cluster ActiveGate (see app-to-activegate-9999 / "
                      "oneagent-to-activegate).",)
        if eps:
            return (FlowEnd(kind.value, hosts=eps, description=field_name),
                    tuple(sorted({FlowPort(h.port) for h in eps})), False, ep_notes)
        return (FlowEnd(kind.value, description=field_name), (FlowPort(443),), True,
                (*ep_notes, "No status in the input: port 443 assumed."))
    if kind is DestKind.REGISTRY:
        if spec.scope is Scope.EDGECONNECT:
            return (FlowEnd(kind.value, hosts=(HostPort("registry-1.docker.io", 443),),
                            description="docker.io/dynatrace/edgeconnect"),
                    (FlowPort(443),), False, ())
        dk = ctx.dk
        if dk.code_modules_image:
            reg = _image_registry(dk.code_modules_image)
            return (FlowEnd(kind.value, hosts=(reg,),
                            description=f"registry of {dk.code_modules_image}"),
                    (FlowPort(reg.port),), False, ())
        where = dk.public_registry_override or "the public registry named by the tenant"
        return (FlowEnd(kind.value, description=where), (FlowPort(443),), True, ())
    return FlowEnd(kind.value, description=spec.dest), spec.ports, False, ()


def _source(spec: FlowSpec, ctx: FlowContext) -> FlowEnd:
    kind = spec.source_kind
    if kind is SourceKind.COMPONENT:
        return _component_end(ComponentId(spec.source), ctx)
    if kind is SourceKind.APP_PODS:
        return _app_end(spec, ctx)
    if kind is SourceKind.APISERVER:
        sources = "; ".join(s.description for s in ctx.install.platform.webhook_sources)
        return FlowEnd(kind.value, description=f"kube-apiserver ({sources})")
    if kind is SourceKind.ONEAGENT_NODES:
        if not ctx.install.node_traffic:   # --host-network pod: the OneAgent pods themselves
            return _component_end(ComponentId.ONEAGENT, ctx)
        return FlowEnd(kind.value, ComponentId.ONEAGENT, host_network=True,
                       description="node IPs (OneAgent on the host network)")
    return FlowEnd(kind.value, description="kubelet on the pod's node")


#: Notes of the flow table that hold only when host-network pods are node traffic.
_HOST_NETWORK_NOTE_PREFIXES = ("Host network: pod NetworkPolicies do not govern",
                               "The source is node IPs:")

_UNGOVERNED_DEST = (DestKind.APISERVER, DestKind.KUBELET, DestKind.TENANT,
                    DestKind.ONEAGENT_ENDPOINTS, DestKind.ACTIVEGATE_ENDPOINTS,
                    DestKind.REGISTRY, DestKind.PROXY, DestKind.EXTERNAL)


def _resolve(spec: FlowSpec, ctx: FlowContext, flow_id: str) -> Flow:
    src = _source(spec, ctx)
    dest, ports, assumed, extra = _destination(spec, ctx)
    required = spec.required_if(ctx) if spec.required_if is not None else spec.required
    egress = SourceKind(src.kind) in (SourceKind.COMPONENT, SourceKind.APP_PODS) \
        and not src.host_network
    ingress = DestKind(dest.kind) not in _UNGOVERNED_DEST and not dest.host_network
    notes = spec.notes + extra
    if not ctx.install.node_traffic and any(
            n.startswith(_HOST_NETWORK_NOTE_PREFIXES) for n in notes):
        notes = (*(n for n in notes if not n.startswith(_HOST_NETWORK_NOTE_PREFIXES)),
                 "--host-network pod: policies that select the OneAgent pods govern this flow "
                 "and peer selectors match them (on CNIs that tell host-network pods apart).")
    if src.host_network and spec.source_kind is SourceKind.COMPONENT:
        notes += ("The source runs on the host network: NetworkPolicy does not govern its "
                  "egress.",)
    if dest.host_network:
        notes += ("The destination runs on the host network: NetworkPolicy does not govern "
                  "its ingress; the node firewall must admit the port.",)
    if spec.source_kind is SourceKind.APISERVER:
        need = ctx.install.platform.needs_user_input
        notes += need
    return Flow(
        id=flow_id, spec=spec, source=src, destination=dest, ports=ports, required=required,
        dynakube=ctx.dynakube.name if ctx.dynakube is not None else None,
        edgeconnect=ctx.edgeconnect.name if ctx.edgeconnect is not None else None,
        egress_governed=egress, ingress_governed=ingress, ports_assumed=assumed, notes=notes)


def applicable_flows(dynakubes: DynaKube | Sequence[DynaKube],
                     install: InstallFacts | None = None, *,
                     edgeconnects: Iterable[EdgeConnect] = ()) -> list[Flow]:
    """The flows this installation needs, required and optional.

    Args:
        dynakubes: one DynaKube or several (each brings its own operands and flows).
        install: install facts; defaults describe a Helm install in ``dynatrace`` on a
            generic self-hosted cluster with the CSI driver.
        edgeconnects: EdgeConnect CRs handled by the same operator.

    Returns:
        Install-wide flows once, then each DynaKube's flows (ids ``<dk>/<id>`` when there is
        more than one DynaKube), then each EdgeConnect's (``<ec>/<id>`` when more than one),
        in table order.
    """
    dks = (dynakubes,) if isinstance(dynakubes, DynaKube) else tuple(dynakubes)
    ecs = tuple(edgeconnects)
    facts = install if install is not None else InstallFacts()
    out: list[Flow] = []
    base = FlowContext(facts, dynakubes=dks)
    for spec in FLOW_SPECS:
        if spec.scope is Scope.INSTALL and spec.applies(base):
            out.append(_resolve(spec, base, spec.id))
    for dk in dks:
        ctx = FlowContext(facts, dynakube=dk, dynakubes=dks)
        prefix = f"{dk.name}/" if len(dks) > 1 else ""
        for spec in FLOW_SPECS:
            if spec.scope is Scope.DYNAKUBE and spec.applies(ctx):
                out.append(_resolve(spec, ctx, prefix + spec.id))
    for ec in ecs:
        ctx = FlowContext(facts, edgeconnect=ec, dynakubes=dks)
        prefix = f"{ec.name}/" if len(ecs) > 1 else ""
        for spec in FLOW_SPECS:
            if spec.scope is Scope.EDGECONNECT and spec.applies(ctx):
                out.append(_resolve(spec, ctx, prefix + spec.id))
    return out


def expected_pod(flow: Flow, end: FlowEnd, *, release_name: str,
                 oneagent_modes: Mapping[str, str]
                 ) -> tuple[dict[str, str], tuple[ContainerPort, ...]]:
    """The labels and declared ports the operator gives the pods at a component ``end`` of
    ``flow``: what stands in for them when the input does not contain them yet.

    ``oneagent_modes`` maps a DynaKube name to its OneAgent mode (the OneAgent's labels carry
    it); without one the end's selector labels stand in.
    """
    assert end.component is not None
    comp = component(end.component)
    if comp.label_family is LabelFamily.INSTALL:
        labels = install_labels(end.component, release_name=release_name)
    else:
        owner = flow.edgeconnect or flow.dynakube or ""
        mode = oneagent_modes.get(owner) if end.component is ComponentId.ONEAGENT else None
        labels = operand_labels(end.component, owner, mode=mode) \
            if end.component is not ComponentId.ONEAGENT or mode else dict(end.pod_labels)
    ports = tuple(ContainerPort(p.number, p.protocol, p.name) for p in comp.declared_ports)
    return labels, ports
