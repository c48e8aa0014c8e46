"""The lint configuration (``.dtnetpol.yaml``): disabled rules, severities, per-path ignores,
rule options and cluster facts, checked against the rule catalogue.

Example::

    disable: [NPL015]                     # ids or names
    severity: {broad-egress: error}       # error, warning or info
    ignore:
      - path: "legacy/**"                 # glob on the file path, relative to this file
        rules: [NPL013, NPL014]           # omitted: every rule
    options:
      egress-without-dns: {namespace: openshift-dns,
                           pod-labels: {dns.operator.openshift.io/daemonset-dns: default},
                           port: 5353}
    pod-cidrs: [10.244.0.0/16]
    service-cidrs: [10.96.0.0/12]
    apiserver: {addresses: [192.168.10.5], port: 6443}

Every error is an :class:`InputError` naming the file, line and field.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dtnetpol.errors import InputError
from dtnetpol.lint.context import ClusterFacts
from dtnetpol.lint.finding import Severity
from dtnetpol.manifest.marks import item_line, key_line, own_line
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import IPNetwork

if TYPE_CHECKING:
    # The rule catalogue is imported when a configuration names a rule (see _Node.rule), not
    # by every command that reads .dtnetpol.yaml.
    from dtnetpol.lint.registry import RuleSpec

__all__ = ["CONFIG_FILE", "LintConfig", "PathIgnore", "check_options", "parse_config"]

CONFIG_FILE = ".dtnetpol.yaml"
TOP_KEYS = ("disable", "severity", "ignore", "options", "pod-cidrs", "service-cidrs",
            "apiserver")


@dataclass(frozen=True)
class PathIgnore:
    """Findings in files matching ``pattern`` are dropped for ``rules`` (empty: all)."""

    pattern: str
    rules: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LintConfig:
    disable: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    ignore: tuple[PathIgnore, ...] = ()
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    facts: ClusterFacts = field(default_factory=ClusterFacts)
    source: str | None = None


class _Node:
    """A value with its field path and line, for error messages."""

    def __init__(self, value: Any, file: str, path: str, line: int | None) -> None:
        self.value = value
        self.file = file
        self.path = path
        self.line = line

    def loc(self) -> SourceLocation:
        return SourceLocation(self.file, 1, self.line, self.path)

    def fail(self, message: str) -> InputError:
        return InputError(message, self.loc())

    def child(self, key: str) -> _Node:
        path = f"{self.path}.{key}" if self.path else key
        return _Node(self.value[key], self.file, path, key_line(self.value, key) or self.line)

    def items(self) -> list[_Node]:
        if not isinstance(self.value, list):
            raise self.fail(f"must be a list, not {_type(self.value)}")
        return [_Node(v, self.file, f"{self.path}[{i}]", item_line(self.value, i) or self.line)
                for i, v in enumerate(self.value)]

    def mapping(self) -> list[tuple[str, _Node]]:
        if not isinstance(self.value, Mapping):
            raise self.fail(f"must be a mapping, not {_type(self.value)}")
        out = []
        for key in self.value:
            if not isinstance(key, str):
                raise self.fail(f"keys must be strings, not {_type(key)}")
            out.append((key, _Node(self.value[key], self.file, f"{self.path}[{key}]"
                                   if self.path else key, key_line(self.value, key) or self.line)))
        return out

    def text(self) -> str:
        if not isinstance(self.value, str):
            raise self.fail(f"must be a string, not {_type(self.value)}")
        return self.value

    def rule(self) -> RuleSpec:
        from dtnetpol.lint.registry import UnknownRuleError, get

        try:
            return get(self.text())
        except UnknownRuleError as e:
            raise self.fail(str(e)) from None


def _type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _network(node: _Node) -> IPNetwork:
    try:
        return ipaddress.ip_network(node.text(), strict=False)
    except ValueError:
        raise node.fail(f"{node.value!r} is not an IP address or CIDR") from None


def _option_value(node: _Node, kind: str) -> Any:
    v = node.value
    if kind == "str":
        return node.text()
    if kind == "bool":
        if not isinstance(v, bool):
            raise node.fail(f"must be true or false, not {_type(v)}")
        return v
    if kind == "int":
        if isinstance(v, bool) or not isinstance(v, int):
            raise node.fail(f"must be an integer, not {_type(v)}")
        return v
    if kind == "map":
        return {k: child.text() for k, child in node.mapping()}
    if kind == "list[str]":
        return [item.text() for item in node.items()]
    if kind == "list[int]":
        return [_option_value(item, "int") for item in node.items()]
    raise AssertionError(kind)


def check_options(spec: RuleSpec, node: _Node) -> dict[str, Any]:
    """A rule's options from the config, checked against its OPTIONS, merged with DEFAULT."""
    out = dict(spec.default)
    for key, child in node.mapping():
        kind = spec.options.get(key)
        if kind is None:
            known = ", ".join(sorted(spec.options)) or "none"
            raise child.fail(f"rule {spec.id} ({spec.name}) has no option {key!r} "
                             f"(its options: {known})")
        out[key] = _option_value(child, kind)
    return out


