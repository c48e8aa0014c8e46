"""Immutable objects that describe a cluster: what the loaders build and the engine reads."""

from dtnetpol.model.cluster import (
    Cluster,
    ContainerPort,
    EndpointAddresses,
    HostNetwork,
    Namespace,
    Node,
    Pod,
    RawObject,
    Service,
    ServicePort,
    WorkloadRef,
)
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import (
    Direction,
    IPBlock,
    LabelSelector,
    NetworkPolicy,
    Peer,
    PolicyPort,
    Protocol,
    Requirement,
    Rule,
)

__all__ = [
    "Cluster",
    "ContainerPort",
    "Direction",
    "EndpointAddresses",
    "HostNetwork",
    "IPBlock",
    "LabelSelector",
    "Namespace",
    "NetworkPolicy",
    "Node",
    "Peer",
    "Pod",
    "PolicyPort",
    "Protocol",
    "RawObject",
    "Requirement",
    "Rule",
    "Service",
    "ServicePort",
    "SourceLocation",
    "WorkloadRef",
]
