"""``dtnetpol diagnose``: from what the cluster shows to the flow, the policy and the fix.

Edge module: reads PATH (manifests or a snapshot directory: Pods, Events, DynaKubes with
their status, and container logs stored as ``DIR/logs/NS/POD/CONTAINER.log``), runs
``check`` on the same input, and asks :func:`dtnetpol.diagnose.diagnose` which flows the
symptoms belong to. Exit 0 when no finding names a required flow, 1 when one does, 2 on bad
input. Secrets are never read.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from dtnetpol.commands._help import examples
from dtnetpol.commands._inputs import add_input_flags, input_paths, stdin_for, warn
from dtnetpol.commands._install import (
    add_generate_flags,
    add_install_flags,
    load_inputs,
)
from dtnetpol.commands.check import build_report
from dtnetpol.diagnose import AddressBook, LogObs, Observations, diagnose, observe
from dtnetpol.diagnose.select import logs_to_read
from dtnetpol.dynatrace import applicable_flows
from dtnetpol.dynatrace.components import DEFAULT_RELEASE_NAME, INSTANCE_NAMESPACE_LABEL
from dtnetpol.errors import UsageError
from dtnetpol.generate import Flavor
from dtnetpol.model import Cluster
from dtnetpol.render.diagnose import FORMATS, render_diagnosis
from dtnetpol.render.progress import progress
from dtnetpol.sources import read_documents
from dtnetpol.sources.pod_logs import read_logs

EXIT_OK, EXIT_FINDING = 0, 1
DEFAULT_LOG_LINES = 200
_MESH_CONTAINERS = ("istio-proxy", "linkerd-proxy")
_MESH_ANNOTATIONS = ("sidecar.istio.io/status", "linkerd.io/proxy-version")


def register(subparsers: Any) -> None:
    """Add ``diagnose`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "diagnose", help="which Dynatrace flow the cluster's symptoms point at, and why",
        description="Read pods, events, DynaKube conditions and the logs of the operator, "
                    "webhook, CSI driver, ActiveGate, OneAgent and failed init containers; "
                    "match them against the symptoms of every Dynatrace flow and generic "
                    "network errors; for each flow with symptoms give the verdict of check, "
                    "the evidence, the blocking policies and the fix, or the cause outside "
                    "NetworkPolicy and what to run next. PATH is manifests or a snapshot "
                    "directory (logs as DIR/logs/NAMESPACE/POD/CONTAINER.log).",
        epilog=examples(
            "dtnetpol diagnose snapshot/            # manifests plus snapshot/logs/NS/POD/C.log",
            "dtnetpol diagnose snapshot/ -o html > diagnosis.html"))
    add_input_flags(p, FORMATS, dynakube=True)
    add_install_flags(p)
    add_generate_flags(p)
    p.add_argument("--log-lines", type=int, default=DEFAULT_LOG_LINES, metavar="N",
                   help=f"read the last N lines of each log (default: {DEFAULT_LOG_LINES})")
    p.add_argument("--no-fix", action="store_true", help="leave the fix YAML out")
    p.add_argument("--since", metavar="DURATION",
                   help="live only: logs and events of the last DURATION (e.g. 30m, 2h)")
    p.set_defaults(run=run, flavor=Flavor.KUBERNETES.value, live_bodies=True)


def other_policy_kinds(cluster: Cluster) -> tuple[str, ...]:
    """Policy kinds in the input that NetworkPolicy analysis does not cover."""
    return tuple(k for k in cluster.skipped_kinds if "Policy" in k or "policy" in k)


def mesh_in(obs: Observations) -> bool:
    return any(any(c in _MESH_CONTAINERS for c in p.containers)
               or any(a in p.annotations for a in _MESH_ANNOTATIONS) for p in obs.pods)


def since_seconds(text: str | None) -> int | None:
    """``--since``: ``90``, ``30s``, ``15m``, ``2h`` as seconds."""
    if not text:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    if not number.isdigit() or int(number) <= 0:
        raise UsageError(f"--since {text!r}: give a duration such as 30m or 2h")
    return int(number) * units[unit]


def _event_time(body: Any) -> datetime | None:
    if not isinstance(body, dict):
        return None
    meta = body.get("metadata") or {}
    text = (body.get("lastTimestamp") or body.get("eventTime")
            or (body.get("series") or {}).get("lastObservedTime")
            or meta.get("creationTimestamp"))
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def live_extras(args: argparse.Namespace, bodies: Sequence[Any], err: TextIO, *,
                namespaces: Sequence[str], monitored: Sequence[str], owners: Sequence[str],
                release_name: str = DEFAULT_RELEASE_NAME) -> tuple[list[Any], list[LogObs]]:
    """Warning events of ``namespaces`` (the operator's and the monitored ones), and the
    container logs :func:`dtnetpol.diagnose.select.logs_to_read` picks (pods/log, get)."""
    from dtnetpol.commands._inputs import cluster_spec
    from dtnetpol.sources.cluster import Reader, read_events, read_pod_log

    since = since_seconds(getattr(args, "since", None))
    reader = Reader(cluster_spec(args))
    try:
        events, forbidden = read_events(reader)
        if forbidden is not None:
            warn(args, err, forbidden.warning())
        cutoff = datetime.now(UTC) - timedelta(seconds=since) if since else None
        events = [e for e in events
                  if ((e.get("involvedObject") or {}).get("namespace")
                      or (e.get("metadata") or {}).get("namespace")) in namespaces
                  and (cutoff is None or (t := _event_time(e)) is None or t >= cutoff)]
        pods = observe(bodies).pods
        wanted = logs_to_read(pods, monitored, release_name=release_name, owners=owners)
        logs: list[LogObs] = []
        for ns, pod, container, previous in wanted:
            lines = read_pod_log(reader, ns, pod, container, tail_lines=args.log_lines,
                                 since_seconds=since, previous=previous)
            if lines:
                logs.append(LogObs(ns, pod, container, tuple(lines), previous))
    finally:
        reader.client.close()
    return events, logs


def snapshot_extras(args: argparse.Namespace, bodies: Sequence[Any], err: TextIO
                    ) -> tuple[list[Any], list[LogObs]]:
    """What ``snapshot --with-logs`` adds: the same events and logs diagnose reads live,
    for the namespaces the operator labels as monitored and those of the DynaKubes."""
    owners: list[str] = []
    namespaces: set[str] = set()
    monitored: list[str] = []
    for b in bodies:
        if not isinstance(b, dict):
            continue
        meta = b.get("metadata") or {}
        if b.get("kind") in ("DynaKube", "EdgeConnect"):
            owners.append(str(meta.get("name")))
            namespaces.add(str(meta.get("namespace") or "dynatrace"))
        elif b.get("kind") == "Namespace" and INSTANCE_NAMESPACE_LABEL in (
                meta.get("labels") or {}):
            monitored.append(str(meta.get("name")))
    return live_extras(args, bodies, err, namespaces=sorted({*namespaces, *monitored}),
                       monitored=monitored, owners=owners)


def offline_observations(paths: Sequence[str], args: argparse.Namespace) -> Observations:
    stdin = stdin_for(args, paths)
    bodies = [d.body for d in read_documents(list(paths), stdin)] if paths else []
    logs: list[LogObs] = read_logs(paths, args.log_lines)
    return observe(bodies, logs)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol diagnose``."""
    if args.log_lines < 1:
        raise UsageError(f"--log-lines {args.log_lines}: give a positive number of lines")
    since_seconds(args.since)
    paths = input_paths(args)
    with progress(err, "loading", quiet=args.quiet) as status:
        inputs = load_inputs(args, err, for_policies=False)
        status.update("checking the Dynatrace flows")
        report = build_report(args, inputs)
        status.update("reading pods, events and logs")
        if inputs.live is not None:
            bodies = [b for b, _ in inputs.live.documents()]
            inst = inputs.install
            events, logs = live_extras(
                args, bodies, err,
                namespaces=sorted({inst.operator_namespace, *inst.monitored_namespaces,
                                   *(e.namespace for e in inputs.edgeconnects)}),
                monitored=inst.monitored_namespaces, release_name=inst.release_name,
                owners=[d.name for d in inputs.dynakubes]
                + [e.name for e in inputs.edgeconnects])
            obs = observe([*bodies, *events], logs)
        else:
            obs = offline_observations(paths, args)
    for w in report.warnings:
        warn(args, err, w)
    flows = applicable_flows(inputs.dynakubes, inputs.install, edgeconnects=inputs.edgeconnects)
    book = AddressBook(inputs.cluster, inputs.install, flows, inputs.dynakubes,
                       inputs.edgeconnects)
    owners = [d.name for d in inputs.dynakubes] + [e.name for e in inputs.edgeconnects]
    diag = diagnose(obs, report, book, monitored=inputs.monitored, owners=owners,
                    other_policy_kinds=other_policy_kinds(inputs.cluster), mesh=mesh_in(obs))
    out.write(render_diagnosis(args.output, diag, report, inputs=tuple(paths)))
    return EXIT_FINDING if diag.failing else EXIT_OK
