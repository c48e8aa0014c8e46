"""The input side every command shares: the common flags and the one loader of a Cluster.

Every command that reads manifests declares its flags with :func:`add_input_flags` and
loads them with :func:`load`, so a flag means the same thing everywhere and a new input
source (a live cluster, settings from a file) is added here once. Whether PATH is needed
is decided in one place, :func:`input_paths`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from dtnetpol.commands import _types as flag_types
from dtnetpol.engine.analysis import Analyzer
from dtnetpol.errors import UsageError
from dtnetpol.manifest import Problem, build_cluster
from dtnetpol.model.cluster import Cluster, HostNetwork
from dtnetpol.model.location import SourceLocation
from dtnetpol.sources import iter_documents, load_cluster
from dtnetpol.sources.yaml_load import DEFAULT_MAX_INPUT_BYTES

# Kinds whose bodies lint never looks into (its rules point at policies and namespaces).
_NOT_KEPT = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                       "CronJob", "ReplicationController", "Service", "Endpoints",
                       "EndpointSlice", "Node", "ConfigMap", "Secret"})

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
    if skip_invalid:
        p.add_argument("--skip-invalid", action="store_true",
                       help="drop NetworkPolicies the API server would reject (with a "
                            "warning) instead of failing")
    p.add_argument("--host-network", choices=[m.value for m in HostNetwork],
                   default=HostNetwork.NODE.value, help=HOST_NETWORK_HELP)
    if dynakube:
        p.add_argument("--dynakube", action="append", default=[], metavar="FILE",
                       help="the DynaKube (and EdgeConnect) manifests (default: those in "
                            "PATH)")
    if workloads:
        g = p.add_mutually_exclusive_group()
        g.add_argument("-n", "--namespace", type=flag_types.namespace,
                       help="report only workloads of this namespace "
                       "(connections where either end is in it)")
        g.add_argument("-A", "--all-namespaces", action="store_true",
                       help="report every namespace (the default)")
    p.add_argument("--max-input-size", type=flag_types.size, metavar="SIZE",
                   default=DEFAULT_MAX_INPUT_BYTES,
                   help="refuse input larger than this in all (files, folders, stdin): "
                        "e.g. 512M, 2G; 0 for no limit (default: 256M)")
    p.set_defaults(paths_required=paths_required)


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
    if keep_documents:
        kept: dict[tuple[str, int], Any] = {}

        def bodies() -> Iterator[tuple[Any, SourceLocation]]:
            # One document at a time; only the bodies lint points into are kept (workloads,
            # the bulk of a cluster, are not: holding every body took 16 times the input).
            for d in iter_documents(chosen, stdin):
                kind = d.body.get("kind") if isinstance(d.body, dict) else None
                if not (isinstance(kind, str) and kind in _NOT_KEPT):
                    kept[(d.file, d.index)] = d.body
                yield d.body, d.location

        cluster, problems = build_cluster(bodies(), strict=False)
        loaded = Loaded(cluster, tuple(chosen), tuple(problems), kept)
    else:
        cluster, problems = load_cluster(chosen, stdin=stdin,
                                         strict=not getattr(args, "skip_invalid", False))
        loaded = Loaded(cluster, tuple(chosen), tuple(problems))
    if report and err is not None:
        for w in cluster.warnings:
            warn(args, err, w)
        ns = getattr(args, "namespace", None)
        if ns and ns not in cluster.namespaces and not any(p.namespace == ns
                                                            for p in cluster.pods):
            warn(args, err, f"-n {ns}: no workload or namespace in the input is in it")
        if cluster.skipped_kinds and getattr(args, "verbose", False):
            total = sum(cluster.skipped_kinds.values())
            kinds = ", ".join(f"{k} ({n})" for k, n in sorted(cluster.skipped_kinds.items()))
            print(f"skipped {total} objects of kinds not analysed: {kinds}", file=err)
    return loaded
