"""Why a flow that shows symptoms fails, and what to run next.

When the engine blocks the flow, NetworkPolicy is the cause and ``check``'s fix applies. When
the policies allow it (or do not govern it), the cause is elsewhere, and the kind of error
says where to look: a timeout is a drop (firewall, security group, an egress proxy that must
be used, a CNI-specific or mesh policy), a refusal is a reset (nothing listening, or a proxy
rejecting), a failed lookup is DNS, a TLS handshake timeout is a middlebox.
"""

from __future__ import annotations

from collections.abc import Sequence

from dtnetpol.check import FlowResult, FlowVerdict
from dtnetpol.diagnose.matching import ErrorClass, NetworkError
from dtnetpol.dynatrace.flows import DestKind, SourceKind

__all__ = ["DEBUG_IMAGE", "cause_text", "next_commands"]

DEBUG_IMAGE = "busybox:1.36"

_OUTSIDE = {
    ErrorClass.TIMEOUT: "packets are dropped outside NetworkPolicy: a firewall or cloud "
                        "security group, an egress proxy that must be used (spec.proxy), or a "
                        "CNI-specific or mesh policy",
    ErrorClass.NO_ROUTE: "no route to the destination: node routing, a firewall answering "
                         "with ICMP unreachable, or an egress gateway",
    ErrorClass.REFUSED: "the destination (or a middlebox) refused the connection: nothing "
                        "listens on that address and port (wrong endpoint, destination not "
                        "ready), or a proxy or firewall rejects it",
    ErrorClass.RESET: "the connection was reset: a proxy or firewall interfering, or the "
                      "destination closing it",
    ErrorClass.DNS: "DNS: the name does not resolve from the pod (split-horizon or custom "
                    "DNS, a stub domain missing, or a DNS policy of the CNI)",
    ErrorClass.TLS: "the TLS handshake did not complete: a proxy or firewall inspecting TLS, "
                    "or an egress proxy that must be used",
}


def cause_text(result: FlowResult, classes: Sequence[ErrorClass], weak: bool,
               other_kinds: Sequence[str], mesh: bool) -> str:
    """One paragraph: NetworkPolicy (blocked/conditional) or the cause outside it."""
    v = result.verdict
    if v is FlowVerdict.BLOCKED:
        who = ", ".join(result.policies) or "the policies read"
        side = f"the {result.blocked_by} side" if result.blocked_by not in (None, "both") \
            else "both sides" if result.blocked_by == "both" else "the flow"
        text = f"NetworkPolicy blocks {side} ({who}); apply the fix"
    elif v is FlowVerdict.CONDITIONAL:
        text = (f"NetworkPolicy allows it only if {result.condition or 'the address matches'}"
                "; the error suggests it does not: pin the addresses or apply the fix")
    else:
        what = "allow" if v is FlowVerdict.ALLOWED else "do not govern"
        parts = [_OUTSIDE[c] for c in classes] or [
            "no network error was read with it: read the source's log for the error"]
        text = f"the NetworkPolicies {what} this flow, so the cause is outside them: " \
            + "; ".join(parts)
        if other_kinds:
            text += "; the cluster also has " + ", ".join(other_kinds) + \
                ", which NetworkPolicy analysis does not cover"
        if mesh:
            text += "; a service mesh sidecar is in the pods: its outbound policy " \
                "(REGISTRY_ONLY needs ServiceEntries; DynaKube spec.enableIstio) applies"
    if weak:
        text += " (not conclusive: a DynaKube status or condition alone also shows for a " \
            "wrong token or an API error; the operator log tells a network error apart)"
    return text


def _target(result: FlowResult, errors: Sequence[NetworkError]) -> tuple[str, int] | None:
    for e in errors:
        if e.host and e.host_port and e.cls is not ErrorClass.DNS:
            return e.host, e.host_port
        if e.ip and e.port:
            return e.ip, e.port
    for e in errors:
        if e.host:
            return e.host, e.host_port or 443
    flow = result.flow
    if flow.destination.hosts:
        h = flow.destination.hosts[0]
        return h.host, h.port
    if DestKind(flow.destination.kind) is DestKind.APISERVER:
        return "kubernetes.default.svc", 443
    return None


def next_commands(result: FlowResult, pods: Sequence[tuple[str, str, str | None]],
                  errors: Sequence[NetworkError], other_kinds: Sequence[str], mesh: bool,
                  operator_namespace: str) -> tuple[str, ...]:
    """Concrete commands with the real pod names that the evidence came from."""
    out: list[str] = []
    flow = result.flow
    real = [(ns, name, c) for ns, name, c in pods if ns and name]
    if not real and SourceKind(flow.source.kind) is SourceKind.COMPONENT \
            and flow.source.namespace:
        comp = flow.source.component
        if comp is not None and comp.value == "operator":
            real = [(flow.source.namespace, "deploy/dynatrace-operator", None)]
    if SourceKind(flow.source.kind) is SourceKind.APISERVER:
        ns = flow.destination.namespace or operator_namespace
        out.append(f"kubectl -n {ns} get endpointslices -l "
                   "kubernetes.io/service-name=dynatrace-webhook")
        out.append(f"kubectl -n {ns} logs deploy/dynatrace-webhook --since=1h")
        out.append(f"# outside the cluster: the control plane must reach the nodes on "
                   f"{result.port_text} (EKS cluster security group, GKE master firewall "
                   "rule, AKS network security group)")
    target = _target(result, errors)
    for ns, name, container in real[:2]:
        cflag = f" -c {container}" if container else " --all-containers"
        if not name.startswith("deploy/"):
            out.append(f"kubectl -n {ns} logs {name}{cflag} --since=1h --timestamps")
        if target is not None and not name.startswith("deploy/"):
            host, port = target
            tflag = f" --target={container}" if container else ""
            if DestKind(flow.destination.kind) is DestKind.DNS or any(
                    e.cls is ErrorClass.DNS for e in errors):
                name_to_look = next((e.host for e in errors if e.host),
                                    "kubernetes.default.svc")
                out.append(f"kubectl -n {ns} debug {name} -it --image={DEBUG_IMAGE}{tflag} "
                           f"-- nslookup {name_to_look}")
            else:
                out.append(f"kubectl -n {ns} debug {name} -it --image={DEBUG_IMAGE}{tflag} "
                           f"-- nc -z -v -w 5 {host} {port}")
    if SourceKind(flow.source.kind) in (SourceKind.COMPONENT, SourceKind.APP_PODS) \
            and not flow.source.host_network:
        out.append(f"dtnetpol probe --yes --flow {flow.id}")
    if result.verdict not in (FlowVerdict.BLOCKED, FlowVerdict.CONDITIONAL):
        lowered = " ".join(other_kinds).lower()
        if "cilium" in lowered:
            out.append("kubectl get ciliumnetworkpolicies,ciliumclusterwidenetworkpolicies -A")
        if "calico" in lowered or "globalnetworkpolicy" in lowered:
            out.append("kubectl get globalnetworkpolicies.crd.projectcalico.org,"
                       "networkpolicies.crd.projectcalico.org -A")
        if "antrea" in lowered:
            out.append("kubectl get clusternetworkpolicies.crd.antrea.io -A")
        if mesh:
            out.append("kubectl get serviceentries,sidecars -A")
    return tuple(dict.fromkeys(out))
