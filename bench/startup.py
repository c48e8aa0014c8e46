"""Start-up and ``check`` on S: CPU and wall time of whole processes, and where the time goes.

    python bench/startup.py                  # best of 5, S generated (seed 1) when missing
    python bench/startup.py --repeat 9       # more runs on a noisy machine
    python bench/startup.py --src OTHER/src  # another checkout's code (PYTHONPATH)
    python bench/startup.py --before OLD/src # also check S on OLD's code, interleaved

Each run is a fresh interpreter (``python -m dtnetpol ...``), as a user starts it, with the
package's bytecode compiled first (``compileall``: an installed package has it; without it
every run compiles the sources again). The runs of the three commands are interleaved so that
each sees the same machine; the best (least) CPU time counts, as timeit and pyperf report it,
with the median beside it. CPU time is user + system of the child; the machine is shared, so
wall time is printed but CPU time is the figure to compare.

Then one breakdown in-process (``--phases``), each phase timed in CPU by ``time.process_time``
(best of the runs): interpreter start (``python -c pass``), imports (the ``check`` command,
its parser and settings), parse (the documents of S read, nothing built), load (read again and
built into the model: the difference is the model), analysis (the 23 flows and their fixes)
and render (the table).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data" / "S-1"
FLOOR = ("import glob, sys, yaml\n"
         "for f in sorted(glob.glob(sys.argv[1] + '/**/*.yaml', recursive=True)):\n"
         "    with open(f, encoding='utf-8') as fh:\n"
         "        list(yaml.load_all(fh, Loader=yaml.CSafeLoader))\n")

PHASES = """
import gc, io, json, sys, time
gc.disable()
marks, last = {}, [time.process_time()]
def mark(name):
    now = time.process_time(); marks[name] = now - last[0]; last[0] = time.process_time()
from dtnetpol import cli
parser = cli.build_parser("check")
from dtnetpol.commands import check
from dtnetpol.commands._inputs import input_paths
from dtnetpol.commands._install import load_inputs
from dtnetpol.commands._settings import apply_settings
from dtnetpol.render import check_formats
from dtnetpol.sources.yaml_load import iter_documents
args = parser.parse_args(["check", sys.argv[1]])
apply_settings(args)
mark("imports")
sum(1 for _ in iter_documents([sys.argv[1]], None, fast_json=True))
mark("parse")
inputs = load_inputs(args, io.StringIO(), for_policies=False)
mark("load")
report = check.build_report(args, inputs)
mark("analysis")
check_formats.render_check(args.output, report, policies=inputs.cluster.policies,
                           dynakube_file=None, paths=input_paths(args), verbose=False,
                           colour=False, show_fixes=False)
mark("render")
print(json.dumps(marks))
"""


def _child_times(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, done.stdout


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--src", type=Path, default=ROOT / "src")
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--before", type=Path, default=None,
                   help="another checkout's src: its check S runs beside, interleaved")
    args = p.parse_args(argv)
    if not args.data.is_dir():
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--size", "S",
                        "--seed", "1"], check=True, cwd=ROOT)
    compileall.compile_dir(str(args.src), quiet=1)
    env = dict(os.environ, PYTHONPATH=str(args.src))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    py = sys.executable
    check = [py, "-m", "dtnetpol", "check", str(args.data)]
    commands = {
        "python -c pass": ([py, "-c", "pass"], env),
        "dtnetpol --version": ([py, "-m", "dtnetpol", "--version"], env),
        "dtnetpol check S": (check, env),
        "parse floor (CSafeLoader)": ([py, "-c", FLOOR, str(args.data)], env),
    }
    if args.before is not None:
        compileall.compile_dir(str(args.before), quiet=1)
        commands["dtnetpol check S (before)"] = (check, dict(env, PYTHONPATH=str(args.before)))
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    phases: list[dict[str, float]] = []
    for _ in range(args.repeat):
        for name, (cmd, cmd_env) in commands.items():
            cpu, wall, _ = _child_times(cmd, cmd_env)
            runs[name].append((cpu, wall))
        _, _, out = _child_times([py, "-c", PHASES, str(args.data)], env)
        phases.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{'':28s} {'CPU best':>9s} {'median':>8s} {'wall best':>10s} {'median':>8s}")
    for name, xs in runs.items():
        cpus = sorted(c for c, _ in xs)
        walls = sorted(w for _, w in xs)
        print(f"{name:28s} {cpus[0]:8.3f}s {statistics.median(cpus):7.3f}s "
              f"{walls[0]:9.3f}s {statistics.median(walls):7.3f}s")
    print("\nwhere check S spends its CPU (best of the runs, in-process):")
    start = min(c for c, _ in runs["python -c pass"])
    print(f"  {'interpreter start':18s} {1000 * start:6.1f} ms")
    best = {k: min(p[k] for p in phases) for k in phases[0]}
    for name in ("imports", "parse"):
        print(f"  {name:18s} {1000 * best[name]:6.1f} ms")
    print(f"  {'model':18s} {1000 * max(best['load'] - best['parse'], 0.0):6.1f} ms"
          "   (load, read again and built, minus parse)")
    for name in ("analysis", "render"):
        print(f"  {name:18s} {1000 * best[name]:6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
