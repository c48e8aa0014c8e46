"""Benchmarks: load, check, connlist and can-reach on generated clusters, against baselines.

    python bench/run.py                       # S, M and L (L takes a few minutes)
    python bench/run.py --size S --size M     # only these sizes
    python bench/run.py --size M --no-nca     # without network-config-analyzer
    python bench/run.py --size S --repeat 5   # floor and check 5 times each (default 3)

Every measurement runs in a fresh Python process (``--phase``), so that each peak RSS is that
of one job alone and no cache survives from one measurement to the next. Per size it prints
load, ``check`` (the CLI, end to end), ``connlist`` (engine, after load, and the CLI end to end),
one ``can-reach`` query after load, and peak RSS; then the ratios:

1. engine vs the naive evaluator of ``bench/naive.py`` (every pod pair, every rule): results
   compared for identity, speed-up printed (S and M);
2. ``check`` end to end vs the parse floor (PyYAML's C loader on the same files, nothing else);
3. time growth M→L vs the growth of pods × policies (when M and L run together);
4. dtnetpol vs network-config-analyzer (``nca --connectivity``, installed on first use into
   ``bench/.nca-venv``) on S and M: wall time, peak RSS and whether the two maps agree.

The parse floor and ``check`` are run ``--repeat`` times each, interleaved (floor, check, floor,
check, ...) so that both see the same machine state, each run right after a calibration: a fixed
pure-Python loop (about 0.5 s) in its own process, whose spread shows how noisy the machine was.
The report uses the best (least) time of the runs, as timeit and pyperf do, and gives the median
and every run beside it; the peak RSS of ``check`` is the largest of its runs.

Results and the machine description go to ``bench/RESULTS.md`` (``--results``), rewritten by
every run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import math
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import generate, naive  # noqa: E402

BENCH = ROOT / "bench"
DATA = BENCH / ".data"
NCA_VENV = BENCH / ".nca-venv"
NCA_PACKAGE = "network-config-analyzer"
SIZES = ("S", "M", "L")
NAIVE_SIZES = ("S", "M")
#: Source pods the pod-level naive evaluator runs on (all of them at S; a sample at M).
NAIVE_POD_SAMPLE = {"S": 1_000, "M": 200}
NCA_SIZES = ("S", "M")
#: Additions in the calibration loop: a fixed amount of pure-Python work (about 0.5 s here).
CALIBRATION_LOOPS = 12_000_000
Json = dict[str, Any]


# ============================================================== phases (in a fresh process)
def _peak_rss_mib() -> float:
    """This process's own peak RSS: VmHWM, which starts afresh at exec. (``ru_maxrss`` does
    not: Linux carries the forking parent's peak into the child, so once the parent had
    generated a big cluster every child reported the parent's size.)"""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def phase_calibrate() -> Json:
    """A fixed CPU-bound pure-Python loop: how fast the machine runs Python right now."""

    def work() -> int:
        total = 0
        for i in range(CALIBRATION_LOOPS):
            total += i
        return total

    total, seconds = _timed(work)
    return {"seconds": seconds, "loops": CALIBRATION_LOOPS, "total": total}


def manifest_files(folder: str) -> list[str]:
    return sorted(str(p) for p in Path(folder).rglob("*.yaml"))


def phase_floor(folder: str) -> Json:
    """Parse every file with the fastest PyYAML loader and build nothing else."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def parse() -> int:
        docs = 0
        for path in manifest_files(folder):
            text = Path(path).read_text(encoding="utf-8")
            docs += sum(1 for _ in yaml.load_all(text, Loader=loader))
        return docs

    docs, seconds = _timed(parse)
    return {"seconds": seconds, "documents": docs, "loader": loader.__name__}


def _cli_available(command: str) -> bool:
    from dtnetpol.cli import build_parser

    parser = build_parser()
    for action in parser._actions:  # argparse keeps subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            return command in action.choices
    return False


def phase_cli(folder: str, command: str, *extra: str) -> Json:
    """``dtnetpol COMMAND FOLDER ...`` in-process, end to end (load, analysis, rendering)."""
    if not _cli_available(command):
        return {"available": False}
    from dtnetpol.cli import main

    out, err = _Sink(), io.StringIO()
    code, seconds = _timed(lambda: main([command, folder, *extra], out, err))
    return {"available": True, "seconds": seconds, "exit": code, "rss_mib": _peak_rss_mib(),
            "stdout_lines": out.lines, "stderr": err.getvalue()[-2000:]}


class _Sink(io.StringIO):
    """Standard output as a terminal or a pipe takes it: written and gone, lines counted (a
    connection list can be 10⁸ bytes, which the CLI streams and need not be held here)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines = 0

    def write(self, s: str) -> int:
        self.lines += s.count("\n")
        return len(s)


def phase_engine(folder: str) -> Json:
    """Load, then connlist on the engine; then one can-reach query on a fresh Analyzer."""
    from dtnetpol.engine.analysis import Analyzer
    from dtnetpol.engine.connlist import connection_list
    from dtnetpol.model import Protocol
    from dtnetpol.sources import load_cluster

    (cluster, _), load_s = _timed(lambda: load_cluster([folder]))
    load_rss = _peak_rss_mib()
    conns, connlist_s = _timed(lambda: connection_list(Analyzer(cluster)))
    src_name = next(f"{p.namespace}/{p.owner.name}" for p in cluster.pods
                    if p.labels.get("tier") == "frontend")

    def query() -> str:
        an = Analyzer(cluster)
        verdict = an.can_reach(an.find(src_name), an.find("kube-system/coredns"), 53,
                               Protocol.UDP)
        return verdict.outcome.value

    outcome, reach_s = _timed(query)
    return {"load_seconds": load_s, "load_rss_mib": load_rss, "connlist_seconds": connlist_s,
            "connections": len(conns), "can_reach_seconds": reach_s,
            "can_reach_query": f"{src_name} -> kube-system/coredns 53/UDP: {outcome}",
            "pods": len(cluster.pods), "policies": len(cluster.policies),
            "namespaces": len(cluster.namespaces), "rss_mib": _peak_rss_mib()}


