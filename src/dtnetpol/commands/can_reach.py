"""``dtnetpol can-reach``: can SRC open a connection to DST (on a port)?

Exit 0 when allowed, 1 when blocked, 2 on bad input.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any, TextIO

from dtnetpol.commands import _types as flag_types
from dtnetpol.commands._help import examples
from dtnetpol.commands._inputs import add_input_flags, analyzer, load
from dtnetpol.engine.analysis import Analyzer, Endpoint
from dtnetpol.engine.calico_staged import has_staged, staged_verdict_note, with_staged
from dtnetpol.engine.explain import Outcome
from dtnetpol.engine.ports import parse_port_query
from dtnetpol.errors import UsageError
from dtnetpol.render import engine_json, engine_table, markdown
from dtnetpol.render.console import use_colour
from dtnetpol.render.data import DATA_FORMATS, data_text

EXIT_OK, EXIT_FINDING = 0, 1
FORMATS = ("table", *DATA_FORMATS, "md")


def register(subparsers: Any) -> None:
    """Add ``can-reach`` to the CLI's subparsers."""
    p = subparsers.add_parser("can-reach", help="can SRC open a connection to DST (on a port)?",
        epilog=examples(
            'dtnetpol can-reach cluster/ --from shop/frontend --to shop/cart --port 8080',
            'dtnetpol can-reach cluster/ --from 172.18.0.2 --to dynatrace/dynatrace-webhook '
            '--port 8443'))
    add_input_flags(p, FORMATS)
    p.add_argument("--from", dest="src", required=True,
                   help="ns/workload, ns/pod, ns/name[Kind], or an IP")
    p.add_argument("--to", dest="dst", required=True,
                   help="ns/workload, ns/pod, ns/name[Kind], or an IP")
    p.add_argument("--port", type=flag_types.port,
                   help="PORT or PORT/PROTOCOL (TCP, UDP, SCTP); default: any port")
    p.set_defaults(run=run)


def endpoint(an: Analyzer, text: str, flag: str) -> Endpoint:
    """The workload, pod or address ``text`` names; a usage error naming ``flag`` if none."""
    try:
        return an.find(text)
    except LookupError as e:
        raise UsageError(f"{flag} {e.args[0]}") from None


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol can-reach``."""
    port = protocol = None
    if args.port:
        try:
            port, protocol = parse_port_query(args.port)
        except ValueError as e:
            raise UsageError(f"--port {args.port!r}: {e}; expected e.g. 8443 or 53/UDP") from None
    cluster = load(args, err).cluster
    an = analyzer(args, cluster)
    src = endpoint(an, args.src, "--from")
    dst = endpoint(an, args.dst, "--to")
    verdict = an.can_reach(src, dst, port, protocol)
    if has_staged(cluster):
        # the verdict stays the enforced one; a note says what the staged policies would do
        staged_an = analyzer(args, with_staged(cluster))
        staged = staged_an.can_reach(endpoint(staged_an, args.src, "--from"),
                                     endpoint(staged_an, args.dst, "--to"), port, protocol)
        verdict = replace(verdict, staged=staged_verdict_note(verdict, staged))
    if args.output in DATA_FORMATS:
        out.write(data_text(args.output, engine_json.verdict_json(verdict)))
    elif args.output == "md":
        out.write(markdown.verdict_md(verdict))
    else:
        if port is None:
            ports = an.allowed_ports(src, dst)
            if ports:
                print(f"allowed ports: {ports}", file=out)
        out.write(engine_table.verdict_table(verdict, colour=use_colour(out)))
    return EXIT_OK if verdict.outcome is Outcome.ALLOWED else EXIT_FINDING
