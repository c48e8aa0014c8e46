"""``-o md``: reports as a pull-request comment (GitHub/GitLab flavoured Markdown).

Every report opens with a heading and a one-line summary, then a table; the details (why a
flow is blocked, the fix YAML, each workload's rules) are folded in ``<details>`` blocks.

User data is always text: in Markdown it is HTML-escaped and its Markdown punctuation is
backslash-escaped (so a label value ``<script>`` or ``*x*`` shows as typed), inside
``<summary>`` it is HTML-escaped, and YAML goes into a fenced block whose fence is longer
than any backtick run in it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from dtnetpol.check import CheckReport, FlowResult, FlowVerdict
from dtnetpol.diff.connections import Change, ConnectionChange
from dtnetpol.diff.flows import FlowChange
from dtnetpol.engine.connlist import Connection
from dtnetpol.engine.explain import SideStatus, SideVerdict, Verdict
from dtnetpol.engine.ports import PortSet
from dtnetpol.engine.posture import DirectionPosture, WorkloadPosture
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.render.check_view import (
    Status,
    details,
    headline,
    needs_attention,
    status,
    summary_line,
)
from dtnetpol.render.lint_table import summary_line as lint_summary_line

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_VERDICT_MARK = {FlowVerdict.ALLOWED: "🟢", FlowVerdict.BLOCKED: "🔴",
                 FlowVerdict.CONDITIONAL: "🟠", FlowVerdict.NOT_GOVERNED: "⚪"}


def text(value: str) -> str:
    """``value`` as literal inline Markdown text: no markup, no HTML, one line."""
    one_line = " ".join(value.split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(one_line, quote=False))


def html_text(value: str) -> str:
    """``value`` as literal text inside an HTML block (``<summary>``)."""
    return html.escape(" ".join(value.split()))


def code(value: str) -> str:
    """``value`` as inline code (a backtick fence longer than any run inside)."""
    one_line = " ".join(value.split())
    longest = max((len(m) for m in re.findall(r"`+", one_line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


def block(value: str, lang: str = "") -> list[str]:
    """``value`` as a fenced code block, as lines."""
    longest = max((len(m) for m in re.findall(r"`+", value)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", *value.rstrip("\n").splitlines(), fence]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A pipe table; cells must already be Markdown (use :func:`text`)."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out.extend("| " + " | ".join(r) + " |" for r in rows)
    return out


def folded(summary: str, body: Sequence[str]) -> list[str]:
    """A ``<details>`` block; ``summary`` is already HTML (use :func:`html_text`)."""
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _join(lines: Sequence[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"


#: GitHub refuses a pull-request comment (and a job summary) longer than this.
MAX_COMMENT = 65_536
_NOTE_ROOM = 600


def fit(sections: Sequence[Sequence[str]], what: str, *, limit: int = MAX_COMMENT) -> str:
    """The sections (each a run of lines kept whole: a table row, a folded block) while they
    fit ``limit`` characters, then a note saying what was left out and where it is."""
    out: list[str] = []
    size = 0
    for i, section in enumerate(sections):
        chunk = "".join(line + "\n" for line in section)
        if size + len(chunk) > limit - _NOTE_ROOM:
            left = len(sections) - i
            out.append(f"\n> ✂️ **Truncated** to stay under GitHub's {limit:,}-character "
                       f"limit: {left} more {what} not shown. The whole report: the same "
                       "command with `-o md > report.md` (or `-o html > report.html`), kept "
                       "as a job artifact.\n")
            break
        out.append(chunk)
        size += len(chunk)
    return "".join(out).rstrip("\n") + "\n"


# --- check ------------------------------------------------------------------------------


_STATUS_MARK = {Status.BLOCKED: "🔴", Status.ATTENTION: "🟠", Status.OK: "🟢"}


def _headline(report: CheckReport) -> str:
    return f"{_STATUS_MARK[status(report)[0]]} {headline(report)}"


def check_md(report: CheckReport, *, verbose: bool = False,
             limit: int = MAX_COMMENT) -> str:
    """The check as a pull-request comment (at most ``limit`` characters)."""
    head = [f"### dtnetpol check: {_headline(report)}", "", f"**{text(summary_line(report))}**",
            ""]
    for w in report.warnings:
        head += [f"> ⚠️ {text(w)}", ""]
    rows = []
    for r in report.results:
        verdict = r.verdict.value + (f" ({r.blocked_by})" if r.blocked_by else "")
        rows.append([_VERDICT_MARK[r.verdict], code(r.id),
                     f"{text(r.source)} → {text(r.destination)}", text(r.port_text),
                     "yes" if r.required else "no", text(verdict)])
    header, *body = table(["", "flow", "source → destination", "port", "required", "verdict"],
                          rows)
    sections: list[list[str]] = [[*head, header, body[0]], *([line] for line in body[1:])]
    sections.append([""])
    sections += [folded(_flow_summary(r), _flow_body(r)) for r in report.results
                 if verbose or needs_attention(r)]
    return fit(sections, "rows or flow details", limit=limit)


def _flow_summary(r: FlowResult) -> str:
    need = "required" if r.required else "optional"
    return (f"{_VERDICT_MARK[r.verdict]} <b>{html_text(r.verdict.value.upper())}</b> "
            f"<code>{html_text(r.id)}</code> ({need}): {html_text(r.source)} → "
            f"{html_text(r.destination)} on {html_text(r.port_text)}")


def _flow_body(r: FlowResult) -> list[str]:
    body = [f"- {text(line)}" for line in details(r)]
    if r.fix:
        body += ["", "**Fix** (`kubectl apply -f -`):", "", *block(r.fix, "yaml")]
    return body


# --- connlist, can-reach, explain, diff ----------------------------------------------------


def _ports(p: PortSet) -> str:
    return "-" if not p else "all" if p.is_all else str(p)


def connlist_md(conns: Sequence[Connection], *, limit: int = MAX_COMMENT) -> str:
    head = [f"### dtnetpol connlist: {len(conns)} allowed connections", ""]
    header, sep, *rows = table(["source", "destination", "allowed"],
                               [[text(c.src), text(c.dst), text(_ports(c.ports))]
                                for c in conns])
    return fit([[*head, header, sep], *([r] for r in rows)], "connections", limit=limit)


def _side_lines(side: SideVerdict) -> list[str]:
    out = [f"- **{text(side.direction.word)} of {text(side.subject)}**: "
           f"{text(side.status.value)}"]
    if side.steps:
        out.append(f"  - decided by: {text(side.chain)}")
    elif side.isolating_policies:
        out.append(f"  - isolated by: {text(', '.join(side.isolating_policies))}")
    out.extend(f"  - allowed by: {text(str(r))}" for r in side.allowing_rules)
    if side.status is SideStatus.PARTIAL and side.allowed_addresses is not None:
        out.append(f"  - only for addresses {text(str(side.allowed_addresses))}")
    out.extend(f"  - note: {text(n)}" for n in side.notes)
    return out


def verdict_md(v: Verdict, *, limit: int = MAX_COMMENT) -> str:
    """One connection's verdict (at most ``limit`` characters: a side can list thousands of
    allowing rules)."""
    port = "any port" if v.port is None else f"{v.port}/{v.protocol}"
    by = f" (blocked by {v.blocked_by})" if v.blocked_by else ""
    head = [f"### dtnetpol can-reach: {text(v.outcome.value.upper() + by)}", "",
            f"**{text(v.source)} → {text(v.destination)}** on {text(port)}", ""]
    lines = [line for side in (v.egress, v.ingress) for line in _side_lines(side)]
    tail = ["", f"> {text(v.condition)}"] if v.condition else []
    if v.staged:
        tail += ["", f"> note: {text(v.staged)}"]
    return fit([head, *([line] for line in lines), tail], "lines", limit=limit)


def _direction_md(d: DirectionPosture) -> list[str]:
    word = d.direction.value
    peer = "from" if word == "Ingress" else "to"
    if not d.isolated:
        out = [f"**{word}**: no NetworkPolicy isolates it" if d.layers else
               f"**{word}**: not isolated, everything allowed", ""]
    else:
        out = [f"**{word}**: isolated by {text(', '.join(d.policies))}", ""]
        rows = [[text(str(r.ref)), text("; ".join(r.peers)), text(", ".join(r.ports))]
                for r in d.rules] or [["-", "nothing allowed", "-"]]
        out += [*table(["rule", peer, "ports"], rows), ""]
    if d.layers:
        out += [f"**{word}, policy layers** (in the order they run; the first rule that "
                "matches decides, Pass goes on):", ""]
        out += table(["rule", "order", "action", peer, "ports"],
                     [[text(r.label), text(r.precedence), text(r.action),
                       text("; ".join(r.peers)), text(", ".join(r.ports))]
                      for r in d.layers])
        out.append("")
    return out


def posture_md(postures: Sequence[WorkloadPosture], *, limit: int = MAX_COMMENT) -> str:
    """Every workload's posture: a table, then one folded block each (at most ``limit``
    characters, cut between rows and blocks)."""
    isolated = sum(1 for p in postures if p.ingress.isolated or p.egress.isolated)
    head = [f"### dtnetpol explain: {len(postures)} workloads, {isolated} isolated in at "
            "least one direction", ""]
    rows = [[text(p.workload), "yes" if p.ingress.isolated else "no",
             "yes" if p.egress.isolated else "no", text(", ".join(p.selected_by) or "-")]
            for p in postures]
    tbl = table(["workload", "ingress isolated", "egress isolated", "selected by"], rows)
    sections = [[*head, *tbl[:2]], *([row] for row in tbl[2:]), [""]]
    for p in postures:
        labels = ", ".join(f"{k}={v}" for k, v in p.labels) or "(no labels)"
        body = [f"labels: {text(labels)}", ""]
        body += [f"> note: {text(n)}" for n in p.notes]
        if p.host_network:
            body += ["**Ingress, Egress**: not governed by any policy modelled here (a "
                     "node-level endpoint: the node's own firewall decides)", ""]
        else:
            body += _direction_md(p.ingress) + _direction_md(p.egress)
        sections.append(folded(f"<b>{html_text(p.workload)}</b>", body))
    return fit(sections, "rows or workloads", limit=limit)


_CHANGE_MARK = {Change.ADDED: "➕ added", Change.REMOVED: "➖ removed",
                Change.CHANGED: "✏️ changed"}


def diff_md(changes: Sequence[ConnectionChange], flows: Sequence[FlowChange] = (), *,
            limit: int = MAX_COMMENT) -> str:
    """Connection changes, then Dynatrace flows whose verdict changed."""
    counts = {k: sum(1 for c in changes if c.change is k) for k in Change}
    summary = ", ".join(f"{n} {k.value}" for k, n in counts.items())
    broken = [f for f in flows if f.breaks]
    head = (f"🔴 {len(broken)} required Dynatrace flow{'' if len(broken) == 1 else 's'} "
            "become blocked" if broken else f"{len(changes)} connection changes")
    sections: list[list[str]] = [[f"### dtnetpol diff: {head}", "",
                                  f"**{len(changes)} connection changes: {summary}; "
                                  f"{len(flows)} Dynatrace flow verdicts changed**", ""]]
    if flows:
        # Flows first: a required flow that becomes blocked is what the reviewer must see.
        header, sep, *rows = table(
            ["", "flow", "required", "before", "after"],
            [["🔴" if f.breaks else "🟢" if f.after == "allowed" else "🟠",
              code(f.id), "yes" if f.required else "no", text(f.before),
              text(f.after)] for f in flows])
        sections[0] += ["#### Dynatrace flows", "", header, sep]
        sections += [[r] for r in rows]
        sections.append([""])
    if changes:
        header, sep, *rows = table(
            ["", "source", "destination", "before", "after"],
            [[_CHANGE_MARK[c.change], text(c.src), text(c.dst), text(_ports(c.before)),
              text(_ports(c.after))] for c in changes])
        sections.append(["#### Connections", "", header, sep])
        sections += [[r] for r in rows]
    else:
        sections.append(["no connection changes"])
    return fit(sections, "rows", limit=limit)


# --- lint ---------------------------------------------------------------------------------

_SEVERITY_MARK = {Severity.ERROR: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def lint_md(findings: Sequence[Finding], *, suppressed: int = 0,
            names: Mapping[str, str] | None = None, limit: int = MAX_COMMENT) -> str:
    """Lint findings as a pull-request comment: counts, one row per finding (errors first,
    then warnings, then info; in file order within each), fixes folded.

    ``names`` maps rule ids to rule names (``NPL004`` → ``service-port-in-policy``).
    """
    names = names or {}
    ordered = sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity])
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    head = (f"🔴 {errors} error{'' if errors == 1 else 's'}" if errors else
            "🟠 warnings only" if findings else "🟢 no findings")
    lines = [f"### dtnetpol lint: {head}", "",
             f"**{text(lint_summary_line(findings, suppressed))}**", ""]
    if not ordered:
        return _join(lines)
    rows = []
    for f in ordered:
        loc = f.location
        where = f"{loc.file}:{loc.line}" if loc.line is not None else loc.file
        rule = f"{f.rule_id} {names[f.rule_id]}" if f.rule_id in names else f.rule_id
        rows.append([_SEVERITY_MARK[f.severity], code(where), code(rule), text(f.message)])
    header, sep, *body = table(["", "where", "rule", "finding"], rows)
    sections: list[list[str]] = [[*lines, header, sep], *([r] for r in body), [""]]
    fixes = []
    for f in ordered:
        if f.fix:
            loc = f.location
            fixes.append(f"- {code(f'{loc.file}:{loc.line or 0}')} {code(loc.path)}: "
                         f"{text(f.fix)}")
    if fixes:
        sections.append(folded("How to fix", fixes))
    return fit(sections, "findings or fixes", limit=limit)
