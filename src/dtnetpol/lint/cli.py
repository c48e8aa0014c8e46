"""The ``lint`` and ``rules`` subcommands (an edge: reads files, writes reports).

``add_lint_commands(subparsers)`` registers both on the main parser; each handler has the
signature ``(args, out, err) -> int`` and sets ``args.run``. Exit codes: 0 no finding at or
above ``--fail-on``; 1 such a finding remains; 2 bad input (raised as :class:`InputError` or
:class:`UsageError`, which the main CLI prints and maps to 2).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, TextIO

from dtnetpol.errors import InputError, UsageError
from dtnetpol.lint.config import CONFIG_FILE, LintConfig, parse_config
from dtnetpol.lint.context import ClusterFacts, LintContext
from dtnetpol.lint.finding import Severity
from dtnetpol.lint.linter import LintResult, lint
from dtnetpol.lint.registry import UnknownRuleError, all_rules, get
from dtnetpol.manifest import Problem, build_cluster
from dtnetpol.model.cluster import Cluster
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import IPNetwork
from dtnetpol.render.console import use_colour
from dtnetpol.render.lint_json import lint_json
from dtnetpol.render.lint_table import lint_table, summary_line
from dtnetpol.render.markdown import lint_md
from dtnetpol.render.sarif import sarif_report
from dtnetpol.sources.yaml_load import read_documents, read_text

__all__ = ["LoadedInput", "add_lint_commands", "cmd_lint", "cmd_rules", "load_config",
           "load_input", "run_lint"]

EXIT_OK, EXIT_FINDING, EXIT_INPUT = 0, 1, 2
LINT_FORMATS = ("table", "json", "sarif", "md")


@dataclass(frozen=True)
class LoadedInput:
    """What the loader gives the linter: the cluster, the problems, the document bodies."""

    cluster: Cluster
    problems: tuple[Problem, ...]
    documents: dict[tuple[str, int], Any]


def load_input(paths: Sequence[str], stdin: TextIO | None = None) -> LoadedInput:
    """Read manifests like ``load_cluster(strict=False)``, keeping the document bodies so
    rules can point at the line of any field.

    Raises:
        InputError: unreadable input, YAML errors, objects without meaning.
    """
    docs = read_documents(paths, stdin)
    cluster, problems = build_cluster(((d.body, d.location) for d in docs), strict=False)
    return LoadedInput(cluster, tuple(problems), {(d.file, d.index): d.body for d in docs})


def load_config(path: str | None, *, cwd: str | None = None) -> LintConfig:
    """The configuration from ``path``, else ``.dtnetpol.yaml`` in ``cwd`` if there, else
    the defaults.

    Raises:
        InputError: unreadable or malformed file, unknown keys, rule ids or options.
    """
    if path is None:
        candidate = os.path.join(cwd or os.getcwd(), CONFIG_FILE)
        if not os.path.isfile(candidate):
            return LintConfig()
        path = candidate
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except OSError as e:
        raise InputError(f"cannot read configuration: {e.strerror or e}",
                         SourceLocation(path)) from None
    docs = read_text(text, path)
    if len(docs) > 1:
        raise InputError("the configuration must be a single YAML document",
                         docs[1].location)
    return parse_config(docs[0].body if docs else None, path)


def _networks(values: Sequence[str], flag: str) -> tuple[IPNetwork, ...]:
    out = []
    for v in values:
        try:
            out.append(ipaddress.ip_network(v, strict=False))
        except ValueError:
            raise UsageError(f"{flag} {v!r}: not an IP address or CIDR") from None
    return tuple(out)


def _apiserver(text: str | None) -> tuple[tuple[IPNetwork, ...], int | None]:
    if not text:
        return (), None
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise UsageError(f"--apiserver {text!r}: expected ADDRESS:PORT, e.g. 192.168.1.5:6443")
    host = host.strip("[]")
    try:
        net = ipaddress.ip_network(host) if host else None
    except ValueError:
        raise UsageError(f"--apiserver {text!r}: {host!r} is not an IP address") from None
    number = int(port)
    if not 1 <= number <= 65535:
        raise UsageError(f"--apiserver {text!r}: port outside 1-65535")
    return ((net,) if net is not None else ()), number


def run_lint(loaded: LoadedInput, config: LintConfig, *,
             facts: ClusterFacts | None = None, cwd: str | None = None) -> LintResult:
    """Lint loaded input with a configuration (flags' facts override the file's)."""
    merged = config.facts
    if facts is not None:
        merged = ClusterFacts(
            facts.pod_cidrs or merged.pod_cidrs,
            facts.service_cidrs or merged.service_cidrs,
            facts.apiserver_addresses or merged.apiserver_addresses,
            facts.apiserver_port or merged.apiserver_port)
    ctx = LintContext(loaded.cluster, loaded.problems, merged, config.options,
                      loaded.documents)
    base = os.path.dirname(os.path.abspath(config.source)) if config.source else \
        (cwd or os.getcwd())

    def relative(file: str) -> str:
        if file.startswith("<"):
            return file
        return os.path.relpath(os.path.abspath(file), base)

    return lint(ctx, replace(config, facts=merged), relative)


def cmd_lint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    stdin = sys.stdin if "-" in args.paths else None
    config = load_config(args.config)
    api_addrs, api_port = _apiserver(args.apiserver)
    facts = ClusterFacts(_networks(args.pod_cidr or (), "--pod-cidr"),
                         _networks(args.service_cidr or (), "--service-cidr"),
                         api_addrs, api_port)
    loaded = load_input(args.paths, stdin)
    if args.verbose:
        for w in loaded.cluster.warnings:
            print(f"warning: {w}", file=err)
    result = run_lint(loaded, config, facts=facts)
    findings = result.findings
    if args.output == "json":
        out.write(lint_json(findings, suppressed=result.suppressed,
                            rules_run=len(result.rules)))
    elif args.output == "sarif":
        out.write(sarif_report(findings, rules=result.rules, root=os.getcwd()))
    elif args.output == "md":
        out.write(lint_md(findings, suppressed=result.suppressed,
                          names={r.id: r.name for r in result.rules}))
    else:
        out.write(lint_table(findings, suppressed=result.suppressed, colour=use_colour(out)))
    if args.output != "table":
        print(summary_line(findings, result.suppressed), file=err)
    threshold = Severity.parse(args.fail_on)
    return EXIT_FINDING if result.fails(threshold) else EXIT_OK


def cmd_rules(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.rule:
        try:
            spec = get(args.rule)
        except UnknownRuleError as e:
            raise UsageError(str(e)) from None
        if args.output == "json":
            out.write(json.dumps(_rule_json(spec), indent=2) + "\n")
        else:
            out.write(f"{spec.id} {spec.name} ({spec.severity.value})\n\n{spec.summary}\n\n"
                      f"{spec.body}\n")
        return EXIT_OK
    specs = all_rules()
    if args.output == "json":
        out.write(json.dumps([_rule_json(s) for s in specs], indent=2) + "\n")
        return EXIT_OK
    width = max(len(s.name) for s in specs)
    for s in specs:
        out.write(f"{s.id}  {s.name:<{width}}  {s.severity.value:<7}  {s.summary}\n")
    return EXIT_OK


def _rule_json(spec: Any) -> dict[str, Any]:
    return {"id": spec.id, "name": spec.name, "severity": spec.severity.value,
            "summary": spec.summary, "options": dict(spec.default), "doc": spec.body}


def add_lint_commands(subparsers: Any) -> None:
    """Register ``lint`` and ``rules`` on the main parser's subparsers.

    Each sets ``run`` (``args.run(args, out, err) -> int``).
    """
    p = subparsers.add_parser(
        "lint", help="find NetworkPolicies that are invalid or do not do what they seem to",
        description="Lint NetworkPolicies (with the workloads, Services and Nodes given "
                    "alongside). Exit codes: 0 no finding at or above --fail-on, 1 findings, "
                    "2 bad input.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="manifest files or directories (recursive), or - for stdin")
    p.add_argument("-o", "--output", choices=LINT_FORMATS, default="table",
                   help="output format (default: table)")
    p.add_argument("--fail-on", choices=[s.value for s in Severity], default="error",
                   help="exit 1 when a finding at or above this severity remains "
                        "(default: error)")
    p.add_argument("--config", metavar="FILE",
                   help=f"configuration file (default: {CONFIG_FILE} in the working "
                        "directory, if present)")
    p.add_argument("--pod-cidr", action="append", metavar="CIDR",
                   help="a pod CIDR of the cluster (repeatable; also read from Nodes)")
    p.add_argument("--service-cidr", action="append", metavar="CIDR",
                   help="the Service CIDR of the cluster (repeatable)")
    p.add_argument("--apiserver", metavar="ADDRESS:PORT",
                   help="the endpoint behind kubernetes.default.svc (default: from the "
                        "default/kubernetes Endpoints or EndpointSlice in the input)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print the loader's warnings to stderr")
    p.set_defaults(run=cmd_lint)

    r = subparsers.add_parser("rules", help="list the lint rules, or print one rule's doc",
                              description="Without ID: one line per rule. With ID (NPL004 "
                                          "or service-port-in-policy): its documentation.")
    r.add_argument("rule", nargs="?", metavar="ID", help="a rule id or name")
    r.add_argument("-o", "--output", choices=("table", "json"), default="table",
                   help="output format (default: table)")
    r.set_defaults(run=cmd_rules)
