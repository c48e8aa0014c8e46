"""Terminal tables for can-reach, explain and connlist."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from dtnetpol.diff.connections import Change, ConnectionChange
from dtnetpol.diff.flows import FlowChange
from dtnetpol.engine.connlist import Connection
from dtnetpol.engine.explain import Outcome, SideStatus, SideVerdict, Verdict
from dtnetpol.engine.ports import PortSet
from dtnetpol.engine.posture import DirectionPosture, WorkloadPosture
from dtnetpol.render.console import render, terminal_width
from dtnetpol.render.text_table import fits, text_table, wrapped

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
    if v.staged:
        parts.append(f"note: {v.staged}")
    return render(parts, colour=colour, width=width)


def _why(side: SideVerdict) -> list[str]:
    lines: list[str] = []
    if side.status is SideStatus.NOT_A_POD:
        lines.append("not a pod: no NetworkPolicy applies to this side")
    if side.status is SideStatus.NOT_GOVERNED:
        lines.append("host-network pod: not governed by NetworkPolicy")
    if side.steps:
        lines.append("decided by: " + side.chain)
        lines.extend(f"  {step} on {step.ports}" + (f" by {step.rule}" if step.rule else "")
                     for step in side.steps)
    elif side.isolating_policies:
        lines.append("isolated by: " + ", ".join(side.isolating_policies))
    if side.status is SideStatus.NOT_ISOLATED:
        lines.append(f"no policy selects it for {side.direction.value}: everything allowed")
    lines.extend(f"allowed by: {r}" for r in side.allowing_rules)
    if side.status is SideStatus.PARTIAL and side.allowed_addresses is not None:
        lines.append(f"only for addresses {side.allowed_addresses}")
    if side.status is SideStatus.BLOCKED and not side.steps:
        lines.append("no rule of these policies allows it")
    lines.extend(f"note: {n}" for n in side.notes)
    return lines


def _direction_table(d: DirectionPosture, width: int) -> list[Text | str]:
    peer = "from" if d.direction.value == "Ingress" else "to"
    if not d.isolated:
        out: list[Text | str] = [
            f"{d.direction.value}: no NetworkPolicy isolates it" if d.layers else
            f"{d.direction.value}: not isolated, everything allowed"]
    else:
        out = [f"{d.direction.value}: isolated by {', '.join(d.policies)}"]
        rows = [(str(r.ref), "\n".join(r.peers), ", ".join(r.ports)) for r in d.rules] \
            or [("-", "nothing allowed", "-")]
        out.extend(text_table(("rule", peer, "ports"), rows, width))
    if d.layers:
        out.append(f"{d.direction.value}, policy layers (in the order they run; the first "
                   "rule that matches decides, Pass goes on):")
        # the action, and under it where the rule runs (an admin priority, a Calico order)
        layer_rows = [(r.label, r.action + ("" if r.precedence == "-" else
                                            f"\n({r.precedence})"),
                       "\n".join(r.peers), "\n".join(r.ports)) for r in d.layers]
        header = ("rule", "action", peer, "ports")
        out.extend(text_table(header, layer_rows, width))
    return out


def posture_table(postures: Sequence[WorkloadPosture], *, colour: bool = False,
                  width: int | None = None) -> str:
    w = width or terminal_width()
    parts: list[Text | str] = []
    for p in postures:
        parts.append(Text(p.workload, style="bold"))
        labels = ", ".join(f"{k}={v}" for k, v in p.labels) or "(no labels)"
        parts.append(f"labels: {labels}")
        parts.append("selected by: " + (", ".join(p.selected_by) or "no policy"))
        parts.extend(f"note: {n}" for n in p.notes)
        if p.host_network:
            parts.append("Ingress, Egress: not governed by any policy modelled here (a "
                         "node-level endpoint: the node's own firewall decides)")
        else:
            parts.extend(_direction_table(p.ingress, w))
            parts.extend(_direction_table(p.egress, w))
        parts.append("")
    isolated = sum(1 for p in postures if p.ingress.isolated or p.egress.isolated)
    summary = f"{len(postures)} workloads, {isolated} isolated in at least one direction"
    layered = sum(1 for p in postures if p.ingress.layers or p.egress.layers)
    if layered:
        summary += f"; {layered} selected by other policy layers"
    parts.append(summary)
    return render(parts, colour=colour, width=w)


def connlist_table(conns: Sequence[Connection], *, colour: bool = False,
                   width: int | None = None) -> str:
    w = width or terminal_width()
    texts: dict[PortSet, str] = {}     # a big list repeats few port sets; str() is slow
    rows = []
    for c in conns:
        ports = texts.get(c.ports)
        if ports is None:
            ports = texts[c.ports] = "all" if c.ports.is_all else str(c.ports)
        rows.append((c.src, c.dst, ports))
    header = ("source", "destination", "allowed")
    if fits(header, rows, w):
        lines: list[Text | str] = list(text_table(header, rows, w))
    else:
        # Too narrow for three columns of whole names: one connection per line.
        lines = [line for src, dst, ports in rows
                 for line in wrapped(f"{src} -> {dst}: {ports}", w)]
    return render([*lines, f"{len(conns)} allowed connections"], colour=colour, width=w)


_CHANGE_MARK = {Change.ADDED: "+", Change.REMOVED: "-", Change.CHANGED: "~"}


_FLOW_STYLE = {"blocked": "bold red", "conditional": "yellow", "allowed": "green"}


def _flow_table(flows: Sequence[FlowChange], width: int) -> list[Text | str]:
    rows = []
    for f in flows:
        after = Text(f.after + (" (breaks)" if f.breaks else ""),
                     style="bold red" if f.breaks else _FLOW_STYLE.get(f.after, ""))
        rows.append((f.id, "yes" if f.required else "no",
                     Text(f.before, style=_FLOW_STYLE.get(f.before, "")), after,
                     ", ".join(f.policies) or "-"))
    return ["Dynatrace flows that change verdict",
            *text_table(("flow", "req", "before", "after", "decided by"), rows, width)]


def diff_table(changes: Sequence[ConnectionChange], *, colour: bool = False,
               width: int | None = None, flows: Sequence[FlowChange] | None = None) -> str:
    """Connection changes, then (when a DynaKube was given) the Dynatrace flows whose verdict
    changed; one summary line closes it."""
    w = width or terminal_width()
    parts: list[Text | str] = []
    if changes:
        rows = [(_CHANGE_MARK[c.change], c.src, c.dst, _ports_text(c.before),
                 _ports_text(c.after)) for c in changes]
        parts.extend(text_table(("", "source", "destination", "before", "after"), rows, w))
    counts = {k: sum(1 for c in changes if c.change is k) for k in Change}
    summary = (f"{len(changes)} connection changes: "
               + ", ".join(f"{n} {k.value}" for k, n in counts.items())
               if changes else "no connection changes")
    if flows:
        parts.extend(_flow_table(flows, w))
    if flows is not None:
        broken = sum(1 for f in flows if f.breaks)
        summary += (f"; {len(flows)} Dynatrace flow verdicts changed, {broken} required "
                    f"flow{'' if broken == 1 else 's'} become{'s' if broken == 1 else ''} "
                    "blocked")
    parts.append(summary)
    return render(parts, colour=colour, width=w)


def _ports_text(p: PortSet) -> str:
    return "-" if not p else "all" if p.is_all else str(p)
