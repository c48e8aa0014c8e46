"""Terminal tables for can-reach, explain and connlist."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from dtnetpol.diff.connections import Change, ConnectionChange
from dtnetpol.diff.flows import FlowChange
from dtnetpol.engine.connlist import Connection
from dtnetpol.engine.explain import Outcome, SideStatus, SideVerdict, Verdict
from dtnetpol.engine.ports import PortSet
from dtnetpol.engine.posture import DirectionPosture, WorkloadPosture
from dtnetpol.render.console import cells, render

_OUTCOME_STYLE = {Outcome.ALLOWED: "green", Outcome.BLOCKED: "bold red",
                  Outcome.CONDITIONAL: "yellow"}


_STATUS_STYLE = {SideStatus.BLOCKED: "bold red", SideStatus.PARTIAL: "yellow"}


def verdict_table(v: Verdict, *, colour: bool = False, width: int | None = None) -> str:
    """A verdict as an indented block: headline, then the egress side and the ingress side."""
    port = "any port" if v.port is None else f"{v.port}/{v.protocol}"
    by = f" (blocked by {v.blocked_by})" if v.blocked_by else ""
    parts: list[Text | str] = [Text.assemble(
        f"{v.source} -> {v.destination} on {port}: ",
        (v.outcome.value.upper(), _OUTCOME_STYLE[v.outcome]), by)]
    for side in (v.egress, v.ingress):
        parts.append(Text.assemble(f"{side.direction.word} of {side.subject}: ",
                                   (side.status.value, _STATUS_STYLE.get(side.status, "green"))))
        parts.extend(f"  {line}" for line in _why(side))
    if v.condition:
        parts.append(Text(v.condition, style="yellow"))
    return render(parts, colour=colour, width=width)


def _why(side: SideVerdict) -> list[str]:
    lines: list[str] = []
    if side.status is SideStatus.NOT_A_POD:
        lines.append("not a pod: no NetworkPolicy applies to this side")
    if side.status is SideStatus.NOT_GOVERNED:
        lines.append("host-network pod: not governed by NetworkPolicy")
    if side.isolating_policies:
        lines.append("isolated by: " + ", ".join(side.isolating_policies))
    if side.status is SideStatus.NOT_ISOLATED:
        lines.append(f"no policy selects it for {side.direction.value}: everything allowed")
    lines.extend(f"allowed by: {r}" for r in side.allowing_rules)
    if side.status is SideStatus.PARTIAL and side.allowed_addresses is not None:
        lines.append(f"only for addresses {side.allowed_addresses}")
    if side.status is SideStatus.BLOCKED:
        lines.append("no rule of these policies allows it")
    lines.extend(f"note: {n}" for n in side.notes)
    return lines


def _direction_table(d: DirectionPosture) -> Table | str:
    if not d.isolated:
        return f"{d.direction.value}: not isolated, everything allowed"
    t = Table(title=Text(f"{d.direction.value}: isolated by {', '.join(d.policies)}"),
              title_justify="left", show_header=True, header_style="bold")
    t.add_column("rule", overflow="fold")
    t.add_column("from" if d.direction.value == "Ingress" else "to", overflow="fold")
    t.add_column("ports", overflow="fold")
    if not d.rules:
        t.add_row(*cells("-", "nothing allowed", "-"))
    for r in d.rules:
        t.add_row(*cells(str(r.ref), "\n".join(r.peers), ", ".join(r.ports)))
    return t


def posture_table(postures: Sequence[WorkloadPosture], *, colour: bool = False,
                  width: int | None = None) -> str:
    parts: list[Table | Text | str] = []
    for p in postures:
        parts.append(Text(p.workload, style="bold"))
        labels = ", ".join(f"{k}={v}" for k, v in p.labels) or "(no labels)"
        parts.append(f"labels: {labels}")
        parts.append("selected by: " + (", ".join(p.selected_by) or "no policy"))
        parts.extend(f"note: {n}" for n in p.notes)
        parts.append(_direction_table(p.ingress))
        parts.append(_direction_table(p.egress))
        parts.append("")
    isolated = sum(1 for p in postures if p.ingress.isolated or p.egress.isolated)
    parts.append(f"{len(postures)} workloads, {isolated} isolated in at least one direction")
    return render(parts, colour=colour, width=width)


def connlist_table(conns: Sequence[Connection], *, colour: bool = False,
                   width: int | None = None) -> str:
    t = Table(show_header=True, header_style="bold")
    t.add_column("source", overflow="fold")
    t.add_column("destination", overflow="fold")
    t.add_column("allowed", overflow="fold")
    for c in conns:
        t.add_row(*cells(c.src, c.dst, "all" if c.ports.is_all else str(c.ports)))
    return render([t, f"{len(conns)} allowed connections"], colour=colour, width=width)


_CHANGE_MARK = {Change.ADDED: "+", Change.REMOVED: "-", Change.CHANGED: "~"}


_FLOW_STYLE = {"blocked": "bold red", "conditional": "yellow", "allowed": "green"}


def _flow_table(flows: Sequence[FlowChange]) -> Table:
    t = Table(title=Text("Dynatrace flows that change verdict"), title_justify="left",
              show_header=True, header_style="bold")
    for col in ("flow", "req", "before", "after", "decided by"):
        t.add_column(col, overflow="fold")
    for f in flows:
        after = Text(f.after, style=_FLOW_STYLE.get(f.after, ""))
        if f.breaks:
            after.append(" (breaks)", style="bold red")
        t.add_row(Text(f.id), Text("yes" if f.required else "no"),
                  Text(f.before, style=_FLOW_STYLE.get(f.before, "")), after,
                  Text(", ".join(f.policies) or "-"))
    return t


def diff_table(changes: Sequence[ConnectionChange], *, colour: bool = False,
               width: int | None = None, flows: Sequence[FlowChange] | None = None) -> str:
    """Connection changes, then (when a DynaKube was given) the Dynatrace flows whose verdict
    changed; one summary line closes it."""
    parts: list[Table | Text | str] = []
    if changes:
        t = Table(show_header=True, header_style="bold")
        for col in ("", "source", "destination", "before", "after"):
            t.add_column(col, overflow="fold")
        for c in changes:
            t.add_row(*cells(_CHANGE_MARK[c.change], c.src, c.dst,
                             _ports_text(c.before), _ports_text(c.after)))
        parts.append(t)
    counts = {k: sum(1 for c in changes if c.change is k) for k in Change}
    summary = (f"{len(changes)} connection changes: "
               + ", ".join(f"{n} {k.value}" for k, n in counts.items())
               if changes else "no connection changes")
    if flows:
        parts.append(_flow_table(flows))
    if flows is not None:
        broken = sum(1 for f in flows if f.breaks)
        summary += (f"; {len(flows)} Dynatrace flow verdicts changed, {broken} required "
                    f"flow{'' if broken == 1 else 's'} become{'s' if broken == 1 else ''} "
                    "blocked")
    parts.append(summary)
    return render(parts, colour=colour, width=width)


def _ports_text(p: PortSet) -> str:
    return "-" if not p else "all" if p.is_all else str(p)
