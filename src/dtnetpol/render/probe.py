"""``dtnetpol probe`` output: the probe pods (``--dry-run``), and results against the engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from dtnetpol.probe import Comparison, Probe, Skipped, anchor_spec, pod_spec
from dtnetpol.probe.plan import anchor_name, ephemeral_container
from dtnetpol.render.data import DATA_FORMATS
from dtnetpol.render.diagnose import terminal_safe
from dtnetpol.render.engine_json import API_VERSION, dumps

__all__ = ["FORMATS", "dry_run_yaml", "probe_json", "probe_table"]

FORMATS = ("table", *DATA_FORMATS)


def dry_run_yaml(probes: Sequence[Probe], skipped: Sequence[Skipped], *, image: str,
                 ephemeral: Mapping[str, str] | None = None) -> str:
    """Every object a run would create, as YAML (the pods' owner uid is set at creation);
    with ``ephemeral`` (probe name → source pod) the ephemeral containers it would add."""
    if ephemeral is not None:
        head = ["# dtnetpol probe --ephemeral --dry-run: the ephemeral containers a run adds",
                "# (they cannot be removed; they stay, terminated, until the pod is replaced)."]
        head += [f"# not probed: {s.flow}: {s.reason}" for s in skipped]
        text = "\n".join(head) + "\n"
        for p in probes:
            text += f"---\n# pod {p.namespace}/{ephemeral[p.name]}, flow {p.flow}\n"
            text += yaml.safe_dump({"spec": {"ephemeralContainers": [
                ephemeral_container(p, image=image)]}}, sort_keys=False)
        return terminal_safe(text)
    out = ["# dtnetpol probe --dry-run: the objects a run with --yes creates, then deletes.",
           "# Each pod is owned by its namespace's ConfigMap (controller), so no workload",
           "# controller adopts it; its ownerReferences uid is that ConfigMap's, set at",
           "# creation."]
    for s in skipped:
        out.append(f"# not probed: {s.flow}: {s.reason}")
    docs: list[dict[str, Any]] = []
    for ns in dict.fromkeys(p.namespace for p in probes):
        run = next(p.run for p in probes if p.namespace == ns)
        docs.append(anchor_spec(ns, run))
    for p in probes:
        docs.append(pod_spec(p, image=image,
                             owner_uid=f"<uid of ConfigMap {p.namespace}/{anchor_name(p.run)}>"))
    text = "\n".join(out) + "\n"
    for d in docs:
        text += "---\n" + yaml.safe_dump(d, sort_keys=False, default_flow_style=False)
    return terminal_safe(text)


def probe_table(comparisons: Sequence[Comparison], skipped: Sequence[Skipped],
                cleaned: Sequence[str] = ()) -> str:
    lines: list[str] = []
    if cleaned:
        lines.append(f"removed {len(cleaned)} objects left by an earlier run: "
                     + ", ".join(cleaned))
        lines.append("")
    if comparisons:
        w = max(len("FLOW"), *(len(c.flow) for c in comparisons))
        lines.append(f"{'FLOW':<{w}}  {'ENGINE':<12}  {'PROBE':<10}  AGREEMENT")
        for c in comparisons:
            lines.append(f"{c.flow:<{w}}  {c.result.probe.verdict.value:<12}  "
                         f"{c.outcome.value:<10}  {c.agreement.value}")
        lines.append("")
        for c in comparisons:
            p = c.result.probe
            lines.append(f"{c.flow}: {c.outcome.value} ({c.detail})")
            lines.append(f"  probe pod {p.namespace}/{p.name} -> {p.host}:{p.port}/TCP")
            lines.append(f"  {c.explanation}")
    if skipped:
        lines.append("")
        lines.append("not probed:")
        lines.extend(f"  {s.flow}: {s.reason}" for s in skipped)
    return terminal_safe("\n".join(lines).strip("\n") + "\n")


def probe_json(comparisons: Sequence[Comparison], skipped: Sequence[Skipped],
               cleaned: Sequence[str] = ()) -> str:
    return dumps({
        "apiVersion": API_VERSION, "kind": "ProbeReport",
        "probes": [{"flow": c.flow, "verdict": c.result.probe.verdict.value,
                    "required": c.result.probe.required,
                    "pod": f"{c.result.probe.namespace}/{c.result.probe.name}",
                    "target": f"{c.result.probe.host}:{c.result.probe.port}",
                    "outcome": c.outcome.value, "detail": c.detail,
                    "agreement": c.agreement.value, "explanation": c.explanation}
                   for c in comparisons],
        "skipped": [{"flow": s.flow, "reason": s.reason} for s in skipped],
        "cleaned": list(cleaned)})
