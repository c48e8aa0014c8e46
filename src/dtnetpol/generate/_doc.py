"""A generated document: the object as plain data, the comments that explain it, its flows."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from dtnetpol.generate._plan import PlanPolicy, PlanRule, Skipped
from dtnetpol.model import NetworkPolicy, Protocol

MANAGED_BY = {"app.kubernetes.io/managed-by": "dtnetpol"}

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class GeneratedDoc:
    """One Kubernetes object to apply.

    ``body`` is the object as YAML would hold it; ``header`` the comment lines above it;
    ``comments`` maps a path into ``body`` (``("spec", "egress", 0)``) to the comment lines
    above that list item. ``policy`` is the model object for ``networking.k8s.io`` kinds.
    """

    api_version: str
    kind: str
    namespace: str
    name: str
    body: Mapping[str, Any] = field(hash=False)
    header: tuple[str, ...] = ()
    comments: Mapping[Path, tuple[str, ...]] = field(default_factory=dict, hash=False)
    flows: tuple[str, ...] = ()
    policy: NetworkPolicy | None = field(default=None, compare=False)

    @property
    def filename(self) -> str:
        """A stable file name for ``--out DIR``."""
        return f"{self.namespace}.{self.kind.lower()}.{self.name}.yaml"


def wrap(text: str, width: int = 96) -> list[str]:
    return list(_wrapped(text, width))


@lru_cache(maxsize=1 << 12)
def _wrapped(text: str, width: int) -> tuple[str, ...]:
    """Cached: the fixes of one check repeat the same comments (268 wraps, 56 texts on S)."""
    return tuple(textwrap.wrap(text, width, break_long_words=False,
                               break_on_hyphens=False) or [""])


def policy_header(policy: PlanPolicy, kind: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Comment lines naming the policy's subject and every flow it serves, with why."""
    sel = policy.selected
    lines = [f"{kind} {sel.namespace}/{policy.name}: {policy.direction.word} of "
             f"{sel.description}."]
    lines.append("Serves:")
    for flow in policy.flows:
        need = "required" if flow.required else "optional"
        lines.extend("  " + x for x in wrap(f"{flow.id} ({need}): {flow.spec.description}",
                                            92))
    for note in (*policy.notes, *extra):
        lines.extend(wrap(note))
    return tuple(lines)


def rule_comment(rule: PlanRule, ports: str | None = None,
                 peer_notes: bool = True) -> tuple[str, ...]:
    """Comment lines above one rule: its flows, the peer, and (``peer_notes``) the caveats of
    the peer's addresses."""
    shown = ports if ports is not None else ", ".join(str(p) for p in rule.ports)
    lines = wrap(f"{', '.join(rule.flow_ids)}: {rule.peer.description}, {shown}")
    for note in rule.peer.notes if peer_notes else ():
        lines.extend(wrap(note))
    for flow in rule.flows:
        if flow.ports_assumed:
            lines.extend(wrap(f"{flow.id}: port assumed (not read from the input)."))
    return tuple(dict.fromkeys(lines))


def skipped_lines(skipped: Iterable[Skipped]) -> tuple[str, ...]:
    out: list[str] = []
    for s in skipped:
        side = f" ({s.direction.word})" if s.direction is not None else ""
        lines = wrap(f"- {s.flow.id}{side}: {s.reason}", 94)
        out.extend([lines[0], *("  " + x for x in lines[1:])])
    return tuple(out)


def port_text(protocol: Protocol, number: int) -> str:
    return f"{number}/{protocol.value}"
