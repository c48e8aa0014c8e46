"""The input side every command shares: the common flags and the one loader of a Cluster.

Every command that reads manifests declares its flags with :func:`add_input_flags` and
loads them with :func:`load`, so a flag means the same thing everywhere and a new input
source (a live cluster, settings from a file) is added here once. Without PATH the live
cluster of the kubeconfig's context is read (:func:`reads_live`, decided in one place).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TextIO

from dtnetpol.commands import _types as flag_types
from dtnetpol.commands._settings import excluded
from dtnetpol.engine.analysis import Analyzer
from dtnetpol.errors import InputError, InputErrors, UsageError
from dtnetpol.manifest import OnInvalid, Problem, build_cluster
from dtnetpol.model.cluster import Cluster, HostNetwork
from dtnetpol.model.location import SourceLocation
from dtnetpol.render.progress import progress
from dtnetpol.safe_text import path_label
from dtnetpol.sources import iter_documents, load_cluster, read_documents, with_file_errors
from dtnetpol.sources.snapshot import snapshot_warnings
from dtnetpol.sources.yaml_load import DEFAULT_MAX_INPUT_BYTES
from dtnetpol.sources.yaml_load import _manifest_files as manifest_files

if TYPE_CHECKING:
    # The live reader is imported when a command reads a live cluster, not to read files.
    from dtnetpol.sources.cluster import ClusterSpec, LiveRead

# Kinds whose bodies lint never looks into (its rules point at policies and namespaces).
_NOT_KEPT = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                       "CronJob", "ReplicationController", "Service", "Endpoints",
                       "EndpointSlice", "Node", "ConfigMap", "Secret"})

PATH_HELP = "manifest files or directories (recursive), or - for stdin"
HOST_NETWORK_HELP = (
    "how the CNI treats hostNetwork pods: node (default; most CNIs): policies do not select "
    "them and their traffic is the node's, matched only by ipBlocks of node addresses; pod: "
    "policies select them and peer selectors match them like any pod")


APISERVER_HELP = (
    "the API server endpoint behind kubernetes.default.svc, IP:PORT (:PORT when only the "
    "port is known); repeatable, one per control-plane address (default: the "
    "default/kubernetes Endpoints or EndpointSlice in the input)")


def add_apiserver_flag(p: argparse.ArgumentParser) -> None:
    """``--apiserver [IP]:PORT``, repeatable: the same flag for lint and every command that
    works out the Dynatrace flows."""
    p.add_argument("--apiserver", action="append", default=[], metavar="IP:PORT",
                   type=flag_types.apiserver, help=APISERVER_HELP)


def apiserver_values(values: Sequence[str]) -> tuple[tuple[str | None, int], ...]:
    """The ``--apiserver`` values as (address or None, port), duplicates dropped, in order."""
    out: list[tuple[str | None, int]] = []
    for text in values:
        host, _, port = text.rpartition(":")
        host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        out.append((host or None, int(port)))
    return tuple(dict.fromkeys(out))


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
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="leave out files under the PATH folders that match GLOB (relative "
                        "to the working directory; repeatable; also 'exclude' in "
                        ".dtnetpol.yaml)")
    p.add_argument("--skip-other-files", action="store_true",
                   help="in PATH folders, read only Kubernetes manifests: skip files that do "
                        "not parse or hold no object with apiVersion and kind (Helm values "
                        "and templates, CI workflows); -v lists them")
    p.add_argument("--config", metavar="FILE",
                   help="the settings file (default: .dtnetpol.yaml in the working directory "
                        "or the nearest folder above it)")
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
        p.add_argument("--accept-unserved", action="store_true",
                       help="analyse DynaKubes of API versions a current API server no longer "
                            "serves (v1beta3, v1beta4) instead of failing")
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
                   help="refuse any one input (a file, also in a folder, or stdin) larger "
                        "than this: e.g. 512M, 2G; 0 for no limit (default: 256M)")
    add_cluster_flags(p)
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


MAX_REQUEST_TIMEOUT = 24 * 3600.0


def _duration(text: str) -> float:
    """kubectl's ``--request-timeout``: seconds, or a duration such as ``30s``, ``1m``."""
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit) and text[: -len(unit)]:
            number, scale = text[: -len(unit)], units[unit]
            break
    else:
        number, scale = text, 1.0
    try:
        value = float(number) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (e.g. 30, 30s, 1m)") \
            from None
    if not 0 < value <= MAX_REQUEST_TIMEOUT:   # NaN too; a socket takes no year-long timeout
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 and at most 24h")
    return value


