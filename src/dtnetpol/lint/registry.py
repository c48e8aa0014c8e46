"""The rule catalogue: an explicit id → module map (no discovery), and lookups by id or name.

Every rule module defines ``ID`` (a stable code such as ``NPL004``), ``NAME`` (kebab-case,
``service-port-in-policy``), ``SEVERITY``, ``OPTIONS`` (option name → type: ``str``,
``int``, ``bool``, ``map``, ``list[str]``, ``list[int]``), ``DEFAULT`` and
``check(context)``, and may define ``KINDS``, the families of policy kinds it inspects (of
:data:`KIND_FAMILIES`; ``("NetworkPolicy",)`` when absent), which ``dtnetpol rules`` shows.
The module docstring is the user documentation (first line: summary; sections *What it does*,
*Why is this bad?*, *Example*, *Use instead*, *Options*).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules import (
    and_or_confusion,
    apiserver_egress_service_port,
    apiserver_peer_as_selector,
    broad_egress,
    broad_ingress,
    calico_order_tie,
    cilium_fqdn_without_dns,
    cilium_operator_without_apiserver,
    dynatrace_selector_spans_components,
    egress_without_dns,
    invalid_policy,
    ipblock_overlaps_cluster,
    missing_default_deny,
    peer_matches_nothing,
    pod_selector_matches_nothing,
    policy_without_effect,
    redundant_rule,
    service_port_in_policy,
    unknown_dynatrace_labels,
    unknown_named_port,
)

__all__ = ["RULES", "RuleSpec", "UnknownRuleError", "all_rules", "get", "resolve"]

_ID_RE = re.compile(r"NPL\d{3}\Z")
_NAME_RE = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*\Z")
OPTION_TYPES = frozenset({"str", "int", "bool", "map", "list[str]", "list[int]"})
#: The families of policy kinds a rule may inspect: networking.k8s.io/v1 NetworkPolicy, the
#: admin kinds (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy),
#: Cilium's (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy) and Calico's.
KIND_FAMILIES = ("NetworkPolicy", "Admin", "Cilium", "Calico")


class UnknownRuleError(LookupError):
    """A rule id or name that no rule has."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return (f"unknown rule {self.text!r} (rules are NPL001-NPL{len(RULES):03d} or their "
                "names; `dtnetpol rules` lists them)")


@dataclass(frozen=True)
class RuleSpec:
    """A rule module's attributes, checked once when the registry is built."""

    id: str
    name: str
    severity: Severity
    options: Mapping[str, str] = field(hash=False)
    default: Mapping[str, Any] = field(hash=False)
    doc: str
    check: Callable[[LintContext], Iterator[Finding]] = field(hash=False, compare=False)
    kinds: tuple[str, ...] = ("NetworkPolicy",)

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0].strip()

    @property
    def body(self) -> str:
        """The documentation after the summary line (markdown)."""
        lines = self.doc.strip().splitlines()[1:]
        return "\n".join(lines).strip()

    def section(self, title: str) -> str:
        """One ``## title`` section of the documentation, without its heading."""
        out: list[str] = []
        inside = False
        for line in self.doc.splitlines():
            if line.startswith("## "):
                inside = line[3:].strip().lower() == title.lower()
                continue
            if inside:
                out.append(line)
        return "\n".join(out).strip()


def _spec(module: ModuleType) -> RuleSpec:
    rule_id = getattr(module, "ID", None)
    name = getattr(module, "NAME", None)
    severity = getattr(module, "SEVERITY", None)
    options = getattr(module, "OPTIONS", {})
    default = getattr(module, "DEFAULT", {})
    check = getattr(module, "check", None)
    kinds = getattr(module, "KINDS", ("NetworkPolicy",))
    doc = module.__doc__ or ""
    where = module.__name__
    if not isinstance(rule_id, str) or not _ID_RE.match(rule_id):
        raise TypeError(f"{where}: ID must look like NPL001, not {rule_id!r}")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise TypeError(f"{where}: NAME must be kebab-case, not {name!r}")
    if not isinstance(severity, Severity):
        raise TypeError(f"{where}: SEVERITY must be a Severity")
    if not callable(check):
        raise TypeError(f"{where}: check() is missing")
    if set(options) != set(default) or not set(options.values()) <= OPTION_TYPES:
        raise TypeError(f"{where}: OPTIONS and DEFAULT must name the same options, with "
                        f"types among {sorted(OPTION_TYPES)}")
    if not kinds or not set(kinds) <= set(KIND_FAMILIES):
        raise TypeError(f"{where}: KINDS must name families among {KIND_FAMILIES}")
    for section in ("What it does", "Why is this bad?", "Example", "Use instead", "Options"):
        if f"## {section}" not in doc:
            raise TypeError(f"{where}: docstring lacks the section '## {section}'")
    return RuleSpec(rule_id, name, severity, dict(options), dict(default), doc, check,
                    tuple(kinds))


_MODULES: tuple[ModuleType, ...] = (
    invalid_policy,
    pod_selector_matches_nothing,
    peer_matches_nothing,
    service_port_in_policy,
    unknown_named_port,
    egress_without_dns,
    apiserver_peer_as_selector,
    apiserver_egress_service_port,
    and_or_confusion,
    redundant_rule,
    policy_without_effect,
    ipblock_overlaps_cluster,
    broad_egress,
    broad_ingress,
    missing_default_deny,
    unknown_dynatrace_labels,
    dynatrace_selector_spans_components,
    calico_order_tie,
    cilium_fqdn_without_dns,
    cilium_operator_without_apiserver,
)

#: id → rule, in id order.
RULES: Mapping[str, RuleSpec] = {s.id: s for s in sorted(map(_spec, _MODULES),
                                                         key=lambda s: s.id)}
_BY_NAME: Mapping[str, RuleSpec] = {s.name: s for s in RULES.values()}
if len(RULES) != len(_MODULES) or len(_BY_NAME) != len(_MODULES):
    raise TypeError("two rule modules share an ID or a NAME")


def all_rules() -> list[RuleSpec]:
    return list(RULES.values())


def get(text: str) -> RuleSpec:
    """The rule with this id (``NPL004``, any case) or name (``service-port-in-policy``).

    Raises:
        UnknownRuleError: no rule has that id or name.
    """
    key = text.strip()
    found = RULES.get(key.upper()) or _BY_NAME.get(key.lower())
    if found is None:
        raise UnknownRuleError(text)
    return found


def resolve(text: str) -> str:
    """The id of the rule named by ``text`` (id or name); raises UnknownRuleError."""
    return get(text).id
