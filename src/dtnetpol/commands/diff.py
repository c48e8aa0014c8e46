"""``dtnetpol diff``: connections that appear and disappear between two policy sets, and the
Dynatrace flows that change verdict.

With one PATH (or ``--kubeconfig``/``--context`` and PATHs) OLD is the live cluster and NEW
is the live cluster with PATH's objects applied over it (an object of the same kind,
namespace and name replaced, as ``kubectl apply`` would): what applying PATH would change.

Exit 1 when a required flow becomes blocked, else 0; 2 on bad input.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any, TextIO

from dtnetpol.check import CheckReport
from dtnetpol.commands import check as check_cmd
from dtnetpol.commands._help import examples
from dtnetpol.commands._inputs import add_input_flags, analyzer, input_paths, load, read_live
from dtnetpol.commands._install import add_generate_flags, add_install_flags, load_inputs
from dtnetpol.commands._write import write_files
from dtnetpol.diff import FlowChange, breaking, diff_connections, flow_changes
from dtnetpol.engine.connlist import connection_list
from dtnetpol.errors import UsageError
from dtnetpol.generate import Flavor
from dtnetpol.model.cluster import Cluster
from dtnetpol.render import engine_json, engine_table, markdown
from dtnetpol.render.console import use_colour
from dtnetpol.render.data import DATA_FORMATS, data_text
from dtnetpol.sources import git_revision
from dtnetpol.sources.snapshot import SUFFIXES as SNAPSHOT_SUFFIXES
from dtnetpol.sources.snapshot import snapshot_files

EXIT_OK, EXIT_FINDING = 0, 1
FORMATS = ("table", *DATA_FORMATS, "md")


def register(subparsers: Any) -> None:
    """Add ``diff`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "diff", help="connections that appear and disappear between two policy sets (OLD "
        "NEW, or --git REV1..REV2 PATH...), and Dynatrace flows that change verdict",
        description="Connections that appear and disappear between two policy sets. When a "
        "DynaKube is in the inputs (or given with --dynakube), also the Dynatrace flows "
        "whose verdict changes; exit 1 when a required flow becomes blocked.",
        epilog=examples(
            'dtnetpol diff old/ new/',
            'dtnetpol diff --git main..HEAD policies/       # the policies of a pull request',
            'dtnetpol diff --git HEAD~1 policies/ -o md      # HEAD~1 against the working tree'))
    add_input_flags(p, FORMATS, dynakube=True,
                    paths_help="OLD NEW (files or directories); with --git: the paths to "
                               "compare",
                    verbose_help="list skipped kinds and every warning")
    p.add_argument("--git", metavar="REV1..REV2",
                   help="compare PATHs at two git revisions (REV alone: REV..working tree)")
    add_install_flags(p)
    add_generate_flags(p)
    p.set_defaults(run=run, flavor=Flavor.KUBERNETES.value)


def _has_dynakube(cluster: Cluster) -> bool:
    return any(o.kind in ("DynaKube", "EdgeConnect") for o in cluster.others)


def _flow_check(paths: list[str], args: argparse.Namespace) -> CheckReport:
    """The Dynatrace check of one side of a diff (no fix YAML: only verdicts are compared)."""
    ns = argparse.Namespace(**{**vars(args), "no_fix": True})
    return check_cmd.build_report(ns, load_inputs(ns, None, paths=paths))


def _against_live(args: argparse.Namespace) -> bool:
    """OLD is the live cluster: one PATH, or live-cluster flags with PATHs (not with --git)."""
    paths = input_paths(args)
    live_flags = bool(getattr(args, "kubeconfig", None) or getattr(args, "context", None))
    return not args.git and bool(paths) and (len(paths) == 1 or live_flags)


def _sides(args: argparse.Namespace, tmp: str | None, err: TextIO | None = None
           ) -> tuple[list[str], list[str]]:
    paths = input_paths(args)
    if _against_live(args):
        assert tmp is not None
        # the live read as a snapshot folder: both sides load it like any PATH, and NEW
        # lists PATH after it, so PATH's objects replace the live ones of the same name
        live = Path(tmp) / "live"
        write_files(str(live), snapshot_files(read_live(args, err)),
                    flag="the copy of the live read in", suffixes=SNAPSHOT_SUFFIXES)
        return [str(live)], [str(live), *paths]
    if args.git:
        assert tmp is not None
        old_rev, new_rev = git_revision.parse_range(args.git)
        old_paths = git_revision.export_revision(old_rev, paths, Path(tmp) / "old")
        new_paths = git_revision.export_revision(new_rev, paths, Path(tmp) / "new") \
            if new_rev else list(paths)
        return old_paths, new_paths
    if len(paths) != 2:
        raise UsageError("diff takes two paths, OLD and NEW (or --git REV1..REV2, or one "
                         "PATH to compare with the live cluster)")
    if "-" in paths:
        raise UsageError("diff reads OLD and NEW from files or directories, not stdin (-)")
    return paths[:1], paths[1:]


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol diff``."""
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(git_revision.revision_dir()) \
            if args.git or _against_live(args) else None
        old_paths, new_paths = _sides(args, tmp, err)
        # from here on both sides are files (the live read was saved as one)
        args = argparse.Namespace(**{**vars(args), "kubeconfig": None, "context": None})
        old = load(args, err, paths=old_paths).cluster
        new = load(args, err, paths=new_paths).cluster
        flows: list[FlowChange] | None = None
        if args.dynakube or _has_dynakube(old) or _has_dynakube(new):
            flows = flow_changes(_flow_check(old_paths, args), _flow_check(new_paths, args))
    changes = diff_connections(connection_list(analyzer(args, old)),
                               connection_list(analyzer(args, new)))
    if args.output in DATA_FORMATS:
        out.write(data_text(args.output, engine_json.diff_json(changes, flows)))
    elif args.output == "md":
        out.write(markdown.diff_md(changes, flows or ()))
    else:
        out.write(engine_table.diff_table(changes, colour=use_colour(out), flows=flows))
    return EXIT_FINDING if flows and breaking(flows) else EXIT_OK
