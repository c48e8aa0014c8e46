"""The plan as projectcalico.org/v3 NetworkPolicies.

Calico rules name one protocol each and AND everything inside ``source``/``destination``
(``nets`` together with ``selector`` means "both"), so one planned rule can become several
Calico rules: one per protocol and per alternative source. Selectors use Calico's syntax
(``k == 'v'``, ``has(k)``, ``k in {'a'}``, ``all()``); namespaces are named by the
``projectcalico.org/name`` label (tigera/docs ``calico/reference/resources/networkpolicy``).

``destination.domains`` exists only in Calico Enterprise and Calico Cloud (their
``_entityrule.mdx``; the open-source EntityRule has no ``domains``); with the open-source
edition hosts become ``nets`` (and ``notNets`` for the private ranges).
"""

from __future__ import annotations

from typing import Any

from dtnetpol.dynatrace.platforms import ApiServerSource, ApiServerSourceKind
from dtnetpol.generate._doc import GeneratedDoc, Path, policy_header, rule_comment
from dtnetpol.generate._flavor import CalicoEdition
from dtnetpol.generate._plan import NAME_LABEL, PeerKind, PlanPeer, PlanPolicy, PlanRule, is_ip
from dtnetpol.model import Direction, LabelSelector, Protocol
from dtnetpol.model.calico_resources import CalicoResources

API_VERSION = "projectcalico.org/v3"
KIND = "NetworkPolicy"
CALICO_NAME_LABEL = "projectcalico.org/name"

_EDITION_NOTE = {
    CalicoEdition.OSS: "Calico Open Source has no destination.domains (Calico Enterprise and "
                       "Calico Cloud do): hosts are allowed by address (nets).",
    CalicoEdition.ENTERPRISE: "destination.domains needs Calico Enterprise or Calico Cloud; "
                              "Calico Open Source rejects it (use --calico-edition oss).",
}


def _quote(value: str) -> str:
    return "'" + value + "'"


def calico_selector(sel: LabelSelector, namespaces: bool = False) -> str:
    """A Calico selector expression equal to a Kubernetes label selector."""
    parts: list[str] = []
    for k, v in sel.match_labels:
        key = CALICO_NAME_LABEL if namespaces and k == NAME_LABEL else k
        parts.append(f"{key} == {_quote(v)}")
    for r in sel.match_expressions:
        key = CALICO_NAME_LABEL if namespaces and r.key == NAME_LABEL else r.key
        values = ", ".join(_quote(v) for v in r.values)
        if r.operator == "In":
            parts.append(f"{key} in {{{values}}}")
        elif r.operator == "NotIn":
            parts.append(f"{key} not in {{{values}}}")
        elif r.operator == "Exists":
            parts.append(f"has({key})")
        else:
            parts.append(f"!has({key})")
    return " && ".join(parts) if parts else "all()"


