"""``dtnetpol check``: which Dynatrace flows the policies block, why, and the fix.

Edge module: loads PATH (DynaKube included, or given with ``--dynakube``), resolves the
install facts like ``generate`` does, asks :func:`dtnetpol.check.check_flows` and renders the
report. Exit 0 when every required flow is allowed, 1 when one is blocked (``--fail-on``
widens that), 2 on bad input.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any, TextIO

from dtnetpol.check import (
    Addresses,
    CheckOptions,
    CheckReport,
    check_flows,
    labelled_as_monitored,
    with_platform_namespaces,
)
from dtnetpol.check.staged import staged_flow_changes
from dtnetpol.commands._help import examples
from dtnetpol.commands._inputs import add_input_flags, input_paths, warn
from dtnetpol.commands._install import (
    Inputs,
    add_generate_flags,
    add_install_flags,
    load_inputs,
)
from dtnetpol.dynatrace import applicable_flows
from dtnetpol.engine.analysis import Analyzer
from dtnetpol.generate import CalicoEdition, Flavor, GenerateOptions
from dtnetpol.render import check_formats
from dtnetpol.render.console import use_colour
from dtnetpol.render.progress import progress

EXIT_OK, EXIT_FINDING = 0, 1
FORMATS = check_formats.FORMATS
FAIL_ON = ("required", "optional", "conditional")


def register(subparsers: Any) -> None:
    """Add ``check`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "check", help="which Dynatrace flows the policies block, why, and the fix",
        description="Check every network flow the DynaKube needs against the policies in "
                    "PATH: allowed, blocked, conditional or not governed; for a blocked flow "
                    "the side that blocks, the policies responsible, the nearest miss, what "
                    "the user will see, and the smallest policy that fixes it.",
        epilog=examples(
            'dtnetpol check cluster/                     # the verdict, one row per flow, why',
            'dtnetpol check cluster/ -v --show-fixes     # every detail, and the fix YAML',
            'dtnetpol check policies/ --dynakube dk.yaml --platform eks',
            'dtnetpol check cluster/ -o html > report.html',
            'dtnetpol check cluster/ -o md --fail-on optional   # a pull-request comment'))
    add_input_flags(p, FORMATS, dynakube=True,
                    verbose_help="details for every flow, not only blocked and conditional "
                                 "ones")
    add_install_flags(p)
    add_generate_flags(p)
    p.add_argument("--fail-on", choices=FAIL_ON, default=None,
                   help="exit 1 when a required flow is blocked (default), any flow is "
                        "blocked (optional), or any flow is blocked or conditional")
    p.add_argument("--show-fixes", action="store_true",
                   help="print the fix YAML in the table (json, md, html and sarif always "
                        "carry it; dtnetpol fix writes it)")
    p.add_argument("--no-fix", action="store_true",
                   help="do not compute fixes (faster; no YAML in any format)")
    p.set_defaults(run=run, flavor=Flavor.KUBERNETES.value)


def build_report(args: argparse.Namespace, inputs: Inputs) -> CheckReport:
    """The check for already loaded inputs (shared with commands that compare reports)."""
    flows = applicable_flows(inputs.dynakubes, inputs.install, edgeconnects=inputs.edgeconnects)
    addresses = tuple(a for n in inputs.cluster.nodes for a in n.addresses)
    # Fixes in the flavour the cluster already uses (Cilium policies: Cilium fixes; a
    # Calico default-deny: Calico policies placed before it).
    flavor = Flavor.CILIUM if inputs.cluster.cilium_policies else Flavor.KUBERNETES
    placement = None
    if inputs.cluster.calico.policies:   # the Calico writer: only for a Calico input
        from dtnetpol.generate._calico import calico_placement

        placement = calico_placement(inputs.cluster.calico)
    if placement is not None and flavor is Flavor.KUBERNETES:
        flavor = Flavor.CALICO
    tier, order = placement if placement is not None else (None, None)
    gen = None if getattr(args, "no_fix", False) else GenerateOptions(
        calico_tier=tier, calico_order=order,
        flavor=flavor, install=inputs.install, dynakubes=inputs.dynakubes,
        monitored=inputs.monitored, tenant_cidrs=tuple(args.tenant_cidr),
        proxy_cidrs=tuple(args.proxy_cidr), node_cidrs=tuple(args.node_cidr),
        observed_node_addresses=addresses, calico_edition=CalicoEdition(args.calico_edition))
    options = CheckOptions(
        install=inputs.install, monitored=inputs.monitored,
        oneagent_modes={dk.name: dk.mode.value for dk in inputs.dynakubes
                        if dk.oneagent_daemonset},
        addresses=Addresses(tuple(args.tenant_cidr), tuple(args.proxy_cidr),
                            tuple(args.node_cidr), tuple(args.apiserver_cidr)),
        generate=gen)
    cluster = with_platform_namespaces(
        labelled_as_monitored(inputs.cluster, inputs.monitored), inputs.install.platform)
    report = check_flows(Analyzer(cluster, inputs.install.host_network), flows, options)
    staged: tuple[str, ...] = ()
    if cluster.calico.staged or cluster.calico.staged_kubernetes:
        # Staged Calico policies are not enforced: say what they would change.
        from dtnetpol.engine.calico_staged import with_staged
        would = check_flows(Analyzer(with_staged(cluster), inputs.install.host_network),
                            flows, replace(options, generate=None))
        staged = staged_flow_changes(report, would)
    return CheckReport(report.results, (*inputs.warnings, *staged))


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol check``."""
    with progress(err, "loading manifests", quiet=args.quiet) as status:
        inputs = load_inputs(args, err, for_policies=False)
        status.update(f"checking the Dynatrace flows of {len(inputs.cluster.pods)} pods "
                      f"against {len(inputs.cluster.policies)} policies")
        report = build_report(args, inputs)
    for w in report.warnings:
        warn(args, err, w)
    dynakube_file = next((dk.location.file for dk in inputs.dynakubes
                          if dk.location is not None), None)
    out.write(check_formats.render_check(
        args.output, report, policies=inputs.cluster.policies, dynakube_file=dynakube_file,
        paths=input_paths(args), verbose=args.verbose, colour=use_colour(out),
        show_fixes=args.show_fixes))
    return EXIT_FINDING if report.failing(args.fail_on) else EXIT_OK
