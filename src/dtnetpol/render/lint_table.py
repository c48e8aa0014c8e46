"""Lint findings as compiler-style lines: ``file:line: severity[ID] name: message``.

Each finding is followed by its field path and its fix, indented; a summary line closes the
report. Lines are never wrapped, so the output greps and diffs well.
"""

from __future__ import annotations

from collections.abc import Sequence

from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.registry import RULES
from dtnetpol.safe_text import escape_controls

_COLOUR = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[33m",
           Severity.INFO: "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _plural(n: int, word: str) -> str:
    if word == "info":
        return f"{n} info"
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(findings: Sequence[Finding], suppressed: int = 0) -> str:
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    text = ", ".join([_plural(counts[Severity.ERROR], "error"),
                      _plural(counts[Severity.WARNING], "warning"),
                      _plural(counts[Severity.INFO], "info")])
    if suppressed:
        text += f" ({suppressed} suppressed)"
    return text


def lint_table(findings: Sequence[Finding], *, suppressed: int = 0,
               colour: bool = False) -> str:
    """The report as text (ANSI colours only when ``colour``)."""

    def paint(code: str, text: str) -> str:
        # Text from the input is escaped before our colours wrap it (dtnetpol.safe_text).
        return f"{code}{escape_controls(text)}{_RESET}" if colour else escape_controls(text)

    lines: list[str] = []
    for f in findings:
        loc = f.location
        where = loc.file
        if loc.line is not None:
            where += f":{loc.line}"
            if f.column is not None:
                where += f":{f.column}"
        spec = RULES.get(f.rule_id)
        name = f" {spec.name}" if spec is not None else ""
        head = paint(_COLOUR[f.severity], f"{f.severity.value}[{f.rule_id}]")
        lines.append(f"{paint(_BOLD, where)}: {head}{name}: {escape_controls(f.message)}")
        detail = f"document {loc.document}" + (f", {loc.path}" if loc.path else "")
        lines.append(paint(_DIM, f"    at {detail}"))
        if f.fix:
            lines.append(f"    fix: {escape_controls(f.fix)}")
    if not findings:
        lines.append("no findings" + (f" ({suppressed} suppressed)" if suppressed else ""))
    else:
        lines.append(summary_line(findings, suppressed))
    return "\n".join(lines) + "\n"
