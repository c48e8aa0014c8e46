"""The NetworkPolicy linter: a catalogue of rules, each a module with its own documentation.

Pure core: :class:`LintContext` in, :class:`Finding` objects out. The edges are
:mod:`dtnetpol.commands.lint` and :mod:`dtnetpol.commands.rules` and the renderers in
:mod:`dtnetpol.render` (``lint_table``, ``lint_json``, ``sarif``).
"""

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
