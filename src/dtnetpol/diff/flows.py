"""Which Dynatrace flows change verdict between two checks (``dtnetpol diff``).

Pure: two :class:`~dtnetpol.check.CheckReport` in, the flows whose verdict differs out, in
the order of the new report (flows only in the old one last). A flow missing on one side
(the DynaKube changed) has the verdict ``absent`` there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dtnetpol.check import CheckReport, FlowResult, FlowVerdict

ABSENT = "absent"


@dataclass(frozen=True)
class FlowChange:
    """One flow whose verdict differs between OLD and NEW."""

    id: str
    required: bool
    before: str
    after: str
    source: str
    destination: str
    port: str
    blocked_by: str | None = None
    policies: tuple[str, ...] = ()

    @property
    def breaks(self) -> bool:
        """A required flow that was not blocked and is now."""
        return (self.required and self.after == FlowVerdict.BLOCKED.value
                and self.before != FlowVerdict.BLOCKED.value)

    @property
    def repairs(self) -> bool:
        return self.before == FlowVerdict.BLOCKED.value and self.after != self.before


def _change(old: FlowResult | None, new: FlowResult | None) -> FlowChange:
    ref = new if new is not None else old
    assert ref is not None
    return FlowChange(
        id=ref.id, required=ref.required,
        before=old.verdict.value if old is not None else ABSENT,
        after=new.verdict.value if new is not None else ABSENT,
        source=ref.source, destination=ref.destination, port=ref.port_text,
        blocked_by=new.blocked_by if new is not None else None,
        policies=new.policies if new is not None else ())


def flow_changes(old: CheckReport, new: CheckReport) -> list[FlowChange]:
    """The flows whose verdict differs (a flow is known by its id)."""
    before = {r.id: r for r in old.results}
    after = {r.id: r for r in new.results}
    out = [_change(before.get(r.id), r) for r in new.results
           if r.id not in before or before[r.id].verdict is not r.verdict]
    out += [_change(r, None) for r in old.results if r.id not in after]
    return out


def breaking(changes: Sequence[FlowChange]) -> list[FlowChange]:
    """The changes that block a required flow."""
    return [c for c in changes if c.breaks]
