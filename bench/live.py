"""A live-shaped L: 150,000 Pod objects as the API returns them, read through live mode.

    python bench/live.py                # L: every replica a running Pod (pages of 500)
    python bench/live.py --size M
    python bench/live.py --no-connlist  # the read only

The test API server (``tests/apiserver``) serves the generated cluster with every replica as
the running Pod a live cluster serves (``generate.py --pods``, with the managedFields the API
adds), in its own process. Each measurement runs in a fresh process (wall time, CPU time
user + system, peak RSS from ``wait4``):

- **floor**: orjson over the very pages the server sends (pages of 500), nothing else; once
  for the Pod pages, once for every list live mode reads (and, beside it, msgspec's decoding
  of only the fields live mode reads of the Pod pages, which is what live mode parses);
- **pods**: live mode's read of the pods alone, to the cluster model (``read_cluster`` of the
  pods + ``load_live``), against the Pod pages' floor: the issue's target (under 1 GiB, within
  2× of the floor);
- **read**: the whole live read (discovery and every list) to the cluster model, against the
  floor of every page;
- **connlist**: ``dtnetpol connlist --kubeconfig ... -o json`` end to end (the analysis and
  its 100 MB of output included).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402
from bench.run import Child, run_child  # noqa: E402

PAGE = 500
CREATED = "2026-11-02T09:14:07Z"


def _managed_fields(pod: dict[str, Any]) -> list[dict[str, Any]]:
    """What the API server records of who wrote a pod (the controller its spec, the kubelet
    its status); list answers include it (kubectl hides it)."""
    spec: dict[str, Any] = {"f:containers": {f'k:{{"name":"{c["name"]}"}}': {
        ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}, "f:ports": {},
        "f:resources": {}, "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}}
        for c in pod["spec"]["containers"]},
        "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:restartPolicy": {},
        "f:schedulerName": {}, "f:securityContext": {}, "f:terminationGracePeriodSeconds": {}}
    return [
        {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
         "time": CREATED, "fieldsType": "FieldsV1", "fieldsV1": {
             "f:metadata": {"f:generateName": {}, "f:labels": {".": {}}, "f:ownerReferences": {
                 ".": {}, f'k:{{"uid":"{pod["metadata"]["ownerReferences"][0]["uid"]}"}}': {}}},
             "f:spec": spec}},
        {"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": CREATED,
         "fieldsType": "FieldsV1", "subresource": "status", "fieldsV1": {"f:status": {
             "f:conditions": {f'k:{{"type":"{t}"}}': {".": {}, "f:status": {}, "f:type": {}}
                              for t in ("ContainersReady", "Initialized", "Ready")},
             "f:containerStatuses": {}, "f:hostIP": {}, "f:hostIPs": {}, "f:phase": {},
             "f:podIP": {}, "f:podIPs": {".": {}, f'k:{{"ip":"{pod["status"]["podIP"]}"}}': {
                 ".": {}, "f:ip": {}}}, "f:startTime": {}}}},
    ]


def objects(size: str, seed: int) -> list[dict[str, Any]]:
    """The generated cluster, every replica a running Pod with its managedFields."""
    files = generate.generate(generate.SIZES[size], seed, as_pods=True)
    out = [d for docs in files.values() for d in docs]
    for o in out:
        if o["kind"] == "Pod":
            o["metadata"]["managedFields"] = _managed_fields(o)
    return out


def _pages(server: Any) -> list[tuple[str, bytes]]:
    """(resource, page) of every list live mode reads, as the server sends them."""
    from dtnetpol.sources.cluster import READS, Reader

    out: list[tuple[str, bytes]] = []
    for read in READS:
        query = {"limit": str(PAGE)}
        if read.field_selector:
            query["fieldSelector"] = read.field_selector
        while True:
            try:
                body, _ = server.get(Reader.list_path(read, read.versions[0]), query)
            except Exception:  # not served (404): live mode skips it too
                break
            out.append((read.resource, body))
            token = json.loads(body)["metadata"].get("continue")
            if not token:
                break
            query = {**query, "continue": token}
    return out


def _serve(size: str, seed: int, folder: str, ready: Any, stop: Any) -> None:
    from tests.apiserver import ApiServer

    with ApiServer(objects(size, seed), installed={"dynatrace.com"}) as server:
        # Nothing changes while the bench runs: each list's selected items are worked out
        # once, not for every page (the test server filters 150,000 pods by the field
        # selector per page, which made the clients wait minutes for it).
        select, selected = server.store.select, {}

        def memo(resource: Any, *args: Any) -> list[bytes]:
            key = (resource.group, resource.plural, *args)
            if key not in selected:
                selected[key] = select(resource, *args)
            return selected[key]

        server.store.select = memo  # type: ignore[method-assign]
        server.kubeconfig(os.path.join(folder, "kubeconfig"))
        pages = _pages(server)  # also encodes every object once, before the clock starts
        with open(os.path.join(folder, "pages.pickle"), "wb") as f:
            pickle.dump(pages, f)
        del pages
        ready.set()
        stop.wait()


# ------------------------------------------------------------------ child phases
def _phase_floor(folder: str, only: str | None) -> dict[str, Any]:
    import orjson

    with open(os.path.join(folder, "pages.pickle"), "rb") as f:
        pages = [p for r, p in pickle.load(f) if only is None or r == only]
    start, wall = time.process_time(), time.perf_counter()
    items = sum(len(orjson.loads(p)["items"]) for p in pages)
    cpu, wall = time.process_time() - start, time.perf_counter() - wall
    # what live mode's read of the Pod pages parses instead: msgspec's decoding of the fields
    # the fast reader reads (the whole JSON checked, the rest skipped), nothing else
    from dtnetpol.manifest.fast_pods import POD_PAGE

    with open(os.path.join(folder, "pages.pickle"), "rb") as f:
        pods = [p for r, p in pickle.load(f) if r == "pods"]
    start = time.process_time()
    for p in pods:
        POD_PAGE.decode(p)
    return {"cpu": cpu, "wall": wall, "items": items, "pages": len(pages),
            "bytes": sum(len(p) for p in pages), "fields_cpu": time.process_time() - start}


def _phase_read(folder: str, only: str | None) -> dict[str, Any]:
    from dtnetpol.sources.cluster import READS, ClusterSpec, load_live, read_cluster

    reads = [r for r in READS if only is None or r.resource == only]
    start, wall = time.process_time(), time.perf_counter()
    live = read_cluster(ClusterSpec(kubeconfig=os.path.join(folder, "kubeconfig")),
                        reads=reads, bodies=False)  # as the analysis commands read
    read_cpu = time.process_time() - start
    cluster, _ = load_live(live, strict=True)
    return {"cpu": time.process_time() - start, "read_cpu": read_cpu,
            "wall": time.perf_counter() - wall, "objects": live.count(),
            "requests": live.requests, "model_pods": len(cluster.pods),
            "ips": sum(len(p.ips) for p in cluster.pods)}


def _child(phase: str, folder: str, only: str | None = None) -> tuple[Child, dict[str, Any]]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--folder", folder]
    if only:
        cmd += ["--only", only]
    child = run_child(cmd)
    if child.exit != 0:
        raise RuntimeError(f"phase {phase} failed ({child.exit}):\n{child.stderr[-3000:]}")
    return child, json.loads(child.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", choices=sorted(generate.SIZES), default="L")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-connlist", action="store_true", help="measure the read only")
    p.add_argument("--write", type=Path, metavar="FILE",
                   help="also write the results as a Markdown table (bench/RESULTS-live.md)")
    p.add_argument("--phase", choices=("floor", "read"), help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    p.add_argument("--only", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.phase:
        fn = _phase_floor if args.phase == "floor" else _phase_read
        print(json.dumps(fn(args.folder, args.only)))
        return 0
    # the children import this checkout's dtnetpol
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    with tempfile.TemporaryDirectory() as tmp:
        ctx = multiprocessing.get_context("fork")
        ready, stop = ctx.Event(), ctx.Event()
        server = ctx.Process(target=_serve, args=(args.size, args.seed, tmp, ready, stop))
        start = time.perf_counter()
        server.start()
        try:
            if not ready.wait(3600):
                raise RuntimeError("the test API server did not start within an hour")
            print(f"server ready in {time.perf_counter() - start:.0f} s", flush=True)
            rows: list[tuple[str, Child, dict[str, Any], dict[str, Any]]] = []
            for label, only in (("pods", "pods"), ("read", None)):
                _, floor = _child("floor", tmp, only)
                child, got = _child("read", tmp, only)
                rows.append((label, child, got, floor))
                print(f"{label}: {got['objects']:,} objects ({floor['bytes'] / 1e6:,.0f} MB in "
                      f"{floor['pages']} pages); floor {floor['cpu']:.2f} s CPU; live read "
                      f"to the model {got['cpu']:.2f} s CPU ({got['cpu'] / floor['cpu']:.2f}× "
                      f"the floor; read {got['read_cpu']:.2f} s), wall {got['wall']:.2f} s; "
                      f"process {child.cpu_seconds:.2f} s CPU, peak RSS {child.rss_mib:.0f} "
                      f"MiB; model: {got['model_pods']:,} pods, {got['ips']:,} pod IPs; "
                      f"decoding the fields read of the Pod pages alone: "
                      f"{floor['fields_cpu']:.2f} s CPU", flush=True)
            connlist: Child | None = None
            if not args.no_connlist:
                cmd = [sys.executable, "-c",
                       "import sys; from dtnetpol.cli import entry; entry()", "connlist",
                       "--kubeconfig", os.path.join(tmp, "kubeconfig"), "-o", "json"]
                child = connlist = run_child(cmd)
                floor = rows[-1][3]
                print(f"connlist: exit {child.exit}, wall {child.seconds:.2f} s, CPU "
                      f"{child.cpu_seconds:.2f} s ({child.cpu_seconds / floor['cpu']:.2f}× the "
                      f"floor of every page), peak RSS {child.rss_mib:.0f} MiB, output "
                      f"{len(child.stdout):,} bytes", flush=True)
                if child.exit not in (0, 1):
                    print(child.stderr[-2000:])
        finally:
            stop.set()
            server.join(60)
    if args.write:
        args.write.write_text(_markdown(args.size, rows, connlist), encoding="utf-8")
    return 0


def _markdown(size: str, rows: list[tuple[str, Child, dict[str, Any], dict[str, Any]]],
              connlist: Child | None) -> str:
    import platform

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    out = [f"# Live-shaped {size} (bench/live.py)", "",
           f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
           f"{platform.python_version()}, {os.cpu_count()} CPUs, load average at the end "
           f"{load}. Each row a fresh process; CPU is user + system; the floor is orjson over "
           "the same pages, in a fresh process. Rerun: `python bench/live.py --write "
           "bench/RESULTS-live.md`.", "",
           "| read | objects | JSON | floor CPU | read to model CPU | × floor | read wall | "
           "process CPU | peak RSS | model pods | pod IPs |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label, child, got, floor in rows:
        what = "pods only" if label == "pods" else "every list"
        out.append(f"| {what} | {got['objects']:,} | {floor['bytes'] / 1e6:,.0f} MB in "
                   f"{floor['pages']} pages | {floor['cpu']:.2f} s | {got['cpu']:.2f} s | "
                   f"{got['cpu'] / floor['cpu']:.2f}× | {got['wall']:.2f} s | "
                   f"{child.cpu_seconds:.2f} s | {child.rss_mib:,.0f} MiB | "
                   f"{got['model_pods']:,} | {got['ips']:,} |")
    out += ["", "The read of the Pod pages does not parse them as the floor does: msgspec "
            "decodes only the fields the fast reader reads (the whole JSON is checked, the "
            "rest skipped without becoming Python objects); that decoding of the Pod pages "
            f"alone took {rows[0][3]['fields_cpu']:.2f} s CPU, against the floor's "
            f"{rows[0][3]['cpu']:.2f} s for the same pages."]
    if connlist is not None:
        floor = rows[-1][3]
        out += ["", f"`dtnetpol connlist --kubeconfig ... -o json` end to end: exit "
                f"{connlist.exit}, CPU {connlist.cpu_seconds:.2f} s "
                f"({connlist.cpu_seconds / floor['cpu']:.2f}× the floor of every page), wall "
                f"{connlist.seconds:.2f} s, peak RSS {connlist.rss_mib:,.0f} MiB, output "
                f"{len(connlist.stdout) / 1e6:,.1f} MB."]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
