"""The CLI on examples/layers (AdminNetworkPolicy, NetworkPolicy, Cilium, Baseline together):
golden outputs of can-reach, connlist and explain."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.cli_run import run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")


@pytest.mark.parametrize(("name", "src", "dst", "port", "code", "chain"), [
    ("pass-then-allow", "monitoring/prometheus", "shop/web", "9090", 0,
     "[ANP allow-monitoring] Pass -> [NetworkPolicy shop/allow-metrics] Allow"),
    ("pass-then-deny", "monitoring/prometheus", "shop/web", "8080", 1,
     "[ANP allow-monitoring] Pass -> [NetworkPolicy shop/default-deny, shop/allow-metrics] "
     "Deny"),
    ("admin-deny", "monitoring/prometheus", "shop/web", "9229", 1, "[ANP allow-monitoring] Deny"),
    ("baseline-deny", "shop/web", "monitoring/prometheus", "9090", 1, "[BANP default] Deny"),
    ("cilium-deny", "dynatrace/activegate", "169.254.169.254", "80", 1,
     "[CiliumNetworkPolicy dynatrace/activegate-egress] Deny"),
])
def test_can_reach_names_the_deciding_layers(golden: Callable[[str, str], None], name: str,
                                             src: str, dst: str, port: str, code: int,
                                             chain: str) -> None:
    got, out, _ = run("can-reach", "examples/layers", "--from", src, "--to", dst,
                      "--port", port)
    assert got == code
    golden(f"cli/layers/can-reach-{name}.txt", out)
    got, out, _ = run("can-reach", "examples/layers", "--from", src, "--to", dst,
                      "--port", port, "-o", "json")
    doc = json.loads(out)
    assert chain in (doc["egress"].get("chain"), doc["ingress"].get("chain"))


def test_connlist_sees_every_layer(golden: Callable[[str, str], None]) -> None:
    code, out, _ = run("connlist", "examples/layers")
    assert code == 0
    assert "monitoring/prometheus[Deployment]  shop/web[Deployment]" in out
    golden("cli/layers/connlist.txt", out)


def test_explain_lists_the_layers_of_a_workload(golden: Callable[[str, str], None]) -> None:
    code, out, err = run("explain", "examples/layers", "--workload", "shop/web")
    assert code == 0
    assert "Ingress is also decided by policy layers: ANP allow-monitoring" in out
    assert "CEL validation rules" in err
    golden("cli/layers/explain-web.txt", out)


def test_diff_sees_a_cilium_deny(tmp_path: Path) -> None:
    old = tmp_path / "old"
    new = tmp_path / "new"
    old.mkdir()
    new.mkdir()
    text = (REPO / "examples" / "layers" / "cluster.yaml").read_text(encoding="utf-8")
    (old / "cluster.yaml").write_text(text, encoding="utf-8")
    (new / "cluster.yaml").write_text(text + """---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: no-scrape, namespace: shop}
spec:
  endpointSelector: {}
  enableDefaultDeny: {ingress: false}
  ingressDeny: [{fromEntities: [cluster], toPorts: [{ports: [{port: "9090"}]}]}]
""", encoding="utf-8")
    code, out, _ = run("diff", str(old), str(new), "-o", "json", "-q")
    assert code == 0   # no DynaKube: connection changes only
    doc = json.loads(out)
    assert [(c["src"], c["dst"], c["change"]) for c in doc["changes"]] == [
        ("monitoring/prometheus[Deployment]", "shop/web[Deployment]", "removed")]
