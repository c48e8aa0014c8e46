"""``dtnetpol snapshot``: save what live mode reads, for later runs and for support tickets."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from dtnetpol.commands._inputs import add_cluster_flags, read_live
from dtnetpol.sources.cluster import Forbidden
from dtnetpol.sources.snapshot import write_snapshot

EXIT_OK = 0


def register(subparsers: Any) -> None:
    """Add ``snapshot`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "snapshot", help="save what live mode reads from the cluster as files (read-only)",
        description="Read the live cluster as every other command does without PATH (get and "
                    "list only, never Secrets) and write it to DIR: one kubectl-style List "
                    "file per resource and snapshot.txt (server version, context, time, what "
                    "could not be read). Every command gives the same answers on DIR as on "
                    "the live cluster; attach DIR to a support ticket.")
    p.add_argument("--out", required=True, metavar="DIR", type=Path,
                   help="folder to write (new or empty)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary or warnings")
    add_cluster_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol snapshot``."""
    live = read_live(args, err)
    files = write_snapshot(live, args.out)
    if not args.quiet:
        for f in live.forbidden:
            print(f"warning: {Forbidden(f.read, f.message).warning()}", file=err)
        print(f"wrote {live.count():,} objects of {len(live.lists)} resources from context "
              f'"{live.context}" to {args.out}/ ({len(files)} files, snapshot.txt describes '
              f"them)", file=err)
    return EXIT_OK
