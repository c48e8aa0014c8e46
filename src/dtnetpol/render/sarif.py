"""Lint findings as SARIF 2.1.0, the format GitHub code scanning uploads.

One run; ``tool.driver.rules`` lists every rule (id, name, descriptions, help as text and
markdown from the rule's docstring, default level), and each result points at its rule by
``ruleId`` and ``ruleIndex``. Locations are physical (the file relative to ``root`` with
forward slashes, ``uriBaseId`` ``%SRCROOT%``, and ``startLine``/``startColumn``) plus a
logical location holding the field path. ``partialFingerprints`` hash rule, file, field path
and message, so alerts survive lines moving.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from dtnetpol import __version__
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.registry import RuleSpec, all_rules

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
TOOL_NAME = "dtnetpol"
INFORMATION_URI = "https://dtnetpol.dev/"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "dtnetpolFinding/v1"

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def level(severity: Severity) -> str:
    """SARIF ``level`` of a severity: error, warning, or note (for info)."""
    return _LEVEL[severity]


def artifact_uri(file: str, root: str | None) -> tuple[str, bool]:
    """(uri, relative): ``file`` relative to ``root`` with forward slashes, percent-encoded;
    a file outside ``root`` becomes a ``file://`` URI; standard input becomes ``stdin``."""
    if file.startswith("<") and file.endswith(">"):
        return quote(file.strip("<>")), True
    path = file
    if root is not None and os.path.isabs(path):
        rel = os.path.relpath(path, root)
        if rel.startswith(".."):
            return "file://" + quote(path.replace(os.sep, "/")), False
        path = rel
    elif os.path.isabs(path):
        return "file://" + quote(path.replace(os.sep, "/")), False
    path = posixpath.normpath(path.replace(os.sep, "/"))
    if path.startswith("../"):
        if root is None:
            return quote(path), True
        absolute = os.path.normpath(os.path.join(root, file))
        return "file://" + quote(absolute.replace(os.sep, "/")), False
    return quote(path), True


def _rule(spec: RuleSpec) -> dict[str, Any]:
    what = spec.section("What it does")
    return {
        "id": spec.id,
        "name": spec.name,
        "shortDescription": {"text": spec.summary},
        "fullDescription": {"text": " ".join(what.split()) or spec.summary},
        "help": {"text": spec.body, "markdown": f"**{spec.id} {spec.name}**: "
                 f"{spec.summary}\n\n{spec.body}"},
        "defaultConfiguration": {"level": level(spec.severity)},
        "properties": {"tags": ["kubernetes", "networkpolicy"]},
    }


def _fingerprint(f: Finding, uri: str) -> str:
    text = "\x00".join((f.rule_id, uri, f.location.path, f.message))
    return hashlib.sha256(text.encode()).hexdigest()


def _result(f: Finding, index: int, root: str | None) -> dict[str, Any]:
    uri, relative = artifact_uri(f.location.file, root)
    artifact: dict[str, Any] = {"uri": uri}
    if relative and root is not None:
        artifact["uriBaseId"] = SRCROOT
    region: dict[str, Any] = {"startLine": f.location.line or 1}
    if f.column is not None:
        region["startColumn"] = f.column
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": artifact,
                                                     "region": region}}
    if f.location.path:
        location["logicalLocations"] = [{"fullyQualifiedName": f.location.path,
                                         "kind": "member"}]
    text = f.message.rstrip(".") + "." + (f" Fix: {f.fix}." if f.fix else "")
    return {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": level(f.severity),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(f, uri)},
    }


def sarif_report(findings: Sequence[Finding], *, rules: Sequence[RuleSpec] | None = None,
                 root: str | None = None, version: str = __version__) -> str:
    """The SARIF log as a JSON string.

    Args:
        findings: what to report (any order; written in their sort order).
        rules: the rule catalogue to describe (default: every rule).
        root: the directory file paths are made relative to (the working directory); when
            given, ``originalUriBaseIds`` maps ``%SRCROOT%`` to it.
        version: the tool version to write.
    """
    catalogue = list(rules if rules is not None else all_rules())
    known = {spec.id for spec in catalogue}
    catalogue += [s for s in all_rules() if s.id not in known
                  and any(f.rule_id == s.id for f in findings)]
    index = {spec.id: i for i, spec in enumerate(catalogue)}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": TOOL_NAME,
            "version": version,
            "semanticVersion": version,
            "informationUri": INFORMATION_URI,
            "rules": [_rule(spec) for spec in catalogue],
        }},
        "results": [_result(f, index[f.rule_id], root) for f in sorted(findings)],
        "columnKind": "unicodeCodePoints",
    }
    return sarif_log(run, root)


def sarif_log(run: dict[str, Any], root: str | None) -> str:
    """One run as a SARIF log; with ``root``, ``%SRCROOT%`` is mapped to that directory."""
    if root is not None:
        base = root.replace(os.sep, "/").rstrip("/") + "/"
        if not base.startswith("/"):
            base = "/" + base
        run["originalUriBaseIds"] = {SRCROOT: {"uri": "file://" + quote(base)}}
    doc = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(doc, indent=2) + "\n"
