"""Versioned JSON for can-reach, explain and connlist (apiVersion dtnetpol/v1)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from dtnetpol.diff.connections import ConnectionChange
from dtnetpol.diff.flows import FlowChange
from dtnetpol.engine.connlist import Connection
from dtnetpol.engine.explain import RuleRef, SideVerdict, Step, Verdict
from dtnetpol.engine.ports import PortSet
from dtnetpol.engine.posture import DirectionPosture, WorkloadPosture

API_VERSION = "dtnetpol/v1"


def dumps(doc: Any) -> str:
    """Indented JSON, byte for byte what ``json.dumps(doc, indent=2)`` writes: orjson writes
    the same for ASCII text, 30× faster (a connection list of 10⁵ entries is 75 MB); text
    with other characters goes through ``json``, which escapes them."""
    try:
        data = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:   # e.g. an integer wider than 64 bits
        data = b"\x80"
    if data.isascii():
        return data.decode("ascii")
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def ports_json(ports: PortSet) -> str | list[dict[str, Any]]:
    """``"all"`` or ``[{"protocol": "TCP", "ports": [[lo, hi], ...]}, ...]`` sorted by name."""
    if ports.is_all:
        return "all"
    items = sorted(ports.items(), key=lambda i: i[0].value)
    return [{"protocol": proto.value, "ports": [[lo, hi] for lo, hi in ivs]}
            for proto, ivs in items]


def connlist_json(conns: Sequence[Connection]) -> str:
    return "".join(connlist_json_chunks(conns))


#: Connections per piece of streamed output.
_CHUNK = 2_000


def connlist_json_chunks(conns: Sequence[Connection]) -> Iterator[str]:
    """The connection list as ``connlist_json`` writes it, in pieces of ``_CHUNK``
    connections: a list of 10⁵ connections is 10⁸ bytes, which need not be in memory at once
    (nor twice, as bytes and as text)."""
    head = dumps({"apiVersion": API_VERSION, "kind": "ConnectionList", "connections": [0]})
    before, _, after = head.rpartition("    0\n")
    if not conns:
        yield head.replace("[\n    0\n  ]", "[]")
        return
    yield before
    cache: dict[PortSet, str | list[dict[str, Any]]] = {}
    for start in range(0, len(conns), _CHUNK):
        items = []
        for c in conns[start:start + _CHUNK]:
            ports = cache.get(c.ports)
            if ports is None:
                ports = cache[c.ports] = ports_json(c.ports)
            items.append({"src": c.src, "dst": c.dst, "conns": ports})
        text = dumps(items)                       # "[\n  {...},\n  {...}\n]\n"
        body = "  " + text[2:-3].replace("\n", "\n  ")
        yield body if start == 0 else ",\n" + body
    yield "\n" + after


def rule_json(r: RuleRef) -> dict[str, Any]:
    loc = r.location
    return {"policy": r.policy, "direction": r.direction.value, "rule": r.index,
            "file": loc.file if loc else None, "line": loc.line if loc else None}


def step_json(step: Step) -> dict[str, Any]:
    return {"layer": step.layer, "policy": step.policy, "action": step.action.value,
            "ports": ports_json(step.ports),
            "rule": rule_json(step.rule) if step.rule is not None else None,
            "conditional": step.conditional}


def side_json(s: SideVerdict) -> dict[str, Any]:
    out = _side_json(s)
    if s.steps:
        out["steps"] = [step_json(step) for step in s.steps]
        out["chain"] = s.chain
    return out


def _side_json(s: SideVerdict) -> dict[str, Any]:
    return {"direction": s.direction.value, "subject": s.subject, "status": s.status.value,
            "allows": s.allows, "isolatingPolicies": list(s.isolating_policies),
            "allowingRules": [rule_json(r) for r in s.allowing_rules],
            "allowedAddresses": s.allowed_addresses.ranges()
            if s.allowed_addresses is not None else None,
            "notes": list(s.notes), "explanation": s.describe()}


def verdict_json(v: Verdict) -> str:
    return dumps({"apiVersion": API_VERSION, "kind": "Verdict", "source": v.source,
                  "destination": v.destination,
                  "protocol": v.protocol.value if v.protocol else None, "port": v.port,
                  "verdict": v.outcome.value, "blockedBy": v.blocked_by,
                  "condition": v.condition or None,
                  "egress": side_json(v.egress), "ingress": side_json(v.ingress),
                  "staged": v.staged or None})


def _direction_json(d: DirectionPosture) -> dict[str, Any]:
    return {"isolated": d.isolated, "policies": list(d.policies),
            "rules": [{**rule_json(r.ref), "peers": list(r.peers), "ports": list(r.ports)}
                      for r in d.rules],
            "layers": [{"layer": r.layer, "policy": r.policy, "precedence": r.precedence,
                        "action": r.action,
                        "rule": rule_json(r.rule) if r.rule is not None else None,
                        "name": r.name, "peers": list(r.peers), "ports": list(r.ports)}
                       for r in d.layers]}


def posture_json(postures: Sequence[WorkloadPosture]) -> str:
    return dumps({"apiVersion": API_VERSION, "kind": "WorkloadPostureList", "workloads": [
        {"workload": p.workload, "namespace": p.namespace, "labels": dict(p.labels),
         "hostNetwork": p.host_network, "selectedBy": list(p.selected_by),
         "ingress": _direction_json(p.ingress), "egress": _direction_json(p.egress),
         "notes": list(p.notes)} for p in postures]})


def flow_change_json(f: FlowChange) -> dict[str, Any]:
    return {"id": f.id, "required": f.required, "before": f.before, "after": f.after,
            "source": f.source, "destination": f.destination, "port": f.port,
            "blocked_by": f.blocked_by, "policies": list(f.policies), "breaks": f.breaks}


def diff_json(changes: Sequence[ConnectionChange],
              flows: Sequence[FlowChange] | None = None) -> str:
    """Connection changes; ``flows`` (Dynatrace flows whose verdict changed) is ``null`` when
    no DynaKube was given."""
    return dumps({"apiVersion": API_VERSION, "kind": "ConnectionDiff", "changes": [
        {"src": c.src, "dst": c.dst, "change": c.change.value,
         "before": ports_json(c.before) if c.before else None,
         "after": ports_json(c.after) if c.after else None} for c in changes],
        "flows": None if flows is None else [flow_change_json(f) for f in flows]})
