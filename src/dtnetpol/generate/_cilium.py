"""The plan as cilium.io/v2 CiliumNetworkPolicies.

Cilium can say what plain NetworkPolicy cannot (cilium/cilium
``Documentation/security/policy/language.rst``):

* hosts by name: ``toFQDNs`` (``matchName`` exact, ``matchPattern`` with ``*`` = one label).
  Cilium learns the names' addresses only from lookups its DNS proxy sees, so every policy
  with ``toFQDNs`` also carries the DNS rule: ``toEndpoints`` kube-dns, port 53 ``ANY``,
  ``rules: dns: [{matchPattern: "*"}]``. A ``toFQDNs`` rule carries no other L3 peer.
* the API server: ``toEntities: [kube-apiserver]`` for egress; for the webhook's ingress
  ``fromEntities: [kube-apiserver, host, remote-node]``, or ``[cluster]`` on AKS/GKE where
  the docs say ``kube-apiserver`` may fail for ingress (tunnelling).
* nodes: ``host``/``remote-node`` entities (ipBlock never matches node IPs by default).
"""

from __future__ import annotations

from typing import Any

from dtnetpol.dynatrace.flows import InstallFacts
from dtnetpol.dynatrace.platforms import Platform
from dtnetpol.generate._doc import (
    MANAGED_BY,
    GeneratedDoc,
    Path,
    policy_header,
    rule_comment,
    wrap,
)
from dtnetpol.generate._kubernetes import selector_dict
from dtnetpol.generate._plan import PeerKind, PlanPeer, PlanPolicy, PlanPort, PlanRule, is_ip
from dtnetpol.model import Direction, LabelSelector

API_VERSION = "cilium.io/v2"
KIND = "CiliumNetworkPolicy"
NAMESPACE_KEY = "k8s:io.kubernetes.pod.namespace"
NAMESPACE_LABEL_PREFIX = "k8s:io.cilium.k8s.namespace.labels."

_HEADER = (
    "Cilium resolves toFQDNs names only from lookups its DNS proxy sees: the DNS rule "
    "(port 53 ANY with rules.dns) must stay in this policy, and the agent needs "
    "--enable-l7-proxy=true.",
)


def _prefixed(sel: LabelSelector, prefix: str) -> dict[str, Any]:
    out = selector_dict(sel)
    if "matchLabels" in out:
        out["matchLabels"] = {prefix + k: v for k, v in out["matchLabels"].items()}
    for e in out.get("matchExpressions", []):
        e["key"] = prefix + e["key"]
    return out


def endpoint_selector(peer: PlanPeer, policy_namespace: str) -> dict[str, Any]:
    """A Cilium endpoint selector for a PODS / ALL_PODS peer."""
    labels: dict[str, str] = {}
    exprs: list[dict[str, Any]] = []
    if peer.pod_selector is not None:
        pods = selector_dict(peer.pod_selector)
        labels.update(pods.get("matchLabels", {}))
        exprs.extend(pods.get("matchExpressions", []))
    if peer.namespace is not None:
        labels[NAMESPACE_KEY] = peer.namespace
    elif peer.namespace_selector is not None:
        if peer.namespace_selector.is_empty:
            exprs.append({"key": NAMESPACE_KEY, "operator": "Exists"})
        else:
            ns = _prefixed(peer.namespace_selector, NAMESPACE_LABEL_PREFIX)
            labels.update(ns.get("matchLabels", {}))
            exprs.extend(ns.get("matchExpressions", []))
    else:
        labels[NAMESPACE_KEY] = policy_namespace
    out: dict[str, Any] = {}
    if labels:
        out["matchLabels"] = dict(sorted(labels.items()))
    if exprs:
        out["matchExpressions"] = exprs
    return out


def _ports(ports: tuple[PlanPort, ...]) -> list[dict[str, Any]]:
    return [{"ports": [{"port": str(p.number), "protocol": p.protocol.value} for p in ports]}]


def _dns_ports(ports: tuple[PlanPort, ...]) -> list[dict[str, Any]]:
    numbers = sorted({p.number for p in ports})
    return [{"ports": [{"port": str(n), "protocol": "ANY"} for n in numbers],
             "rules": {"dns": [{"matchPattern": "*"}]}}]


def _apiserver_entities(install: InstallFacts) -> tuple[list[str], str]:
    if install.platform.name in (Platform.AKS, Platform.GKE):
        return ["cluster"], ("fromEntities kube-apiserver may fail for ingress on AKS/GKE "
                             "(tunnelling, per the Cilium docs): the cluster entity is used, "
                             "which also admits every pod and node of the cluster.")
    return ["kube-apiserver", "host", "remote-node"], (
        "kube-apiserver, plus host and remote-node for an API server that reaches pods from "
        "the nodes.")


