"""check across layers: the policy responsible for a blocked side (an admin Deny, a Cilium deny,
a Calico Deny rule or end-of-tier drop) and the layer rules that allow the peer on another
port, next to the NetworkPolicy nearest misses."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from dtnetpol.cli import main

REPO = Path(__file__).resolve().parents[3]

MIXED = """apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-dns-from-dynatrace}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: dynatrace}}}
  egress:
  - name: deny-dns
    action: Deny
    to: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
    ports: [{portNumber: {protocol: UDP, port: 53}}]
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: default-deny}
spec: {endpointSelector: {}, ingress: [{}], egress: [{}]}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: apiserver-wrong-port, namespace: dynatrace}
spec:
  endpointSelector: {}
  egress:
  - toEntities: [kube-apiserver]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
"""

CALICO = """apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.lockdown}
spec:
  tier: security
  order: 10
  selector: projectcalico.org/namespace == 'dynatrace'
  types: [Egress]
  egress:
  - action: Deny
    protocol: UDP
    destination: {ports: [53]}
  - action: Allow
    protocol: TCP
    destination: {ports: [443]}
"""


def _setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layers: str) -> None:
    (tmp_path / "in").mkdir()
    shutil.copy(REPO / "examples" / "cluster" / "dynakube.yaml", tmp_path / "in" / "dynakube.yaml")
    (tmp_path / "in" / "layers.yaml").write_text(layers, encoding="utf-8")
    monkeypatch.chdir(tmp_path)


def _run(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", "in", "--apiserver-cidr", "172.18.0.0/28", *args], out=out, err=err)
    return code, out.getvalue()


def _misses(report: dict[str, Any], flow: str) -> list[str]:
    (found,) = [f for f in report["flows"] if f["id"] == flow]
    misses: list[str] = found["nearest_misses"]
    return misses


def test_mixed_layers_name_the_responsible_policy(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(tmp_path, monkeypatch, MIXED)
    code, text = _run("-o", "json", "-q")
    assert code == 1
    report = json.loads(text)
    # the admin Deny decides DNS over UDP: no allow below it helps
    (dns,) = [m for m in _misses(report, "dns-from-operator") if "[ANP" in m]
    assert dns == ("egress of dynatrace/<dynatrace-operator>[inferred]: "
                   "[ANP no-dns-from-dynatrace] Deny by egress[0] (in/layers.yaml:8): an admin "
                   "Deny beats every NetworkPolicy; narrow it, or add an admin Allow of higher "
                   "precedence")
    # a Cilium allow of the API server on the Service port is the near miss of 6443
    assert _misses(report, "operator-to-apiserver") == [
        "egress of dynatrace/<dynatrace-operator>[inferred]: CiliumNetworkPolicy "
        "dynatrace/apiserver-wrong-port egress[0] (in/layers.yaml:24) almost allows it: "
        "it allows kube-apiserver on TCP 443, not 6443/TCP"]
    # a Cilium default deny with no rule close is said as before
    assert _misses(report, "apiserver-to-webhook") == [
        "ingress of dynatrace/<dynatrace-operator>[inferred]: no rule names kube-apiserver"]


def test_each_responsible_policy_is_named_once(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A default deny that stands for several policies (a Cilium clusterwide default-deny and
    a namespaced Cilium policy isolating the same side) names each of them once, alone: the
    table used to show the clusterwide policy twice, once inside a comma-joined name."""
    _setup(tmp_path, monkeypatch, MIXED + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: dynatrace}
spec: {podSelector: {}, policyTypes: [Egress]}
""")
    code, text = _run("-o", "json", "-q")
    assert code == 1
    flows = {f["id"]: f for f in json.loads(text)["flows"]}
    for f in flows.values():
        assert len(f["policies"]) == len(set(f["policies"])), f["policies"]
        assert not any(", " in p for p in f["policies"]), f["policies"]
    assert flows["operator-to-apiserver"]["policies"] == [
        "CiliumClusterwideNetworkPolicy default-deny",
        "CiliumNetworkPolicy dynatrace/apiserver-wrong-port",
        "NetworkPolicy dynatrace/default-deny"]


def test_mixed_layer_check_is_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     golden: Any) -> None:
    _setup(tmp_path, monkeypatch, MIXED)
    code, text = _run()
    assert code == 1
    golden("cli/check-mixed-layers.txt", text)


def test_calico_deny_rule_and_end_of_tier_drop(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(tmp_path, monkeypatch, CALICO)
    code, text = _run("-o", "json", "-q")
    assert code == 1
    report = json.loads(text)
    (deny,) = [m for m in _misses(report, "dns-from-operator") if "Deny by" in m]
    assert deny.endswith("[Calico security security.lockdown] Deny by egress[0] "
                         "(in/layers.yaml:15): a Calico Deny; an Allow of lower order decides "
                         "first")
    # TCP 6443 to the API server matches no rule of the tier: the tier drops it
    assert any(m.endswith("[Calico security] end of tier: tier security selects "
                          "dynatrace/<dynatrace-operator>[inferred] for Egress and no rule "
                          "matches; add an Allow or Pass in tier security")
               for m in _misses(report, "operator-to-apiserver"))


def test_networkpolicy_only_clusters_keep_their_nearest_misses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(tmp_path, monkeypatch, """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: dynatrace}
spec: {podSelector: {}, policyTypes: [Egress]}
""")
    code, text = _run("-o", "json", "-q")
    assert code == 1
    assert _misses(json.loads(text), "dns-from-operator") == [
        "egress of dynatrace/<dynatrace-operator>[inferred]: missing DNS: no rule allows "
        "53/UDP+TCP to the DNS pods in kube-system"]


STAGED = """apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata: {name: default-deny}
spec:
  order: 2000
  selector: projectcalico.org/namespace == 'dynatrace'
  types: [Egress]
  egress: [{action: Deny}]
"""


def test_staged_policies_are_reported_with_what_they_would_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(tmp_path, monkeypatch, STAGED)
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", "in", "--apiserver-cidr", "172.18.0.0/28", "-o", "json"],
                out=out, err=err)
    report = json.loads(out.getvalue())
    # not enforced: today's verdicts are those without it
    assert code == 0
    assert all(f["verdict"] != "blocked" for f in report["flows"])
    lines = [w for w in err.getvalue().splitlines() if "staged policies (not enforced)" in w]
    assert ("warning: staged policies (not enforced): flow dns-from-operator (required, "
            "53/UDP+TCP) is allowed today; the staged policies would block it (Calico default "
            "default-deny)") in lines
    # egress of the dynatrace namespace only: the flows into it do not change
    assert not any("apiserver-to-webhook" in w for w in lines)
    # once applied, the same policy blocks them (the staged report told the truth)
    (tmp_path / "in" / "layers.yaml").write_text(
        STAGED.replace("StagedGlobalNetworkPolicy", "GlobalNetworkPolicy"), encoding="utf-8")
    code, text = _run("-o", "json", "-q")
    blocked = {f["id"] for f in json.loads(text)["flows"] if f["verdict"] == "blocked"}
    assert code == 1 and "dns-from-operator" in blocked
    assert blocked == {w.split("flow ", 1)[1].split(" ", 1)[0] for w in lines}
