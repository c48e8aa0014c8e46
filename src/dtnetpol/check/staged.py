"""What Calico's staged policies would change in a check, were they enforced.

Staged policies are never enforced (see :mod:`dtnetpol.engine.calico_staged`): the check's
verdicts are those of the cluster as it is. This compares them with the verdicts of the
cluster with every staged policy applied by its ``stagedAction`` and says, per flow, what
would change, so a staged lockdown is seen before it is enforced.
"""

from __future__ import annotations

from dtnetpol.check.flow_check import CheckReport, FlowVerdict

PREFIX = "staged policies (not enforced): "


def staged_flow_changes(today: CheckReport, staged: CheckReport) -> tuple[str, ...]:
    """One sentence per flow whose verdict the staged policies would change."""
    after = {r.id: r for r in staged.results}
    out: list[str] = []
    for r in today.results:
        s = after.get(r.id)
        if s is None or s.verdict is r.verdict:
            continue
        need = "required" if r.required else "optional"
        if s.verdict is FlowVerdict.BLOCKED:
            by = f" ({', '.join(s.policies)})" if s.policies else ""
            what = f"would block it{by}"
        elif r.verdict is FlowVerdict.BLOCKED:
            what = f"would unblock it ({s.verdict.value})"
        else:
            what = f"would make it {s.verdict.value}"
        out.append(f"{PREFIX}flow {r.id} ({need}, {r.port_text}) is {r.verdict.value} today; "
                   f"the staged policies {what}")
    return tuple(out)
