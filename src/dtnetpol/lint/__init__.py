"""The NetworkPolicy linter: a catalogue of rules, each a module with its own documentation.

Pure core: :class:`LintContext` in, :class:`Finding` objects out. The edges are
:mod:`dtnetpol.commands.lint` and :mod:`dtnetpol.commands.rules` and the renderers in
:mod:`dtnetpol.render` (``lint_table``, ``lint_json``, ``sarif``).

The names below are imported on first use: every command reads ``.dtnetpol.yaml`` through
:mod:`dtnetpol.lint.config`, which must not pull in the whole rule catalogue (a tenth of the
start-up of ``check``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dtnetpol.lazy_names import lazy_names

if TYPE_CHECKING:
    from dtnetpol.lint.config import LintConfig, parse_config
    from dtnetpol.lint.context import ApiServerEndpoint, ClusterFacts, LintContext
    from dtnetpol.lint.finding import Finding, Severity
    from dtnetpol.lint.linter import IGNORE_ANNOTATION, LintResult, lint
    from dtnetpol.lint.registry import RULES, RuleSpec, UnknownRuleError, all_rules, get

__all__ = [
    "IGNORE_ANNOTATION",
    "RULES",
    "ApiServerEndpoint",
    "ClusterFacts",
    "Finding",
    "LintConfig",
    "LintContext",
    "LintResult",
    "RuleSpec",
    "Severity",
    "UnknownRuleError",
    "all_rules",
    "get",
    "lint",
    "parse_config",
]

# Where each public name lives.
_HOMES = {
    "LintConfig": "config", "parse_config": "config",
    "ApiServerEndpoint": "context", "ClusterFacts": "context", "LintContext": "context",
    "Finding": "finding", "Severity": "finding",
    "IGNORE_ANNOTATION": "linter", "LintResult": "linter", "lint": "linter",
    "RULES": "registry", "RuleSpec": "registry", "UnknownRuleError": "registry",
    "all_rules": "registry", "get": "registry",
}

__getattr__ = lazy_names(__name__, _HOMES, globals())