def engine_map(folder: str, paths: Sequence[str] | None = None
               ) -> tuple[naive.ConnMap, float, Any]:
    """Workload → workload ports by the engine (Analyzer + connection_list timed)."""
    from dtnetpol.engine.analysis import Analyzer
    from dtnetpol.engine.connlist import connection_list
    from dtnetpol.sources import load_cluster

    cluster, _ = load_cluster(list(paths) if paths is not None else [folder])
    conns, seconds = _timed(lambda: connection_list(Analyzer(cluster)))
    names = {str(p.owner) for p in cluster.pods}
    table = {(c.src, c.dst): {proto.value: tuple((lo, hi) for lo, hi in ivs)
                              for proto, ivs in c.ports.items()}
             for c in conns if c.src in names and c.dst in names}
    return table, seconds, cluster


def _map_diff(a: naive.ConnMap, b: naive.ConnMap, limit: int = 8) -> list[str]:
    out = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            out.append(f"{key[0]} -> {key[1]}: {a.get(key)} vs {b.get(key)}")
            if len(out) >= limit:
                break
    return out


def phase_naive(folder: str) -> Json:
    engine, engine_s, cluster = engine_map(folder)
    reference, naive_s = _timed(lambda: naive.connections(cluster))
    return {"engine_seconds": engine_s, "naive_seconds": naive_s,
            "speedup": naive_s / engine_s, "identical": engine == reference,
            "pairs": len(engine), "naive_pairs": len(reference),
            "differences": _map_diff(engine, reference)}


def phase_naive_pods(folder: str, sample: str) -> Json:
    """The naive evaluator on replicas written as Pod objects: every pod pair, as a naive tool
    sees them. On ``sample`` random source pods against every destination pod; the time of
    all pairs is extrapolated (setup + pair time × pods / sample) and said to be. The
    workload manifests are left out, so that the pods are not folded into their templates."""
    files = [f for f in manifest_files(folder) if not f.endswith("workloads.yaml")]
    engine, engine_s, cluster = engine_map(folder, files)
    pods = len(cluster.pods)
    k = min(int(sample), pods)
    chosen = sorted(random.Random(1).sample(range(pods), k))
    isolating, setup_s = _timed(lambda: naive.isolation(cluster))
    reference, pairs_s = _timed(lambda: naive.connections(cluster, chosen, isolating))
    owners = {str(cluster.pods[i].owner) for i in chosen}
    ours = {key: v for key, v in engine.items() if key[0] in owners}
    naive_s = setup_s + pairs_s * pods / k
    return {"engine_seconds": engine_s, "pods": pods, "sample": k,
            "extrapolated": k < pods, "naive_setup_seconds": setup_s,
            "naive_sample_seconds": pairs_s, "naive_seconds": naive_s,
            "speedup": naive_s / engine_s, "identical": ours == reference,
            "pairs_compared": len(ours), "differences": _map_diff(ours, reference)}


# ---------------------------------------------------------------- network-config-analyzer
_NCA_LINE = re.compile(r"^(\S+) => (\S+) : (.*)$")
_NCA_SET = re.compile(r"\{protocols:([A-Z, ]+)(?:,dst_ports:([0-9,\-]+))?\}")


def parse_nca(text: str) -> naive.ConnMap:
    """``nca -o txt_no_fw_rules`` lines → workload (or address range) pairs → ports."""
    out: naive.ConnMap = {}
    for line in text.splitlines():
        m = _NCA_LINE.match(line.strip())
        if not m:
            continue
        src, dst, conn = m.groups()
        if conn.startswith("All connections"):
            ports: naive.Ports = dict(naive.ALL)
        else:
            ports = {}
            for protos, numbers in _NCA_SET.findall(conn):
                ranges: list[tuple[int, int]] = []
                for part in numbers.split(",") if numbers else ["1-65535"]:
                    lo, _, hi = part.partition("-")
                    ranges.append((int(lo), int(hi or lo)))
                for proto in (p.strip() for p in protos.split(",")):
                    if proto in naive.PROTOCOLS:
                        ports = naive.union(ports, {proto: naive.merge(ranges)})
        if ports:
            out[(src, dst)] = naive.union(out.get((src, dst), {}), ports)
    return out


def phase_compare_nca(folder: str, nca_output: str) -> Json:
    """Compare the workload → workload part of both maps; explain each kind of difference."""
    engine, _, cluster = engine_map(folder)
    names = {str(p.owner) for p in cluster.pods}
    host = {str(p.owner) for p in cluster.pods if p.host_network}
    theirs_all = parse_nca(Path(nca_output).read_text(encoding="utf-8"))
    theirs = {k: v for k, v in theirs_all.items() if k[0] in names and k[1] in names}
    differ = sorted(k for k in set(engine) | set(theirs) if engine.get(k) != theirs.get(k))
    via_host = [k for k in differ if k[0] in host or k[1] in host]
    other = [k for k in differ if k not in via_host]
    return {"ours": len(engine), "theirs": len(theirs), "agree": not differ,
            "differ": len(differ), "differ_host_network": len(via_host),
            "differ_other": len(other),
            "examples_host_network": _map_diff({k: engine.get(k, {}) for k in via_host[:5]},
                                               {k: theirs.get(k, {}) for k in via_host[:5]}),
            "examples_other": _map_diff({k: engine.get(k, {}) for k in other[:5]},
                                        {k: theirs.get(k, {}) for k in other[:5]})}


