"""Least-privilege policies for Dynatrace, from the flows the model says apply.

Pure core: flows and options in, documents (model objects and plain data) out; nothing here
reads files or writes YAML to disk (:mod:`~dtnetpol.generate.yaml_out` turns documents into
text).

* :func:`generate`: flows → :class:`GenerateResult` for one :class:`Flavor`.
* :func:`fix`: the smallest new policies for the blocked sides of required flows.
* :func:`monitored_namespaces`: which Namespaces a DynaKube instruments (the operator's own
  matching: its namespace selectors, minus the ignored-namespace patterns).
"""

from dtnetpol.generate._doc import GeneratedDoc
from dtnetpol.generate._fix import BlockedSide, FixResult, fix
from dtnetpol.generate._flavor import CalicoEdition, Flavor
from dtnetpol.generate._generate import GenerateOptions, GenerateResult, generate
from dtnetpol.generate._namespaces import ignored_namespace_patterns, monitored_namespaces
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
