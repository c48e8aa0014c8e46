"""Flows of the Extension Execution Controller and the SQL extension executors."""

from __future__ import annotations

from dtnetpol.dynatrace.components import Scope
from dtnetpol.dynatrace.flows._shared import (
    AG,
    EEC,
    SQL,
    apiserver_row,
    dns_row,
    eec,
    probe_row,
    silent,
    sql,
)
from dtnetpol.dynatrace.flows._types import DestKind, FlowPort, FlowSpec, SourceKind, Where
from dtnetpol.model import Protocol

__all__ = ["ROWS"]

_T = Protocol.TCP
_D = Scope.DYNAKUBE

ROWS: tuple[FlowSpec, ...] = (
    FlowSpec(
        id="eec-to-activegate", scope=_D,
        source_kind=SourceKind.COMPONENT, source=EEC.value,
        dest_kind=DestKind.COMPONENT, dest=AG.value, ports=(FlowPort(9999, _T, "https"),),
        required=True, condition="spec.extensions (prometheus or databases)",
        applies=eec, symptoms=silent("extension data missing", Where.COMPONENT_LOG),
        description="Extension Execution Controller → ActiveGate",
    ),
    apiserver_row(EEC, _D, eec, "spec.extensions", Where.COMPONENT_LOG, ident="eec"),
    dns_row(EEC, _D, eec, "spec.extensions", "eec"),
    probe_row(EEC, _D, (FlowPort(14599, _T, "collector-com"),), eec, "spec.extensions", "eec"),
    FlowSpec(
        id="sql-executor-to-eec", scope=_D,
        source_kind=SourceKind.COMPONENT, source=SQL.value,
        dest_kind=DestKind.COMPONENT, dest=EEC.value,
        ports=(FlowPort(14599, _T, "collector-com"),),
        required=True, condition="spec.extensions.databases",
        applies=sql, symptoms=silent("SQL extension data missing", Where.COMPONENT_LOG),
        description="SQL extension executors → EEC",
    ),
    FlowSpec(
        id="sql-executor-to-databases", scope=_D,
        source_kind=SourceKind.COMPONENT, source=SQL.value,
        dest_kind=DestKind.EXTERNAL, dest="monitored databases", ports=(),
        required=True, condition="spec.extensions.databases",
        applies=sql, symptoms=silent("database queries time out", Where.COMPONENT_LOG),
        description="SQL extension executors → the monitored databases (user-defined)",
    ),
    dns_row(SQL, _D, sql, "spec.extensions.databases", "sql-executor"),
    probe_row(SQL, _D, (FlowPort(8080, _T),), sql, "spec.extensions.databases", "sql-executor"),
)