PHASES: dict[str, Callable[..., Json]] = {
    "calibrate": phase_calibrate, "floor": phase_floor, "cli": phase_cli,
    "engine": phase_engine, "naive": phase_naive, "naive-pods": phase_naive_pods,
    "compare-nca": phase_compare_nca,
}


# ======================================================================= orchestration
@dataclass
class Child:
    seconds: float
    rss_mib: float
    exit: int
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0   # user + system of the process and the children it waited for


def run_child(cmd: Sequence[str], timeout: float | None = None,
              cwd: Path | None = None) -> Child:
    """Run ``cmd``; wall time and the peak RSS of that process alone (``wait4``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
        status, usage = 0, None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - start > timeout:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                status = -9
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status) if status != -9 else -9
        out.seek(0)
        err.seek(0)
        return Child(seconds, usage.ru_maxrss / 1024 if usage else 0.0, proc.returncode,
                     out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                     usage.ru_utime + usage.ru_stime if usage else 0.0)


def phase(name: str, *args: str, timeout: float | None = None) -> Json:
    child = run_child([sys.executable, str(Path(__file__).resolve()), "--phase", name, "--",
                       *args], timeout=timeout, cwd=ROOT)
    if child.exit == -9:
        return {"available": True, "timed_out": True, "seconds": child.seconds,
                "rss_mib": child.rss_mib, "exit": None}
    if child.exit != 0:
        raise RuntimeError(f"phase {name} failed ({child.exit}):\n{child.stderr[-3000:]}")
    result: Json = json.loads(child.stdout.strip().splitlines()[-1])
    result["process_seconds"] = child.seconds
    result["process_cpu_seconds"] = child.cpu_seconds
    # The child's own VmHWM: wait4's ru_maxrss also holds this process's peak at fork time.
    # (Workers of the two-process loader are not counted; it is off by default.)
    result["process_rss_mib"] = result.pop("self_rss_mib", child.rss_mib)
    return result


def ensure_nca(log: Callable[[str], None]) -> tuple[Path | None, str]:
    """The ``nca`` executable of bench/.nca-venv, installed on first use; or why not."""
    nca = NCA_VENV / "bin" / "nca"
    if nca.exists():
        return nca, _nca_version(NCA_VENV)
    log(f"installing {NCA_PACKAGE} into {NCA_VENV.relative_to(ROOT)} (a peer, not a dependency)")
    steps = [[sys.executable, "-m", "venv", str(NCA_VENV)],
             [str(NCA_VENV / "bin" / "python"), "-m", "pip", "install", "-q", NCA_PACKAGE]]
    for step in steps:
        child = run_child(step, timeout=1800)
        if child.exit != 0:
            return None, (f"cannot install {NCA_PACKAGE} here: `{' '.join(step[-3:])}` exited "
                          f"{child.exit}: {(child.stderr or child.stdout).strip()[-400:]}")
    if not nca.exists():
        return None, f"{NCA_PACKAGE} installed but has no `nca` command"
    return nca, _nca_version(NCA_VENV)


def _nca_version(venv: Path) -> str:
    child = run_child([str(venv / "bin" / "python"), "-m", "pip", "show", NCA_PACKAGE])
    m = re.search(r"^Version: (\S+)", child.stdout, re.M)
    return m.group(1) if m else "unknown version"


def run_nca(nca: Path, folder: str, work: Path, timeout: float) -> Json:
    out_file = work / "nca-connectivity.txt"
    child = run_child([str(nca), "--connectivity", "-r", folder, "--output_format",
                       "txt_no_fw_rules", "--output_endpoints", "deployments",
                       "-f", str(out_file)], timeout=timeout, cwd=work)
    if child.exit == -9:
        return {"ok": False, "why": f"timed out after {timeout:.0f} s", "seconds": child.seconds}
    if not out_file.exists():
        return {"ok": False, "why": f"exit {child.exit}, no output: {child.stderr[-400:]}",
                "seconds": child.seconds}
    return {"ok": True, "seconds": child.seconds, "rss_mib": child.rss_mib, "exit": child.exit,
            "output": str(out_file)}


def best_of(runs: Sequence[Json]) -> Json:
    """The run with the least ``seconds`` (of those that finished, if any did), as timeit and
    pyperf report the least-disturbed run; with ``runs``, ``finished``, ``median_seconds``
    (``median_lower_bound`` when a stopped run, whose time is only a lower bound, is in the
    middle) and ``rss_mib`` the largest of all runs."""
    finished = [r for r in runs if not r.get("timed_out")]
    best = dict(min(finished or runs, key=lambda r: r["seconds"]))
    # Stopped runs last: they took at least as long as any that finished.
    ordered = sorted(runs, key=lambda r: (bool(r.get("timed_out")), r["seconds"]))
    middle = ordered[(len(ordered) - 1) // 2:len(ordered) // 2 + 1]
    best["median_seconds"] = statistics.fmean(r["seconds"] for r in middle)
    best["median_lower_bound"] = any(r.get("timed_out") for r in middle)
    best["runs"] = len(runs)
    best["finished"] = len(finished)
    if any("rss_mib" in r for r in runs):
        best["rss_mib"] = max(r.get("rss_mib", 0.0) for r in runs)
    return best


@dataclass
class SizeResult:
    size: str
    written: dict[str, int]
    floor: Json          # best of ``floor_runs`` (see best_of)
    engine: Json
    check: Json          # best of ``check_runs``, or the one run saying it is not available
    connlist_cli: Json
    floor_runs: list[Json] = field(default_factory=list)
    check_runs: list[Json] = field(default_factory=list)
    calibration: list[float] = field(default_factory=list)
    naive: Json | None = None
    naive_pods: Json | None = None
    nca: Json | None = None
    nca_compare: Json | None = None
    notes: list[str] = field(default_factory=list)


def _log_check(log: Callable[[str], None], tag: str, check: Json) -> None:
    if check.get("timed_out"):
        log(f"{tag} check (CLI, end to end) did not finish in {check['seconds']:.0f} s "
            f"(stopped), peak RSS so far {check['rss_mib']:.0f} MiB")
    elif check["available"]:
        log(f"{tag} check (CLI, end to end) {check['seconds']:.2f} s, exit {check['exit']}, "
            f"peak RSS {check['rss_mib']:.0f} MiB")
    else:
        log(f"{tag} check: not available in this build")


def measure_repeated(size: str, folder: str, repeat: int, check_timeout: float,
                     log: Callable[[str], None]
                     ) -> tuple[list[float], list[Json], list[Json]]:
    """Calibration, floor and check, ``repeat`` times, interleaved, each a fresh process."""
    calibration: list[float] = []
    floor_runs: list[Json] = []
    check_runs: list[Json] = []
    for i in range(1, repeat + 1):
        tag = f"[{size}] run {i}/{repeat}:"
        cal = phase("calibrate")
        calibration.append(cal["seconds"])
        log(f"{tag} calibration {cal['seconds']:.2f} s")
        floor = phase("floor", folder)
        floor_runs.append(floor)
        log(f"{tag} parse floor ({floor['loader']}) {floor['seconds']:.2f} s")
        if check_runs and not check_runs[0]["available"]:
            continue
        check = phase("cli", folder, "check", timeout=check_timeout)
        check_runs.append(check)
        _log_check(log, tag, check)
    return calibration, floor_runs, check_runs


def measure(size: str, seed: int, args: argparse.Namespace, nca: Path | None,
            log: Callable[[str], None]) -> SizeResult:
    folder_path = generate.ensure(size, seed, DATA)
    folder = str(folder_path)
    meta = json.loads((folder_path.parent / "meta.json").read_text(encoding="utf-8"))
    log(f"[{size}] {folder_path.relative_to(ROOT)}: {meta['written']}")
    calibration, floor_runs, check_runs = measure_repeated(size, folder, args.repeat,
                                                           args.check_timeout, log)
    floor = best_of(floor_runs)
    log(f"[{size}] parse floor: best {floor['seconds']:.2f} s, median "
        f"{floor['median_seconds']:.2f} s of {floor['runs']} runs; calibration min "
        f"{min(calibration):.2f} s, median {statistics.median(calibration):.2f} s, max "
        f"{max(calibration):.2f} s")
    check = best_of(check_runs) if check_runs[0]["available"] else check_runs[0]
    if check.get("timed_out"):
        log(f"[{size}] check (CLI, end to end): none of {check['runs']} runs finished in "
            f"{args.check_timeout:.0f} s, peak RSS so far {check['rss_mib']:.0f} MiB")
    elif check["available"]:
        log(f"[{size}] check (CLI, end to end): best {check['seconds']:.2f} s, median "
            f"{'> ' if check['median_lower_bound'] else ''}{check['median_seconds']:.2f} s of "
            f"{check['runs']} runs ({check['finished']} finished), exit {check['exit']}, "
            f"peak RSS (largest run) {check['rss_mib']:.0f} MiB")
    engine = phase("engine", folder)
    log(f"[{size}] load {engine['load_seconds']:.2f} s, connlist (engine, after load) "
        f"{engine['connlist_seconds']:.2f} s, can-reach after load "
        f"{engine['can_reach_seconds'] * 1000:.0f} ms, peak RSS {engine['rss_mib']:.0f} MiB")
    connlist_cli = phase("cli", folder, "connlist", "-o", "json")
    log(f"[{size}] connlist (CLI, end to end, JSON) {connlist_cli['seconds']:.2f} s, "
        f"peak RSS {connlist_cli['rss_mib']:.0f} MiB")
    result = SizeResult(size, meta["written"], floor, engine, check, connlist_cli,
                        floor_runs=floor_runs, check_runs=check_runs, calibration=calibration)
    if size in NAIVE_SIZES and not args.no_naive:
        result.naive = phase("naive", folder)
        n = result.naive
        log(f"[{size}] naive evaluator {n['naive_seconds']:.2f} s vs engine "
            f"{n['engine_seconds']:.3f} s: {n['speedup']:.0f}x, identical: {n['identical']}")
        pods_folder = str(generate.ensure(size, seed, DATA, as_pods=True))
        result.naive_pods = phase("naive-pods", pods_folder, str(NAIVE_POD_SAMPLE[size]))
        n = result.naive_pods
        how = f"extrapolated from {n['sample']:,} of {n['pods']:,} source pods" \
            if n["extrapolated"] else f"all {n['pods']:,} pods"
        log(f"[{size}] naive evaluator on Pod objects {n['naive_seconds']:.1f} s ({how}) vs "
            f"engine {n['engine_seconds']:.3f} s: {n['speedup']:.0f}x, identical: "
            f"{n['identical']}")
    if size in NCA_SIZES and nca is not None:
        with tempfile.TemporaryDirectory(prefix=f"nca-{size}-", dir=DATA) as tmp:
            result.nca = run_nca(nca, folder, Path(tmp), args.nca_timeout)
            if result.nca["ok"]:
                result.nca_compare = phase("compare-nca", folder, result.nca["output"])
        if result.nca["ok"]:
            c = result.nca_compare
            assert c is not None
            log(f"[{size}] nca --connectivity {result.nca['seconds']:.2f} s, peak RSS "
                f"{result.nca['rss_mib']:.0f} MiB; maps agree: {c['agree']} "
                f"({c['differ']} of {c['ours']} pairs differ)")
        else:
            log(f"[{size}] nca: {result.nca['why']}")
    return result


# ============================================================================ report
def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    import yaml

    return {"cpu": f"{cpu}, {os.cpu_count()} logical CPUs", "memory": mem,
            "os": f"{platform.system()} {platform.release()}",
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            "pyyaml": f"{yaml.__version__} (libyaml: {getattr(yaml, '__with_libyaml__', False)})"}


def _s(x: float | None) -> str:
    return "–" if x is None else (f"{x:.2f} s" if x >= 0.1 else f"{x * 1000:.0f} ms")


def _mib(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f} MiB"


def _check_cell(check: Json) -> str:
    if not check["available"]:
        return "not available"
    if check.get("timed_out"):
        return f"> {check['seconds']:.0f} s (stopped)"
    return _s(check["seconds"])


def _ok(good: bool) -> str:
    return "met" if good else "**missed**"


def _run_cell(run: Json) -> str:
    return f"> {run['seconds']:.0f} s (stopped)" if run.get("timed_out") else _s(run["seconds"])


def _median_cell(best: Json) -> str:
    return f"{'> ' if best['median_lower_bound'] else ''}{_s(best['median_seconds'])}"


def _best_median(best: Json) -> str:
    """``8.9 s best of 3 (median 9.6 s)``; a check that never finished as ``_check_cell``."""
    if best.get("timed_out"):
        return f"{_check_cell(best)} in all {best['runs']} runs"
    stopped = best["runs"] - best["finished"]
    return (f"{_s(best['seconds'])} best of {best['runs']} (median {_median_cell(best)}"
            f"{f'; {stopped} stopped' if stopped else ''})")


def _spread(xs: Sequence[float]) -> str:
    return f"{_s(min(xs))} / {_s(statistics.median(xs))} / {_s(max(xs))}" if xs else "–"


def report(results: list[SizeResult], seed: int, nca_note: str, repeat: int = 1) -> str:
    by = {r.size: r for r in results}
    m = machine()
    calibration = [x for r in results for x in r.calibration]
    spread = f" (max / min {max(calibration) / min(calibration):.1f}×)" if calibration else ""
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `python bench/run.py {' '.join('--size ' + r.size for r in results)} "
        f"--repeat {repeat}` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC (seed {seed}). "
        "Do not edit: rerun.",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in m.items()),
        f"- network-config-analyzer: {nca_note}",
        f"- calibration (a fixed pure-Python loop of {CALIBRATION_LOOPS:,} additions, in a "
        f"fresh process before each parse floor / check pair; {len(calibration)} runs): "
        f"min / median / max {_spread(calibration)}{spread}. The more these differ, the "
        "noisier the machine was during the run.",
        "",
        "## Inputs (as written by bench/generate.py)",
        "",
        "| size | pods | workloads | namespaces | policies | nodes | documents |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        w = r.written
        lines.append(f"| {r.size} | {w['pods']:,} | {w['workloads']:,} | {w['namespaces']:,} | "
                     f"{w['policies']:,} | {w['nodes']:,} | {w['documents']:,} |")
    lines += [
        "",
        "## Times and memory",
        "",
        "Each column is a separate fresh process. *load*: files → Cluster. *connlist engine*: "
        "Analyzer + connection list after load. *can-reach*: a fresh Analyzer and one query "
        "after load. *check* and *connlist CLI*: `dtnetpol.cli.main([...])` end to end "
        "(load, analysis, rendering). RSS is the peak of that process. *parse floor* and "
        f"*check* are the **best (least) of {repeat} runs** each (`--repeat`), interleaved "
        "(floor, check, floor, check, …) and each in a fresh process; their medians and every "
        "run are under *Repeated runs* below, and *peak RSS check* is the largest of its runs. "
        "The other columns are one run each.",
        "",
        "| size | parse floor | load | connlist engine | can-reach | check (CLI) | "
        "connlist CLI (JSON) | peak RSS load+connlist | peak RSS check |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        e, c = r.engine, r.check
        lines.append(
            f"| {r.size} | {_s(r.floor['seconds'])} | {_s(e['load_seconds'])} | "
            f"{_s(e['connlist_seconds'])} | {_s(e['can_reach_seconds'])} | "
            f"{_check_cell(c)} | "
            f"{_s(r.connlist_cli['seconds'])} | {_mib(e['rss_mib'])} | "
            f"{_mib(c['rss_mib']) if c['available'] else '–'} |")
    lines += ["", "can-reach queries: " + "; ".join(
        f"{r.size}: `{r.engine['can_reach_query']}`" for r in results), ""]
    lines += ["### Repeated runs", "",
              "Parse floor and check, run after run in the order they ran, each run right "
              "after a calibration (see *Machine*). Best is the least time, as timeit and "
              "pyperf report: the run least disturbed by the rest of the machine.", "",
              "| size | runs | parse floor best / median | check best / median | "
              "all parse floor runs | all check runs | calibration min / median / max |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        c = r.check
        if not c["available"]:
            check_cell, check_runs = "not available", "–"
        elif c.get("timed_out"):
            check_cell, check_runs = _check_cell(c), ", ".join(map(_run_cell, r.check_runs))
        else:
            check_cell = f"{_s(c['seconds'])} / {_median_cell(c)}"
            check_runs = ", ".join(map(_run_cell, r.check_runs))
        lines.append(f"| {r.size} | {r.floor['runs']} | {_s(r.floor['seconds'])} / "
                     f"{_median_cell(r.floor)} | {check_cell} | "
                     f"{', '.join(map(_run_cell, r.floor_runs))} | {check_runs} | "
                     f"{_spread(r.calibration)} |")
    lines.append("")

    lines += ["## Ratios", "", "### 1. Engine vs the naive evaluator (bench/naive.py)", "",
              "Workload → workload connections with their ports; the engine's time is Analyzer "
              "+ connection list (which also computes the external ranges).", "",
              "| size | naive | engine | speed-up | identical | pairs |",
              "| --- | ---: | ---: | ---: | --- | ---: |"]
    for r in results:
        if r.naive is not None:
            n = r.naive
            lines.append(f"| {r.size} | {_s(n['naive_seconds'])} | {_s(n['engine_seconds'])} "
                         f"| {n['speedup']:.0f}× | {'yes' if n['identical'] else '**no**'} "
                         f"| {n['pairs']:,} |")
    lines += ["", "The same clusters with every replica written as a Pod object "
              "(`generate.py --pods`), as a naive tool meets them: every pod pair. At M the "
              "naive evaluator runs on a seeded sample of source pods against every "
              "destination pod, and the time of all pairs is **extrapolated** (its setup, "
              "which pod each policy selects, is measured whole); the engine runs on all pods. "
              "Identity is checked on the sampled sources' workloads.", "",
              "| size | pods | naive | engine | speed-up | identical | sample |",
              "| --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in results:
        if r.naive_pods is not None:
            n = r.naive_pods
            sample = f"{n['sample']:,} source pods, extrapolated" if n["extrapolated"] \
                else "all pairs"
            lines.append(f"| {r.size} | {n['pods']:,} | {_s(n['naive_seconds'])} | "
                         f"{_s(n['engine_seconds'])} | {n['speedup']:.0f}× | "
                         f"{'yes' if n['identical'] else '**no**'} | {sample} |")
    lines += ["", "### 2. Total vs the parse floor", "",
              f"Parse floor and check: best of {repeat} runs each.", "",
              "| size | parse floor | load / floor | check / floor | connlist CLI / floor |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for r in results:
        f = r.floor["seconds"]
        check = "–" if not r.check["available"] else \
            f"{'> ' if r.check.get('timed_out') else ''}{r.check['seconds'] / f:.2f}×"
        lines.append(f"| {r.size} | {_s(f)} | {r.engine['load_seconds'] / f:.2f}× | {check} | "
                     f"{r.connlist_cli['seconds'] / f:.2f}× |")
    lines += ["", "### 3. Growth M → L", ""]
    if "M" in by and "L" in by:
        mm, ll = by["M"], by["L"]
        work = (ll.written["pods"] * ll.written["policies"]) / \
            (mm.written["pods"] * mm.written["policies"])
        lines.append(f"pods × policies grows {work:.0f}×. Time grows:")
        lines.append("")
        rows = [(f"parse floor (best of {repeat})", mm.floor["seconds"], ll.floor["seconds"]),
                ("load", mm.engine["load_seconds"], ll.engine["load_seconds"]),
                ("connlist engine", mm.engine["connlist_seconds"],
                 ll.engine["connlist_seconds"]),
                ("connlist CLI", mm.connlist_cli["seconds"], ll.connlist_cli["seconds"])]
        if all(x.check["available"] and not x.check.get("timed_out") for x in (mm, ll)):
            rows.append((f"check (best of {repeat})", mm.check["seconds"], ll.check["seconds"]))
        lines += ["| measure | M | L | growth | growth / pods×policies growth |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        lines += [f"| {name} | {_s(a)} | {_s(b)} | {b / a:.1f}× | {b / a / work:.3f} |"
                  for name, a, b in rows]
    else:
        lines.append("Not measured in this run (needs `--size M --size L`).")
    lines += ["", "### 4. dtnetpol vs network-config-analyzer", "",
              "`nca --connectivity -r DIR -o txt_no_fw_rules --output_endpoints deployments` "
              "against `dtnetpol connlist -o json` (CLI, end to end), wall time and peak RSS "
              "of each process. The maps are compared on workload → workload pairs.", "",
              "| size | nca | dtnetpol | speed-up | nca RSS | dtnetpol RSS | maps agree |",
              "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        if r.nca is None:
            continue
        if not r.nca["ok"]:
            lines.append(f"| {r.size} | {r.nca['why']} | | | | | |")
            continue
        c = r.nca_compare
        assert c is not None
        ours = r.connlist_cli["process_seconds"]
        agree = "yes" if c["agree"] else \
            f"no: {c['differ']} of {max(c['ours'], c['theirs']):,} pairs differ " \
            f"({c['differ_host_network']} involve a host-network pod)"
        lines.append(f"| {r.size} | {_s(r.nca['seconds'])} | {_s(ours)} | "
                     f"{r.nca['seconds'] / ours:.0f}× | {_mib(r.nca['rss_mib'])} | "
                     f"{_mib(r.connlist_cli['process_rss_mib'])} | {agree} |")
    for r in results:
        c = r.nca_compare
        if c is not None and not c["agree"]:
            lines += ["", f"Differences on {r.size} (dtnetpol vs nca):", ""]
            lines += [f"- `{x}`" for x in c["examples_host_network"] + c["examples_other"]]
    lines += ["", "## Targets", "", "| target | measured | |", "| --- | --- | --- |"]
    if "L" in by:
        ll = by["L"]
        c, f = ll.check, ll.floor
        if c["available"]:
            finished = not c.get("timed_out")
            bound = "" if finished else "> "
            lines.append(f"| L: check ≤ 10 s end to end (best of {c['runs']}) | "
                         f"{_best_median(c)} | {_ok(finished and c['seconds'] <= 10)} |")
            lines.append(f"| L: peak memory ≤ 2 GiB (check; largest of {c['runs']} runs) | "
                         f"{_mib(c['rss_mib'])} | {_ok(c['rss_mib'] <= 2048)} |")
            medians = f"{'> ' if c['median_lower_bound'] else ''}" \
                f"{c['median_seconds'] / f['median_seconds']:.2f}×"
            lines.append(f"| L: total ≤ 3× parse floor (check; best of {c['runs']} over best "
                         f"of {f['runs']}) | {bound}{c['seconds'] / f['seconds']:.2f}× "
                         f"(medians: {medians}) | "
                         f"{_ok(finished and c['seconds'] <= 3 * f['seconds'])} |")
        else:
            lines.append("| L: check ≤ 10 s, ≤ 2 GiB, ≤ 3× floor | check not available | "
                         "**not measured** |")
        lines.append(f"| L: peak memory ≤ 2 GiB (load + connlist) | "
                     f"{_mib(ll.engine['rss_mib'])} | {_ok(ll.engine['rss_mib'] <= 2048)} |")
    if "M" in by:
        mm = by["M"]
        lines.append(f"| M: connlist ≤ 5 s (engine after load / CLI end to end) | "
                     f"{_s(mm.engine['connlist_seconds'])} / {_s(mm.connlist_cli['seconds'])} "
                     f"| {_ok(mm.engine['connlist_seconds'] <= 5)} / "
                     f"{_ok(mm.connlist_cli['seconds'] <= 5)} |")
        if mm.naive is not None:
            lines.append(f"| M: ≥ 100× the naive evaluator (pod templates) | "
                         f"{mm.naive['speedup']:.0f}× | {_ok(mm.naive['speedup'] >= 100)} |")
        if mm.naive_pods is not None:
            n = mm.naive_pods
            lines.append(f"| M: ≥ 100× the naive evaluator (every Pod object; "
                         f"{'extrapolated' if n['extrapolated'] else 'measured'}) | "
                         f"{n['speedup']:.0f}× | {_ok(n['speedup'] >= 100)} |")
        if mm.nca is not None:
            x = mm.nca["seconds"] / mm.connlist_cli["process_seconds"]
            bound = "" if mm.nca["ok"] else "> "   # nca stopped: its time is a lower bound
            lines.append(f"| M: ≥ 20× faster than network-config-analyzer | {bound}{x:.0f}× | "
                         f"{_ok(x >= 20)}{'' if mm.nca['ok'] else ' (nca did not finish)'} |")
    lines.append("")
    return "\n".join(lines)


# ====================================================================== broad shapes
#: Workload counts of the broad-selector shapes (bench/generate.py --shape).
SHAPE_WORKLOADS = (1_000, 3_000, 7_000)


@dataclass
class ShapeResult:
    shape: str
    workloads: int
    written: dict[str, int]
    runs: dict[str, list[Json]]   # "floor", "connlist", "check": one entry per repeat


def measure_shape(shape: str, workloads: int, seed: int, repeat: int, timeout: float,
                  log: Callable[[str], None]) -> ShapeResult:
    """Parse floor, ``connlist -o json`` and ``check`` end to end, each a fresh process,
    interleaved ``repeat`` times: wall and CPU time (the process and its waited children,
    so the two-process loader's workers count) and peak RSS of each."""
    folder = str(generate.ensure_shape(shape, workloads, seed, DATA))
    meta = json.loads((Path(folder).parent / "meta.json").read_text(encoding="utf-8"))
    runs: dict[str, list[Json]] = {"floor": [], "connlist": [], "check": []}
    for i in range(1, repeat + 1):
        for name, args in (("floor", ("floor", folder)),
                           ("connlist", ("cli", folder, "connlist", "-o", "json")),
                           ("check", ("cli", folder, "check"))):
            r = phase(*args, timeout=timeout)
            runs[name].append(r)
            log(f"[{shape} {workloads}] run {i}/{repeat}: {name} "
                f"wall {r['process_seconds']:.2f} s, cpu {r.get('process_cpu_seconds', 0):.2f} s,"
                f" peak RSS {r['process_rss_mib']:.0f} MiB")
    return ShapeResult(shape, workloads, meta["written"], runs)


def _least(runs: Sequence[Json], key: str) -> float:
    return min(r[key] for r in runs)


def _median(runs: Sequence[Json], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _exponent(a: float, b: float, n_a: int, n_b: int) -> float:
    """Growth exponent k in time ∝ workloads^k between two sizes."""
    return math.log(b / a) / math.log(n_b / n_a)


def shapes_report(results: Sequence[ShapeResult], repeat: int) -> str:
    """Per shape and size: wall and CPU (least of the runs, median beside), peak RSS, the ratio
    to the parse floor (CPU over CPU, and wall over wall), and the growth exponent between
    consecutive sizes (from CPU time, the measure the machine's load disturbs least)."""
    out = ["## Broad-selector shapes", "",
           "`bench/generate.py --shape demo` (a small real demo, three namespaces with broad "
           "`namespaceSelector: {}` rules, copied N times) and `--shape broad` (default-deny, "
           "ingress from and egress to all namespaces on ports that never meet, calls inside "
           "the namespace, one call to a unique label value anywhere, 16 ipBlocks and 12 port "
           f"ranges per namespace). Each command a fresh process, {repeat} interleaved runs; "
           "times are the least of the runs (median in brackets); *CPU* is user + system of "
           "the process and the children it waited for. Ratios: CPU / floor CPU (wall / floor "
           "wall). Exponent k: CPU time ∝ workloads^k from the previous size.", "",
           "| shape | workloads | pods | policies | parse floor wall / CPU | connlist wall / CPU "
           "| connlist RSS | connlist / floor | k | check wall / CPU | check RSS "
           "| check / floor | k |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
           "| ---: |"]
    previous: dict[str, ShapeResult] = {}
    for r in results:
        cells = [r.shape, f"{r.workloads:,}", f"{r.written['pods']:,}",
                 f"{r.written['policies']:,}"]
        fw, fc = _least(r.runs["floor"], "process_seconds"), \
            _least(r.runs["floor"], "process_cpu_seconds")
        cells.append(f"{fw:.2f} / {fc:.2f} s")
        prev = previous.get(r.shape)
        for name in ("connlist", "check"):
            runs = r.runs[name]
            w, c = _least(runs, "process_seconds"), _least(runs, "process_cpu_seconds")
            cells.append(f"{w:.2f} ({_median(runs, 'process_seconds'):.2f}) / "
                         f"{c:.2f} ({_median(runs, 'process_cpu_seconds'):.2f}) s")
            cells.append(f"{max(x['process_rss_mib'] for x in runs):.0f} MiB")
            cells.append(f"{c / fc:.2f}× ({w / fw:.2f}×)")
            if prev is None:
                cells.append("")
            else:
                k = _exponent(_least(prev.runs[name], "process_cpu_seconds"), c,
                              prev.written["workloads"], r.written["workloads"])
                cells.append(f"{k:.2f}")
        out.append("| " + " | ".join(cells) + " |")
        previous[r.shape] = r
    return "\n".join(out) + "\n"


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", action="append", choices=SIZES,
                   help="size to run (repeatable; default: S, M and L)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-naive", action="store_true", help="skip the naive evaluator")
    p.add_argument("--no-nca", action="store_true", help="skip network-config-analyzer")
    p.add_argument("--nca-timeout", type=float, default=1800.0, metavar="SECONDS")
    p.add_argument("--check-timeout", type=float, default=1800.0, metavar="SECONDS",
                   help="stop a check run after this long (reported as not finished)")
    p.add_argument("--repeat", type=_positive, default=3, metavar="N",
                   help="run the parse floor and check N times each, interleaved, each after "
                        "a calibration; report the best and the median (default 3)")
    p.add_argument("--shape", action="append", choices=generate.SHAPES,
                   help="also run a broad-selector shape at 1,000, 3,000 and 7,000 workloads "
                        "(repeatable)")
    p.add_argument("--workloads", type=_positive, action="append", metavar="N",
                   help="workload counts of --shape (repeatable; default 1,000, 3,000, 7,000)")
    p.add_argument("--results", type=Path, default=BENCH / "RESULTS.md",
                   help="Markdown report to rewrite (default bench/RESULTS.md)")
    p.add_argument("--no-results", action="store_true", help="print only")
    p.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    p.add_argument("phase_args", nargs="*", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.phase:
        print(json.dumps({**PHASES[args.phase](*args.phase_args),
                          "self_rss_mib": _peak_rss_mib()}))
        return 0

    def log(text: str) -> None:
        print(text, flush=True)

    sizes = [s for s in SIZES if s in (args.size or (() if args.shape else SIZES))]
    DATA.mkdir(parents=True, exist_ok=True)
    nca: Path | None = None
    nca_note = "not run (--no-nca)"
    if not args.no_nca and any(s in NCA_SIZES for s in sizes):
        nca, nca_note = ensure_nca(log)
        if nca is None:
            log(f"network-config-analyzer: {nca_note}; carrying on without it")
        else:
            nca_note = f"{NCA_PACKAGE} {nca_note} in {NCA_VENV.relative_to(ROOT)}"
    results = [measure(size, args.seed, args, nca, log) for size in sizes]
    command = " ".join(argv or sys.argv[1:])
    text = report(results, args.seed, nca_note, args.repeat) if results else \
        f"# Benchmark results\n\nGenerated by `python bench/run.py {command}` on " \
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.\n"
    shaped = [measure_shape(shape, n, args.seed, args.repeat, args.check_timeout, log)
              for shape in args.shape or () for n in args.workloads or SHAPE_WORKLOADS]
    if shaped:
        text = re.sub(r"Generated by `[^`]*`", f"Generated by `python bench/run.py {command}`",
                      text, count=1) + "\n" + shapes_report(shaped, args.repeat)
    if not args.no_results:
        args.results.write_text(text, encoding="utf-8")
        log(f"wrote {args.results}")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
