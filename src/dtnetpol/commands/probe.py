"""``dtnetpol probe``: prove verdicts with real connections (the one command that writes).

Nothing is written without ``--yes``. ``--dry-run`` prints the objects a run would create
(works on PATH too). With ``--yes`` (live cluster only): objects an earlier run left are
removed first; then per namespace a ConfigMap that owns the run's pods, per flow a probe pod
(:func:`dtnetpol.probe.pod_spec`); the pods are watched until they end or
``--timeout`` passes; everything created is deleted again, also on Ctrl-C. The results are
compared with the engine's verdicts. Exit 1 when a probe contradicts the engine or a
required flow did not connect; 0 otherwise; 2 on bad input.
"""

from __future__ import annotations

import argparse
import secrets
import signal
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any, TextIO

from dtnetpol.commands._help import examples
from dtnetpol.commands._inputs import add_input_flags, input_paths, warn
from dtnetpol.commands._install import (
    Inputs,
    add_generate_flags,
    add_install_flags,
    load_inputs,
)
from dtnetpol.commands.check import build_report
from dtnetpol.errors import UsageError
from dtnetpol.generate import Flavor
from dtnetpol.probe import (
    DEFAULT_IMAGE,
    PROBE_LABEL,
    Agreement,
    Comparison,
    Outcome,
    Probe,
    ProbeResult,
    Skipped,
    anchor_spec,
    compare,
    plan_probes,
    pod_spec,
)
from dtnetpol.probe.plan import (
    CONTAINER,
    DEADLINE_SECONDS,
    ephemeral_container,
    ephemeral_target,
)
from dtnetpol.render.data import DATA_FORMATS, data_text
from dtnetpol.render.probe import FORMATS, dry_run_yaml, probe_json, probe_table
from dtnetpol.sources import read_documents

EXIT_OK, EXIT_FINDING = 0, 1
#: Waiting reasons after which a probe pod will not run in time: unknown, not blocked.
STUCK = frozenset({"ImagePullBackOff", "ErrImagePull", "InvalidImageName",
                   "CreateContainerConfigError", "CreateContainerError", "ErrImageNeverPull"})