def _page_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1")
    return value


def add_cluster_flags(p: argparse.ArgumentParser) -> None:
    """kubectl's flags for reading a live cluster (used when no PATH is given)."""
    g = p.add_argument_group("live cluster (read when no PATH is given)")
    g.add_argument("--kubeconfig", metavar="FILE",
                   help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else the "
                        "in-cluster config inside a pod)")
    g.add_argument("--context", metavar="NAME",
                   help="kubeconfig context (default: the current context)")
    g.add_argument("--request-timeout", type=_duration, default=30.0, metavar="DURATION",
                   help="timeout of each API request: seconds or 30s, 1m (default: 30s)")
    g.add_argument("--chunk-size", type=_page_size, default=500, metavar="N",
                   help="objects per page of a list (default: 500)")


def input_paths(args: argparse.Namespace) -> list[str]:
    """PATH and ``-f`` together, in the order given (empty: the live cluster is read)."""
    return [*getattr(args, "paths", ()), *getattr(args, "filenames", ())]


def reads_live(args: argparse.Namespace, paths: Sequence[str] | None = None) -> bool:
    """True when the command reads the live cluster: no PATH, and either the command needs
    input, or ``--kubeconfig``/``--context`` was given, or (``generate``, which can work
    from a DynaKube file alone) no ``--dynakube FILE`` either: ``dtnetpol generate`` with
    nothing reads the current context, as every other command does."""
    chosen = input_paths(args) if paths is None else paths
    if chosen:
        if getattr(args, "kubeconfig", None) or getattr(args, "context", None):
            raise UsageError("give PATHs (manifests) or --kubeconfig/--context (a live "
                             "cluster), not both")
        return False
    return bool(getattr(args, "paths_required", False) or getattr(args, "kubeconfig", None)
                or getattr(args, "context", None)
                or (hasattr(args, "dynakube") and not args.dynakube))


def cluster_spec(args: argparse.Namespace) -> ClusterSpec:
    """The live-cluster flags as a :class:`ClusterSpec`."""
    from dtnetpol.sources.cluster import ClusterSpec
    return ClusterSpec(kubeconfig=getattr(args, "kubeconfig", None),
                       context=getattr(args, "context", None),
                       request_timeout=getattr(args, "request_timeout", 30.0),
                       page_size=getattr(args, "chunk_size", 500))


def read_live(args: argparse.Namespace, err: TextIO | None, *, bodies: bool = True
              ) -> LiveRead:
    """Read the live cluster, with a progress line on a terminal (not with ``-q``).
    ``bodies=False``: only the model is wanted; pods go into it page by page."""
    from dtnetpol.sources.cluster import read_cluster

    quiet = getattr(args, "quiet", False) or err is None
    with progress(err or sys.stderr, "reading the cluster", quiet=quiet) as status:
        return read_cluster(cluster_spec(args), status.update, bodies=bodies)


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
    live: LiveRead | None = None  # what was read from a live cluster (no PATH given)


def _is_manifest_file(path: str) -> bool:
    """Whether ``path`` parses and holds at least one Kubernetes object (apiVersion and
    kind): not a Helm template, a values file, a CI workflow."""
    try:
        docs = read_documents([path])
    except InputError:
        return False
    return any(isinstance(d.body, Mapping) and "apiVersion" in d.body and "kind" in d.body
               for d in docs)


