"""The network flows the Dynatrace Operator needs, as one data table, and their selection.

:data:`FLOW_SPECS` lists every flow the operator's documentation names (plus a few found in
the operator source, marked in their notes). Each :class:`FlowSpec` says who talks to whom on
which **pod** port (NetworkPolicy matches the pod port after Service translation: 8443 for the
webhook, never 443), whether the flow is required, what brings it (a predicate over the
DynaKube and the install facts) and what breaks when it is blocked (the operator's exact log
and status strings where it has them, with where they show).

:func:`applicable_flows` turns the table into concrete :class:`Flow` objects for one or more
DynaKubes (and EdgeConnects): sources and destinations resolved to namespaces, pod labels,
hosts and ports. Install-wide flows (operator, webhook, CSI driver) appear once; per-DynaKube
flows are qualified ``<dynakube>/<flow id>`` when there is more than one DynaKube.

Layout: the types in :mod:`._types`; one module of rows per component (:mod:`._operator`
for the operator, webhook and CSI driver, then :mod:`._oneagent`, :mod:`._activegate`,
:mod:`._extensions`, :mod:`._otel`, :mod:`._kspm`, :mod:`._logmonitoring`, :mod:`._kubemon`,
:mod:`._edgeconnect`), what they share in :mod:`._shared`, the assembly in :mod:`._table`
and the resolution in :mod:`._resolve`. This module is the public API.
"""

from __future__ import annotations

from dtnetpol.dynatrace.flows._resolve import applicable_flows, expected_pod
from dtnetpol.dynatrace.flows._table import FLOW_SPECS, flow_spec
from dtnetpol.dynatrace.flows._types import (
    DestKind,
    Flow,
    FlowContext,
    FlowEnd,
    FlowPort,
    FlowSpec,
    InstallFacts,
    SourceKind,
    Symptom,
    Where,
)

__all__ = [
    "FLOW_SPECS",
    "DestKind",
    "Flow",
    "FlowContext",
    "FlowEnd",
    "FlowPort",
    "FlowSpec",
    "InstallFacts",
    "SourceKind",
    "Symptom",
    "Where",
    "applicable_flows",
    "expected_pod",
    "flow_spec",
]
