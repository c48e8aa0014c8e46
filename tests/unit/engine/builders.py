"""Small builders for model objects, so engine tests read like the manifests they stand for.

``policy()`` applies ``default_policy_types`` when ``types`` is None, exactly as the API
server (and the loaders) do; pass ``types=[...]`` to declare policyTypes explicitly.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dtnetpol.model import (
    Cluster,
    ContainerPort,
    Direction,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Peer,
    Pod,
    PolicyPort,
    Protocol,
    Requirement,
    Rule,
    WorkloadRef,
)
from dtnetpol.model.cluster import NAME_LABEL
from dtnetpol.model.policy import default_policy_types

INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS
TCP, UDP, SCTP = Protocol.TCP, Protocol.UDP, Protocol.SCTP

SelectorLike = LabelSelector | Mapping[str, str] | None


def expr(key: str, operator: str, *values: str) -> Requirement:
    return Requirement(key, operator, tuple(values))


def sel(labels: Mapping[str, str] | None = None, *exprs: Requirement) -> LabelSelector:
    """A label selector; ``sel()`` is the empty selector ``{}`` that matches everything."""
    return LabelSelector(tuple(sorted((labels or {}).items())), tuple(exprs))


def _sel(value: SelectorLike) -> LabelSelector | None:
    if value is None or isinstance(value, LabelSelector):
        return value
    return sel(value)


def namespace(name: str, labels: Mapping[str, str] | None = None) -> Namespace:
    """A namespace as the API server stores it: with ``kubernetes.io/metadata.name``."""
    return Namespace(name, {NAME_LABEL: name, **(labels or {})})


PortTuple = tuple[str | None, int, str | Protocol]


def pod(ns: str, name: str, labels: Mapping[str, str] | None = None,
        ports: Sequence[PortTuple] = (("http", 8080, "TCP"),), host_network: bool = False,
        ips: Sequence[str] = (), owner: str | None = None, kind: str = "Deployment") -> Pod:
    """A pod (template) owned by workload ``owner`` (default: its own name)."""
    cports = tuple(ContainerPort(number, Protocol(str(proto)), pname)
                   for pname, number, proto in ports)
    return Pod(ns, name, WorkloadRef(ns, owner or name, kind), dict(labels or {}), cports,
               host_network, tuple(ips))


def cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


def peer(pods: SelectorLike = None, namespaces: SelectorLike = None, cidr: str | None = None,
         excepts: Iterable[str] = ()) -> Peer:
    """One from/to item: ``peer(pods={...})``, ``peer(namespaces={})``, ``peer(cidr=...)``."""
    if cidr is not None:
        return Peer(ip_block=IPBlock(ipaddress.ip_network(cidr),
                                     tuple(ipaddress.ip_network(e) for e in excepts)))
    return Peer(_sel(pods), _sel(namespaces))


def port(number: int | str | None = None, protocol: str | Protocol = "TCP",
         end: int | None = None) -> PolicyPort:
    return PolicyPort(Protocol(str(protocol)), number, end)


@dataclass(frozen=True)
class RuleSpec:
    """A rule before it knows its direction and index (``policy()`` supplies both)."""

    peers: tuple[Peer, ...] = ()
    ports: tuple[PolicyPort, ...] = ()


def rule(peers: Iterable[Peer] = (), ports: Iterable[PolicyPort] = ()) -> RuleSpec:
    """``rule()`` is ``{}``: every peer, every port."""
    return RuleSpec(tuple(peers), tuple(ports))


ALLOW_ALL = rule()


def policy(ns: str, name: str, selector: SelectorLike = None,
           ingress: Sequence[RuleSpec] = (), egress: Sequence[RuleSpec] = (),
           types: Sequence[Direction | str] | None = None) -> NetworkPolicy:
    """A NetworkPolicy; ``selector`` None is ``podSelector: {}``.

    ``types`` None leaves policyTypes out of the "manifest": the API-server default applies.
    """
    declared = [Direction(str(t)) for t in types] if types is not None else None
    ptypes = default_policy_types(declared, bool(egress))
    return NetworkPolicy(
        ns, name, _sel(selector) or sel(), ptypes,
        tuple(Rule(INGRESS, i, r.peers, r.ports) for i, r in enumerate(ingress)),
        tuple(Rule(EGRESS, i, r.peers, r.ports) for i, r in enumerate(egress)),
        policy_types_declared=bool(declared))


def cluster(pods: Iterable[Pod] = (), policies: Iterable[NetworkPolicy] = (),
            namespaces: Iterable[Namespace] = ()) -> Cluster:
    """A cluster; namespaces not given are left out (``Cluster.namespace()`` assumes them)."""
    return Cluster(namespaces={n.name: n for n in namespaces}, pods=tuple(pods),
                   policies=tuple(policies))
