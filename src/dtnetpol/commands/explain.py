"""``dtnetpol explain``: per workload, the policies that select it, whether each direction is
isolated, and what each direction allows."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any, TextIO

from dtnetpol.commands._help import examples
from dtnetpol.commands._inputs import add_input_flags, analyzer, in_namespace, load
from dtnetpol.commands.can_reach import endpoint
from dtnetpol.engine.analysis import PodClass
from dtnetpol.engine.calico_staged import has_staged, staged_changes, staged_changes_of
from dtnetpol.engine.posture import WorkloadPosture, workload_posture
from dtnetpol.errors import UsageError
from dtnetpol.render import engine_json, engine_table, markdown
from dtnetpol.render.console import use_colour
from dtnetpol.render.data import DATA_FORMATS, data_text

EXIT_OK = 0
FORMATS = ("table", *DATA_FORMATS, "md")


def register(subparsers: Any) -> None:
    """Add ``explain`` to the CLI's subparsers."""
    p = subparsers.add_parser("explain", help="per workload: selecting policies, isolation, "
                              "what each direction allows",
        epilog=examples(
            'dtnetpol explain cluster/ --workload shop/cart',
            'dtnetpol explain cluster/ -n payments -o json'))
    add_input_flags(p, FORMATS, workloads=True)
    p.add_argument("--workload", help="only this workload (ns/name)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol explain``."""
    cluster = load(args, err).cluster
    an = analyzer(args, cluster)
    postures: list[WorkloadPosture] = []
    if args.workload:
        cls = endpoint(an, args.workload, "--workload")
        if not isinstance(cls, PodClass):
            raise UsageError(f"--workload {args.workload!r} is an address, not a workload")
        ns, _, name = args.workload.partition("/")
        every = workload_posture(an, cls)
        postures = [p for p in every if p.workload.startswith(f"{ns}/{name.split('[')[0]}[")] \
            or every
    else:
        for c in an.classes:
            if in_namespace(c.namespace + "/", args.namespace):
                postures.extend(workload_posture(an, c))
        postures.sort(key=lambda p: p.workload)
    if has_staged(cluster):
        # not enforced: each workload's notes say what the staged policies would change
        changes = staged_changes(cluster, lambda c: analyzer(args, c))
        postures = [replace(p, notes=(*p.notes, *(staged_changes_of(changes, p.workload) or (
            "staged policies (not enforced): applied, they would change no connection "
            "of it",)))) for p in postures]
    if args.output in DATA_FORMATS:
        out.write(data_text(args.output, engine_json.posture_json(postures)))
    elif args.output == "md":
        out.write(markdown.posture_md(postures))
    else:
        out.write(engine_table.posture_table(postures, colour=use_colour(out)))
    return EXIT_OK
