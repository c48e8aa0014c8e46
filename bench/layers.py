"""connlist with policy layers against the plain NetworkPolicy join, on the generated sizes.

Each size is the generated cluster (``generate.py``), once as it is (*plain*: no layers, the
NetworkPolicy-only join) and once with one AdminNetworkPolicy whose subject is every namespace
(*anp*: every class goes through the layered evaluation). Each measurement runs in a fresh
process: load (untimed), then ``connection_list(Analyzer(cluster))`` timed in wall and CPU
seconds. Runs are interleaved (plain, anp, plain, anp, ...) since the machine is shared and
noisy; the report gives min and median of each, the connection count and a digest of the
whole list, so a change to the engine can show it lists the same connections, faster.

    python bench/layers.py --size S --size M --repeat 3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: One ANP selecting every namespace: a Deny on a debug port from everywhere, and a Pass for
#: the rest, so every side is decided by the admin tier first and the NetworkPolicies after.
ANP = """\
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: bench-every-namespace}
spec:
  priority: 10
  subject: {namespaces: {}}
  ingress:
  - name: deny-debug
    action: Deny
    from: [{namespaces: {}}]
    ports: [{portNumber: {protocol: TCP, port: 9229}}]
  - name: pass-rest
    action: Pass
    from: [{namespaces: {}}]
  egress:
  - name: pass-all
    action: Pass
    to: [{namespaces: {}}]
"""


def child(paths: Sequence[str]) -> dict[str, object]:
    """One measurement, in this (fresh) process."""
    from dtnetpol.engine.analysis import Analyzer
    from dtnetpol.engine.connlist import connection_list
    from dtnetpol.sources import load_cluster

    cluster, _ = load_cluster(list(paths))
    wall, cpu = time.perf_counter(), time.process_time()
    an = Analyzer(cluster)
    conns = connection_list(an)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    digest = hashlib.sha256()
    for c in conns:
        digest.update(f"{c.src}\t{c.dst}\t{c.ports}\n".encode())
    return {"wall": wall, "cpu": cpu, "connections": len(conns),
            "classes": len(an.classes), "layered": an.layers is not None,
            "digest": digest.hexdigest()[:16]}


def _run(paths: Sequence[str], src: Path) -> dict[str, object]:
    env_path = str(src)
    out = subprocess.run(
        [sys.executable, "-c",
         "import json, sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2]);"
         "from bench.layers import child; print(json.dumps(child(sys.argv[3:])))",
         env_path, str(ROOT), *paths],
        check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", action="append", choices=("S", "M", "L"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--src", type=Path, default=ROOT / "src",
                   help="the dtnetpol sources to measure (another checkout's src to compare)")
    p.add_argument("--only", choices=("plain", "anp"), help="measure one variant only")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.generate import ensure

    data = HERE / ".data"
    anp_dir = data / "anp-every-namespace"
    anp_dir.mkdir(parents=True, exist_ok=True)
    (anp_dir / "anp.yaml").write_text(ANP, encoding="utf-8")
    sizes = args.size or ["S", "M"]
    folders = {s: str(ensure(s, args.seed, data)) for s in sizes}
    variants = [args.only] if args.only else ["plain", "anp"]
    runs: dict[tuple[str, str], list[dict[str, object]]] = {}
    for _ in range(args.repeat):
        for size in sizes:
            for v in variants:
                paths = [folders[size]] + ([str(anp_dir)] if v == "anp" else [])
                r = _run(paths, args.src)
                runs.setdefault((size, v), []).append(r)
                print(f"{size} {v:5} wall {r['wall']:7.2f} s  cpu {r['cpu']:7.2f} s  "
                      f"{r['connections']} connections, {r['classes']} classes, "
                      f"digest {r['digest']}", flush=True)
    print("\n| size | variant | classes | connections | wall min / median (s) "
          "| CPU min / median (s) | digest |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for (size, v), rs in runs.items():
        walls = [float(str(r["wall"])) for r in rs]
        cpus = [float(str(r["cpu"])) for r in rs]
        digests = {str(r["digest"]) for r in rs}
        print(f"| {size} | {v} | {rs[0]['classes']} | {rs[0]['connections']} | "
              f"{min(walls):.2f} / {statistics.median(walls):.2f} | "
              f"{min(cpus):.2f} / {statistics.median(cpus):.2f} | {', '.join(sorted(digests))} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
