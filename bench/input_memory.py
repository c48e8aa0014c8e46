"""Memory and time per input size: one valid manifest file of N MB through each command.

Issue 14: a single valid 200 MB file took 8.3 GB (about 40 times the input) and 90 s. This
script writes one file of about ``--mb`` megabytes (the M cluster of ``generate.py``, with
Pods, repeated under new namespace names until the size is reached), then runs each command
in a fresh process and prints, per command: input MB, peak RSS (MiB) of the command's process,
RSS / input, the largest worker's peak RSS (files of 8 MB and more are loaded by two forked
workers; 0: none), wall and CPU seconds (CPU: the process and its workers).

    python bench/input_memory.py --mb 50                 # lint, check, connlist, explain
    python bench/input_memory.py --mb 200 --command lint
    python bench/input_memory.py --mb 50 --src ../main/src --no-limit-flag   # compare
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench import generate  # noqa: E402

COMMANDS = {
    "lint": ["lint", "-q", "-o", "json"],
    "check": ["check", "-q", "-o", "json", "--skip-invalid"],
    "connlist": ["connlist", "-q", "-o", "json"],
    "explain": ["explain", "-q", "-o", "json"],
}

_CHILD = """
import io, resource, sys, time
from dtnetpol.cli import main
argv = sys.argv[1:]
wall, cpu = time.perf_counter(), time.process_time()
out, err = io.StringIO(), io.StringIO()
code = main(argv, out=out, err=err)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(code, f"{peak:.0f}", f"{workers:.0f}", f"{wall:.2f}", f"{cpu:.2f}",
      repr(err.getvalue()[-200:]))
"""


def build(mb: float, out: Path) -> Path:
    """One YAML file of about ``mb`` MB: copies of the M cluster (with Pods), namespaces
    renamed per copy so every object is distinct."""
    target = out / f"input-{mb:g}MB.yaml"
    if target.exists():
        return target
    files = generate.generate(generate.SIZES["M"], 1, as_pods=True)
    base = "---\n".join(generate.to_yaml(docs) for docs in files.values())
    namespaces = sorted({d["metadata"]["namespace"] for docs in files.values() for d in docs
                         if isinstance(d, dict) and d.get("metadata", {}).get("namespace")})
    size = 0
    with open(target, "w", encoding="utf-8") as fh:
        copy = 0
        while size < mb * 1e6:
            text = base
            if copy:
                for ns in namespaces:
                    text = text.replace(f"namespace: {ns}\n", f"namespace: {ns}-c{copy}\n")
                    text = text.replace(f"name: {ns}\n", f"name: {ns}-c{copy}\n")
            fh.write(("---\n" if copy else "") + text)
            size += len(text.encode("utf-8"))
            copy += 1
    return target


def measure(argv: list[str], src: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, *argv], capture_output=True,
                          text=True, env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    fields = done.stdout.split(maxsplit=5)
    if len(fields) < 5:
        return {"error": done.stderr[-500:]}
    return {"exit": int(fields[0]), "peak_mib": float(fields[1]),
            "worker_mib": float(fields[2]), "wall_s": round(wall, 2),
            "cpu_s": round((after.ru_utime + after.ru_stime)
                           - (before.ru_utime + before.ru_stime), 2),
            "stderr_tail": fields[5].strip() if len(fields) > 5 else ""}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mb", type=float, default=50)
    p.add_argument("--command", action="append", choices=sorted(COMMANDS))
    p.add_argument("--out", type=Path, default=HERE / ".data")
    p.add_argument("--src", type=Path, default=HERE.parent / "src",
                   help="the dtnetpol sources to measure (another checkout's, to compare)")
    p.add_argument("--no-limit-flag", action="store_true",
                   help="do not pass --max-input-size 0 (sources older than the flag)")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = build(args.mb, args.out)
    mb = path.stat().st_size / 1e6
    print(f"input: {path} ({mb:.1f} MB)")
    print(f"{'command':10} {'input MB':>9} {'peak RSS MiB':>13} {'RSS/input':>10} "
          f"{'worker MiB':>11} {'wall s':>8} {'CPU s':>8}  exit")
    for name in args.command or list(COMMANDS):
        limit = [] if args.no_limit_flag else ["--max-input-size", "0"]
        argv = [a for a in COMMANDS[name] if not (args.no_limit_flag and a == "-q")]
        r = measure([*argv, *limit, str(path)], args.src)
        if "error" in r:
            print(f"{name:10} failed: {r['error']}")
            continue
        ratio = float(str(r["peak_mib"])) * 1.048576 / mb
        print(f"{name:10} {mb:9.1f} {r['peak_mib']:13.0f} {ratio:9.1f}x "
              f"{r['worker_mib']:11.0f} {r['wall_s']:8.2f} {r['cpu_s']:8.2f}  {r['exit']}")
        if r["exit"] == 2:
            print(f"           {json.loads(json.dumps(r['stderr_tail']))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
