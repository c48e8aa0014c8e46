"""Lint findings as versioned JSON (``apiVersion: dtnetpol/v1``, ``kind: LintReport``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.registry import RULES

API_VERSION = "dtnetpol/v1"


def finding_json(f: Finding) -> dict[str, Any]:
    spec = RULES.get(f.rule_id)
    loc = f.location
    return {
        "rule": f.rule_id,
        "name": spec.name if spec is not None else None,
        "severity": f.severity.value,
        "message": f.message,
        "fix": f.fix or None,
        "file": loc.file,
        "document": loc.document,
        "line": loc.line,
        "column": f.column,
        "path": loc.path or None,
    }


def lint_json(findings: Sequence[Finding], *, suppressed: int = 0,
              rules_run: int | None = None) -> str:
    """``{"apiVersion", "kind": "LintReport", "findings": [...], "summary": {...}}``."""
    summary = {
        "errors": sum(1 for f in findings if f.severity is Severity.ERROR),
        "warnings": sum(1 for f in findings if f.severity is Severity.WARNING),
        "info": sum(1 for f in findings if f.severity is Severity.INFO),
        "total": len(findings),
        "suppressed": suppressed,
        "rules": rules_run if rules_run is not None else len(RULES),
    }
    doc = {"apiVersion": API_VERSION, "kind": "LintReport",
           "findings": [finding_json(f) for f in findings], "summary": summary}
    return json.dumps(doc, indent=2) + "\n"
