"""Run the rules over a context, then apply the configuration and the suppressions.

Suppressions live here, not in the rules: the policy annotation ``dtnetpol.dev/ignore:
RULE[,RULE]`` drops that policy's findings for the listed rules, and the configuration
disables rules, changes severities and ignores rules per file glob. Unknown rule ids in an
annotation are an :class:`InputError` at the annotation.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dtnetpol.errors import InputError
from dtnetpol.lint.config import LintConfig
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.registry import RuleSpec, UnknownRuleError, all_rules, get
from dtnetpol.lint.rules._common import join
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import NetworkPolicy

__all__ = ["IGNORE_ANNOTATION", "LintResult", "annotation_ignores", "lint", "path_matches"]

IGNORE_ANNOTATION = "dtnetpol.dev/ignore"


@dataclass(frozen=True)
class LintResult:
    """Findings (sorted, after suppression), how many were suppressed, the rules that ran."""

    findings: tuple[Finding, ...]
    suppressed: int
    rules: tuple[RuleSpec, ...]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def fails(self, threshold: Severity) -> bool:
        """True when a finding at or above ``threshold`` remains."""
        return any(f.severity >= threshold for f in self.findings)


def annotation_ignores(ctx: LintContext) -> list[tuple[NetworkPolicy, frozenset[str]]]:
    """Each policy with a ``dtnetpol.dev/ignore`` annotation and the rule ids it lists.

    Raises:
        InputError: an entry that names no rule, at the annotation's line.
    """
    out = []
    for policy in ctx.cluster.policies:
        value = dict(policy.annotations).get(IGNORE_ANNOTATION)
        if value is None:
            continue
        ids: set[str] = set()
        for part in value.split(","):
            if not part.strip():
                continue
            try:
                ids.add(get(part).id)
            except UnknownRuleError as e:
                prefix = policy.location.path if policy.location is not None else ""
                loc = ctx.at(policy.location,
                             join(prefix, f"metadata.annotations[{IGNORE_ANNOTATION}]"))
                raise InputError(str(e), loc) from None
        out.append((policy, frozenset(ids)))
    return out


def _in_policy(loc: SourceLocation, policy: NetworkPolicy) -> bool:
    p = policy.location
    if p is None or p.file != loc.file or p.document != loc.document:
        return False
    return not p.path or loc.path == p.path or loc.path.startswith((p.path + ".", p.path + "["))


def path_matches(pattern: str, path: str) -> bool:
    """Glob ``pattern`` against a file path (``/`` separators, ``*`` crosses directories).

    A pattern without ``/`` also matches the file name alone (``*.yaml``), ``dir/`` matches
    everything below ``dir``, and a leading ``./`` is ignored on both sides.
    """
    path = posixpath.normpath(path.replace("\\", "/"))
    pat = pattern.replace("\\", "/")
    pat = pat[2:] if pat.startswith("./") else pat
    if pat.endswith("/"):
        pat += "**"
    if fnmatch.fnmatchcase(path, pat) or fnmatch.fnmatchcase(path, pat.replace("**/", "")):
        return True
    return "/" not in pat and fnmatch.fnmatchcase(posixpath.basename(path), pat)


def lint(ctx: LintContext, config: LintConfig | None = None,
         relative: Callable[[str], str] | None = None,
         rules: Sequence[RuleSpec] | None = None) -> LintResult:
    """Run every enabled rule and return the remaining findings, sorted.

    Args:
        ctx: the context (its ``options`` are taken from ``config`` when it has none).
        config: disabled rules, severity overrides, per-path ignores.
        relative: maps a finding's file to the path the ignore globs are written against
            (relative to the configuration file); identity when None.
        rules: the rules to run (default: all, in id order).

    Raises:
        InputError: an unknown rule id in a ``dtnetpol.dev/ignore`` annotation.
    """
    config = config or LintConfig()
    if config.options and not ctx.options:
        ctx.options = config.options
    ignores = annotation_ignores(ctx)
    to_path = relative or (lambda p: p)
    chosen = tuple(r for r in (rules or all_rules()) if r.id not in config.disable)
    kept: list[Finding] = []
    suppressed = 0
    for spec in chosen:
        level = config.severity.get(spec.id)
        for finding in spec.check(ctx):
            if level is not None:
                finding = finding.with_severity(level)
            if any(spec.id in ids and _in_policy(finding.location, pol) for pol, ids in ignores):
                suppressed += 1
                continue
            if config.ignore:
                rel = to_path(finding.location.file)
                if any((not ig.rules or spec.id in ig.rules) and path_matches(ig.pattern, rel)
                       for ig in config.ignore):
                    suppressed += 1
                    continue
            kept.append(finding)
    return LintResult(tuple(sorted(set(kept))), suppressed, chosen)