def parse_config(body: Any, file: str, *, extra_keys: tuple[str, ...] = ()) -> LintConfig:
    """Check and convert a loaded ``.dtnetpol.yaml``.

    Args:
        body: the loaded document (None for an empty file); line marks are used when present.
        file: its path, for messages.
        extra_keys: top-level keys read by others (the settings every command shares).

    Raises:
        InputError: an unknown key, rule id or option, or a value of the wrong type.
    """
    if body is None:
        return LintConfig(source=file)
    root = _Node(body, file, "", own_line(body) or 1)
    disable: set[str] = set()
    severity: dict[str, Severity] = {}
    ignore: list[PathIgnore] = []
    options: dict[str, dict[str, Any]] = {}
    pod_cidrs: list[IPNetwork] = []
    service_cidrs: list[IPNetwork] = []
    api_addrs: list[IPNetwork] = []
    api_port: int | None = None
    for key, node in root.mapping():
        if key in extra_keys:
            continue
        if key not in TOP_KEYS:
            known = ", ".join((*extra_keys, *TOP_KEYS))
            raise node.fail(f"unknown key {key!r} (known: {known})")
        if node.value is None:
            continue
        if key == "disable":
            disable.update(item.rule().id for item in node.items())
        elif key == "severity":
            for rule_key, child in node.mapping():
                spec = _Node(rule_key, file, child.path, child.line).rule()
                try:
                    severity[spec.id] = Severity.parse(child.text())
                except ValueError as e:
                    raise child.fail(str(e)) from None
        elif key == "ignore":
            for item in node.items():
                entries = dict(item.mapping())
                for extra in set(entries) - {"path", "rules"}:
                    raise entries[extra].fail(f"unknown key {extra!r} (known: path, rules)")
                if "path" not in entries:
                    raise item.fail("an ignore entry needs 'path'")
                rules = frozenset(r.rule().id for r in entries["rules"].items()) \
                    if "rules" in entries and entries["rules"].value is not None else frozenset()
                ignore.append(PathIgnore(entries["path"].text(), rules))
        elif key == "options":
            for rule_key, child in node.mapping():
                spec = _Node(rule_key, file, child.path, child.line).rule()
                options[spec.id] = check_options(spec, child)
        elif key == "pod-cidrs":
            pod_cidrs.extend(_network(item) for item in node.items())
        elif key == "service-cidrs":
            service_cidrs.extend(_network(item) for item in node.items())
        elif key == "apiserver":
            for sub, child in node.mapping():
                if sub == "addresses":
                    api_addrs.extend(_network(item) for item in child.items())
                elif sub == "port":
                    port = _option_value(child, "int")
                    if not 1 <= port <= 65535:
                        raise child.fail(f"port {port} must be between 1 and 65535")
                    api_port = port
                else:
                    raise child.fail(f"unknown key {sub!r} (known: addresses, port)")
    facts = ClusterFacts(tuple(pod_cidrs), tuple(service_cidrs), tuple(api_addrs), api_port)
    return LintConfig(frozenset(disable), severity, tuple(ignore), options, facts, file)
