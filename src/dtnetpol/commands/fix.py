"""``dtnetpol fix``: the smallest new policies that unblock the required Dynatrace flows.

Edge module: loads PATH (the user's manifests, DynaKube included or given with
``--dynakube``), asks :func:`dtnetpol.generate.fix` which sides of the required flows block,
and prints the new policies as YAML, or writes them as new files into ``--write DIR``. It
never opens the user's files for writing; it writes into DIR as
:mod:`dtnetpol.commands._write` does.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from dtnetpol.commands._help import examples
from dtnetpol.commands._inputs import add_input_flags, warn
from dtnetpol.commands._install import add_generate_flags, add_install_flags, load_inputs
from dtnetpol.commands._write import add_force_flag, write_files
from dtnetpol.dynatrace import applicable_flows
from dtnetpol.generate import CalicoEdition, Flavor, GenerateOptions, fix
from dtnetpol.generate.yaml_out import document_yaml, stream_yaml

EXIT_OK = 0


def register(subparsers: Any) -> None:
    """Add ``fix`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "fix", help="new policies that unblock the required Dynatrace flows",
        description="For every required Dynatrace flow the policies in PATH block, write the "
                    "smallest new NetworkPolicy that lets it through. The files in PATH are "
                    "never changed.",
        epilog=examples(
            'dtnetpol fix cluster/                  # the new policies as one YAML stream',
            'dtnetpol fix cluster/ --write fixes/   # one file per policy, none overwritten',
            'dtnetpol fix cluster/ | kubectl apply -f -'))
    add_input_flags(p, ("yaml",), dynakube=True, verbose_help="list every blocked side")
    add_install_flags(p)
    add_generate_flags(p)
    p.add_argument("--write", metavar="DIR",
                   help="write each new policy as a new file into DIR (an existing file "
                        "with other content only with --force)")
    add_force_flag(p)
    p.set_defaults(run=run, flavor=Flavor.KUBERNETES.value)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol fix``."""
    inputs = load_inputs(args, err)
    flows = applicable_flows(inputs.dynakubes, inputs.install, edgeconnects=inputs.edgeconnects)
    addresses = [a for n in inputs.cluster.nodes for a in n.addresses]
    options = GenerateOptions(
        flavor=Flavor.KUBERNETES, install=inputs.install, dynakubes=inputs.dynakubes,
        monitored=inputs.monitored, tenant_cidrs=tuple(args.tenant_cidr),
        proxy_cidrs=tuple(args.proxy_cidr), node_cidrs=tuple(args.node_cidr),
        observed_node_addresses=tuple(addresses),
        calico_edition=CalicoEdition(args.calico_edition))
    result = fix(inputs.cluster, flows, options)
    for w in (*inputs.warnings, *result.warnings):
        warn(args, err, w)
    if args.verbose:
        for b in result.blocked:
            ports = ", ".join(str(p) for p in b.ports)
            print(f"blocked: {b.flow.id}: {b.direction.word} of {b.subject} ({ports})",
                  file=err)
    flows_fixed = sorted({b.flow.id for b in result.blocked})
    if not result.documents:
        print("nothing to fix: no required Dynatrace flow is blocked", file=err)
        return EXIT_OK
    if args.write:
        done = write_files(args.write,
                           [(d.filename, document_yaml(d)) for d in result.documents],
                           flag="--write", force=args.force)
        same = f" ({len(done.unchanged)} unchanged)" if done.unchanged else ""
        print(f"wrote {len(done.written)} policies for {len(flows_fixed)} blocked flows "
              f"to {args.write}{same}", file=err)
    else:
        preamble = (f"dtnetpol fix: {len(result.documents)} new policies for "
                    f"{len(flows_fixed)} blocked required flows: {', '.join(flows_fixed)}.",
                    "Apply them next to your policies; nothing existing needs to change.")
        out.write(stream_yaml(result.documents, preamble))
    return EXIT_OK
