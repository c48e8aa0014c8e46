"""``dtnetpol check`` for people: a table of flows, then what explains each problem."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from dtnetpol.check import CheckReport, FlowResult, FlowVerdict
from dtnetpol.render.console import render

_STYLE = {FlowVerdict.ALLOWED: "green", FlowVerdict.BLOCKED: "bold red",
          FlowVerdict.CONDITIONAL: "yellow", FlowVerdict.NOT_GOVERNED: "dim"}


_ALLOWED_BY_SHOWN = 6
_POLICIES_SHOWN = 10


def status(report: CheckReport) -> tuple[str, int]:
    """What a report's headline says: ``("blocked", n)`` required flows blocked,
    ``("attention", 0)`` blocked optional or conditional flows, ``("ok", 0)``."""
    s = report.summary()
    if s["required_blocked"]:
        return "blocked", s["required_blocked"]
    if s["blocked"] or s["conditional"]:
        return "attention", 0
    return "ok", 0


def summary_line(report: CheckReport) -> str:
    s = report.summary()
    return (f"{s['total']} flows: {s['allowed']} allowed, {s['blocked']} blocked "
            f"({s['required_blocked']} required), {s['conditional']} conditional, "
            f"{s['not-governed']} not governed")


def details(r: FlowResult) -> list[str]:
    """The lines that explain one flow: side, policies, nearest miss, symptom, condition."""
    lines: list[str] = [f"{r.source} -> {r.destination} on {r.port_text}"]
    if r.flow.spec.description:
        lines.append(f"  what: {r.flow.spec.description}")
    if r.blocked_by:
        verb = "blocked" if r.verdict is FlowVerdict.BLOCKED else "narrowed"
        named = ", ".join(r.policies[:_POLICIES_SHOWN])
        if len(r.policies) > _POLICIES_SHOWN:
            # A flow from every monitored namespace meets thousands of default-deny policies.
            more = len(r.policies) - _POLICIES_SHOWN
            named += (f" and {more:,} more {'policy' if more == 1 else 'policies'} "
                      "(-o json lists them all)")
        lines.append(f"  {verb} by: {r.blocked_by}, isolated by {named}")
    bad = r.blocked_ports
    if bad and len(bad) < len(r.flow.ports):
        lines.append(f"  blocked ports: {', '.join(str(p) for p in bad)}")
    for m in r.nearest_misses:
        lines.append(f"  nearest miss: {m}")
    if r.verdict is FlowVerdict.ALLOWED:
        for rule in r.allowed_by[:_ALLOWED_BY_SHOWN]:
            lines.append(f"  allowed by: {rule}")
        if len(r.allowed_by) > _ALLOWED_BY_SHOWN:
            lines.append(f"  allowed by: ... and {len(r.allowed_by) - _ALLOWED_BY_SHOWN} "
                         "more rules")
    if r.condition:
        lines.append(f"  {r.condition}")
    if r.reason:
        lines.append(f"  not governed: {r.reason}")
    if r.inferred:
        lines.append(f"  inferred (not in the manifests): {', '.join(r.inferred)}")
    if r.verdict in (FlowVerdict.BLOCKED, FlowVerdict.CONDITIONAL):
        for s in r.symptoms[:3]:
            lines.append(f"  you will see ({s.where.value}): {s.text}")
    return lines


def check_table(report: CheckReport, *, colour: bool = False, verbose: bool = False,
                width: int | None = None) -> str:
    # Two lines per flow (id, then source -> destination) keep it readable at 80 columns.
    t = Table(show_header=True, header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False,
              show_edge=False)
    t.add_column("verdict", no_wrap=True)
    t.add_column("flow: source -> destination", overflow="fold", ratio=1)
    t.add_column("port", overflow="fold", max_width=16)
    t.add_column("req", no_wrap=True)
    for r in report.results:
        verdict = Text(r.verdict.value, style=_STYLE[r.verdict])
        if r.blocked_by:
            verdict.append(f"\n({r.blocked_by})")
        route = Text.assemble((r.id, "bold"), f"\n  {r.source} -> {r.destination}")
        t.add_row(verdict, route, Text(r.port_text), Text("yes" if r.required else "no"))
    parts: list[Text | Table | str] = [t]
    for r in report.results:
        if not verbose and r.verdict not in (FlowVerdict.BLOCKED, FlowVerdict.CONDITIONAL):
            continue
        parts.append("")
        parts.append(Text.assemble((f"{r.verdict.value.upper()} ", _STYLE[r.verdict]),
                                   (r.id, "bold"), " (required)" if r.required else
                                   " (optional)"))
        parts.extend(details(r))
        if r.fix:
            parts.append("  fix:")
            # YAML is never wrapped: it must paste back into a file as it is.
            parts.append(Text("\n".join("    " + line
                                         for line in r.fix.rstrip("\n").splitlines()),
                              no_wrap=True, overflow="ignore"))
    parts.append("")
    parts.append(summary_line(report))
    return render(parts, colour=colour, width=width)
