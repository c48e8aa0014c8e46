"""``dtnetpol diagnose`` output: table (terminal), md, html and JSON.

JSON follows the documented contract exactly (``apiVersion dtnetpol/v1``, ``kind
Diagnosis``, one object per finding). Text read from the cluster (log lines, event messages,
annotations) reaches a terminal only with its control characters escaped
(:func:`terminal_safe`); Markdown and HTML escape it as text.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from dtnetpol.check import CheckReport
from dtnetpol.diagnose import Diagnosis, Evidence, Finding
from dtnetpol.render import markdown as md
from dtnetpol.render.data import DATA_FORMATS, data_text
from dtnetpol.render.engine_json import API_VERSION, dumps

__all__ = ["FORMATS", "diagnose_json", "diagnose_md", "diagnose_table", "render_diagnosis",
           "terminal_safe"]

FORMATS = ("table", *DATA_FORMATS, "md", "html")


def terminal_safe(text: str) -> str:
    """Control and format characters (ESC, CR, bidi overrides ...) as ``\\xNN``/``\\uNNNN``."""
    out: list[str] = []
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\n":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _evidence_json(e: Evidence) -> dict[str, Any]:
    return {"kind": e.kind.value, "object": e.object, "text": e.text, "time": e.time}


def _cause_json(f: Finding) -> str:
    if not f.next:
        return f.cause
    return f.cause + ". Next: " + "; ".join(f.next)


def diagnose_json(diag: Diagnosis) -> str:
    """The documented contract, nothing more."""
    return dumps({
        "apiVersion": API_VERSION, "kind": "Diagnosis",
        "findings": [{"flow": f.flow, "verdict": f.verdict.value, "required": f.required,
                      "evidence": [_evidence_json(e) for e in f.evidence],
                      "policies": list(f.policies), "fix": f.fix, "cause": _cause_json(f)}
                     for f in diag.findings]})


def _where(e: Evidence) -> str:
    container = f" [{e.container}]" if e.container else ""
    return f"{e.kind.value} {e.object}{container}" + (f" at {e.time}" if e.time else "")


def headline(diag: Diagnosis) -> str:
    n = len(diag.findings)
    req = sum(1 for f in diag.findings if f.required)
    if not n:
        return "No symptom of a Dynatrace flow in what was read"
    return (f"{n} Dynatrace flow{'' if n == 1 else 's'} with symptoms"
            f" ({req} required)")


def read_line(diag: Diagnosis) -> str:
    return "read: " + ", ".join(f"{v} {k}" for k, v in diag.read.items())


def _verdict_word(f: Finding) -> str:
    return f.verdict.value + (" (required)" if f.required else "")


def diagnose_table(diag: Diagnosis) -> str:
    """Plain columns for a terminal; required and blocked first (the core's order)."""
    lines = [headline(diag), read_line(diag), ""]
    if diag.findings:
        w = max(len("FLOW"), *(len(f.flow) for f in diag.findings))
        lines.append(f"{'FLOW':<{w}}  {'VERDICT':<12}  {'REQUIRED':<8}  EVIDENCE  POLICIES")
        for f in diag.findings:
            lines.append(f"{f.flow:<{w}}  {f.verdict.value:<12}  "
                         f"{'yes' if f.required else 'no':<8}  {len(f.evidence):<8}  "
                         f"{', '.join(f.policies) or '-'}")
        lines.append("")
    for f in diag.findings:
        lines.append(f"{f.flow}: {_verdict_word(f)}")
        lines.append("  evidence:")
        for e in f.evidence:
            lines.append(f"    {_where(e)}")
            lines.append(f"      \"{e.text}\"")
        lines.append(f"  cause: {f.cause}")
        if f.next:
            lines.append("  next:")
            lines.extend(f"    {c}" if c.startswith("#") else f"    $ {c}" for c in f.next)
        if f.fix:
            lines.append("  fix:")
            lines.extend("    " + x for x in f.fix.rstrip("\n").splitlines())
        lines.append("")
    if diag.notes:
        lines.append("notes:")
        for n in diag.notes:
            lines.append(f"  - {n.text}")
            for e in n.evidence:
                lines.append(f"      {_where(e)}: \"{e.text}\"")
        lines.append("")
    return terminal_safe("\n".join(lines).rstrip("\n") + "\n")


def diagnose_md(diag: Diagnosis, *, limit: int = md.MAX_COMMENT) -> str:
    """The diagnosis as a comment: a table, then each finding (at most ``limit`` characters,
    cut between rows and findings with a note)."""
    head = ["## dtnetpol diagnose", "", md.text(headline(diag)) + ". " +
            md.text(read_line(diag)), ""]
    sections: list[list[str]] = [head]
    if diag.findings:
        tbl = md.table(["flow", "verdict", "required", "evidence", "policies"], [
            [md.code(f.flow), md.text(f.verdict.value), "yes" if f.required else "no",
             str(len(f.evidence)), md.text(", ".join(f.policies) or "-")]
            for f in diag.findings])
        sections += [tbl[:2], *([row] for row in tbl[2:]), [""]]
    for f in diag.findings:
        out = [f"### {md.code(f.flow)}: {md.text(_verdict_word(f))}", ""]
        for e in f.evidence:
            out.append(f"- {md.text(_where(e))}: {md.code(e.text)}")
        out += ["", f"**Cause:** {md.text(f.cause)}", ""]
        if f.next:
            out += ["**Next:**", "", *md.block("\n".join(f.next), "sh"), ""]
        if f.fix:
            out += md.folded("fix", md.block(f.fix, "yaml"))
        sections.append(out)
    if diag.notes:
        sections.append(["### Notes", ""])
        for n in diag.notes:
            sections.append([f"- {md.text(n.text)}",
                             *(f"  - {md.text(_where(e))}: {md.code(e.text)}"
                               for e in n.evidence)])
        sections.append([""])
    return terminal_safe(md.fit(sections, "rows, findings or notes", limit=limit))


def render_diagnosis(fmt: str, diag: Diagnosis, report: CheckReport, *,
                     inputs: tuple[str, ...] = ()) -> str:
    if fmt in DATA_FORMATS:
        return data_text(fmt, diagnose_json(diag))
    if fmt == "md":
        return diagnose_md(diag)
    if fmt == "html":
        from dtnetpol.render.diagnose_html import diagnose_html
        return diagnose_html(diag, report, inputs=inputs)
    if fmt == "table":
        return diagnose_table(diag)
    raise ValueError(f"unknown format {fmt!r}")
