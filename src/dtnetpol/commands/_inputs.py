"""The input side every command shares: the common flags and the one loader of a Cluster.

Every command that reads manifests declares its flags with :func:`add_input_flags` and
loads them with :func:`load`, so a flag means the same thing everywhere and a new input
source (a live cluster, settings from a file) is added here once. Whether PATH is needed
is decided in one place, :func:`input_paths`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from dtnetpol.engine.analysis import Analyzer
from dtnetpol.errors import InputError, InputErrors, UsageError
from dtnetpol.manifest import OnInvalid, Problem, build_cluster
from dtnetpol.model.cluster import Cluster, HostNetwork
from dtnetpol.sources import load_cluster, read_documents

PATH_HELP = "manifest files or directories (recursive), or - for stdin"
HOST_NETWORK_HELP = (
    "how the CNI treats hostNetwork pods: node (default; most CNIs): policies do not select "
    "them and their traffic is the node's, matched only by ipBlocks of node addresses; pod: "
    "policies select them and peer selectors match them like any pod")


def add_input_flags(p: argparse.ArgumentParser, formats: Sequence[str], *,
                    paths_required: bool = True, paths_help: str = PATH_HELP,
                    workloads: bool = False, dynakube: bool = False,
                    skip_invalid: bool = True,
                    verbose_help: str = "list skipped kinds and every warning") -> None:
    """The flags of every command that reads manifests.

    PATH... (and ``-f/--filename PATH``, kubectl's spelling, repeatable), ``-o/--output``
    (first of ``formats`` is the default), ``-v/--verbose``, ``-q/--quiet``,
    ``--skip-invalid``, ``--host-network node|pod``; with ``workloads``
    ``-n/--namespace`` and ``-A/--all-namespaces``; with ``dynakube`` ``--dynakube FILE``.
    """
    p.add_argument("paths", nargs="*", metavar="PATH", help=paths_help)
    p.add_argument("-f", "--filename", dest="filenames", action="append", default=[],
                   metavar="PATH", help="a manifest file or directory, as kubectl takes it "
                   "(repeatable; same as PATH)")
    p.add_argument("-o", "--output", choices=list(formats), default=formats[0],
                   help=f"output format (default: {formats[0]})")
    noise = p.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", help=verbose_help)
    noise.add_argument("-q", "--quiet", action="store_true",
                       help="no warnings or progress on stderr (errors still show)")
    strictness = p.add_mutually_exclusive_group()
    if skip_invalid:
        strictness.add_argument(
            "--skip-invalid", action="store_true",
            help="leave out every object that cannot be read or that the API server would "
                 "reject (with a warning) instead of failing")
    strictness.add_argument(
        "--strict", action="store_true",
        help="stop at the first error, and read no malformed field leniently (default: "
             "report every error of every file, sorted by file and line)")
    p.add_argument("--host-network", choices=[m.value for m in HostNetwork],
                   default=HostNetwork.NODE.value, help=HOST_NETWORK_HELP)
    if dynakube:
        p.add_argument("--dynakube", action="append", default=[], metavar="FILE",
                       help="the DynaKube (and EdgeConnect) manifests (default: those in "
                            "PATH)")
    if workloads:
        g = p.add_mutually_exclusive_group()
        g.add_argument("-n", "--namespace", help="report only workloads of this namespace "
                       "(connections where either end is in it)")
        g.add_argument("-A", "--all-namespaces", action="store_true",
                       help="report every namespace (the default)")
    p.set_defaults(paths_required=paths_required)


def on_invalid(args: argparse.Namespace) -> OnInvalid:
    """``--strict`` stops at the first error, ``--skip-invalid`` skips, else report all."""
    if getattr(args, "strict", False):
        return OnInvalid.STOP
    if getattr(args, "skip_invalid", False):
        return OnInvalid.SKIP
    return OnInvalid.REPORT


def host_network(args: argparse.Namespace) -> HostNetwork:
    """The ``--host-network`` mode (node when the command has no such flag)."""
    return HostNetwork(getattr(args, "host_network", HostNetwork.NODE.value))


def analyzer(args: argparse.Namespace, cluster: Cluster) -> Analyzer:
    """``cluster`` compiled for queries under the command's ``--host-network`` mode."""
    return Analyzer(cluster, host_network(args))


def input_paths(args: argparse.Namespace) -> list[str]:
    """PATH and ``-f`` together, in the order given; the one check that some are given.

    Raises:
        UsageError: the command needs manifests and none were named.
    """
    paths = [*getattr(args, "paths", ()), *getattr(args, "filenames", ())]
    if not paths and getattr(args, "paths_required", False):
        raise UsageError(f"{args.command}: give the manifests to read: PATH... (files, "
                         "directories, or - for stdin) or -f PATH")
    return paths


def stdin_for(args: argparse.Namespace, paths: Sequence[str] | None = None) -> TextIO | None:
    """Standard input when one of the paths (or ``--dynakube`` files) is ``-``."""
    named = [*(input_paths(args) if paths is None else paths),
             *getattr(args, "dynakube", ())]
    return sys.stdin if "-" in named else None


def warn(args: argparse.Namespace, err: TextIO, text: str) -> None:
    """A warning on stderr, unless ``-q``."""
    if not getattr(args, "quiet", False):
        print(f"warning: {text}", file=err)


def in_namespace(name: str, namespace: str | None) -> bool:
    """``ns/...`` belongs to ``-n ns`` (everything does without ``-n``)."""
    return namespace is None or name.startswith(namespace + "/")


@dataclass(frozen=True)
class Loaded:
    """What a command reads: the cluster, the API problems, and (for lint) the bodies."""

    cluster: Cluster
    paths: tuple[str, ...]
    problems: tuple[Problem, ...] = ()
    documents: Mapping[tuple[str, int], Any] = field(default_factory=dict)


def load(args: argparse.Namespace, err: TextIO | None, *,
         paths: Sequence[str] | None = None, keep_documents: bool = False,
         report: bool = True) -> Loaded:
    """Load the Cluster a command works on: the one loader of every command.

    ``paths`` overrides the flags' PATHs (``diff`` loads two sides). ``keep_documents``
    keeps each document's body (lint points at any field) and never rejects an invalid
    policy (lint reports it). With ``report`` the loader's warnings go to ``err`` (not with
    ``-q``), and with ``-v`` the kinds that were skipped.

    Raises:
        InputError: unreadable input, YAML errors, objects without meaning, and (without
            ``--skip-invalid``) a NetworkPolicy the API server would reject.
        UsageError: no PATH where the command needs one.
    """
    chosen = list(paths) if paths is not None else input_paths(args)
    if not chosen:
        return Loaded(Cluster(), ())
    stdin = stdin_for(args, chosen)
    mode = on_invalid(args)
    try:
        if keep_documents:
            docs = read_documents(chosen, stdin)
            cluster, problems = build_cluster(((d.body, d.location) for d in docs),
                                              strict=False, on_invalid=mode)
            loaded = Loaded(cluster, tuple(chosen), tuple(problems),
                            {(d.file, d.index): d.body for d in docs})
        else:
            cluster, problems = load_cluster(chosen, stdin=stdin,
                                             strict=mode is not OnInvalid.SKIP,
                                             on_invalid=mode)
            loaded = Loaded(cluster, tuple(chosen), tuple(problems))
    except InputError as e:
        raise _with_helm_hint(e) from None
    if report and err is not None:
        for w in cluster.warnings:
            warn(args, err, w)
        named = [(o.name, o.location) for o in cluster.pods] + \
            [(o.name, o.location) for o in cluster.services] + \
            [(o.name, o.location) for o in cluster.policies]
        for file in _templates({loc.file for loc in cluster.not_kubernetes} | {
                loc.file for name, loc in named if "{{" in name and loc is not None}):
            warn(args, err, _helm_hint(file))
        verbose = getattr(args, "verbose", False)
        if cluster.not_kubernetes and not getattr(args, "quiet", False):
            n = len(cluster.not_kubernetes)
            print(f"skipped {n} document{'s' if n > 1 else ''} that {'are' if n > 1 else 'is'} "
                  "not a Kubernetes object (no apiVersion, no kind)"
                  + (":" if verbose else "; -v lists them"), file=err)
            if verbose:
                for loc in cluster.not_kubernetes:
                    print(f"  {loc}", file=err)
        if cluster.skipped_kinds and verbose:
            total = sum(cluster.skipped_kinds.values())
            kinds = ", ".join(f"{k} ({n})" for k, n in sorted(cluster.skipped_kinds.items()))
            print(f"skipped {total} objects of kinds not analysed: {kinds}", file=err)
    return loaded


def _helm_hint(file: str) -> str:
    return (f"{file} contains '{{{{': a Helm template? Render it first: "
            "helm template RELEASE CHART | dtnetpol ... -")


def _templates(files: set[str]) -> list[str]:
    """The files among ``files`` whose text contains ``{{`` (Helm/Go templates)."""
    out = []
    for file in sorted(files):
        if file.startswith("<"):
            continue
        try:
            with open(file, encoding="utf-8", errors="replace") as f:
                if "{{" in f.read():
                    out.append(file)
        except OSError:
            continue
    return out


def _with_helm_hint(error: InputError) -> InputError:
    """``error``, with a hint for each file it names that holds ``{{``."""
    errors = list(error.errors) if isinstance(error, InputErrors) else [error]
    files = {e.location.file for e in errors if e.location is not None}
    hints = [InputError(_helm_hint(f)) for f in _templates(files)]
    if not hints:
        return error
    return InputErrors([*errors, *hints])
