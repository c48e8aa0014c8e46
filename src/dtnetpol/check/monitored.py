"""Namespaces as the operator will label them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from dtnetpol.dynatrace.components import INSTANCE_NAMESPACE_LABEL
from dtnetpol.model import Cluster


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
