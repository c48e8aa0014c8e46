"""What every renderer of a check report says the same way: status, headline, summary, the
policies that decide a flow, the lines that explain it, and which flows share a cause.

Pure functions of a :class:`~dtnetpol.check.CheckReport`; the table, Markdown, HTML, SARIF and
DOT renderers take these instead of borrowing each other's helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from dtnetpol.check import CheckReport, FlowResult, FlowVerdict, Miss
from dtnetpol.engine.explain import RuleRef
from dtnetpol.model.location import SourceLocation

ALLOWED_BY_SHOWN = 6
POLICIES_SHOWN = 10
ATTENTION = (FlowVerdict.BLOCKED, FlowVerdict.CONDITIONAL)


class Status(StrEnum):
    BLOCKED = "blocked"        # a required flow is blocked
    ATTENTION = "attention"    # optional flows blocked, or flows conditional
    OK = "ok"


def status(report: CheckReport) -> tuple[Status, int]:
    """What a report's headline says: ``(BLOCKED, n)`` required flows blocked,
    ``(ATTENTION, 0)`` blocked optional or conditional flows, ``(OK, 0)``."""
    s = report.summary()
    if s["required_blocked"]:
        return Status.BLOCKED, s["required_blocked"]
    if s["blocked"] or s["conditional"]:
        return Status.ATTENTION, 0
    return Status.OK, 0


def headline(report: CheckReport) -> str:
    """The verdict of the whole report in a few words."""
    kind, n = status(report)
    if kind is Status.BLOCKED:
        return f"{n} required Dynatrace flow{'' if n == 1 else 's'} blocked"
    if kind is Status.ATTENTION:
        return "no required Dynatrace flow blocked; some flows need attention"
    return "every Dynatrace flow the policies govern is allowed"


def summary_line(report: CheckReport) -> str:
    """The counts of every verdict."""
    s = report.summary()
    return (f"{s['total']} flows: {s['allowed']} allowed, {s['blocked']} blocked "
            f"({s['required_blocked']} required), {s['conditional']} conditional, "
            f"{s['not-governed']} not governed")


def needs_attention(r: FlowResult) -> bool:
    """Blocked and conditional flows: those a report explains without ``-v``."""
    return r.verdict in ATTENTION


def deciding_policies(r: FlowResult) -> tuple[str, ...]:
    """The policies that decide a flow: those isolating a blocking side, else the policies
    whose rules allow it."""
    if r.policies:
        return r.policies
    return tuple(sorted({rule.policy for p in r.ports if p.engine is not None
                         for side in (p.engine.egress, p.engine.ingress)
                         for rule in side.allowing_rules}))


def rule_name(ref: RuleRef) -> str:
    """``policy egress[0]``: a rule as people name it (no file:line)."""
    return f"{ref.policy} {ref.direction.word}[{ref.index}]"


def deciding_rules(r: FlowResult) -> tuple[str, ...]:
    """The rules that decide a flow, most telling first: for a blocked flow the rules that
    almost allow it (the ones to change), else the policies that isolate the blocking side;
    for an allowed or conditional flow the rules that allow it."""
    if r.verdict is FlowVerdict.BLOCKED:
        near = tuple(dict.fromkeys(f"nearest miss {rule_name(m.near.rule)}" for m in r.misses
                                   if m.near is not None))
        return near or tuple(f"isolated by {p}" for p in r.policies)
    return tuple(dict.fromkeys(rule_name(rule) for p in r.ports if p.engine is not None
                               for side in (p.engine.egress, p.engine.ingress)
                               for rule in side.allowing_rules))


def deciding_location(r: FlowResult) -> SourceLocation | None:
    """Where the rule to change is written: the first nearest miss's rule."""
    return next((m.location for m in r.misses if m.location is not None), None)


def policies_text(policies: Sequence[str], shown: int = POLICIES_SHOWN) -> str:
    """``a, b, c and 7 more policies (-o json lists them all)`` beyond ``shown``."""
    named = ", ".join(policies[:shown])
    if len(policies) > shown:
        # A flow from every monitored namespace meets thousands of default-deny policies.
        more = len(policies) - shown
        named += (f" and {more:,} more {'policy' if more == 1 else 'policies'} "
                  "(-o json lists them all)")
    return named


def details(r: FlowResult, *, symptoms: int | None = 3) -> list[str]:
    """The lines that explain one flow (side, policies, nearest misses, symptoms, condition),
    without indentation; ``symptoms``: how many symptoms (None: all)."""
    lines: list[str] = []
    if r.flow.spec.description:
        lines.append(f"what: {r.flow.spec.description}")
    if r.blocked_by:
        verb = "blocked" if r.verdict is FlowVerdict.BLOCKED else "narrowed"
        lines.append(f"{verb} by: {r.blocked_by}, isolated by {policies_text(r.policies)}")
    bad = r.blocked_ports
    if bad and len(bad) < len(r.flow.ports):
        lines.append(f"blocked ports: {', '.join(str(p) for p in bad)}")
    for m in r.misses:
        lines.append(f"nearest miss: {m}")
    if r.verdict is FlowVerdict.ALLOWED:
        for rule in r.allowed_by[:ALLOWED_BY_SHOWN]:
            lines.append(f"allowed by: {rule}")
        if len(r.allowed_by) > ALLOWED_BY_SHOWN:
            lines.append(f"allowed by: ... and {len(r.allowed_by) - ALLOWED_BY_SHOWN} "
                         "more rules")
    if r.condition:
        lines.append(r.condition)
    if r.reason:
        lines.append(f"not governed: {r.reason}")
    if r.inferred:
        lines.append(f"inferred (not in the manifests): {', '.join(r.inferred)}")
    if needs_attention(r):
        for s in r.symptoms[:symptoms]:
            lines.append(f"you will see ({s.where.value}): {s.text}")
    return lines


@dataclass(frozen=True)
class Cause:
    """Flows that fail for the same first reason, told once."""

    flows: tuple[FlowResult, ...]
    verdict: FlowVerdict
    misses: tuple[Miss, ...]     # the distinct nearest misses of these flows, first first
    text: str                    # the first reason in one sentence

    @property
    def sides(self) -> tuple[str, ...]:
        """Which sides block (``egress``, ``ingress``, ``both``)."""
        return tuple(sorted({r.blocked_by for r in self.flows if r.blocked_by}))


def _first_reason(r: FlowResult) -> str:
    if r.verdict is FlowVerdict.CONDITIONAL:
        return r.condition or "conditional"
    if r.misses:
        return r.misses[0].cause
    if r.blocked_by:
        return f"blocked by {r.blocked_by}, isolated by {policies_text(r.policies)}"
    return r.verdict.value


def causes(report: CheckReport) -> list[Cause]:
    """Blocked and conditional flows grouped by their first reason, in report order: four
    components kept from the API server by the same rule are one cause."""
    groups: dict[tuple[FlowVerdict, str], list[FlowResult]] = {}
    for r in report.results:
        if needs_attention(r):
            groups.setdefault((r.verdict, _first_reason(r)), []).append(r)
    out = []
    for (verdict, text), flows in groups.items():
        misses = tuple(dict.fromkeys(m.cause for r in flows for m in r.misses))
        first = {m.cause: m for r in flows for m in reversed(r.misses)}
        out.append(Cause(tuple(flows), verdict, tuple(first[c] for c in misses), text))
    return out