def _pods_entity(peer: PlanPeer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if peer.pod_selector is not None:
        out["selector"] = calico_selector(peer.pod_selector)
    if peer.namespace_selector is not None:
        out["namespaceSelector"] = calico_selector(peer.namespace_selector, namespaces=True)
    return out


def _source_entity(source: ApiServerSource) -> dict[str, Any]:
    if source.kind in (ApiServerSourceKind.IP_BLOCK, ApiServerSourceKind.NODE_CIDR):
        return {"nets": list(source.cidrs)}
    out: dict[str, Any] = {}
    if source.namespace_selector is not None:
        out["namespaceSelector"] = calico_selector(source.namespace_selector, namespaces=True)
    if source.pod_selector is not None:
        out["selector"] = calico_selector(source.pod_selector)
    return out


def _entities(peer: PlanPeer, edition: CalicoEdition) -> list[dict[str, Any]]:
    """The alternative entity rules for one peer (each becomes its own Calico rule)."""
    if peer.kind in (PeerKind.PODS, PeerKind.ALL_PODS):
        return [_pods_entity(peer)]
    if peer.kind is PeerKind.APISERVER_SOURCE:
        return [_source_entity(s) for s in peer.sources]
    if peer.kind is PeerKind.HOSTS and edition is CalicoEdition.ENTERPRISE:
        names = [h for h in peer.hosts if not is_ip(h)] + list(peer.patterns)
        if names:
            return [{"domains": names}]
    out: dict[str, Any] = {"nets": list(peer.cidrs)}
    if peer.excepts:
        out["notNets"] = list(peer.excepts)
    return [out]


def _rules(direction: Direction, rule: PlanRule,
           edition: CalicoEdition) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for proto in Protocol:
        numbers = [p.number for p in rule.ports if p.protocol is proto]
        if not numbers:
            continue
        for entity in _entities(rule.peer, edition):
            item: dict[str, Any] = {"action": "Allow", "protocol": proto.value}
            if direction is Direction.INGRESS:
                if entity:
                    item["source"] = entity
                item["destination"] = {"ports": numbers}
            else:
                item["destination"] = {**entity, "ports": numbers}
            out.append(item)
    return out


def calico_doc(policy: PlanPolicy, edition: CalicoEdition, tier: str | None = None,
               order: float | None = None) -> GeneratedDoc:
    """The Calico NetworkPolicy for one planned policy; ``tier`` and ``order`` place it
    (``check`` puts fixes before the cluster's Calico default-deny)."""
    sel = policy.selected
    direction = policy.direction
    rules: list[dict[str, Any]] = []
    comments: dict[Path, tuple[str, ...]] = {}
    uses_hosts = False
    for rule in policy.rules:
        start = len(rules)
        rules.extend(_rules(direction, rule, edition))
        uses_hosts = uses_hosts or rule.peer.kind is PeerKind.HOSTS
        if len(rules) > start:
            comments[("spec", direction.word, start)] = rule_comment(rule)
    spec: dict[str, Any] = {}
    if tier is not None and tier != "default":
        spec["tier"] = tier
    if order is not None:
        spec["order"] = int(order) if float(order).is_integer() else order
    spec.update({"selector": calico_selector(sel.selector),
                 "types": [direction.value], direction.word: rules})
    body = {"apiVersion": API_VERSION, "kind": KIND,
            "metadata": {"name": policy.name, "namespace": sel.namespace,
                         "labels": {"app.kubernetes.io/managed-by": "dtnetpol"}},
            "spec": spec}
    extra: tuple[str, ...] = ("No order is set: the policy sorts after ordered Calico "
                              "policies of its tier; a Deny there still wins.",)
    if order is not None:
        extra = (f"Order {spec['order']} in tier {tier or 'default'}: before the Calico "
                 "policies that deny this traffic today.",)
    if uses_hosts:
        extra = (_EDITION_NOTE[edition], *extra)
    return GeneratedDoc(API_VERSION, KIND, sel.namespace, policy.name, body,
                        policy_header(policy, f"Calico {KIND}", extra), comments,
                        tuple(f.id for f in policy.flows))


def calico_placement(resources: CalicoResources) -> tuple[str, float | None] | None:
    """Where fixes must go on a cluster with a Calico default-deny: (tier, order), or None
    when no enforced Calico policy denies by default.

    A default-deny is a policy that has a direction among its ``types`` without any Allow or
    Pass rule (it drops at its tier's end, or denies outright). Fixes go into the first tier
    (in evaluation order) that holds one, ordered before every ordered policy of that tier
    (order 100 when none has an order).
    """
    if not resources.policies:
        return None
    from dtnetpol.model.calico import Action  # Calico's model: only for a Calico input

    denying = [p for p in resources.policies if not p.host_endpoint_only and any(
        not any(r.action in (Action.ALLOW, Action.PASS) for r in p.rules(d)) for d in p.types)]
    if not denying:
        return None
    rank = {t.name: i for i, t in enumerate(sorted(
        {resources.tier(p.tier) for p in denying}, key=lambda t: t.sort_key))}
    tier = min(denying, key=lambda p: rank[p.tier]).tier
    orders = [p.order for p in resources.policies if p.tier == tier and p.order is not None]
    return tier, (min(orders) - 1 if orders else 100.0)