def without_excluded(paths: Sequence[str], args: argparse.Namespace,
                     err: TextIO | None = None) -> list[str]:
    """``paths`` with every folder replaced by its manifest files that no ``--exclude`` (or
    settings ``exclude``) glob matches, and (``--skip-other-files``) that are Kubernetes
    manifests at all; files named on the command line are kept.

    Raises:
        InputError: a folder whose manifests are all left out.
    """
    rules = excluded(args)
    others = getattr(args, "skip_other_files", False)
    if not rules and not others:
        return list(paths)
    out: list[str] = []
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            out.append(path)
            continue
        files = manifest_files(path)
        kept = [f for f in files if not any(r.matches(f) for r in rules)]
        if others:
            skipped = [f for f in kept if not _is_manifest_file(f)]
            kept = [f for f in kept if f not in set(skipped)]
            if skipped and err is not None and getattr(args, "verbose", False):
                print(f"skipped {len(skipped)} files that are not Kubernetes manifests: "
                      + ", ".join(path_label(f) for f in skipped), file=err)
        if files and not kept:
            raise InputError("every manifest in this folder is left out (--exclude, "
                             "'exclude' in .dtnetpol.yaml, or --skip-other-files)",
                             SourceLocation(path_label(path)))
        out.extend(kept or [path])
    return out


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
        ClusterError: no PATH, and the live cluster cannot be read (no kubeconfig,
            unreachable, credentials rejected).
        UsageError: both PATHs and ``--kubeconfig``/``--context``.
    """
    chosen = list(paths) if paths is not None else input_paths(args)
    if chosen and not reads_live(args, chosen):
        chosen = without_excluded(chosen, args, err)
    if reads_live(args, chosen):
        # the bodies are kept only for commands that read them (lint, diagnose, probe)
        live = read_live(args, err, bodies=keep_documents or getattr(args, "live_bodies", False))
        from dtnetpol.sources.cluster import load_live
        cluster, problems = load_live(live, strict=not keep_documents and not getattr(
            args, "skip_invalid", False))
        documents = {(loc.file, loc.document): b
                     for b, loc in live.documents()} if keep_documents else {}
        loaded = Loaded(cluster, (), tuple(problems), documents, live)
    elif not chosen:
        return Loaded(Cluster(), ())
    else:
        stdin = stdin_for(args, chosen)
        mode = on_invalid(args)
        try:
            if keep_documents:
                kept: dict[tuple[str, int], Any] = {}

                def bodies() -> Iterator[tuple[Any, SourceLocation]]:
                    # One document at a time; only the bodies lint points into are kept
                    # (workloads, the bulk of a cluster, are not: holding every body took
                    # 16 times the input).
                    for d in iter_documents(chosen, stdin, errors=file_errors):
                        kind = d.body.get("kind") if isinstance(d.body, dict) else None
                        if not (isinstance(kind, str) and kind in _NOT_KEPT):
                            kept[(d.file, d.index)] = d.body
                        yield d.body, d.location

                file_errors: list[InputError] | None = \
                    None if mode is OnInvalid.STOP else []
                cluster, problems = with_file_errors(
                    lambda: build_cluster(bodies(), strict=False, on_invalid=mode), file_errors)
                loaded = Loaded(cluster, tuple(chosen), tuple(problems), kept)
            else:
                cluster, problems = load_cluster(chosen, stdin=stdin,
                                                 strict=mode is not OnInvalid.SKIP,
                                                 on_invalid=mode)
                loaded = Loaded(cluster, tuple(chosen), tuple(problems))
        except InputError as e:
            raise _with_helm_hint(e) from None
    if not loaded.live:
        # a snapshot folder says what its live read could not see, as the live read did
        forbidden = snapshot_warnings(chosen)
        if forbidden:
            cluster = replace(cluster, warnings=(*forbidden, *cluster.warnings))
            loaded = replace(loaded, cluster=cluster)
    if report and err is not None:
        if loaded.live is not None and getattr(args, "verbose", False):
            live = loaded.live
            print(f"read {live.count():,} objects from context \"{live.context}\" "
                  f"({live.server}) in {live.requests} requests, {live.seconds:.1f} s",
                  file=err)
        for w in cluster.warnings:
            warn(args, err, w)
        ns = getattr(args, "namespace", None)
        if ns and ns not in cluster.namespaces and not any(p.namespace == ns
                                                            for p in cluster.pods):
            warn(args, err, f"-n {ns}: no workload or namespace in the input is in it")
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
        try:
            # Regular files within the input bound only: never wait on a FIFO or a device.
            if file.startswith("<") or not os.path.isfile(file) or \
                    os.path.getsize(file) > DEFAULT_MAX_INPUT_BYTES:
                continue
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
