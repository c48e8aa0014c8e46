"""``dtnetpol snapshot``: save what live mode reads, for later runs and for support tickets."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from dtnetpol.commands import _types as flag_types
from dtnetpol.commands._help import examples
from dtnetpol.commands._inputs import add_cluster_flags, read_live
from dtnetpol.commands._write import add_force_flag, write_files
from dtnetpol.errors import UsageError
from dtnetpol.safe_text import path_label
from dtnetpol.sources.cluster import Forbidden
from dtnetpol.sources.snapshot import FILE_BYTES, SUFFIXES, snapshot_files

EXIT_OK = 0


def register(subparsers: Any) -> None:
    """Add ``snapshot`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "snapshot", help="save what live mode reads from the cluster as files (read-only)",
        description="Read the live cluster as every other command does without PATH (get and "
                    "list only, never Secrets) and write it to DIR: one kubectl-style List "
                    "file per resource (a large one split into numbered files) and "
                    "snapshot.txt (server version, context, time, what could not be read, "
                    "the files). Every command gives the same answers on DIR as on "
                    "the live cluster; attach DIR to a support ticket.",
        epilog=examples(
            'dtnetpol snapshot --out snap/             # then: dtnetpol check snap/',
            'dtnetpol snapshot --context prod --out prod-snapshot/'))
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder to write (new or empty; with --force, files of the same name "
                        "are replaced and others left)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary or warnings")
    p.add_argument("--with-logs", action="store_true",
                   help="also save what diagnose reads: Warning events, pod container "
                        "statuses, and the logs of the Dynatrace pods and failed init "
                        "containers (DIR/logs/NAMESPACE/POD/CONTAINER.log)")
    p.add_argument("--log-lines", type=int, default=200, metavar="N",
                   help="with --with-logs: the last N lines of each log (default: 200)")
    p.add_argument("--since", metavar="DURATION",
                   help="with --with-logs: events and logs of the last DURATION (30m, 2h)")
    p.add_argument("--max-file-size", type=flag_types.size, default=FILE_BYTES, metavar="SIZE",
                   help="split a resource's List into numbered files of at most SIZE each "
                        "(e.g. 8M; 0: one file each; default: 32M, far under --max-input-size's "
                        "256M, so every command reads DIR with default flags)")
    add_force_flag(p)
    add_cluster_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol snapshot``."""
    if args.with_logs and args.log_lines < 1:
        raise UsageError(f"--log-lines {args.log_lines}: give a positive number")
    max_bytes = args.max_file_size or 1 << 62
    live = read_live(args, err)
    if not args.with_logs:
        files = snapshot_files(live, max_bytes=max_bytes)
    else:
        from dtnetpol.commands.diagnose import snapshot_extras
        from dtnetpol.sources.pod_logs import log_name

        bodies = [b for b, _ in live.documents()]
        events, logs = snapshot_extras(args, bodies, err)
        files = snapshot_files(live, keep_status=True, extra=[("events", events)],
                               max_bytes=max_bytes)
        files[-1:-1] = [(log_name(log.namespace, log.pod, log.container, log.previous),
                         "".join(line + "\n" for line in log.lines)) for log in logs]
    write_files(args.out, files, flag="--out", force=args.force, suffixes=SUFFIXES,
                nested=True, empty=True)
    if not args.quiet:
        for f in live.forbidden:
            print(f"warning: {Forbidden(f.read, f.message).warning()}", file=err)
        print(f"wrote {live.count():,} objects of {len(live.lists)} resources from context "
              f'"{live.context}" to {path_label(args.out)}/ ({len(files)} files, snapshot.txt '
              f"describes them)", file=err)
    return EXIT_OK
