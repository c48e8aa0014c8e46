"""connlist with policy layers against the plain NetworkPolicy join, on the generated sizes.

Each size is the generated cluster (``generate.py``), once as it is (*plain*: no layers, the
NetworkPolicy-only join) and once per layered variant, each adding a few documents:

- *anp*: one AdminNetworkPolicy whose subject is every namespace (a Deny on a debug port,
  Pass for the rest), so every class goes through the layered evaluation;
- *cilium*: one CiliumClusterwideNetworkPolicy for every endpoint with the same deny
  (``ingressDeny``, no default deny);
- *calico*: one GlobalNetworkPolicy for every pod in its own tier (Deny on the debug port,
  Pass for the rest);
- *anp-many*, *cilium-many*, *calico-many*: one policy **per namespace** of that kind (a Deny
  of the database port from other teams' namespaces, the rest passed or left alone), so the
  number of layer policies grows with the cluster.

Each measurement runs in a fresh process: load (untimed), then
``connection_list(Analyzer(cluster))`` timed in wall and CPU seconds. Runs are interleaved
(plain, anp, ..., plain, anp, ...) since the machine is shared and noisy; the report gives
min and median of each, the connection count and a digest of the whole list, so a change to
the engine can show it lists the same connections, faster.

    python bench/layers.py --size S --size M --repeat 3
    python bench/layers.py --size M --only cilium --src /path/to/other/src
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import resource
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


CILIUM = """\
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: bench-deny-debug}
spec:
  endpointSelector: {}
  enableDefaultDeny: {ingress: false, egress: false}
  ingressDeny:
  - fromEntities: [cluster]
    toPorts: [{ports: [{port: "9229", protocol: TCP}]}]
"""

CALICO = """\
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.deny-debug}
spec:
  tier: security
  order: 10
  selector: all()
  types: [Ingress, Egress]
  ingress:
  - {action: Deny, protocol: TCP, destination: {ports: [9229]}}
  - {action: Pass}
  egress:
  - {action: Pass}
