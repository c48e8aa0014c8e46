"""``check`` on JSON input: the L cluster as kubectl-style JSON Lists, with and without findings.

    python bench/json_input.py make                  # bench/.data/L-1-json{,-findings}
    python bench/json_input.py run [--src DIR ...] [--repeat N] [--stdin]

``make`` writes every file of ``bench/.data/L-1/manifests`` (generate it first:
``python bench/run.py --size L``) as one ``kubectl get -o json``-shaped List (``indent=4``,
``metadata.resourceVersion``) into ``L-1-json``; ``L-1-json-findings`` is the same with every
tenth Deployment given a container port the API server rejects (a port number of 0), so that
``check`` reports 1,500 errors, each with its file and line. ``run`` times ``dtnetpol check``
on both folders (and on the files piped through standard input with ``--stdin``) in fresh
processes, with the code of each ``--src`` (default: this checkout's ``src``; give two, e.g.
a ``git archive`` of the commit before, to compare: their runs alternate, so both see the
same machine): CPU time (user + system) and peak RSS of the child from ``wait4``; the best of
``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
SOURCE = DATA / "L-1" / "manifests"
PLAIN = DATA / "L-1-json"
FINDINGS = DATA / "L-1-json-findings"
EVERY = 10   # every tenth Deployment gets a finding


def _list(items: list[Any]) -> str:
    return json.dumps({"apiVersion": "v1", "items": items, "kind": "List",
                       "metadata": {"resourceVersion": ""}}, indent=4, ensure_ascii=False) + "\n"


def make() -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    PLAIN.mkdir(exist_ok=True)
    FINDINGS.mkdir(exist_ok=True)
    for path in sorted(SOURCE.glob("*.yaml")):
        with open(path, encoding="utf-8") as fh:
            items = [d for d in yaml.load_all(fh, Loader=loader) if d is not None]
        name = path.with_suffix(".json").name
        (PLAIN / name).write_text(_list(items), encoding="utf-8")
        seen = 0
        for item in items:
            if item.get("kind") == "Deployment":
                seen += 1
                if seen % EVERY == 0:
                    ports = item["spec"]["template"]["spec"]["containers"][0].setdefault(
                        "ports", [{"containerPort": 8080}])
                    ports[0]["containerPort"] = 0
        (FINDINGS / name).write_text(_list(items), encoding="utf-8")
        print(f"{name}: {len(items)} objects", file=sys.stderr)


def _once(src: Path, folder: Path) -> tuple[float, float, int, int]:
    """CPU seconds, wall seconds, peak RSS (MiB) and exit code of one ``check``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "dtnetpol", "check", str(folder)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return (usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss // 1024,
            os.waitstatus_to_exitcode(status))


def _once_stdin(src: Path, file: Path) -> tuple[float, float, int, int]:
    """:func:`_once` with one file piped in (a stream of several Lists is not one JSON text)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    with open(file, "rb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "dtnetpol", "check", "-"], env=env,
                                stdin=fh, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return (usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss // 1024,
            os.waitstatus_to_exitcode(status))


def run(srcs: list[Path], repeat: int, stdin: bool) -> None:
    cases: list[tuple[str, Callable[[Path], tuple[float, float, int, int]]]] = [
        ("L as JSON Lists", lambda src: _once(src, PLAIN)),
        (f"L as JSON Lists, every {EVERY}th Deployment an error",
         lambda src: _once(src, FINDINGS)),
    ]
    if stdin:
        cases += [("policies.json on stdin",
                   lambda src: _once_stdin(src, PLAIN / "policies.json")),
                  ("workloads.json (with errors) on stdin",
                   lambda src: _once_stdin(src, FINDINGS / "workloads.json"))]
    for name, fn in cases:
        runs: dict[Path, list[tuple[float, float, int, int]]] = {src: [] for src in srcs}
        for _ in range(repeat):
            for src in srcs:
                runs[src].append(fn(src))
        for src, done in runs.items():
            best = min(done)
            print(f"{name} [{src}]: CPU {best[0]:.2f} s (runs "
                  f"{', '.join(f'{r[0]:.2f}' for r in done)}), wall {best[1]:.2f} s, "
                  f"peak RSS {max(r[2] for r in done)} MiB, exit {best[3]}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["make", "run"])
    parser.add_argument("--src", type=Path, action="append")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stdin", action="store_true")
    args = parser.parse_args()
    if args.what == "make":
        make()
    else:
        run([p.resolve() for p in args.src or [ROOT / "src"]], args.repeat, args.stdin)


if __name__ == "__main__":
    main()
