"""The CLI on examples/calico (Calico tiers, a Calico default-deny, a Kubernetes
NetworkPolicy in the default tier): golden can-reach and connlist, and the chains of layers."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from tests.cli_run import run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")


@pytest.mark.parametrize(("name", "src", "dst", "port", "code", "side", "chain"), [
    ("pass-then-kubernetes-allow", "shop/web", "shop/cart", "9000", 0, "ingress",
     "[Calico platform platform.shop-ingress] Pass -> [NetworkPolicy shop/cart-from-web] "
     "Allow"),
    ("deny-rule-first", "shop/web", "shop/cart", "9050", 1, "egress",
     "[Calico default shop/web-to-cart] Deny"),
    ("pass-then-end-of-tier", "shop/web", "shop/cart", "9050", 1, "ingress",
     "[Calico platform platform.shop-ingress] Pass -> [Calico default (end of tier)] Deny"),
    ("platform-end-of-tier", "monitoring/prometheus", "shop/cart", "9000", 1, "ingress",
     "[Calico platform (end of tier)] Deny"),
    ("platform-allow", "monitoring/prometheus", "shop/web", "9090", 1, "ingress",
     "[Calico platform platform.shop-ingress] Allow"),
])
def test_can_reach_names_the_deciding_tier_policy_and_rule(
        golden: Callable[[str, str], None], name: str, src: str, dst: str, port: str,
        code: int, side: str, chain: str) -> None:
    got, out, _ = run("can-reach", "examples/calico", "--from", src, "--to", dst,
                      "--port", port)
    assert got == code
    golden(f"cli/calico/can-reach-{name}.txt", out)
    got, out, _ = run("can-reach", "examples/calico", "--from", src, "--to", dst,
                      "--port", port, "-o", "json")
    assert json.loads(out)[side]["chain"] == chain


def test_connlist_sees_the_calico_tiers(golden: Callable[[str, str], None]) -> None:
    code, out, _ = run("connlist", "examples/calico")
    assert code == 0
    golden("cli/calico/connlist.txt", out)
    assert "shop/web[Deployment]  shop/cart[Deployment]  TCP 9000" in out


STAGED = """apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: lock-cart, namespace: shop}
spec: {order: 10, selector: app == 'cart', ingress: [{action: Deny}]}
---
apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata: {name: default-deny}
spec: {stagedAction: Delete, selector: all()}
"""


def test_connlist_says_what_staged_policies_would_change(tmp_path: Path) -> None:
    (tmp_path / "staged.yaml").write_text(STAGED, encoding="utf-8")
    code, out, err = run("connlist", "examples/calico", str(tmp_path / "staged.yaml"))
    assert code == 0
    assert "shop/web[Deployment]  shop/cart[Deployment]  TCP 9000" in out   # not enforced
    staged = [line for line in err.splitlines() if "staged policies" in line]
    # lock-cart (a Deny at order 10: before the Kubernetes policies at 1000) would close
    # web -> cart;
    # deleting the default-deny would open the rest.
    assert ("warning: staged policies (not enforced): shop/web[Deployment] -> "
            "shop/cart[Deployment]: would block TCP 9000") in staged
    assert any("would allow" in line for line in staged)


def test_can_reach_keeps_the_enforced_verdict_and_notes_the_staged_one(
        tmp_path: Path, golden: Callable[[str, str], None]) -> None:
    (tmp_path / "staged.yaml").write_text(STAGED, encoding="utf-8")
    argv = ("can-reach", "examples/calico", str(tmp_path / "staged.yaml"), "--from",
            "shop/web", "--to", "shop/cart", "--port", "9000")
    code, out, _ = run(*argv)
    assert code == 0   # lock-cart is staged: today web -> cart is allowed
    golden("cli/calico/can-reach-staged.txt", out.replace(str(tmp_path), "TMP"))
    code, out, _ = run(*argv, "-o", "json")
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads(resources.files("dtnetpol").joinpath(
        "data/dtnetpol-v1.schema.json").read_text()), cls=jsonschema.Draft202012Validator)
    assert doc["verdict"] == "allowed"
    assert doc["staged"] == (
        "staged policies (not enforced): applied, they would make it BLOCKED (ingress "
        "[Calico platform platform.shop-ingress] Pass -> [Calico default shop/lock-cart] "
        "Deny); today it is ALLOWED")
    # once enforced, the note told the truth
    (tmp_path / "staged.yaml").write_text(
        STAGED.replace("StagedNetworkPolicy", "NetworkPolicy"), encoding="utf-8")
    code, out, _ = run(*argv, "-o", "json")
    assert code == 1 and json.loads(out)["ingress"]["chain"] == \
        "[Calico platform platform.shop-ingress] Pass -> [Calico default shop/lock-cart] Deny"


def test_can_reach_without_staged_policies_has_no_staged_note() -> None:
    _, out, _ = run("can-reach", "examples/calico", "--from", "shop/web", "--to", "shop/cart",
                    "--port", "9000", "-o", "json")
    assert json.loads(out)["staged"] is None


def test_explain_notes_what_staged_policies_would_change(tmp_path: Path) -> None:
    (tmp_path / "staged.yaml").write_text(STAGED, encoding="utf-8")
    code, out, _ = run("explain", "examples/calico", str(tmp_path / "staged.yaml"),
                       "-o", "json")
    assert code == 0
    notes = {w["workload"]: w["notes"] for w in json.loads(out)["workloads"]}
    assert ("staged policies (not enforced): shop/web[Deployment] -> shop/cart[Deployment]: "
            "would block TCP 9000") in notes["shop/cart[Deployment]"]
    # enforced rules stay as they are: the staged lock-cart is not among the layer rules
    code, out, _ = run("explain", "examples/calico", str(tmp_path / "staged.yaml"),
                       "--workload", "shop/cart")
    assert "lock-cart" not in out.split("note: staged")[0]
    assert "note: staged policies (not enforced)" in out
