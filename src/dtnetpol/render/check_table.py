"""``dtnetpol check`` in a terminal: the verdict first, one row per flow, then why.

Laid out for 80 columns: the summary line, one row per flow (verdict, flow, port, required,
the policies that decide it), the causes of the blocked and conditional flows (flows blocked
for the same reason told once), the fix YAML only with ``--show-fixes``, and the summary
again at the end, where the eye lands after scrolling. Text is wrapped between words only:
a name, a ``file:line`` or a selector is never cut, and wrapped lines are indented.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dtnetpol.check import CheckReport, FlowResult, FlowVerdict
from dtnetpol.render.check_view import (
    Status,
    causes,
    deciding_policies,
    details,
    needs_attention,
    status,
)
from dtnetpol.render.console import plain_lines, render, terminal_width

if TYPE_CHECKING:
    from rich.text import Text

WIDTH = 80
_STYLE = {FlowVerdict.ALLOWED: "green", FlowVerdict.BLOCKED: "bold red",
          FlowVerdict.CONDITIONAL: "yellow", FlowVerdict.NOT_GOVERNED: "dim"}
_MARK = {FlowVerdict.ALLOWED: "✓", FlowVerdict.BLOCKED: "✗",
         FlowVerdict.CONDITIONAL: "~", FlowVerdict.NOT_GOVERNED: "-"}
_POLICIES_IN_ROW = 2
_GAP = "  "
_SUMMARY_MARK = {Status.BLOCKED: "✗", Status.ATTENTION: "~", Status.OK: "✓"}
_PORT_WIDTH = 10
_NBSP = "\x00"   # a space that wrap() never breaks at


class Line:
    """One line of the report, as rich's ``Text(head, style=style)`` with ``pieces`` appended
    (each with its own style); ``verbatim`` lines (fix YAML) are never wrapped. Made into
    ``Text`` only when colours or a line that is not plain need rich (importing rich took a
    tenth of a check on a small cluster)."""

    __slots__ = ("head", "pieces", "style", "verbatim")

    def __init__(self, head: str = "", style: str = "", *, verbatim: bool = False) -> None:
        self.head = head
        self.style = style
        self.pieces: list[tuple[str, str]] = []
        self.verbatim = verbatim

    def append(self, text: str, style: str = "") -> None:
        self.pieces.append((text, style))

    def rstrip(self) -> None:
        """Drop the trailing whitespace, as ``Text.rstrip`` does."""
        while self.pieces:
            text, style = self.pieces[-1]
            kept = text.rstrip()
            if kept:
                self.pieces[-1] = (kept, style)
                return
            self.pieces.pop()
        self.head = self.head.rstrip()

    @property
    def plain(self) -> str:
        return self.head + "".join(text for text, _ in self.pieces)

    def text(self) -> Text:
        """The line as rich's ``Text``."""
        from rich.text import Text

        out = Text(self.head, style=self.style, no_wrap=True, overflow="ignore") \
            if self.verbatim else Text(self.head, style=self.style)
        for text, style in self.pieces:
            out.append(text, style=style)
        return out


