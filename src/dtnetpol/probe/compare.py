"""What a probe's result says about the engine's verdict.

A probe pod that ran to the end tells: it connected (exit 0) or it did not (``nc`` exit 1,
with why in its log). A pod that never ran (image not pulled, never scheduled, rejected by an
admission policy, past its deadline before starting) proves nothing: *unknown*, never
*blocked*. A connect that failed because the name did not resolve says nothing about the flow
itself either: unknown, with DNS as the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dtnetpol.check import FlowVerdict
from dtnetpol.probe.plan import Probe

__all__ = ["Agreement", "Comparison", "Outcome", "ProbeResult", "compare", "outcome"]


class Outcome(StrEnum):
    CONNECTED = "connected"
    FAILED = "failed"
    UNKNOWN = "unknown"


class Agreement(StrEnum):
    AGREE = "agree"
    OUTSIDE = "engine allowed, connection failed"
    NOT_ENFORCED = "engine blocked, connected"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ProbeResult:
    """What the cluster said about one probe pod."""

    probe: Probe
    phase: str | None
    exit_code: int | None = None
    log: str = ""
    reason: str = ""  # why it did not run: ImagePullBackOff, Unschedulable, DeadlineExceeded


@dataclass(frozen=True)
class Comparison:
    result: ProbeResult
    outcome: Outcome
    detail: str
    agreement: Agreement
    explanation: str

    @property
    def flow(self) -> str:
        return self.result.probe.flow


def outcome(r: ProbeResult) -> tuple[Outcome, str]:
    """Connected, failed (with why) or unknown (with why)."""
    log = r.log.lower()
    if r.exit_code == 0:
        return Outcome.CONNECTED, "open" if "open" in log else "exit code 0"
    if r.exit_code is not None:
        if "bad address" in log or "can't resolve" in log or "name or service" in log:
            return Outcome.UNKNOWN, "the destination's name did not resolve (DNS)"
        if "refused" in log:
            return Outcome.FAILED, "connection refused"
        if "timed out" in log or "timeout" in log:
            return Outcome.FAILED, "timed out"
        return Outcome.FAILED, f"nc exit code {r.exit_code}"
    why = r.reason or (f"phase {r.phase}" if r.phase else "no status")
    return Outcome.UNKNOWN, f"the probe pod never ran to the end ({why})"


def compare(r: ProbeResult) -> Comparison:
    """The probe's outcome against the engine's verdict on the flow."""
    out, detail = outcome(r)
    v = r.probe.verdict
    if out is Outcome.UNKNOWN:
        return Comparison(r, out, detail, Agreement.UNKNOWN, "nothing proven either way")
    connected = out is Outcome.CONNECTED
    if v is FlowVerdict.BLOCKED:
        if connected:
            return Comparison(r, out, detail, Agreement.NOT_ENFORCED,
                              "the engine blocks this flow but the connection was made: the "
                              "CNI does not enforce NetworkPolicy, or the policies read are "
                              "not the ones in force")
        return Comparison(r, out, detail, Agreement.AGREE, "blocked, as the engine says")
    if v is FlowVerdict.CONDITIONAL:
        if connected:
            return Comparison(r, out, detail, Agreement.AGREE,
                              "connected: the condition holds for this address")
        return Comparison(r, out, detail, Agreement.OUTSIDE,
                          "the engine allows it only under a condition: the condition does "
                          "not hold here, or the cause is outside NetworkPolicy")
    if connected:
        return Comparison(r, out, detail, Agreement.AGREE, "connected, as the engine says")
    return Comparison(r, out, detail, Agreement.OUTSIDE,
                      "the engine allows this flow but the connection failed: the cause is "
                      "outside NetworkPolicy (firewall or security group, egress proxy, DNS, "
                      "a CNI-specific or mesh policy)")
