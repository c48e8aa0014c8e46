"""The benchmark's naive evaluator (bench/naive.py) and the engine's connection list agree.

On random small clusters (Hypothesis), on a generated S cluster, and (slow) on a generated M
cluster: the same workload pairs with the same ports, so the speed-up that bench/run.py prints
compares two programs that give the same answer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, note

from dtnetpol.engine.analysis import Analyzer
from dtnetpol.engine.connlist import connection_list
from dtnetpol.model import Cluster
from dtnetpol.sources import load_cluster

from .strategies import clusters

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import generate, naive  # noqa: E402


def engine_map(cluster: Cluster) -> naive.ConnMap:
    names = {str(p.owner) for p in cluster.pods}
    return {(c.src, c.dst): {proto.value: tuple((lo, hi) for lo, hi in ivs)
                             for proto, ivs in c.ports.items()}
            for c in connection_list(Analyzer(cluster)) if c.src in names and c.dst in names}


def differences(a: naive.ConnMap, b: naive.ConnMap) -> list[str]:
    return [f"{k}: engine {a.get(k)} naive {b.get(k)}" for k in sorted(set(a) | set(b))
            if a.get(k) != b.get(k)]


@given(clusters())
def test_naive_evaluator_agrees_with_engine_on_random_clusters(c: Cluster) -> None:
    got, want = engine_map(c), naive.connections(c)
    note(f"engine {got}\nnaive {want}")
    assert not differences(got, want)


def _generated(size: str, tmp_path: Path) -> Cluster:
    files = generate.generate(generate.SIZES[size], seed=7)
    folder = generate.write(files, tmp_path / size, {"size": size})
    cluster, _ = load_cluster([str(folder)])
    return cluster


def test_naive_evaluator_agrees_with_engine_on_generated_s(tmp_path: Path) -> None:
    c = _generated("S", tmp_path)
    assert len(c.policies) == 200
    got = engine_map(c)
    assert len(got) > 100          # a real workload, not an empty map agreeing with itself
    assert not differences(got, naive.connections(c))


@pytest.mark.slow
def test_naive_evaluator_agrees_with_engine_on_generated_m(tmp_path: Path) -> None:
    c = _generated("M", tmp_path)
    assert not differences(engine_map(c), naive.connections(c))


def test_naive_port_algebra() -> None:
    assert naive.merge([(5, 9), (1, 3), (4, 4), (20, 30)]) == ((1, 9), (20, 30))
    a = {"TCP": ((1, 100),), "UDP": ((53, 53),)}
    b = {"TCP": ((50, 200),), "SCTP": ((1, 2),)}
    assert naive.intersect(a, b) == {"TCP": ((50, 100),)}
    assert naive.union(a, b) == {"TCP": ((1, 200),), "UDP": ((53, 53),), "SCTP": ((1, 2),)}


def test_nca_output_parser() -> None:
    from bench.run import parse_nca

    text = ("a/x[Deployment] => b/y[Deployment] : {protocols:TCP, UDP,dst_ports:53}\n"
            "a/x[Deployment] => c/z[StatefulSet] : {protocols:TCP,dst_ports:80,443,8000-8099}\n"
            "0.0.0.0-9.255.255.255 => a/x[Deployment] : All connections\n"
            "noise line\n")
    got = parse_nca(text)
    assert got[("a/x[Deployment]", "b/y[Deployment]")] == {"TCP": ((53, 53),),
                                                          "UDP": ((53, 53),)}
    assert got[("a/x[Deployment]", "c/z[StatefulSet]")] == {
        "TCP": ((80, 80), (443, 443), (8000, 8099))}
    assert got[("0.0.0.0-9.255.255.255", "a/x[Deployment]")] == naive.ALL
    assert len(got) == 3


def test_naive_on_a_sample_of_pod_objects_agrees_with_the_engine(tmp_path: Path) -> None:
    """Replicas as Pod objects (not folded into templates), a sample of source pods."""
    folder = generate.ensure("S", 1, tmp_path, as_pods=True)
    files = [str(p) for p in sorted(folder.glob("*.yaml")) if p.name != "workloads.yaml"]
    cluster, _ = load_cluster(files)
    assert len(cluster.pods) > 900  # pods, not 100 templates
    chosen = list(range(0, len(cluster.pods), 37))
    sampled = naive.connections(cluster, chosen)
    owners = {str(cluster.pods[i].owner) for i in chosen}
    ours = {k: v for k, v in engine_map(cluster).items() if k[0] in owners}
    assert sampled, "the sample allows something"
    assert differences(ours, sampled) == []