def _rule(direction: Direction, rule: PlanRule, namespace: str,
          install: InstallFacts) -> tuple[dict[str, Any], str]:
    """The Cilium rule (peer part and toPorts) and an extra comment."""
    peer = rule.peer
    ingress = direction is Direction.INGRESS
    extra = ""
    if peer.kind in (PeerKind.PODS, PeerKind.ALL_PODS):
        key = "fromEndpoints" if ingress else "toEndpoints"
        body: dict[str, Any] = {key: [endpoint_selector(peer, namespace)]}
        body["toPorts"] = _dns_ports(rule.ports) if peer.dns and not ingress \
            else _ports(rule.ports)
        if peer.dns and not ingress:
            extra = "DNS rule: lets Cilium's DNS proxy see (and allow) every lookup."
        return body, extra
    if peer.kind is PeerKind.APISERVER:
        return {"toEntities": ["kube-apiserver"], "toPorts": _ports(rule.ports)}, \
            "The kube-apiserver entity follows the API server's real addresses."
    if peer.kind is PeerKind.APISERVER_SOURCE:
        entities, extra = _apiserver_entities(install)
        return {"fromEntities": entities, "toPorts": _ports(rule.ports)}, extra
    if peer.kind is PeerKind.NODES:
        key = "fromEntities" if ingress else "toEntities"
        return {key: ["host", "remote-node"], "toPorts": _ports(rule.ports)}, \
            "Nodes are the host and remote-node entities (ipBlock never matches node IPs)."
    names = [h for h in peer.hosts if not is_ip(h)]
    if names or peer.patterns:
        fqdns: list[dict[str, str]] = [{"matchName": h} for h in names]
        fqdns.extend({"matchPattern": p} for p in peer.patterns)
        return {"toFQDNs": fqdns, "toPorts": _ports(rule.ports)}, ""
    sets: list[dict[str, Any]] = []
    for c in peer.cidrs:
        item: dict[str, Any] = {"cidr": c}
        inside = [e for e in peer.excepts if (":" in e) == (":" in c)]
        if inside:
            item["except"] = inside
        sets.append(item)
    return {"toCIDRSet": sets, "toPorts": _ports(rule.ports)}, ""


def cilium_doc(policy: PlanPolicy, install: InstallFacts) -> GeneratedDoc:
    sel = policy.selected
    direction = policy.direction
    merged: list[tuple[dict[str, Any], PlanRule, str]] = []
    for rule in policy.rules:
        body, extra = _rule(direction, rule, sel.namespace, install)
        peer_part = {k: v for k, v in body.items() if k != "toPorts"}
        for i, (seen, prev, prev_extra) in enumerate(merged):
            seen_peer = {k: v for k, v in seen.items() if k != "toPorts"}
            if seen_peer == peer_part and not rule.peer.dns and not prev.peer.dns:
                ports = tuple(sorted(set(prev.ports) | set(rule.ports)))
                joined = PlanRule(prev.peer, ports, (*prev.flows, *rule.flows))
                merged[i] = ({**peer_part, "toPorts": _ports(ports)}, joined, prev_extra)
                break
        else:
            merged.append((body, rule, extra))
    rules = [b for b, _, _ in merged]
    comments: dict[Path, tuple[str, ...]] = {}
    for i, (_, rule, extra) in enumerate(merged):
        # Address caveats (ipBlock, node ranges) do not apply to entities.
        notes = rule.peer.kind not in (PeerKind.APISERVER, PeerKind.APISERVER_SOURCE,
                                       PeerKind.NODES)
        comments[("spec", direction.word, i)] = rule_comment(rule, peer_notes=notes) + (
            tuple(wrap(extra)) if extra else ())
    spec: dict[str, Any] = {"endpointSelector": selector_dict(sel.selector),
                            direction.word: rules}
    body_doc = {"apiVersion": API_VERSION, "kind": KIND,
                "metadata": {"name": policy.name, "namespace": sel.namespace,
                             "labels": dict(MANAGED_BY)},
                "spec": spec}
    has_fqdn = any("toFQDNs" in r for r in rules)
    header = policy_header(policy, KIND, _HEADER if has_fqdn else ())
    return GeneratedDoc(API_VERSION, KIND, sel.namespace, policy.name, body_doc, header,
                        comments, tuple(f.id for f in policy.flows))
