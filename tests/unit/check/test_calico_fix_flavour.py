"""check on a cluster locked down with a Calico default-deny: verdicts name the Calico tier,
fixes are Calico NetworkPolicies placed before the default-deny, and applying them leaves no
required flow blocked."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import yaml

from dtnetpol.cli import main

REPO = Path(__file__).resolve().parents[3]

DENY = """apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: default-deny}
spec:
  order: 2000
  selector: projectcalico.org/namespace != 'kube-system'
  types: [Ingress, Egress]
  ingress: [{action: Deny}]
  egress: [{action: Deny}]
"""


def _check(path: Path) -> tuple[int, dict[str, object]]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", str(path), "--apiserver-cidr", "172.18.0.0/28", "-o", "json", "-q"],
                out=out, err=err)
    return code, json.loads(out.getvalue())


def test_calico_default_deny_gets_calico_fixes_that_work(tmp_path: Path) -> None:
    shutil.copy(REPO / "examples" / "cluster" / "dynakube.yaml", tmp_path / "dynakube.yaml")
    (tmp_path / "deny.yaml").write_text(DENY, encoding="utf-8")
    code, report = _check(tmp_path)
    assert code == 1
    flows = report["flows"]
    assert isinstance(flows, list)
    blocked = [f for f in flows if f["verdict"] == "blocked" and f["required"]]
    assert blocked
    fixes = [f["fix"] for f in blocked if f["fix"]]
    assert fixes
    docs = [d for text in fixes for d in yaml.safe_load_all(text) if d]
    assert {d["apiVersion"] for d in docs} == {"projectcalico.org/v3"}
    assert {d["spec"]["order"] for d in docs} == {1999}   # before the default-deny
    # Applying every fix leaves no required flow blocked.
    (tmp_path / "fixes.yaml").write_text("".join(fixes), encoding="utf-8")
    code, report = _check(tmp_path)
    assert [f["id"] for f in report["flows"]  # type: ignore[union-attr]
            if f["verdict"] == "blocked" and f["required"]] == []
