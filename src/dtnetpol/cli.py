"""Command line: subcommands, output formats, documented exit codes.

Exit codes: 0 success (and for can-reach: allowed); 1 a finding the command was asked to
fail on (blocked connection, blocked required flow, lint finding at --fail-on); 2 bad input
or usage. Reports go to stdout, warnings and progress to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import NoReturn, TextIO, cast

from dtnetpol import __version__
from dtnetpol.check import CheckReport
from dtnetpol.commands import check as check_cmd
from dtnetpol.commands import fix as fix_cmd
from dtnetpol.commands import generate as generate_cmd
from dtnetpol.commands.generate import add_generate_flags, add_install_flags, load_inputs
from dtnetpol.engine.analysis import Analyzer, Endpoint, PodClass
from dtnetpol.engine.connlist import connection_list
from dtnetpol.engine.diff import diff_connections
from dtnetpol.engine.explain import Outcome
from dtnetpol.engine.ports import parse_port_query
from dtnetpol.engine.posture import WorkloadPosture, workload_posture
from dtnetpol.errors import DtnetpolError, UsageError
from dtnetpol.flowdiff import FlowChange, breaking, flow_changes
from dtnetpol.generate import Flavor
from dtnetpol.lint.cli import add_lint_commands
from dtnetpol.model.cluster import Cluster
from dtnetpol.render import dot, engine_json, engine_table, markdown
from dtnetpol.render.console import use_colour
from dtnetpol.render.progress import progress
from dtnetpol.safe_text import SafeStream
from dtnetpol.sources import git_revision, load_cluster

EXIT_OK, EXIT_FINDING, EXIT_INPUT = 0, 1, 2


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MD = "md"
    DOT = "dot"  # connlist only: the connections as a graph


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def _common(p: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="manifest files or directories (recursive), or - for stdin")
    p.add_argument("-o", "--output", choices=list(formats), default="table",
                   help="output format (default: table)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="list skipped kinds and every warning")
    p.add_argument("--skip-invalid", action="store_true",
                   help="drop NetworkPolicies the API server would reject (with a warning) "
                        "instead of failing")


def _namespace_flags(p: argparse.ArgumentParser) -> None:
    # kubectl's conventions: -n narrows the report to a namespace, -A is every namespace.
    g = p.add_mutually_exclusive_group()
    g.add_argument("-n", "--namespace", help="report only workloads of this namespace "
                   "(connections where either end is in it)")
    g.add_argument("-A", "--all-namespaces", action="store_true",
                   help="report every namespace (the default)")


def _in_namespace(name: str, namespace: str | None) -> bool:
    return namespace is None or name.startswith(namespace + "/")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dtnetpol", description="Kubernetes NetworkPolicy analysis that keeps "
                     "Dynatrace working.")
    parser.add_argument("--version", action="version", version=f"dtnetpol {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    fmts = [f.value for f in OutputFormat if f is not OutputFormat.DOT]

    p = sub.add_parser("can-reach", help="can SRC open a connection to DST (on a port)?")
    _common(p, fmts)
    p.add_argument("--from", dest="src", required=True,
                   help="ns/workload, ns/pod, ns/name[Kind], or an IP")
    p.add_argument("--to", dest="dst", required=True,
                   help="ns/workload, ns/pod, ns/name[Kind], or an IP")
    p.add_argument("--port", help="PORT or PORT/PROTOCOL (TCP, UDP, SCTP); default: any port")
    p.set_defaults(run=_cmd_can_reach)

    p = sub.add_parser("explain", help="per workload: selecting policies, isolation, "
                       "what each direction allows")
    _common(p, fmts)
    p.add_argument("--workload", help="only this workload (ns/name)")
    _namespace_flags(p)
    p.set_defaults(run=_cmd_explain)

    p = sub.add_parser("connlist", help="every allowed connection between workloads and "
                       "external address ranges")
    _common(p, [*fmts, OutputFormat.DOT.value])
    _namespace_flags(p)
    p.set_defaults(run=_cmd_connlist)

    check_cmd.register(sub)
    add_lint_commands(sub)
    generate_cmd.register(sub)
    fix_cmd.register(sub)

    p = sub.add_parser("diff", help="connections that appear and disappear between two "
                       "policy sets (OLD NEW, or --git REV1..REV2 PATH...), and Dynatrace "
                       "flows that change verdict",
                       description="Connections that appear and disappear between two policy "
                       "sets. When a DynaKube is in the inputs (or given with --dynakube), "
                       "also the Dynatrace flows whose verdict changes; exit 1 when a "
                       "required flow becomes blocked.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="OLD NEW (files or directories); with --git: the paths to compare")
    p.add_argument("--git", metavar="REV1..REV2",
                   help="compare PATHs at two git revisions (REV alone: REV..working tree)")
    p.add_argument("-o", "--output", choices=fmts, default="table",
                   help="output format (default: table)")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--skip-invalid", action="store_true",
                   help="drop NetworkPolicies the API server would reject")
    p.add_argument("--dynakube", action="append", default=[], metavar="FILE",
                   help="the DynaKube for both sides (default: the one in each side's PATHs)")
    add_install_flags(p)
    add_generate_flags(p)
    p.set_defaults(run=_cmd_diff, flavor=Flavor.KUBERNETES.value)
    return parser


def _load(args: argparse.Namespace, err: TextIO) -> Cluster:
    stdin = sys.stdin if "-" in args.paths else None
    cluster, _problems = load_cluster(args.paths, stdin=stdin,
                                      strict=not getattr(args, "skip_invalid", False))
    for w in cluster.warnings:
        print(f"warning: {w}", file=err)
    if cluster.skipped_kinds:
        total = sum(cluster.skipped_kinds.values())
        if args.verbose:
            kinds = ", ".join(f"{k} ({n})" for k, n in sorted(cluster.skipped_kinds.items()))
            print(f"skipped {total} objects of kinds not analysed: {kinds}", file=err)
    return cluster


def _endpoint(an: Analyzer, text: str, flag: str) -> Endpoint:
    try:
        return an.find(text)
    except LookupError as e:
        raise UsageError(f"{flag} {e.args[0]}") from None


def _cmd_can_reach(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    port = protocol = None
    if args.port:
        try:
            port, protocol = parse_port_query(args.port)
        except ValueError as e:
            raise UsageError(f"--port {args.port!r}: {e}; expected e.g. 8443 or 53/UDP") from None
    an = Analyzer(_load(args, err))
    src = _endpoint(an, args.src, "--from")
    dst = _endpoint(an, args.dst, "--to")
    verdict = an.can_reach(src, dst, port, protocol)
    if args.output == OutputFormat.JSON:
        out.write(engine_json.verdict_json(verdict))
    elif args.output == OutputFormat.MD:
        out.write(markdown.verdict_md(verdict))
    else:
        if port is None:
            ports = an.allowed_ports(src, dst)
            if ports:
                print(f"allowed ports: {ports}", file=out)
        out.write(engine_table.verdict_table(verdict, colour=use_colour(out)))
    return EXIT_OK if verdict.outcome is Outcome.ALLOWED else EXIT_FINDING


def _cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    an = Analyzer(_load(args, err))
    postures: list[WorkloadPosture] = []
    if args.workload:
        cls = _endpoint(an, args.workload, "--workload")
        if not isinstance(cls, PodClass):
            raise UsageError(f"--workload {args.workload!r} is an address, not a workload")
        ns, _, name = args.workload.partition("/")
        every = workload_posture(an, cls)
        postures = [p for p in every if p.workload.startswith(f"{ns}/{name.split('[')[0]}[")] \
            or every
    else:
        for c in an.classes:
            if _in_namespace(c.namespace + "/", args.namespace):
                postures.extend(workload_posture(an, c))
        postures.sort(key=lambda p: p.workload)
    if args.output == OutputFormat.JSON:
        out.write(engine_json.posture_json(postures))
    elif args.output == OutputFormat.MD:
        out.write(markdown.posture_md(postures))
    else:
        out.write(engine_table.posture_table(postures, colour=use_colour(out)))
    return EXIT_OK


def _cmd_connlist(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with progress(err, "loading manifests") as status:
        cluster = _load(args, err)
        status.update(f"listing connections of {len(cluster.pods)} pods under "
                      f"{len(cluster.policies)} policies")
        conns = [c for c in connection_list(Analyzer(cluster))
                 if _in_namespace(c.src, args.namespace) or _in_namespace(c.dst, args.namespace)]
    if args.output == OutputFormat.JSON:
        out.write(engine_json.connlist_json(conns))
    elif args.output == OutputFormat.MD:
        out.write(markdown.connlist_md(conns))
    elif args.output == OutputFormat.DOT:
        out.write(dot.connlist_dot(conns))
    else:
        out.write(engine_table.connlist_table(conns, colour=use_colour(out)))
    return EXIT_OK


def _load_paths(paths: list[str], args: argparse.Namespace, err: TextIO) -> Cluster:
    ns = argparse.Namespace(**{**vars(args), "paths": paths})
    return _load(ns, err)


def _has_dynakube(cluster: Cluster) -> bool:
    return any(o.kind in ("DynaKube", "EdgeConnect") for o in cluster.others)


def _flow_check(paths: list[str], args: argparse.Namespace) -> CheckReport:
    """The Dynatrace check of one side of a diff (no fix YAML: only verdicts are compared)."""
    ns = argparse.Namespace(**{**vars(args), "paths": paths, "no_fix": True})
    return check_cmd.build_report(ns, load_inputs(ns, None))


def _diff_sides(args: argparse.Namespace, err: TextIO,
                tmp: str | None) -> tuple[list[str], list[str]]:
    if args.git:
        assert tmp is not None
        old_rev, new_rev = git_revision.parse_range(args.git)
        old_paths = git_revision.export_revision(old_rev, args.paths, Path(tmp) / "old")
        new_paths = git_revision.export_revision(new_rev, args.paths, Path(tmp) / "new") \
            if new_rev else list(args.paths)
        return old_paths, new_paths
    if len(args.paths) != 2:
        raise UsageError("diff takes exactly two paths, OLD and NEW (or --git REV1..REV2)")
    if "-" in args.paths:
        raise UsageError("diff reads OLD and NEW from files or directories, not stdin (-)")
    return args.paths[:1], args.paths[1:]


def _cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(git_revision.revision_dir()) if args.git else None
        old_paths, new_paths = _diff_sides(args, err, tmp)
        old = _load_paths(old_paths, args, err)
        new = _load_paths(new_paths, args, err)
        flows: list[FlowChange] | None = None
        if args.dynakube or _has_dynakube(old) or _has_dynakube(new):
            flows = flow_changes(_flow_check(old_paths, args),
                                 _flow_check(new_paths, args))
    changes = diff_connections(connection_list(Analyzer(old)), connection_list(Analyzer(new)))
    if args.output == OutputFormat.JSON:
        out.write(engine_json.diff_json(changes, flows))
    elif args.output == OutputFormat.MD:
        out.write(markdown.diff_md(changes, flows or ()))
    else:
        out.write(engine_table.diff_table(changes, colour=use_colour(out), flows=flows))
    return EXIT_FINDING if flows and breaking(flows) else EXIT_OK


Command = Callable[[argparse.Namespace, TextIO, TextIO], int]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Run one command without the cyclic garbage collector.

    A command is one pass that builds large, acyclic structures (the cluster, the analyzer's
    caches, thousands of verdicts) which reference counting frees. With the collector on, its
    full collections walk everything built so far again and again: half the time of ``check``
    on a 150,000-pod cluster. Whatever cycle is left is collected once it is back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Entry point; returns the exit code (``dtnetpol`` script calls sys.exit on it)."""
    out = out or sys.stdout
    # Every text from the input reaches the user through these (dtnetpol.safe_text).
    err = cast(TextIO, SafeStream(err or sys.stderr))
    parser = build_parser()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    run: Command = args.run
    colour = use_colour(out) and getattr(args, "output", "table") == "table"
    out = cast(TextIO, SafeStream(out, keep_colour=colour))
    try:
        with _collector_paused():
            return run(args, out, err)
    except DtnetpolError as e:
        print(f"dtnetpol: error: {e}", file=err)
        return e.exit_code
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("dtnetpol: interrupted", file=err)
        return 130


def entry() -> NoReturn:
    sys.exit(main())
