"""Least-privilege policies for Dynatrace, from the flows the model says apply.

Pure core: flows and options in, documents (model objects and plain data) out; nothing here
reads files or writes YAML to disk (:mod:`~dtnetpol.generate.yaml_out` turns documents into
text).

* :func:`generate`: flows → :class:`GenerateResult` for one :class:`Flavor`.
* :func:`fix`: the smallest new policies for the blocked sides of required flows.
* :func:`monitored_namespaces`: which Namespaces a DynaKube instruments (the operator's own
  matching: its namespace selectors, minus the ignored-namespace patterns).

The names below are imported on first use: ``check`` reads the flavours and the monitored
namespaces on every run, but plans policies only for a fix an output shows (the planner and
the writers were a twentieth of a check on a small cluster).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dtnetpol.lazy_names import lazy_names

if TYPE_CHECKING:
    from dtnetpol.generate._doc import GeneratedDoc
    from dtnetpol.generate._fix import BlockedSide, FixResult, fix
    from dtnetpol.generate._flavor import CalicoEdition, Flavor
    from dtnetpol.generate._generate import GenerateResult, generate
    from dtnetpol.generate._namespaces import ignored_namespace_patterns, monitored_namespaces
    from dtnetpol.generate._options import GenerateOptions
    from dtnetpol.generate._plan import (
        PRIVATE_V4,
        PRIVATE_V6,
        HostsChoice,
        PeerKind,
        Plan,
        PlanPeer,
        PlanPolicy,
        PlanRule,
        Skipped,
        build_plan,
    )

__all__ = [
    "PRIVATE_V4",
    "PRIVATE_V6",
    "BlockedSide",
    "CalicoEdition",
    "FixResult",
    "Flavor",
    "GenerateOptions",
    "GenerateResult",
    "GeneratedDoc",
    "HostsChoice",
    "PeerKind",
    "Plan",
    "PlanPeer",
    "PlanPolicy",
    "PlanRule",
    "Skipped",
    "build_plan",
    "fix",
    "generate",
    "ignored_namespace_patterns",
    "monitored_namespaces",
]

# Where each public name lives.
_HOMES = {
    "GeneratedDoc": "_doc", "BlockedSide": "_fix", "FixResult": "_fix", "fix": "_fix",
    "CalicoEdition": "_flavor", "Flavor": "_flavor",
    "GenerateResult": "_generate", "generate": "_generate", "GenerateOptions": "_options",
    "ignored_namespace_patterns": "_namespaces", "monitored_namespaces": "_namespaces",
    **dict.fromkeys(("PRIVATE_V4", "PRIVATE_V6", "HostsChoice", "PeerKind", "Plan", "PlanPeer",
                     "PlanPolicy", "PlanRule", "Skipped", "build_plan"), "_plan"),
}

__getattr__ = lazy_names(__name__, _HOMES, globals())
