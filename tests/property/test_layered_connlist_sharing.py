"""The layered connection list shares one evaluation among peers with equal tier keys
(:func:`~dtnetpol.engine.layered_connlist.pod_pairs`); it must list exactly what the
pair-by-pair evaluation below (the code it replaced, kept as the reference) lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, note

from dtnetpol.engine.analysis import Analyzer
from dtnetpol.engine.connlist import Connection, connection_list
from dtnetpol.engine.layered_connlist import _side, assemble
from dtnetpol.engine.ports import PortSet
from dtnetpol.model import Cluster, Direction
from dtnetpol.model.cluster import WorkloadRef

from .test_layers_properties import layered_clusters

ROOT = Path(__file__).resolve().parents[2]


def pairwise_connection_list(an: Analyzer) -> list[Connection]:
    """Every pair of pod classes through the layered verdicts, one evaluation each."""
    pairs: dict[tuple[WorkloadRef, WorkloadRef], PortSet] = {}
    for s in an.classes:
        for d in an.classes:
            allowed = _side(an, s, Direction.EGRESS, d)
            if allowed:
                allowed = allowed.intersection(_side(an, d, Direction.INGRESS, s))
            if not allowed:
                continue
            for ws in s.workloads:
                for wd in d.workloads:
                    if ws != wd:
                        prev = pairs.get((ws, wd))
                        pairs[(ws, wd)] = allowed if prev is None else prev.union(allowed)
    return assemble(an, pairs)


@given(layered_clusters())
def test_shared_evaluation_lists_what_pair_by_pair_lists(c: Cluster) -> None:
    note(repr(c))
    an = Analyzer(c)
    if an.layers is None:
        return
    assert connection_list(an) == pairwise_connection_list(Analyzer(c))


@given(layered_clusters().map(lambda c: Cluster(
    namespaces=c.namespaces, pods=c.pods, policies=c.policies,
    admin_policies=c.admin_policies)))
def test_shared_evaluation_without_cilium(c: Cluster) -> None:
    """Without Cilium every tier gives keys, so peers are shared the most."""
    note(repr(c))
    an = Analyzer(c)
    if an.layers is None:
        return
    assert connection_list(an) == pairwise_connection_list(Analyzer(c))


SAME_PORTS_DIFFERENT_NAMESPACES = """\
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: deny-from-a}
spec:
  priority: 1
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: c}}}
  ingress:
  - {name: deny-a, action: Deny, from: [{namespaces: {matchLabels: {team: a}}}]}
"""


def test_peers_that_no_network_policy_tells_apart_are_told_apart_by_the_admin_rules(
        tmp_path: Path) -> None:
    """Sources in a and b match the same (no) NetworkPolicy rules and have the same ports:
    only the admin rule's peer tells them apart, so sharing by NetworkPolicy keys alone
    would let a in."""
    from dtnetpol.sources import load_cluster
    docs = []
    for ns in ("a", "b", "c"):
        docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, labels: "
                    f"{{kubernetes.io/metadata.name: {ns}, team: {ns}}}}}\n")
        docs.append(f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app, "
                    f"namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: x}}}}\n"
                    f"  template:\n    metadata: {{labels: {{app: x}}}}\n    spec:\n"
                    f"      containers: [{{name: x, image: x, ports: [{{containerPort: 80}}]}}]\n")
    docs.append(SAME_PORTS_DIFFERENT_NAMESPACES)
    (tmp_path / "c.yaml").write_text("---\n".join(docs), encoding="utf-8")
    cluster, _ = load_cluster([str(tmp_path)])
    got = connection_list(Analyzer(cluster))
    assert got == pairwise_connection_list(Analyzer(cluster))
    pairs = {(x.src, x.dst) for x in got}
    assert not any(src.startswith("a/") and dst.startswith("c/") for src, dst in pairs)
    assert any(src.startswith("b/") and dst.startswith("c/") for src, dst in pairs)


@pytest.mark.parametrize("example", ["layers", "calico"])
def test_examples_list_what_pair_by_pair_lists(example: str) -> None:
    from dtnetpol.sources import load_cluster
    folder = ROOT / "examples" / example
    if not folder.is_dir():
        pytest.skip(f"no examples/{example} in this checkout")
    cluster, _ = load_cluster([str(folder)])
    an = Analyzer(cluster)
    assert an.layers is not None
    got = connection_list(an)
    assert got == pairwise_connection_list(Analyzer(cluster))
    assert got
