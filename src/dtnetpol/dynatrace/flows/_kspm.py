"""Flows of the KSPM node collector to the ActiveGate (with the kubemon operand it talks
to kubemon instead: see :mod:`._kubemon`).
"""

from __future__ import annotations

from dtnetpol.dynatrace.components import Scope
from dtnetpol.dynatrace.flows._shared import AG, KSPM, ag, dns_row, kspm, kubemon, silent
from dtnetpol.dynatrace.flows._types import DestKind, FlowPort, FlowSpec, SourceKind, Where
from dtnetpol.model import Protocol

__all__ = ["ROWS"]

_T = Protocol.TCP
_D = Scope.DYNAKUBE

ROWS: tuple[FlowSpec, ...] = (
    FlowSpec(
        id="kspm-to-activegate", scope=_D,
        source_kind=SourceKind.COMPONENT, source=KSPM.value,
        dest_kind=DestKind.COMPONENT, dest=AG.value, ports=(FlowPort(9999, _T, "https"),),
        required=True, condition="spec.kspm (with an ActiveGate)",
        applies=lambda ctx: kspm(ctx) and ag(ctx) and not kubemon(ctx),
        symptoms=silent("no KSPM node findings", Where.COMPONENT_LOG),
        description="KSPM node collector → ActiveGate",
    ),
    dns_row(KSPM, _D, kspm, "spec.kspm"),
)