def _seconds(text: str) -> float:
    """``--timeout``: seconds, more than 0 and at most an hour (not NaN, not infinite)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 and at most 3600")
    return value


def register(subparsers: Any) -> None:
    """Add ``probe`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "probe", help="prove verdicts with short-lived probe pods (writes to the cluster)",
        description="For each flow (default: the required ones) start a short-lived pod in "
                    "the source's namespace with the source's labels that tries one TCP "
                    "connect to the real destination, then delete it; compare with the "
                    "engine's verdict. The only dtnetpol command that writes to a cluster, "
                    "and only with --yes; --dry-run prints what it would create.",
        epilog=examples(
            'dtnetpol probe --dry-run                 # the probe pods it would start',
            'dtnetpol probe --yes --flow dns-from-operator'))
    add_input_flags(p, FORMATS, dynakube=True)
    add_install_flags(p)
    add_generate_flags(p)
    p.add_argument("--yes", action="store_true",
                   help="create the probe pods (and delete them again)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the ConfigMaps and pods a run would create; write nothing")
    p.add_argument("--flow", action="append", default=[], metavar="ID",
                   help="probe this flow (check's id); repeatable (default: required flows)")
    p.add_argument("--ephemeral", action="store_true",
                   help="add an ephemeral container to a running source pod instead of "
                        "starting a probe pod (never joins a Service; it cannot be removed "
                        "and stays, terminated, in the pod until the pod is replaced)")
    p.add_argument("--image", default=DEFAULT_IMAGE,
                   help=f"image with busybox nc (default: {DEFAULT_IMAGE})")
    p.add_argument("--timeout", type=_seconds, default=DEADLINE_SECONDS + 15, metavar="SECONDS",
                   help="how long to wait for the probe pods (default: "
                        f"{DEADLINE_SECONDS + 15})")
    p.set_defaults(run=run, flavor=Flavor.KUBERNETES.value, live_bodies=True, no_fix=True)


def result_of(probe: Probe, pod: dict[str, Any] | None, log: str = "", *,
              container: str = CONTAINER, ephemeral: bool = False) -> ProbeResult | None:
    """The result a pod's status gives, or None while it may still run."""
    if pod is None:
        return ProbeResult(probe, None, reason="the pod disappeared")
    status = pod.get("status") or {}
    phase = status.get("phase")
    key = "ephemeralContainerStatuses" if ephemeral else "containerStatuses"
    for cs in status.get(key) or []:
        if cs.get("name") != container:
            continue
        state = cs.get("state") or {}
        term = state.get("terminated")
        if term is not None:
            return ProbeResult(probe, phase, int(term.get("exitCode", 1)), log,
                               str(term.get("reason") or ""))
        waiting = (state.get("waiting") or {}).get("reason")
        if waiting in STUCK:
            return ProbeResult(probe, phase, reason=str(waiting))
    if phase == "Failed" and not ephemeral:  # DeadlineExceeded before the container ran
        return ProbeResult(probe, phase, reason=str(status.get("reason") or "Failed"))
    return None


@contextmanager
def _interruptible() -> Iterator[None]:
    """SIGTERM ends a run like Ctrl-C does: through the cleanup."""
    def handler(_sig: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt
    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (tests)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def execute(writer: Any, probes: Sequence[Probe], *, image: str, timeout: float,
            poll: float = 0.5, err: TextIO | None = None,
            ephemeral: Mapping[str, str] | None = None
            ) -> tuple[list[ProbeResult], list[str]]:
    """Create, watch and delete the probes with ``writer`` (a ProbeWriter).

    ``ephemeral`` maps a probe's name to the source pod that gets it as an ephemeral
    container (``--ephemeral``) instead of a probe pod of its own.

    Returns the results and what an earlier run had left behind (removed first).
    """
    cleaned = writer.remove_leftovers(sorted({p.namespace for p in probes}))
    created: list[tuple[str, str, str]] = []
    results: dict[str, ProbeResult] = {}

    def where(p: Probe) -> tuple[str, str, bool]:
        """(pod, container, ephemeral) that runs probe ``p``."""
        if ephemeral is not None:
            return ephemeral[p.name], p.name, True
        return p.name, CONTAINER, False

    try:
        with _interruptible():
            owners: dict[str, str] = {}
            for p in probes:
                if ephemeral is not None:
                    writer.add_ephemeral(p.namespace, ephemeral[p.name],
                                         ephemeral_container(p, image=image))
                    continue
                if p.namespace not in owners:
                    anchor = writer.create(anchor_spec(p.namespace, p.run))
                    created.append(("ConfigMap", p.namespace, anchor["metadata"]["name"]))
                    owners[p.namespace] = str(anchor["metadata"]["uid"])
                writer.create(pod_spec(p, image=image, owner_uid=owners[p.namespace]))
                created.append(("Pod", p.namespace, p.name))
            deadline = time.monotonic() + timeout
            pending = list(probes)
            while pending and time.monotonic() < deadline:
                for p in list(pending):
                    pod_name, container, eph = where(p)
                    pod = writer.pod(p.namespace, pod_name)
                    r = result_of(p, pod, container=container, ephemeral=eph)
                    if r is not None:
                        if r.exit_code is not None:
                            r = ProbeResult(p, r.phase, r.exit_code,
                                            writer.log(p.namespace, pod_name, container),
                                            r.reason)
                        results[p.name] = r
                        pending.remove(p)
                if pending:
                    time.sleep(poll)
            for p in pending:
                results[p.name] = ProbeResult(p, None, reason=f"did not run within {timeout:g} s")
    finally:
        for kind, ns, name in reversed(created):
            try:
                writer.delete(kind, ns, name)
            except Exception as exc:
                if err is not None:
                    print(f"warning: could not delete {kind} {ns}/{name}: {exc}; the next "
                          "run removes it", file=err)
    return [results[p.name] for p in probes], cleaned


def running_pods(args: argparse.Namespace, inputs: Inputs
                 ) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, name, labels) of the running Pod objects read (live, or in PATH)."""
    if inputs.live is not None:
        bodies: list[Any] = [b for b, _ in inputs.live.documents()]
    else:
        bodies = [d.body for d in read_documents(input_paths(args))]
    out: list[tuple[str, str, dict[str, str]]] = []
    for body in bodies:
        if not isinstance(body, dict) or body.get("kind") != "Pod":
            continue
        meta = body.get("metadata") or {}
        if (body.get("status") or {}).get("phase") not in (None, "Running"):
            continue
        out.append((str(meta.get("namespace") or "default"), str(meta.get("name")),
                    {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}))
    return out


def failing(comparisons: Sequence[Comparison]) -> bool:
    return any(c.agreement in (Agreement.OUTSIDE, Agreement.NOT_ENFORCED)
               or (c.result.probe.required and c.outcome is Outcome.FAILED)
               for c in comparisons)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Handler of ``dtnetpol probe``."""
    if args.yes and args.dry_run:
        raise UsageError("give --yes (create the probes) or --dry-run (print them), not both")
    if not args.yes and not args.dry_run:
        raise UsageError("probe creates pods in the cluster: give --yes to run it, or "
                         "--dry-run to see what it would create")
    if args.yes and input_paths(args):
        raise UsageError("probe --yes works on the live cluster (--kubeconfig/--context), "
                         "not on PATH: the probes must run where the policies are")
    inputs = load_inputs(args, err, for_policies=False)
    report = build_report(args, inputs)
    run_id = secrets.token_hex(3)
    try:
        probes, skipped = plan_probes(report, inputs.cluster, inputs.install,
                                      flows=args.flow, run=run_id)
    except KeyError as exc:
        known = ", ".join(r.id for r in report.results)
        raise UsageError(f"--flow {exc.args[0]}: not a flow of this cluster ({known})") \
            from None
    targets: dict[str, str] | None = None
    if args.ephemeral:
        targets = {}
        running = running_pods(args, inputs)
        for p in list(probes):
            target = ephemeral_target(p, running)
            if target is None:
                probes.remove(p)
                skipped.append(Skipped(p.flow, "--ephemeral: no running pod of the source"))
            else:
                targets[p.name] = target
    if args.dry_run:
        out.write(dry_run_yaml(probes, skipped, image=args.image, ephemeral=targets))
        return EXIT_OK
    from dtnetpol.commands._inputs import cluster_spec
    from dtnetpol.sources.cluster import ProbeWriter

    writer = ProbeWriter(cluster_spec(args), f"{PROBE_LABEL}=true")
    try:
        results, cleaned = execute(writer, probes, image=args.image, timeout=args.timeout,
                                   err=err, ephemeral=targets)
    finally:
        writer.close()
    comparisons = [compare(r) for r in results]
    for c in comparisons:
        if c.agreement is Agreement.UNKNOWN:
            warn(args, err, f"{c.flow}: {c.detail}")
    if args.output in DATA_FORMATS:
        out.write(data_text(args.output, probe_json(comparisons, skipped, cleaned)))
    else:
        out.write(probe_table(comparisons, skipped, cleaned))
    return EXIT_FINDING if failing(comparisons) else EXIT_OK
