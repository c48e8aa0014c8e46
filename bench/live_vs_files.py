"""Benchmark: reading a cluster live (test API server) next to reading the same objects from files.

    python bench/live_vs_files.py            # M and L (L: about 4 GB and a quiet machine)
    python bench/live_vs_files.py --size M --repeat 5

Per size, the generated cluster of ``bench/generate.py`` is run as the test API server would
serve it (``tests/apiserver``: ReplicaSets, pods with IPs, EndpointSlices; 150,000 pods at L),
in a server process of its own. ``dtnetpol snapshot`` writes the same objects to files once.
Then, each in a fresh process and interleaved ``--repeat`` times:

- **live**: ``read_cluster`` (discovery, every list in pages of 500 through the official
  client, raw JSON) and the build of the cluster model, as every command does without PATH;
- **files**: ``load_cluster`` of the snapshot folder, as every command does with PATH.

Both give the same cluster (pods, their IPs, policies, services: compared by a digest). The
report gives wall time and CPU time (the reading process; the server's CPU beside it) and the
ratios live/files, best of the runs. Results go to ``bench/LIVE.md`` (``--results``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT), str(ROOT / "src")):
    if p not in sys.path:
        sys.path.insert(0, p)

from bench import generate  # noqa: E402

DATA = ROOT / "bench" / ".data"
Json = dict[str, Any]


def _cpu() -> float:
    """CPU seconds of this process and of its children (the parallel loader's workers)."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def _peak_mib() -> float:
    """Peak RSS of this process (and of the largest child, the parallel loader's workers)."""
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def _server_peak_mib(pid: int) -> float:
    """Peak RSS of the server process so far (Linux /proc; 0 where it is missing)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _digest(cluster: Any) -> str:
    """What the analysis sees of the cluster, hashed: equal digests, equal answers."""
    h = hashlib.sha256()
    for pod in sorted(cluster.pods, key=lambda p: (p.namespace, p.name)):
        h.update(f"{pod.namespace}/{pod.name}/{pod.owner.kind}/{sorted(pod.ips)}/"
                 f"{sorted(pod.labels.items())}/{pod.host_network}\n".encode())
    for pol in sorted(cluster.policies, key=lambda p: (p.namespace, p.name)):
        h.update(f"{pol.namespace}/{pol.name}\n".encode())
    for svc in sorted(cluster.services, key=lambda s: (s.namespace, s.name)):
        h.update(f"{svc.namespace}/{svc.name}/{svc.cluster_ips}\n".encode())
    h.update(f"{sorted(n.name for n in cluster.nodes)}{sorted(cluster.namespaces)}".encode())
    return h.hexdigest()[:16]


# ============================================================ phases (each in a fresh process)
def phase_live(kubeconfig: str) -> Json:
    from dtnetpol.sources.cluster import ClusterSpec, load_live, read_cluster

    wall, cpu = time.perf_counter(), _cpu()
    live = read_cluster(ClusterSpec(kubeconfig=kubeconfig))
    read_wall, read_cpu = time.perf_counter() - wall, _cpu() - cpu
    cluster, _ = load_live(live)
    pods = sum(len(x.items) for x in live.lists if x.read.plural == "pods")
    return {"seconds": time.perf_counter() - wall, "cpu": _cpu() - cpu,
            "read_seconds": read_wall, "read_cpu": read_cpu, "requests": live.requests,
            "objects": live.count(), "pods": pods, "digest": _digest(cluster),
            "peak_mib": _peak_mib()}


def phase_files(folder: str) -> Json:
    from dtnetpol.sources import load_cluster

    # default limits, as a user runs it: snapshot splits L's 0.5 GB of pods into files of
    # at most 32 MiB, each under --max-input-size's 256 MiB
    wall, cpu = time.perf_counter(), _cpu()
    cluster, _ = load_cluster([folder])
    return {"seconds": time.perf_counter() - wall, "cpu": _cpu() - cpu,
            "digest": _digest(cluster), "peak_mib": _peak_mib()}


def serve(size: str, seed: str, kubeconfig: str) -> None:
    """The server process: the running cluster of the generated (size, seed) until stdin
    closes. The generator's objects go straight in (no YAML written and parsed again) and are
    handed over, not copied."""
    from tests.apiserver import ApiServer, running_cluster

    files = generate.generate(generate.SIZES[size], int(seed))
    docs = [d for batch in files.values() for d in batch]
    del files
    objects = running_cluster(docs, owned=True)
    del docs
    server = ApiServer(objects, installed={"dynatrace.com"}).start()
    server.kubeconfig(kubeconfig, context=f"bench-{size}-{seed}")
    # warm the encoded items, so the first measured read pays no more than the others
    for bucket in server.store.buckets.values():
        bucket.encoded(bucket.resource.version)
    print(json.dumps({"objects": len(objects), "pid": os.getpid()}), flush=True)
    sys.stdin.read()
    server.stop()


def _child_cpu(pid: int) -> float:
    """CPU seconds of a process so far (Linux /proc; 0 where it is missing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _phase(*args: str) -> Json:
    done = subprocess.run([sys.executable, __file__, "--phase", *args], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"phase {args[0]} failed:\n{done.stderr}")
    result: Json = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# ============================================================ driver
def measure(size: str, seed: int, repeat: int, log: Any) -> Json:
    work = Path(tempfile.mkdtemp(prefix=f"live-{size}-", dir=DATA))
    kubeconfig = work / "kubeconfig"
    start = time.perf_counter()
    server = subprocess.Popen([sys.executable, __file__, "--serve", size, str(seed),
                               str(kubeconfig)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        ready = json.loads(server.stdout.readline())
        build = {"seconds": time.perf_counter() - start, "cpu": _child_cpu(ready["pid"]),
                 "peak_mib": _server_peak_mib(ready["pid"])}
        log(f"[{size}] server up with {ready['objects']:,} objects in "
            f"{build['seconds']:.1f} s wall, {build['cpu']:.1f} s CPU, "
            f"peak RSS {build['peak_mib']:.0f} MiB")
        snap_start = time.perf_counter()
        snapshot = work / "snapshot"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        subprocess.run([sys.executable, "-c", "from dtnetpol.cli import entry; entry()",
                        "snapshot", "-q", "--kubeconfig", str(kubeconfig), "--out",
                        str(snapshot)], check=True, env=env)
        size_mib = sum(f.stat().st_size for f in snapshot.iterdir()) / 2**20
        largest_mib = max(f.stat().st_size for f in snapshot.iterdir()) / 2**20
        count = len(list(snapshot.glob("*.json")))
        snap_seconds = time.perf_counter() - snap_start
        log(f"[{size}] snapshot: {size_mib:.0f} MiB of JSON in {count} files (largest "
            f"{largest_mib:.1f} MiB) in {snap_seconds:.1f} s")
        lives, files = [], []
        for i in range(repeat):
            before = _child_cpu(ready["pid"])
            live = _phase("live", str(kubeconfig))
            live["server_cpu"] = _child_cpu(ready["pid"]) - before
            lives.append(live)
            files.append(_phase("files", str(snapshot)))
            log(f"[{size}] run {i + 1}: live {live['seconds']:.2f} s wall, {live['cpu']:.2f} s "
                f"CPU (reading {live['read_seconds']:.2f} s wall, {live['read_cpu']:.2f} s CPU; "
                f"server {live['server_cpu']:.2f} s CPU), {live['requests']} requests; "
                f"peak {live['peak_mib']:.0f} MiB; files {files[-1]['seconds']:.2f} s wall, "
                f"{files[-1]['cpu']:.2f} s CPU, peak {files[-1]['peak_mib']:.0f} MiB")
        server_peak = _server_peak_mib(ready["pid"])
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=60)
    best_live = min(lives, key=lambda r: r["seconds"])
    best_files = min(files, key=lambda r: r["seconds"])
    same = {r["digest"] for r in lives} | {r["digest"] for r in files}
    return {"size": size, "objects": ready["objects"], "pods": best_live["pods"],
            "snapshot_mib": size_mib, "snapshot_seconds": snap_seconds,
            "snapshot_files": count, "snapshot_largest_mib": largest_mib, "build": build,
            "server_peak_mib": server_peak, "live": best_live, "files": best_files,
            "live_runs": lives, "files_runs": files, "same_cluster": len(same) == 1,
            "live_cpu_best": min(r["cpu"] for r in lives),
            "files_cpu_best": min(r["cpu"] for r in files),
            "live_peak_mib": max(r["peak_mib"] for r in lives),
            "files_peak_mib": max(r["peak_mib"] for r in files)}


def report(results: Sequence[Json], repeat: int) -> str:
    lines = [
        "# Live read vs files (bench/live_vs_files.py)",
        "",
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average at the end "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; best of {repeat} runs each "
        "(live and files interleaved, each in a fresh process).",
        "",
        "| size | Pod objects | objects read | live wall | live CPU | server CPU | files wall "
        "| files CPU | wall ratio | CPU ratio | live peak RSS | files peak RSS | same cluster |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        live, files = r["live"], r["files"]
        lines.append(
            f"| {r['size']} | {r['pods']:,} | {r['live']['objects']:,} | {live['seconds']:.2f} s | "
            f"{r['live_cpu_best']:.2f} s | {live['server_cpu']:.2f} s | "
            f"{files['seconds']:.2f} s | {r['files_cpu_best']:.2f} s | "
            f"{live['seconds'] / files['seconds']:.2f} | "
            f"{r['live_cpu_best'] / r['files_cpu_best']:.2f} | "
            f"{r['live_peak_mib']:.0f} MiB | {r['files_peak_mib']:.0f} MiB | "
            f"{'yes' if r['same_cluster'] else 'NO'} |")
    lines += ["", "Live: discovery and every list through the official client in pages of 500 "
              "(raw JSON, parsed with orjson when installed), then the cluster model. Files: "
              "the snapshot of the same objects (`dtnetpol snapshot`), loaded as any PATH. "
              "`same cluster`: the pods (names, owners, IPs, labels), policies, services, "
              "nodes and namespaces of both are identical.", ""]
    for r in results:
        runs = ", ".join(f"{x['seconds']:.2f}" for x in r["live_runs"])
        fruns = ", ".join(f"{x['seconds']:.2f}" for x in r["files_runs"])
        lines.append(f"- {r['size']}: live runs {runs} s (read {r['live']['read_seconds']:.2f} s "
                     f"of the best, {r['live']['requests']} requests); files runs {fruns} s; "
                     f"snapshot {r['snapshot_mib']:.0f} MiB in {r['snapshot_files']} List "
                     f"files (largest {r['snapshot_largest_mib']:.1f} MiB) written in "
                     f"{r['snapshot_seconds']:.0f} s, read with default flags; test server "
                     "built in "
                     f"{r['build']['seconds']:.1f} s wall, {r['build']['cpu']:.1f} s CPU, "
                     f"peak RSS {r['server_peak_mib']:.0f} MiB.")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", action="append", choices=("S", "M", "L"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--results", type=Path, default=ROOT / "bench" / "LIVE.md")
    p.add_argument("--no-results", action="store_true")
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("--serve", nargs=3, metavar=("SIZE", "SEED", "KUBECONFIG"),
                   help=argparse.SUPPRESS)
    p.add_argument("phase_args", nargs="*", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        serve(*args.serve)
        return 0
    if args.phase:
        fn = {"live": phase_live, "files": phase_files}[args.phase]
        print(json.dumps(fn(*args.phase_args)))
        return 0
    DATA.mkdir(parents=True, exist_ok=True)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    results = [measure(size, args.seed, args.repeat, log) for size in args.size or ("M", "L")]
    text = report(results, args.repeat)
    print(text)
    if not args.no_results:
        args.results.write_text(text, encoding="utf-8")
    return 0 if all(r["same_cluster"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