def wrap(text: str, width: int, indent: str = "", first: str = "") -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken between words only (a token
    longer than the line stays whole); the first line starts with ``first``, the others
    with ``indent``."""
    return textwrap.wrap(text, width=max(width, 20), initial_indent=first,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [first.rstrip()]


def short_summary(report: CheckReport) -> str:
    """One line: the verdict of the check and the counts that are not zero."""
    kind, n = status(report)
    s = report.summary()
    if kind is Status.BLOCKED:
        head = f"{n} required flow{'' if n == 1 else 's'} blocked"
    elif kind is Status.ATTENTION:
        head = "no required flow blocked, some need attention"
    else:
        head = "every governed flow allowed"
    counts = [(s["allowed"], "allowed"), (s["blocked"], "blocked"),
              (s["conditional"], "conditional"), (s["not-governed"], "not governed")]
    shown = ", ".join(f"{c} {w}" for c, w in counts if c)
    return f"{_SUMMARY_MARK[kind]} {head} ({s['total']} flows: {shown})"


def _policy_cell(r: FlowResult) -> list[str]:
    """The first deciding policy, and how many more there are."""
    policies = deciding_policies(r)
    if not policies:
        return ["-"]
    return [policies[0], *([f"+{len(policies) - 1}"] if len(policies) > 1 else [])]


LEGEND = "✓ allowed  ✗ blocked  ~ conditional  - not governed by NetworkPolicy"


def _pieces(port: str, width: int) -> list[str]:
    """A port list in lines of ``width``, broken after a comma only."""
    lines: list[str] = []
    for piece in port.replace(",", ", ").split(" "):
        if lines and len(lines[-1]) + len(piece) <= width:
            lines[-1] += piece
        else:
            lines.append(piece)
    return lines


def _table(report: CheckReport, width: int) -> list[Line]:
    results = report.results
    flow_w = max([len("FLOW"), *(len(r.id) for r in results)])
    port_w = max([len("PORT"), *(min(len(r.port_text), _PORT_WIDTH) for r in results),
                  *(len(p) for r in results for p in _pieces(r.port_text, 0))])
    # Gaps of two spaces; one (right to left) when that keeps every first policy beside
    # its row instead of on a line of its own.
    gaps = [_GAP] * 3
    widest = max((len(_policy_cell(r)[0]) for r in results), default=0)
    for i in (2, 1, 0):
        if widest <= width - (2 + flow_w + port_w + len("REQ") + sum(map(len, gaps))):
            break
        gaps[i] = " "
    else:
        gaps = [_GAP] * 3   # one space each is not enough: keep the roomy layout
    g_flow, g_port, g_req = gaps
    start = 2 + flow_w + port_w + len("REQ") + sum(map(len, gaps))
    room = width - start
    out = [Line(f"  {'FLOW'.ljust(flow_w)}{g_flow}{'PORT'.ljust(port_w)}{g_port}REQ{g_req}"
                "POLICY", style="bold")]
    for r in results:
        ports = _pieces(r.port_text, port_w)
        line = Line()
        line.append(_MARK[r.verdict] + " ", style=_STYLE[r.verdict])
        line.append(r.id.ljust(flow_w), style="bold" if needs_attention(r) else "")
        line.append(f"{g_flow}{ports[0].ljust(port_w)}{g_port}"
                    f"{'req' if r.required else 'opt'}{g_req}")
        below = [" " * (2 + flow_w + len(g_flow)) + p for p in ports[1:]]
        cell = _policy_cell(r)
        together = " ".join(cell)
        if len(together) <= room:
            line.append(together)
        elif len(cell[0]) <= room:
            # "+N" under the policy, in its column.
            line.append(cell[0])
            below = [_merge(below[0] if below else "", " " * start + cell[1]), *below[1:]]
        else:
            # No room beside the row: the policies go under it, indented under FLOW.
            below.append(" " * 4 + together)
        line.rstrip()
        out.append(line)
        out.extend(Line(b) for b in below)
    return out


def _merge(left: str, right: str) -> str:
    """Two partial lines laid over each other (``right`` starts where ``left`` ends)."""
    return left + right[len(left):] if len(left) <= len(right) else left


def _cause_lines(report: CheckReport, width: int) -> list[Line]:
    out: list[Line] = []
    for cause in causes(report):
        ids = ", ".join(r.id for r in cause.flows)
        sides = f" ({'/'.join(cause.sides)})" if cause.sides else ""
        if cause.misses and cause.misses[0].near is not None:
            near = cause.misses[0].near
            reason = f"{near.rule} {near.differences[0]}"
            more = len(near.differences) - 1 + len(cause.misses) - 1
        else:
            reason = cause.text
            more = max(len(cause.misses) - 1, 0)
        if more:
            reason += f" (+{more}{_NBSP}more:{_NBSP}-v)"
        lines = wrap(f"{ids}{sides}: {reason}", width, indent="  ",
                     first=f"{_MARK[cause.verdict]} ")
        out.extend(Line(line.replace(_NBSP, " ")) for line in lines)
    return out


def _flow_details(r: FlowResult, width: int, show_fixes: bool) -> list[Line]:
    need = "required" if r.required else "optional"
    out = [Line(""), Line(f"{r.verdict.value.upper()} {r.id} ({need})",
                          style=_STYLE[r.verdict])]
    out.extend(Line(line) for line in wrap(f"{r.source} -> {r.destination} on {r.port_text}",
                                           width, indent="    ", first="  "))
    for d in details(r, symptoms=None):
        out.extend(Line(line) for line in wrap(d, width, indent="      ", first="  "))
    if show_fixes and r.fix:
        out.extend(_fix_lines(r.fix))
    return out


def _fix_lines(fix: str) -> list[Line]:
    # YAML is never wrapped: it must paste back into a file as it is.
    return [Line("  fix:"), Line("\n".join("    " + line
                                           for line in fix.rstrip("\n").splitlines()),
                                 verbatim=True)]


def check_lines(report: CheckReport, *, colour: bool = False, verbose: bool = False,
                show_fixes: bool = False, width: int = WIDTH) -> list[Line]:
    """The report as lines of at most ``width`` columns (fix YAML excepted); ``Line.text()``
    makes each rich's ``Text``."""
    summary = Line(short_summary(report), style="bold")
    parts: list[Line] = [summary, *_table(report, width),
                         Line(LEGEND, style="dim")]
    attention = [r for r in report.results if needs_attention(r)]
    if verbose:
        for r in report.results:
            parts.extend(_flow_details(r, width, show_fixes))
    elif attention:
        parts.append(Line(""))
        hints = ["-v: every detail"]
        if any(r.fix for r in attention):
            hints.append("--show-fixes: the policies that fix them" if not show_fixes
                         else "fixes below")
        parts.extend(Line(line, style="bold") for line in
                     wrap(f"Why ({'; '.join(hints)})", width, indent="  "))
        parts.extend(_cause_lines(report, width))
        if show_fixes:
            fixes: dict[str, list[str]] = {}
            for r in attention:
                if r.fix:
                    fixes.setdefault(r.fix, []).append(r.id)
            for fix, ids in fixes.items():
                parts.append(Line(""))
                parts.extend(Line(line, style="bold") for line in
                             wrap(f"Fix for {', '.join(ids)}:", width, indent="  "))
                parts.extend(_fix_lines(fix)[1:])
    parts += [Line(""), summary]
    return parts


def report_width() -> int:
    """The terminal's width (at most 120) on a terminal, else 80 columns, so piped output
    and golden files never depend on the window they were made in."""
    isatty = getattr(sys.stdout, "isatty", None)
    return min(terminal_width(), 120) if isatty is not None and isatty() else WIDTH


def check_table(report: CheckReport, *, colour: bool = False, verbose: bool = False,
                show_fixes: bool = False, width: int | None = None) -> str:
    """The terminal report (see the module's doc)."""
    w = width or report_width()
    lines = check_lines(report, colour=colour, verbose=verbose, show_fixes=show_fixes, width=w)
    if not colour:
        # What rich would print, when every line is plain (see console.plain_lines).
        plain = [None if line.verbatim else plain_lines(line.plain, w) for line in lines]
        if None not in plain:
            return "".join(f"{text}\n" for texts in plain if texts is not None
                           for text in texts)
    return render([line.text() for line in lines], colour=colour, width=w)


def lines_of(parts: Sequence[Line]) -> list[str]:
    """Plain lines (for tests and width checks)."""
    return [line for p in parts for line in p.plain.splitlines() or [""]]
