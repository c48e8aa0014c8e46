"""Dynatrace flows checked against the user's policies: verdicts, nearest misses, fixes.

Pure core: a compiled cluster (:class:`~dtnetpol.engine.analysis.Analyzer`) and the flows of
:func:`dtnetpol.dynatrace.applicable_flows` in, a :class:`CheckReport` out.
"""

from dtnetpol.check.endpoints import Addresses, End, FlowEnds
from dtnetpol.check.flow_check import (
    CheckOptions,
    CheckReport,
    FlowResult,
    FlowVerdict,
    Miss,
    PortResult,
    check_flows,
    ports_text,
)
from dtnetpol.check.namespaces import labelled_as_monitored, with_platform_namespaces
from dtnetpol.check.nearest import NearMiss, nearest_misses

__all__ = [
    "Addresses",
    "CheckOptions",
    "CheckReport",
    "End",
    "FlowEnds",
    "FlowResult",
    "FlowVerdict",
    "Miss",
    "NearMiss",
    "PortResult",
    "check_flows",
    "labelled_as_monitored",
    "nearest_misses",
    "ports_text",
    "with_platform_namespaces",
]
