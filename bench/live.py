"""A live-shaped L: 150,000 Pod objects as the API returns them, read through live mode.

    python bench/live.py            # L: every replica a Pod object (pages of 500)
    python bench/live.py --size M

The test API server (``tests/apiserver``) serves the generated cluster with every replica
as a Pod object, in its own process; ``dtnetpol connlist --kubeconfig`` reads it in another,
whose wall time, CPU time (user + system) and peak RSS are printed, beside the floor: the
same pages, as the server sends them, parsed by orjson and nothing else.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402
from bench.run import run_child  # noqa: E402

PAGE = 500


def _objects(size: str, seed: int) -> list[dict[str, object]]:
    files = generate.generate(generate.SIZES[size], seed, as_pods=True)
    return [d for docs in files.values() for d in docs]


def _serve(size: str, seed: int, kubeconfig: str, ready: object, stop: object) -> None:
    from tests.apiserver import ApiServer

    objects = _objects(size, seed)
    with ApiServer(objects, installed={"dynatrace.com"}) as server:
        server.kubeconfig(kubeconfig)
        ready.set()  # type: ignore[attr-defined]
        stop.wait()  # type: ignore[attr-defined]


def floor(size: str, seed: int) -> tuple[float, int]:
    """orjson over the Pod pages (as the API sends them, 500 a page): CPU seconds, pods."""
    import orjson

    pods = [o for o in _objects(size, seed) if o["kind"] == "Pod"]
    pages = [json.dumps({"apiVersion": "v1", "kind": "PodList", "metadata": {},
                         "items": pods[i:i + PAGE]}).encode()
             for i in range(0, len(pods), PAGE)]
    start = time.process_time()
    count = sum(len(orjson.loads(p)["items"]) for p in pages)
    return time.process_time() - start, count


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", choices=sorted(generate.SIZES), default="L")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--command", default="connlist")
    args = p.parse_args(argv)
    seconds, pods = floor(args.size, args.seed)
    print(f"floor: orjson over {pods:,} Pod objects in pages of {PAGE}: {seconds:.2f} s CPU",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = os.path.join(tmp, "kubeconfig")
        ctx = multiprocessing.get_context("fork")
        ready, stop = ctx.Event(), ctx.Event()
        server = ctx.Process(target=_serve, args=(args.size, args.seed, kubeconfig, ready, stop))
        server.start()
        try:
            ready.wait(600)
            cmd = [sys.executable, "-c", "import sys; from dtnetpol.cli import entry; entry()",
                   args.command, "--kubeconfig", kubeconfig, "-o", "json"]
            child = run_child(cmd)
        finally:
            stop.set()
            server.join(30)
    print(f"live {args.command}: exit {child.exit}, wall {child.seconds:.2f} s, "
          f"CPU {child.cpu_seconds:.2f} s ({child.cpu_seconds / seconds:.2f}× the floor), "
          f"peak RSS {child.rss_mib:.0f} MiB, output {len(child.stdout):,} bytes")
    if child.exit not in (0, 1):
        print(child.stderr[-2000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
