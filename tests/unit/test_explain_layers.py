"""explain and can-reach on every layer: the rules of each layer that selects a workload
(admin and baseline with priority and action, Cilium allows, denies and default deny, Calico
tier, order and action), the chain of layers that decided a connection, and what the layers
do with a host-network pod. Golden files for table, json and md."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.cli_run import run

from dtnetpol.engine.layers import HOST_NETWORK_LAYER_NOTES

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")


def _workload(doc: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [w for w in doc["workloads"] if w["workload"] == name]
    return found


@pytest.mark.parametrize("fmt", ["table", "json", "md"])
def test_explain_mixed_layers_is_golden(golden: Callable[[str, str], None], fmt: str) -> None:
    code, out, _ = run("explain", "examples/mixed", "-o", fmt)
    assert code == 0
    golden(f"cli/mixed/explain.{ 'txt' if fmt == 'table' else fmt}", out)


def test_explain_lists_every_layer_rule_with_its_order_and_action() -> None:
    _, out, _ = run("explain", "examples/mixed", "-o", "json")
    doc = json.loads(out)
    cart = _workload(doc, "shop/cart[Deployment]")["ingress"]["layers"]
    rows = [(r["layer"], r["policy"], r["precedence"], r["action"]) for r in cart]
    # in the order the engine runs them: admin tier by priority, the Calico tier, the
    # default tier with the NetworkPolicies at 1000 and its end
    assert rows == [
        ("CNP:Admin", "protect-cart", "priority 5", "Deny"),
        ("ANP", "allow-monitoring", "priority 10", "Pass"),
        ("Calico platform", "platform.shop", "order 10", "Deny"),
        ("Calico platform", "platform.shop", "order 10", "Pass"),
        ("Calico platform", "(end of tier)", "order 100", "Deny"),
        ("Calico default", "Kubernetes NetworkPolicies", "order 1000", "Allow"),
        ("Calico default", "(end of tier)", "order 1000000", "Deny"),
    ]
    assert cart[0]["name"] == "only-shop"
    assert cart[0]["rule"]["line"] is not None
    assert cart[0]["ports"] == ["9000/TCP"]
    prom = _workload(doc, "monitoring/prometheus[Deployment]")["ingress"]["layers"]
    assert [(r["layer"], r["action"], r["peers"]) for r in prom] == [
        ("BANP", "Deny", ["pods in namespaces [kubernetes.io/metadata.name=shop]"])]


def test_explain_lists_cilium_denies_allows_and_the_default_deny(
        golden: Callable[[str, str], None]) -> None:
    code, out, _ = run("explain", "examples/layers", "--workload", "dynatrace/activegate")
    assert code == 0
    golden("cli/layers/explain-activegate.txt", out)
    _, out, _ = run("explain", "examples/layers", "--workload", "dynatrace/activegate",
                    "-o", "json")
    egress = json.loads(out)["workloads"][0]["egress"]["layers"]
    # a deny wins over every allow: listed first; the default deny last
    assert [r["action"] for r in egress] == ["Deny", "Allow", "Allow", "Allow", "Allow", "Deny"]
    assert egress[0]["peers"] == ["CIDR 169.254.169.254/32 (outside the cluster)"]
    assert egress[3]["ports"] == ["53/ANY (L7 dns)"]
    assert egress[-1]["rule"] is None and egress[-1]["policy"].endswith("(default deny)")


def test_explain_lists_calico_tiers(golden: Callable[[str, str], None]) -> None:
    code, out, _ = run("explain", "examples/calico", "--workload", "shop/cart")
    assert code == 0
    golden("cli/calico/explain-cart.txt", out)
    assert "Calico default default-deny" in out and "no rules: the tier's end decides" in out


@pytest.mark.parametrize(("name", "src", "dst", "port", "code", "side", "chain"), [
    ("pass-pass-allow", "monitoring/prometheus", "shop/web", "9090", 0, "ingress",
     "[ANP allow-monitoring] Pass -> [Calico platform platform.shop] Pass -> "
     "[NetworkPolicy shop/allow-metrics] Allow"),
    ("pass-pass-end-of-tier", "monitoring/prometheus", "shop/web", "8080", 1, "ingress",
     "[ANP allow-monitoring] Pass -> [Calico platform platform.shop] Pass -> "
     "[Calico default (end of tier)] Deny"),
    ("pass-calico-deny", "monitoring/prometheus", "shop/web", "22", 1, "ingress",
     "[ANP allow-monitoring] Pass -> [Calico platform platform.shop] Deny"),
    ("cluster-network-policy-deny", "monitoring/prometheus", "shop/cart", "9000", 1, "ingress",
     "[CNP:Admin protect-cart] Deny"),
    ("baseline-deny", "shop/web", "monitoring/prometheus", "9090", 1, "ingress",
     "[BANP default] Deny"),
    ("admin-nodes-deny", "shop/web", "dynatrace/oneagent-x7k2p", "14499", 1, "egress",
     "[ANP allow-monitoring] Deny"),
])
def test_can_reach_names_every_layer_of_the_chain(
        golden: Callable[[str, str], None], name: str, src: str, dst: str, port: str,
        code: int, side: str, chain: str) -> None:
    got, out, _ = run("can-reach", "examples/mixed", "--from", src, "--to", dst,
                      "--port", port)
    assert got == code
    golden(f"cli/mixed/can-reach-{name}.txt", out)
    got, out, _ = run("can-reach", "examples/mixed", "--from", src, "--to", dst,
                      "--port", port, "-o", "json")
    assert json.loads(out)[side]["chain"] == chain


def test_host_network_subject_says_what_each_layer_present_does() -> None:
    """A host-network pod is a node-level endpoint: no layer selects it as a subject, and the
    verdict says so for each family of kinds in the input (and only those)."""
    _, out, _ = run("can-reach", "examples/mixed", "--from", "dynatrace/oneagent-x7k2p",
                    "--to", "shop/web", "--port", "9090", "-o", "json")
    egress = json.loads(out)["egress"]
    assert egress["status"] == "not-governed"
    assert HOST_NETWORK_LAYER_NOTES["admin"] in egress["notes"]
    assert HOST_NETWORK_LAYER_NOTES["calico"] in egress["notes"]
    assert HOST_NETWORK_LAYER_NOTES["cilium"] not in egress["notes"]   # no Cilium policy
    # as a peer it is its node: the admin `nodes` peer matches it (the chain above), and a
    # Calico tier decides its traffic into a shop pod like any peer's
    assert json.loads(out)["ingress"]["chain"] == (
        "[Calico platform platform.shop] Pass -> [Calico default (end of tier)] Deny")
    _, out, _ = run("explain", "examples/mixed", "--workload", "dynatrace/oneagent-x7k2p",
                    "-o", "json")
    (w,) = json.loads(out)["workloads"]
    assert w["hostNetwork"] is True
    assert w["ingress"]["layers"] == [] and w["egress"]["layers"] == []
    assert HOST_NETWORK_LAYER_NOTES["admin"] in w["notes"]


def test_host_network_subject_under_cilium_names_host_policies_as_not_modelled(
        tmp_path: Path) -> None:
    text = (REPO / "examples" / "layers" / "cluster.yaml").read_text(encoding="utf-8")
    (tmp_path / "c.yaml").write_text(text + """---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: dynatrace, labels: {app: agent}}
spec: {hostNetwork: true, containers: [{name: a, image: a}]}
""", encoding="utf-8")
    _, out, _ = run("can-reach", str(tmp_path), "--from", "dynatrace/agent", "--to",
                    "shop/web", "--port", "8080", "-o", "json")
    notes = json.loads(out)["egress"]["notes"]
    assert HOST_NETWORK_LAYER_NOTES["cilium"] in notes
    assert "host policies (nodeSelector)" in HOST_NETWORK_LAYER_NOTES["cilium"]
    # under --host-network pod it is a pod like any other: the layers select it
    _, out, _ = run("can-reach", str(tmp_path), "--from", "dynatrace/agent", "--to",
                    "shop/web", "--port", "8080", "-o", "json", "--host-network", "pod")
    assert json.loads(out)["egress"]["status"] != "not-governed"
