"""``dtnetpol check -o json``: one object per flow, a summary of counts (apiVersion dtnetpol/v1)."""

from __future__ import annotations

from typing import Any

from dtnetpol.check import CheckReport, FlowResult, FlowVerdict, PortResult
from dtnetpol.render.engine_json import API_VERSION, dumps


def _port_value(r: FlowResult) -> int | str | None:
    numbers = sorted({p.number for p in r.flow.ports})
    if not numbers:
        return None
    return numbers[0] if len(numbers) == 1 else ",".join(str(n) for n in numbers)


def _protocol_value(r: FlowResult) -> str | None:
    protos = list(dict.fromkeys(p.protocol.value for p in r.flow.ports))
    return ",".join(protos) if protos else None


def _port_json(p: PortResult) -> dict[str, Any]:
    return {"port": p.port.number if p.port else None,
            "protocol": p.port.protocol.value if p.port else None,
            "source": p.source, "destination": p.destination, "verdict": p.verdict.value}


#: Per flow, the (source, destination, port) results listed one by one: those that are not
#: allowed first; a flow from every monitored namespace has thousands (``pairs`` counts all).
LISTED_PAIRS = 50


def _listed(r: FlowResult) -> list[PortResult]:
    bad = [p for p in r.ports if p.verdict in (FlowVerdict.BLOCKED, FlowVerdict.CONDITIONAL)]
    good = [p for p in r.ports if p.verdict not in (FlowVerdict.BLOCKED,
                                                    FlowVerdict.CONDITIONAL)]
    return (bad + good)[:LISTED_PAIRS]


def _pair_counts(r: FlowResult) -> dict[str, int]:
    counts = {v.value: 0 for v in FlowVerdict}
    for p in r.ports:
        counts[p.verdict.value] += 1
    return counts


def flow_json(r: FlowResult) -> dict[str, Any]:
    """One flow: the keys the issue names first, then the details."""
    first = r.symptoms[0] if r.symptoms else None
    return {
        "id": r.id,
        "source": r.source,
        "destination": r.destination,
        "protocol": _protocol_value(r),
        "port": _port_value(r),
        "required": r.required,
        "verdict": r.verdict.value,
        "blocked_by": r.blocked_by,
        "policies": list(r.policies),
        "symptom": f"{first.where.value}: {first.text}" if first else None,
        "fix": r.fix,
        "description": r.flow.spec.description,
        "condition": r.flow.spec.condition,
        "dynakube": r.flow.dynakube or r.flow.edgeconnect,
        "ports": [_port_json(p) for p in _listed(r)],
        "pairs": _pair_counts(r),
        "nearest_misses": list(r.nearest_misses),
        "allowed_by": list(r.allowed_by),
        "allowed_only_if": r.condition or None,
        "reason": r.reason or None,
        "inferred": list(r.inferred),
        "symptoms": [{"text": s.text, "where": s.where.value, "exact": s.exact}
                     for s in r.symptoms],
        "notes": list(r.flow.notes),
    }


def check_json(report: CheckReport) -> str:
    return dumps({"apiVersion": API_VERSION, "kind": "CheckReport",
                  "summary": report.summary(),
                  "warnings": list(report.warnings),
                  "flows": [flow_json(r) for r in report.results]})
