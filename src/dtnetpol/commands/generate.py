"""``dtnetpol generate``: least-privilege policies for the user's DynaKube, install, platform.

Edge module: reads the DynaKube file and the optional cluster manifests, builds the install
facts from flags and manifests, runs :func:`dtnetpol.generate.generate`, writes YAML to
stdout (or one file per document with ``--out DIR``). Warnings go to stderr.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from dtnetpol.commands._help import examples
from dtnetpol.commands._inputs import add_input_flags, warn
from dtnetpol.commands._install import add_generate_flags, add_install_flags, load_inputs
from dtnetpol.commands._write import add_force_flag, write_files
from dtnetpol.dynatrace import applicable_flows
from dtnetpol.generate import CalicoEdition, Flavor, GenerateOptions, generate
from dtnetpol.generate.yaml_out import document_yaml, stream_yaml

EXIT_OK = 0


def register(subparsers: Any) -> None:
    """Add ``generate`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "generate", help="least-privilege policies for the DynaKube's flows",
        description="Write the policies every Dynatrace flow of the DynaKube needs, and "
                    "nothing more, commented with the flows each rule serves.",
        epilog=examples(
            'dtnetpol generate --dynakube dk.yaml --apiserver 172.18.0.2:6443',
            'dtnetpol generate cluster/ --flavor cilium --out policies/',
            'dtnetpol generate cluster/ --platform openshift --flavor openshift'))
    add_input_flags(p, ("yaml",), paths_required=False, dynakube=True,
                    paths_help="cluster manifests: Namespaces (monitored namespaces), the "
                               "default/kubernetes EndpointSlice (API server), Nodes",
                    verbose_help="list every warning")
    p.add_argument("--flavor", choices=[f.value for f in Flavor], default=Flavor.KUBERNETES,
                   help="policy kinds to write (default: kubernetes)")
    add_install_flags(p)
    add_generate_flags(p)
    p.add_argument("--out", metavar="DIR",
                   help="write one file per policy into DIR instead of one YAML stream")
    add_force_flag(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol generate``."""
    inputs = load_inputs(args, err)
    flows = applicable_flows(inputs.dynakubes, inputs.install, edgeconnects=inputs.edgeconnects)
    addresses = [a for n in inputs.cluster.nodes for a in n.addresses]
    ipv6 = any(":" in e.host for e in inputs.install.apiserver_endpoints) or \
        any(":" in a for a in addresses)
    options = GenerateOptions(
        flavor=Flavor(args.flavor), install=inputs.install, dynakubes=inputs.dynakubes,
        monitored=inputs.monitored, tenant_cidrs=tuple(args.tenant_cidr),
        proxy_cidrs=tuple(args.proxy_cidr), node_cidrs=tuple(args.node_cidr),
        observed_node_addresses=tuple(addresses),
        calico_edition=CalicoEdition(args.calico_edition), ipv6=ipv6)
    result = generate(flows, options)
    for w in (*inputs.warnings, *result.warnings):
        warn(args, err, w)
    if args.out:
        done = write_files(args.out, [(d.filename, document_yaml(d)) for d in result.documents],
                           flag="--out", force=args.force)
        same = f" ({len(done.unchanged)} unchanged)" if done.unchanged else ""
        print(f"wrote {len(done.written)} files to {args.out}{same}", file=err)
    else:
        out.write(stream_yaml(result.documents, result.preamble))
    return EXIT_OK
