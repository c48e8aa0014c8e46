"""check on a cluster locked down with Cilium: verdicts name the Cilium policy, fixes are
CiliumNetworkPolicies (the flavour the cluster already uses)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from dtnetpol.cli import main

REPO = Path(__file__).resolve().parents[3]

DENY = """apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: default-deny}
spec: {endpointSelector: {}, ingress: [{}], egress: [{}]}
"""


def test_cilium_default_deny_gets_cilium_fixes(tmp_path: Path) -> None:
    shutil.copy(REPO / "examples" / "cluster" / "dynakube.yaml", tmp_path / "dynakube.yaml")
    (tmp_path / "deny.yaml").write_text(DENY, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", str(tmp_path), "--apiserver-cidr", "172.18.0.0/28", "-o", "json",
                 "-q"], out=out, err=err)
    assert code == 1, err.getvalue()
    text = out.getvalue()
    assert "CiliumClusterwideNetworkPolicy default-deny" in text
    assert "kind: CiliumNetworkPolicy" in text
    assert "kind: NetworkPolicy" not in text
    assert "toEntities" in text and "kube-apiserver" in text


def test_a_cilium_deny_is_named_in_the_fix(tmp_path: Path) -> None:
    shutil.copy(REPO / "examples" / "cluster" / "dynakube.yaml", tmp_path / "dynakube.yaml")
    (tmp_path / "deny.yaml").write_text(DENY + """---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: no-apiserver}
spec:
  endpointSelector: {}
  enableDefaultDeny: {egress: false}
  egressDeny: [{toEntities: [kube-apiserver]}]
""", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    main(["check", str(tmp_path), "--apiserver-cidr", "172.18.0.0/28", "-o", "json", "-q"],
         out=out, err=err)
    assert "Denied by CiliumClusterwideNetworkPolicy no-apiserver deny egress[0]" \
        in out.getvalue()
