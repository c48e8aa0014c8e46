"""Namespaces as the operator will label them and as the platform always has them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from dtnetpol.dynatrace.components import INSTANCE_NAMESPACE_LABEL
from dtnetpol.dynatrace.platforms import ApiServerSourceKind, PlatformProfile
from dtnetpol.engine.selectors import compile_selector
from dtnetpol.model import Cluster, Namespace


def labelled_as_monitored(cluster: Cluster, monitored: Mapping[str, tuple[str, ...]]) -> Cluster:
    """The cluster as the operator will label it: each namespace a DynaKube monitors carries
    ``dynakube.internal.dynatrace.com/instance: <dynakube>`` (the operator sets it at run
    time, so manifests kept in git usually lack it). Only this in-memory model changes."""
    namespaces = dict(cluster.namespaces)
    changed = False
    for dk, names in monitored.items():
        for name in names:
            ns = cluster.namespace(name)
            if INSTANCE_NAMESPACE_LABEL not in ns.labels:
                namespaces[name] = replace(ns, labels={**ns.labels, INSTANCE_NAMESPACE_LABEL: dk})
                changed = True
    return replace(cluster, namespaces=namespaces) if changed else cluster


#: The namespace OVN-Kubernetes puts host-network traffic (the API server's included) into.
OPENSHIFT_HOST_NETWORK_NAMESPACE = "openshift-host-network"


def with_platform_namespaces(cluster: Cluster, platform: PlatformProfile) -> Cluster:
    """The cluster with the namespaces the platform always has, when the input lacks them:
    on OpenShift ``openshift-host-network`` with its host-network label, which is how
    API-server traffic reaches policies there."""
    namespaces = dict(cluster.namespaces)
    for source in platform.webhook_sources:
        if source.kind is not ApiServerSourceKind.HOST_NETWORK_NAMESPACE or \
                source.namespace_selector is None:
            continue
        match = compile_selector(source.namespace_selector)
        if any(match(ns.labels) for ns in namespaces.values()):
            continue
        name = OPENSHIFT_HOST_NETWORK_NAMESPACE
        labels = {**cluster.namespace(name).labels, **dict(source.namespace_selector.match_labels)}
        namespaces[name] = Namespace(name, labels, assumed=True)
    if len(namespaces) == len(cluster.namespaces):
        return cluster
    return replace(cluster, namespaces=namespaces)
