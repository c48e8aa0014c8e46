"""The flow table: every component module's rows, in one order, and lookup by id.

The order is the report order (install-wide flows, then per DynaKube, then per EdgeConnect,
each in table order), so the component modules are concatenated in a fixed sequence.
"""

from __future__ import annotations

from collections.abc import Mapping

from dtnetpol.dynatrace.flows import (
    _activegate,
    _edgeconnect,
    _extensions,
    _kspm,
    _kubemon,
    _logmonitoring,
    _oneagent,
    _operator,
    _otel,
)
from dtnetpol.dynatrace.flows._types import FlowSpec

__all__ = ["FLOW_SPECS", "flow_spec"]

#: Every flow of the Operator's documentation (plus a few found in the operator source,
#: marked in their notes), one row each.
FLOW_SPECS: tuple[FlowSpec, ...] = (
    *_operator.ROWS,
    *_oneagent.ROWS,
    *_activegate.ROWS,
    *_extensions.ROWS,
    *_otel.ROWS,
    *_kspm.ROWS,
    *_logmonitoring.ROWS,
    *_kubemon.ROWS,
    *_edgeconnect.ROWS,
)

_BY_ID: Mapping[str, FlowSpec] = {s.id: s for s in FLOW_SPECS}
assert len(_BY_ID) == len(FLOW_SPECS), "duplicate flow ids"


def flow_spec(flow_id: str) -> FlowSpec:
    """The table row for an unqualified flow id; raises KeyError."""
    return _BY_ID[flow_id]

