"""``dtnetpol check -o sarif``: blocked and conditional Dynatrace flows as SARIF 2.1.0.

One result per blocked or conditional flow. The rule is the kind of flow (the flow table's
id, e.g. ``dns-from-operator``; with several DynaKubes ``dk-a/dns-from-operator`` and
``dk-b/dns-from-operator`` share the rule ``dns-from-operator``). The level says how bad it
is: a blocked required flow is an ``error``, a blocked optional flow a ``warning``, a
conditional flow a ``note``. The location is the deciding policy: the rule named by the
first nearest miss where it is written, else the first policy that isolates the
blocking side (its ``metadata`` line). The rule's help carries the fix YAML of the first
flow of that kind; every result carries its own in ``properties.fix``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from dtnetpol import __version__
from dtnetpol.check import CheckReport, FlowResult, FlowVerdict
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import NetworkPolicy
from dtnetpol.render.check_view import deciding_location as miss_location
from dtnetpol.render.sarif import (
    INFORMATION_URI,
    SRCROOT,
    TOOL_NAME,
    artifact_uri,
    sarif_log,
)

FINGERPRINT_KEY = "dtnetpolFlow/v1"


def level(r: FlowResult) -> str:
    """error (blocked, required), warning (blocked, optional), note (conditional)."""
    if r.verdict is FlowVerdict.BLOCKED:
        return "error" if r.required else "warning"
    return "note"


def rule_id(r: FlowResult) -> str:
    """The kind of flow: the flow table's id, without a DynaKube prefix."""
    return r.flow.spec.id


def reported(report: CheckReport) -> list[FlowResult]:
    """The flows that become results: blocked and conditional ones, in report order."""
    return [r for r in report.results
            if r.verdict in (FlowVerdict.BLOCKED, FlowVerdict.CONDITIONAL)]


def deciding_location(r: FlowResult,
                      policies: Mapping[str, SourceLocation]) -> SourceLocation | None:
    """Where the deciding policy is: the nearest miss's rule (its own source location), else
    an isolating policy."""
    near = miss_location(r)
    if near is not None:
        return near
    for ref in r.policies:
        loc = policies.get(ref)
        if loc is not None:
            return loc
    return None


def _message(r: FlowResult) -> str:
    what = r.verdict.value.upper() if r.verdict is FlowVerdict.BLOCKED else "conditional"
    need = "required" if r.required else "optional"
    text = f"{r.id} ({need}) {what}: {r.source} -> {r.destination} on {r.port_text}"
    if r.blocked_by:
        text += f"; blocked by {r.blocked_by}, isolated by {', '.join(r.policies)}"
    if r.condition:
        text += f"; allowed only if: {r.condition}"
    if r.nearest_misses:
        text += f"; nearest miss: {r.nearest_misses[0]}"
    if r.symptoms:
        s = r.symptoms[0]
        text += f"; you will see ({s.where.value}): {s.text}"
    if r.fix:
        text += "; fix: the NetworkPolicy in this rule's help (dtnetpol check prints it)"
    return text.rstrip(".") + "."


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _rule(rid: str, first: FlowResult) -> dict[str, Any]:
    spec = first.flow.spec
    summary = spec.description or rid
    help_text = summary
    if spec.condition:
        help_text += f"\nNeeded: {spec.condition}."
    notes = " ".join(first.flow.notes)
    if notes:
        help_text += f"\n{notes}"
    markdown = help_text.replace("\n", "\n\n")
    if first.fix:
        help_text += "\nFix: apply this NetworkPolicy (kubectl apply -f -):\n" + first.fix
        fence = _fence(first.fix)
        markdown += (f"\n\n**Fix**: apply this NetworkPolicy (`kubectl apply -f -`):\n\n"
                     f"{fence}yaml\n{first.fix}{fence}")
    return {
        "id": rid,
        "name": "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", rid)),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": f"Dynatrace flow {rid}: {summary}"},
        "help": {"text": help_text, "markdown": markdown},
        "defaultConfiguration": {"level": "error" if first.required else "warning"},
        "properties": {"tags": ["kubernetes", "networkpolicy", "dynatrace"]},
    }


def _fingerprint(r: FlowResult) -> str:
    text = "\x00".join((r.id, r.verdict.value, r.source, r.destination, r.port_text))
    return hashlib.sha256(text.encode()).hexdigest()


def _result(r: FlowResult, index: int, policies: Mapping[str, SourceLocation],
            root: str | None, fallback: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": rule_id(r),
        "ruleIndex": index,
        "level": level(r),
        "message": {"text": _message(r)},
        "locations": [],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(r)},
        "properties": {"flow": r.id, "verdict": r.verdict.value, "required": r.required,
                       "blockedBy": r.blocked_by, "policies": list(r.policies)},
    }
    loc = deciding_location(r, policies)
    file = loc.file if loc is not None else fallback
    if file is not None:
        uri, relative = artifact_uri(file, root)
        artifact: dict[str, Any] = {"uri": uri}
        if relative and root is not None:
            artifact["uriBaseId"] = SRCROOT
        line = loc.line if loc is not None and loc.line else 1
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": artifact,
                                                         "region": {"startLine": line}}}
        if r.policies:
            location["logicalLocations"] = [{"fullyQualifiedName": p, "kind": "resource"}
                                            for p in r.policies]
        out["locations"] = [location]
    if r.fix:
        out["properties"]["fix"] = r.fix
    return out


def check_sarif(report: CheckReport, *, policies: Mapping[str, SourceLocation] | None = None,
                root: str | None = None, fallback_file: str | None = None,
                version: str = __version__) -> str:
    """The SARIF log of a check as a JSON string.

    Args:
        report: the check.
        policies: ``namespace/name`` of each NetworkPolicy to where it is written.
        root: the directory paths are made relative to (the working directory).
        fallback_file: where a result without a known policy points (the DynaKube file).
        version: the tool version to write.
    """
    known = policies or {}
    results = reported(report)
    firsts: dict[str, FlowResult] = {}
    for r in results:
        firsts.setdefault(rule_id(r), r)
    index = {rid: i for i, rid in enumerate(firsts)}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": TOOL_NAME,
            "version": version,
            "semanticVersion": version,
            "informationUri": INFORMATION_URI,
            "rules": [_rule(rid, first) for rid, first in firsts.items()],
        }},
        "results": [_result(r, index[rule_id(r)], known, root, fallback_file)
                    for r in results],
        "columnKind": "unicodeCodePoints",
    }
    return sarif_log(run, root)


def policy_locations(policies: Sequence[NetworkPolicy]) -> dict[str, SourceLocation]:
    """``namespace/name`` to location, for the NetworkPolicies that know theirs."""
    return {p.ref: p.location for p in reversed(policies) if p.location is not None}
