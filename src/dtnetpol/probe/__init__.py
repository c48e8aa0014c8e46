"""Prove verdicts with real connections: probe pods, planned here, run by the edge.

Pure core: ``check``'s report and the cluster in, :class:`Probe` plans (the exact pod each
flow gets) out; results in, :class:`Comparison` s out. Creating, watching and deleting the
pods is :class:`dtnetpol.sources.cluster.ProbeWriter`'s job, used only by ``dtnetpol probe``.
"""

from dtnetpol.probe.compare import Agreement, Comparison, Outcome, ProbeResult, compare, outcome
from dtnetpol.probe.plan import (
    DEFAULT_IMAGE,
    PROBE_LABEL,
    RUN_LABEL,
    Probe,
    Skipped,
    anchor_spec,
    plan_probes,
    pod_spec,
)

__all__ = [
    "DEFAULT_IMAGE",
    "PROBE_LABEL",
    "RUN_LABEL",
    "Agreement",
    "Comparison",
    "Outcome",
    "Probe",
    "ProbeResult",
    "Skipped",
    "anchor_spec",
    "compare",
    "outcome",
    "plan_probes",
    "pod_spec",
]