"""

VARIANTS = ("plain", "anp", "cilium", "calico", "anp-many", "cilium-many", "calico-many")


def _namespaces(folder: Path) -> list[tuple[str, str | None]]:
    """(name, team label) of each generated namespace (``folder``: its manifests)."""
    import yaml
    text = (folder / "namespaces.yaml").read_text(encoding="utf-8")
    out = []
    for doc in yaml.safe_load_all(text):
        if doc and doc.get("kind") == "Namespace":
            meta = doc["metadata"]
            out.append((meta["name"], (meta.get("labels") or {}).get("team")))
    return out


def per_namespace(kind: str, namespaces: Sequence[tuple[str, str | None]]) -> str:
    """One policy of ``kind`` per namespace: Deny of TCP 5432 from other teams' namespaces."""
    docs = []
    for i, (ns, team) in enumerate(namespaces):
        own = team or ns
        if kind == "anp":
            docs.append(
                "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
                f"metadata: {{name: db-{ns}}}\nspec:\n  priority: {i % 1000}\n"
                "  subject: {namespaces: {matchLabels: "
                f"{{kubernetes.io/metadata.name: {ns}}}}}}}\n"
                "  ingress:\n  - name: other-teams\n    action: Deny\n"
                "    from: [{namespaces: {matchExpressions: [{key: team, operator: NotIn, "
                f"values: [{own}]}}]}}}}]\n"
                "    ports: [{portNumber: {protocol: TCP, port: 5432}}]\n"
                "  - {name: rest, action: Pass, from: [{namespaces: {}}]}\n")
        elif kind == "cilium":
            docs.append(
                "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
                f"metadata: {{name: db, namespace: {ns}}}\nspec:\n  endpointSelector: {{}}\n"
                "  enableDefaultDeny: {ingress: false, egress: false}\n  ingressDeny:\n"
                "  - fromEndpoints: [{matchExpressions: [{key: "
                "k8s:io.cilium.k8s.namespace.labels.team, operator: NotIn, "
                f"values: [{own}]}}]}}]\n"
                "    toPorts: [{ports: [{port: \"5432\", protocol: TCP}]}]\n")
        else:
            docs.append(
                "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
                f"metadata: {{name: security.db, namespace: {ns}}}\nspec:\n"
                "  tier: security\n  order: 10\n  selector: all()\n  types: [Ingress]\n"
                "  ingress:\n  - action: Deny\n    protocol: TCP\n"
                f"    source: {{namespaceSelector: team != '{own}'}}\n"
                "    destination: {ports: [5432]}\n  - {action: Pass}\n")
    if kind == "calico":
        docs.insert(0, "apiVersion: projectcalico.org/v3\nkind: Tier\n"
                       "metadata: {name: security}\nspec: {order: 100}\n")
    return "---\n".join(docs)


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
    # Peak resident memory of the whole process (load included), in MiB (Linux: KiB).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall": wall, "cpu": cpu, "connections": len(conns),
            "classes": len(an.classes), "layered": an.layers is not None,
            "digest": digest.hexdigest()[:16], "rss": rss}


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
    p.add_argument("--only", choices=VARIANTS, action="append",
                   help="measure these variants only (repeatable; default: all)")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.generate import ensure

    data = HERE / ".data"
    sizes = args.size or ["S", "M"]
    folders = {s: ensure(s, args.seed, data) for s in sizes}
    variants = args.only or list(VARIANTS)
    extra: dict[tuple[str, str], list[str]] = {}
    fixed = {"anp": ANP, "cilium": CILIUM, "calico": CALICO}
    for size in sizes:
        for v in variants:
            if v == "plain":
                extra[(size, v)] = []
                continue
            text = fixed[v] if v in fixed else \
                per_namespace(v.removesuffix("-many"), _namespaces(folders[size]))
            folder = data / f"layers-{v}-{size}-{args.seed}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "layer.yaml").write_text(text, encoding="utf-8")
            extra[(size, v)] = [str(folder)]
    runs: dict[tuple[str, str], list[dict[str, object]]] = {}
    for _ in range(args.repeat):
        for size in sizes:
            for v in variants:
                r = _run([str(folders[size]), *extra[(size, v)]], args.src)
                runs.setdefault((size, v), []).append(r)
                print(f"{size} {v:11} wall {r['wall']:7.2f} s  cpu {r['cpu']:7.2f} s  "
                      f"rss {r['rss']:6.0f} MiB  "
                      f"{r['connections']} connections, {r['classes']} classes, "
                      f"digest {r['digest']}", flush=True)
    print("\n| size | variant | classes | connections | wall min / median (s) "
          "| CPU min / median (s) | peak RSS (MiB) | digest |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    median_cpu: dict[tuple[str, str], tuple[float, int]] = {}
    for (size, v), rs in runs.items():
        walls = [float(str(r["wall"])) for r in rs]
        cpus = [float(str(r["cpu"])) for r in rs]
        rss = max(float(str(r["rss"])) for r in rs)
        digests = {str(r["digest"]) for r in rs}
        median_cpu[(size, v)] = (statistics.median(cpus), int(str(rs[0]["classes"])))
        print(f"| {size} | {v} | {rs[0]['classes']} | {rs[0]['connections']} | "
              f"{min(walls):.2f} / {statistics.median(walls):.2f} | "
              f"{min(cpus):.2f} / {statistics.median(cpus):.2f} | {rss:.0f} | "
              f"{', '.join(sorted(digests))} |")
    if len(sizes) > 1:
        # Growth exponent between the smallest and the largest size, per variant: how the
        # median CPU time grows with the number of pod classes (1: linear).
        lo, hi = sizes[0], sizes[-1]
        print(f"\n| variant | growth exponent {lo} -> {hi} (median CPU over classes) |")
        print("| --- | --- |")
        for v in variants:
            (t0, n0), (t1, n1) = median_cpu[(lo, v)], median_cpu[(hi, v)]
            if t0 > 0 and n1 > n0:
                print(f"| {v} | {math.log(t1 / t0) / math.log(n1 / n0):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
