"""``dtnetpol connlist``: every allowed connection between workloads and external ranges."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from dtnetpol.commands._help import examples
from dtnetpol.commands._inputs import add_input_flags, analyzer, in_namespace, load, warn
from dtnetpol.engine.calico_staged import staged_changes
from dtnetpol.engine.connlist import connection_list
from dtnetpol.render import dot, engine_json, engine_table, markdown
from dtnetpol.render.console import use_colour
from dtnetpol.render.data import DATA_FORMATS, data_text
from dtnetpol.render.progress import progress
from dtnetpol.safe_text import escape_line

EXIT_OK = 0
_STAGED_SHOWN = 20
FORMATS = ("table", *DATA_FORMATS, "md", "dot")


def register(subparsers: Any) -> None:
    """Add ``connlist`` to the CLI's subparsers."""
    p = subparsers.add_parser("connlist", help="every allowed connection between workloads "
                              "and external address ranges",
        epilog=examples(
            'dtnetpol connlist cluster/',
            'dtnetpol connlist cluster/ -n shop -o yaml',
            'dtnetpol connlist cluster/ -o dot | dot -Tsvg > connections.svg'))
    add_input_flags(p, FORMATS, workloads=True)
    p.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol connlist``."""
    with progress(err, "loading manifests", quiet=args.quiet) as status:
        cluster = load(args, err).cluster
        status.update(f"listing connections of {len(cluster.pods)} pods under "
                      f"{len(cluster.policies)} policies")
        conns = [c for c in connection_list(analyzer(args, cluster))
                 if in_namespace(c.src, args.namespace) or in_namespace(c.dst, args.namespace)]
        # Staged Calico policies are not enforced: say what they would change.
        changes = staged_changes(cluster, lambda c: analyzer(args, c))
    shown = [c for c in changes
             if in_namespace(c.src, args.namespace) or in_namespace(c.dst, args.namespace)]
    for change in shown[:_STAGED_SHOWN]:
        warn(args, err, f"staged policies (not enforced): {escape_line(str(change))}")
    if len(shown) > _STAGED_SHOWN:
        warn(args, err, f"staged policies (not enforced): ... and {len(shown) - _STAGED_SHOWN} "
             "more changes")
    if args.output == "json":
        # Streamed: a large cluster's list is never held as one string.
        for chunk in engine_json.connlist_json_chunks(conns):
            out.write(chunk)
    elif args.output == "yaml":
        out.write(data_text("yaml", "".join(engine_json.connlist_json_chunks(conns))))
    elif args.output == "md":
        out.write(markdown.connlist_md(conns))
    elif args.output == "dot":
        out.write(dot.connlist_dot(conns))
    else:
        out.write(engine_table.connlist_table(conns, colour=use_colour(out)))
    return EXIT_OK
