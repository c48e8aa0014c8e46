"""``dtnetpol lint``: NetworkPolicies that are invalid or do not do what they seem to.

Edge module around the pure :mod:`dtnetpol.lint` core: reads the manifests (keeping each
document's body, so a finding can point at any field) and the configuration file, and renders
the findings. Exit 0 no finding at or above ``--fail-on``, 1 such a finding remains, 2 bad
input.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TextIO

from dtnetpol.commands import _types as flag_types
from dtnetpol.commands._help import examples
from dtnetpol.commands._inputs import (
    Loaded,
    add_apiserver_flag,
    add_input_flags,
    apiserver_values,
    host_network,
    load,
)
from dtnetpol.errors import UsageError
from dtnetpol.lint.config import LintConfig
from dtnetpol.lint.context import ClusterFacts, LintContext
from dtnetpol.lint.finding import Severity
from dtnetpol.lint.linter import LintResult, lint
from dtnetpol.model.cluster import HostNetwork
from dtnetpol.model.policy import IPNetwork
from dtnetpol.render.console import use_colour
from dtnetpol.render.data import DATA_FORMATS, data_text
from dtnetpol.render.lint_json import lint_json
from dtnetpol.render.lint_table import lint_table, summary_line
from dtnetpol.render.markdown import lint_md
from dtnetpol.render.sarif import sarif_report

EXIT_OK, EXIT_FINDING = 0, 1
FORMATS = ("table", *DATA_FORMATS, "sarif", "md")


def register(subparsers: Any) -> None:
    """Add ``lint`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "lint", help="find NetworkPolicies that are invalid or do not do what they seem to",
        description="Lint NetworkPolicies (with the workloads, Services and Nodes given "
                    "alongside). Exit codes: 0 no finding at or above --fail-on, 1 findings, "
                    "2 bad input.",
        epilog=examples(
            'dtnetpol lint policies/',
            'helm template chart/ | dtnetpol lint -',
            'dtnetpol lint cluster/ -o sarif > lint.sarif     # GitHub code scanning',
            'dtnetpol lint cluster/ --fail-on warning'))
    add_input_flags(p, FORMATS, skip_invalid=False,
                    verbose_help="print the loader's warnings to stderr")
    p.add_argument("--fail-on", choices=[s.value for s in Severity], default=None,
                   help="exit 1 when a finding at or above this severity remains "
                        "(default: error)")
    p.add_argument("--pod-cidr", action="append", metavar="CIDR", type=flag_types.cidr,
                   help="a pod CIDR of the cluster (repeatable; also read from Nodes)")
    p.add_argument("--service-cidr", action="append", metavar="CIDR", type=flag_types.cidr,
                   help="the Service CIDR of the cluster (repeatable)")
    add_apiserver_flag(p)
    p.set_defaults(run=run)


def _networks(values: Sequence[str], flag: str) -> tuple[IPNetwork, ...]:
    out = []
    for v in values:
        try:
            out.append(ipaddress.ip_network(v, strict=False))
        except ValueError:
            raise UsageError(f"{flag} {v!r}: not an IP address or CIDR") from None
    return tuple(out)


def _apiserver(values: Sequence[str]) -> tuple[tuple[IPNetwork, ...], int | None]:
    """Addresses and the one port of ``--apiserver`` (lint's rules know one API port)."""
    given = apiserver_values(values)
    ports = sorted({port for _, port in given})
    if len(ports) > 1:
        raise UsageError(f"--apiserver: lint takes one API server port, not "
                         f"{' and '.join(map(str, ports))}")
    addrs = tuple(ipaddress.ip_network(host) for host, _ in given if host is not None)
    return tuple(dict.fromkeys(addrs)), (ports[0] if ports else None)


def run_lint(loaded: Loaded, config: LintConfig, *,
             facts: ClusterFacts | None = None, cwd: str | None = None,
             host_net: HostNetwork = HostNetwork.NODE) -> LintResult:
    """Lint loaded input with a configuration (flags' facts override the file's)."""
    merged = config.facts
    if facts is not None:
        merged = ClusterFacts(
            facts.pod_cidrs or merged.pod_cidrs,
            facts.service_cidrs or merged.service_cidrs,
            facts.apiserver_addresses or merged.apiserver_addresses,
            facts.apiserver_port or merged.apiserver_port)
    ctx = LintContext(loaded.cluster, loaded.problems, merged, config.options,
                      loaded.documents, host_net)
    base = os.path.dirname(os.path.abspath(config.source)) if config.source else \
        (cwd or os.getcwd())

    def relative(file: str) -> str:
        if file.startswith("<"):
            return file
        return os.path.relpath(os.path.abspath(file), base)

    return lint(ctx, replace(config, facts=merged), relative)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol lint``."""
    config = args.settings.lint
    api_addrs, api_port = _apiserver(args.apiserver)
    facts = ClusterFacts(_networks(args.pod_cidr or (), "--pod-cidr"),
                         _networks(args.service_cidr or (), "--service-cidr"),
                         api_addrs, api_port)
    loaded = load(args, err, keep_documents=True, report=args.verbose)
    result = run_lint(loaded, config, facts=facts, host_net=host_network(args))
    findings = result.findings
    if args.output in DATA_FORMATS:
        out.write(data_text(args.output, lint_json(findings, suppressed=result.suppressed,
                                                   rules_run=len(result.rules))))
    elif args.output == "sarif":
        out.write(sarif_report(findings, rules=result.rules, root=os.getcwd()))
    elif args.output == "md":
        out.write(lint_md(findings, suppressed=result.suppressed,
                          names={r.id: r.name for r in result.rules}))
    else:
        out.write(lint_table(findings, suppressed=result.suppressed, colour=use_colour(out)))
    if args.output != "table" and not args.quiet:
        print(summary_line(findings, result.suppressed), file=err)
    threshold = Severity.parse(args.fail_on)
    return EXIT_FINDING if result.fails(threshold) else EXIT_OK
