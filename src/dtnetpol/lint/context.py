"""What a rule receives: the cluster, its compiled analyzer, the loader's problems, facts.

Facts the manifests may not hold (pod and service CIDRs, the API server endpoint) come from
the configuration; the context adds what the input itself shows (Node ``podCIDRs``, Service
cluster IPs, the ``default/kubernetes`` Endpoints or EndpointSlice).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.analysis import Analyzer, PodClass
from dtnetpol.engine.selectors import compile_selector
from dtnetpol.lint.fields import lookup
from dtnetpol.manifest.problems import Problem
from dtnetpol.model.cluster import Cluster, HostNetwork
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import Direction, IPNetwork, NetworkPolicy, Protocol

__all__ = ["ApiServerEndpoint", "ClusterFacts", "LintContext"]


@dataclass(frozen=True)
class ApiServerEndpoint:
    """The address(es) and port behind ``kubernetes.default.svc`` (after DNAT)."""

    addresses: tuple[IPNetwork, ...]
    port: int
    protocol: Protocol = Protocol.TCP
    source: str = "configuration"

    @property
    def address_set(self) -> AddressSet:
        return AddressSet.of_networks(self.addresses)

    def __str__(self) -> str:
        addrs = ", ".join(str(a.network_address) if a.num_addresses == 1 else str(a)
                          for a in self.addresses) or "the API server"
        return f"{addrs} port {self.port}"


@dataclass(frozen=True)
class ClusterFacts:
    """What the configuration says about the cluster (all optional)."""

    pod_cidrs: tuple[IPNetwork, ...] = ()
    service_cidrs: tuple[IPNetwork, ...] = ()
    apiserver_addresses: tuple[IPNetwork, ...] = ()
    apiserver_port: int | None = None


@dataclass
class LintContext:
    """Everything a rule's ``check`` may read. Build once per lint run.

    Args:
        cluster: what the loader built (invalid policies are absent, see ``problems``).
        problems: the loader's validation problems (``load_cluster(strict=False)``).
        facts: pod/service CIDRs and the API server endpoint from the configuration.
        options: rule id → that rule's options, already checked and merged with its DEFAULT.
        documents: (file, document index) → the loaded document body, for field lines.
        host_network: how host-network pods are treated (``--host-network``).
    """

    cluster: Cluster
    problems: Sequence[Problem] = ()
    facts: ClusterFacts = field(default_factory=ClusterFacts)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    documents: Mapping[tuple[str, int], Any] = field(default_factory=dict)
    host_network: HostNetwork = HostNetwork.NODE

    @cached_property
    def analyzer(self) -> Analyzer:
        return Analyzer(self.cluster, self.host_network)

    def rule_options(self, rule_id: str) -> Mapping[str, Any]:
        return self.options.get(rule_id, {})

    # ------------------------------------------------------------------ locations
    def at(self, base: SourceLocation | None, path: str,
           fallback: SourceLocation | None = None) -> SourceLocation:
        """``base`` pointed at field ``path`` (absolute, from the document root), with the
        line of that field when the document is known, else the line of ``base``."""
        loc = base or fallback or SourceLocation("<unknown>")
        body = self.documents.get((loc.file, loc.document))
        line = loc.line
        if body is not None:
            _, found_line, _ = lookup(body, path)
            if found_line is not None:
                line = found_line
        return SourceLocation(loc.file, loc.document, line, path)

    def raw(self, location: SourceLocation | None, path: str) -> tuple[Any, bool]:
        """The raw value at ``path`` in the document of ``location``; (None, False) if absent
        or the document is not known."""
        if location is None:
            return None, False
        body = self.documents.get((location.file, location.document))
        if body is None:
            return None, False
        value, _, found = lookup(body, path)
        return value, found

    def has_document(self, location: SourceLocation | None) -> bool:
        return location is not None and (location.file, location.document) in self.documents

    # ------------------------------------------------------------------ pods
    @property
    def has_pods(self) -> bool:
        """True when the input holds workloads; pod-dependent rules stay silent otherwise."""
        return bool(self.cluster.pods)

    def selected_classes(self, policy: NetworkPolicy) -> list[PodClass]:
        match = compile_selector(policy.pod_selector)
        return [c for c in self.analyzer.classes
                if c.namespace == policy.namespace and match(c.labels)]

    def companions(self, policy: NetworkPolicy, direction: Direction) -> list[NetworkPolicy]:
        """Policies that certainly apply to the same pods as ``policy`` in ``direction``
        (itself included): same namespace, isolating ``direction``, with an equal or empty
        podSelector. Used when the input holds no pods."""
        return [p for p in self.cluster.policies
                if p.namespace == policy.namespace and p.isolates(direction)
                and (p.pod_selector.is_empty or p.pod_selector == policy.pod_selector)]

    # ------------------------------------------------------------------ facts
    @cached_property
    def pod_cidrs(self) -> tuple[IPNetwork, ...]:
        out = list(self.facts.pod_cidrs)
        for node in self.cluster.nodes:
            for text in node.pod_cidrs:
                try:
                    out.append(ipaddress.ip_network(text, strict=False))
                except ValueError:
                    continue
        return tuple(dict.fromkeys(out))

    @cached_property
    def service_cidrs(self) -> tuple[IPNetwork, ...]:
        return tuple(dict.fromkeys(self.facts.service_cidrs))

    @cached_property
    def service_addresses(self) -> tuple[IPNetwork, ...]:
        """Cluster IPs of the Services in the input (as /32 or /128 networks)."""
        out: list[IPNetwork] = []
        for svc in self.cluster.services:
            for ip in svc.cluster_ips:
                try:
                    out.append(ipaddress.ip_network(ip))
                except ValueError:
                    continue
        return tuple(dict.fromkeys(out))

    @cached_property
    def apiserver(self) -> ApiServerEndpoint | None:
        """The endpoint behind ``kubernetes.default.svc``: configuration first, then the
        ``default/kubernetes`` Endpoints/EndpointSlice of the input; None when unknown."""
        found_addrs: list[IPNetwork] = []
        found_port: int | None = None
        for ep in self.cluster.endpoints:
            if ep.namespace != "default" or ep.service != "kubernetes":
                continue
            for a in ep.addresses:
                try:
                    found_addrs.append(ipaddress.ip_network(a))
                except ValueError:
                    continue
            for p in ep.ports:
                if found_port is None or p.name == "https":
                    found_port = p.port
        addrs = self.facts.apiserver_addresses or tuple(dict.fromkeys(found_addrs))
        port = self.facts.apiserver_port or found_port
        if port is None:
            return None
        source = ("configuration" if self.facts.apiserver_port
                  else "Endpoints default/kubernetes")
        return ApiServerEndpoint(addrs, port, source=source)

    @cached_property
    def kubernetes_service_addresses(self) -> tuple[IPNetwork, ...]:
        for svc in self.cluster.services:
            if svc.namespace == "default" and svc.name == "kubernetes":
                out = []
                for ip in svc.cluster_ips:
                    try:
                        out.append(ipaddress.ip_network(ip))
                    except ValueError:
                        continue
                return tuple(out)
        return ()
