"""OpenShift (OVN-Kubernetes): NetworkPolicies plus one EgressFirewall ``default`` per namespace.

* Traffic from the host network (the kube-apiserver, OneAgent) is admitted by a peer with
  ``namespaceSelector`` on ``policy-group.network.openshift.io/host-network: ""`` and **no**
  podSelector: OVN-K uses the namespace address set only when podSelector is nil.
* Hosts by name: ``k8s.ovn.org/v1`` EgressFirewall, one per namespace, named ``default``,
  ``dnsName`` Allow rules (openshift-docs ``nw-egress-firewall-object.adoc``). No trailing
  ``0.0.0.0/0`` Deny is emitted: the current Red Hat doc says a ``dnsName`` Allow does not
  override a later deny-all, which contradicts the upstream ovn-kubernetes example; test it
  on your cluster before adding one. Without that Deny the firewall restricts nothing, and
  the NetworkPolicies' ipBlocks are what limits egress.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dtnetpol.dynatrace.platforms import PLATFORMS, Platform
from dtnetpol.generate._doc import GeneratedDoc, Path, wrap
from dtnetpol.generate._kubernetes import kubernetes_doc
from dtnetpol.generate._plan import PeerKind, Plan, PlanPolicy, PlanPort, PlanRule, is_ip
from dtnetpol.model import Direction

API_VERSION = "k8s.ovn.org/v1"
KIND = "EgressFirewall"

_HOST_NETWORK = PLATFORMS[Platform.OPENSHIFT].webhook_sources[0]

EGRESS_FIREWALL_NOTES = (
    "One EgressFirewall per namespace, and it must be named default: merge these rules into "
    "an existing one.",
    "No trailing 0.0.0.0/0 Deny rule is added. The OpenShift documentation says a dnsName "
    "Allow does not override a later 0.0.0.0/0 Deny, which contradicts the upstream "
    "ovn-kubernetes example: test that ordering on your cluster before you add one. Until "
    "then this firewall restricts nothing; the NetworkPolicies' ipBlocks limit egress.",
    "A 0.0.0.0/0 Deny would also block the API server: its addresses are allowed first.",
)


def _host_network_ingress(policy: PlanPolicy) -> PlanPolicy:
    """Ingress from node addresses → the host-network namespace peer (OVN-K)."""
    if policy.direction is not Direction.INGRESS:
        return policy
    rules = []
    for r in policy.rules:
        if r.peer.kind is PeerKind.NODES:
            peer = replace(r.peer, description="host-network traffic (the host-network "
                           "namespace label, no podSelector)", sources=(_HOST_NETWORK,),
                           cidrs=(), notes=())
            rules.append(PlanRule(peer, r.ports, r.flows))
        else:
            rules.append(r)
    return replace(policy, rules=tuple(rules))


def _to_key(to: dict[str, str]) -> tuple[int, str]:
    kind = 0 if "cidrSelector" in to else 1
    return kind, next(iter(to.values()))


def _firewall(namespace: str, policies: list[PlanPolicy]) -> GeneratedDoc | None:
    entries: dict[tuple[str, str], tuple[set[PlanPort], list[str]]] = {}
    for p in policies:
        for r in p.rules:
            peer = r.peer
            targets: list[tuple[str, str]] = []
            if peer.kind is PeerKind.HOSTS:
                names = [h for h in peer.hosts if not is_ip(h)]
                targets = [("dnsName", n) for n in (*names, *peer.patterns)]
                if not targets:
                    targets = [("cidrSelector", c) for c in peer.cidrs if peer.address_known
                               and not peer.excepts]
            elif peer.kind in (PeerKind.APISERVER, PeerKind.NODES) and peer.address_known:
                targets = [("cidrSelector", c) for c in peer.cidrs]
            for t in targets:
                ports, flows = entries.setdefault(t, (set(), []))
                ports.update(r.ports)
                flows.extend(f for f in r.flow_ids if f not in flows)
    if not entries:
        return None
    ordered = sorted(entries.items(), key=lambda kv: _to_key({kv[0][0]: kv[0][1]}))
    egress: list[dict[str, Any]] = []
    comments: dict[Path, tuple[str, ...]] = {}
    for i, ((key, value), (ports, flows)) in enumerate(ordered):
        egress.append({"type": "Allow", "to": {key: value},
                       "ports": [{"protocol": p.protocol.value, "port": p.number}
                                 for p in sorted(ports)]})
        comments[("spec", "egress", i)] = tuple(wrap(", ".join(flows)))
    body = {"apiVersion": API_VERSION, "kind": KIND,
            "metadata": {"name": "default", "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "dtnetpol"}},
            "spec": {"egress": egress}}
    header = [f"{KIND} {namespace}/default: the Dynatrace hosts by name."]
    for note in EGRESS_FIREWALL_NOTES:
        header.extend(wrap(note))
    all_flows = tuple(dict.fromkeys(f for _, (_, fl) in ordered for f in fl))
    return GeneratedDoc(API_VERSION, KIND, namespace, "default", body, tuple(header), comments,
                        all_flows)


def openshift_docs(plan: Plan) -> list[GeneratedDoc]:
    """NetworkPolicies (in plan order), then the EgressFirewalls by namespace."""
    policies = [_host_network_ingress(p) for p in plan.policies]
    docs = [kubernetes_doc(p) for p in policies]
    by_ns: dict[str, list[PlanPolicy]] = {}
    for p in policies:
        if p.direction is Direction.EGRESS:
            by_ns.setdefault(p.selected.namespace, []).append(p)
    for ns in sorted(by_ns):
        fw = _firewall(ns, by_ns[ns])
        if fw is not None:
            docs.append(fw)
    return docs
