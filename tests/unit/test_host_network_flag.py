"""``--host-network node|pod`` on the commands, on a small installation of our own.

The ``dynatrace`` namespace has a deny-all policy, an egress policy for the OneAgent pods
(443 anywhere) and a policy admitting the OneAgent pods by label on the ActiveGate's 9999.
Under ``node`` none of that applies to the host-network OneAgent; under ``pod`` all of it does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli_run import run

from dtnetpol.dynatrace.dynakube import parse_dynakube
from dtnetpol.dynatrace.flows import InstallFacts, SourceKind, applicable_flows
from dtnetpol.model import HostNetwork

ONEAGENT_LABELS = """\
        app.kubernetes.io/name: oneagent
        app.kubernetes.io/created-by: dk
        app.kubernetes.io/managed-by: dynatrace-operator
"""

INSTALL = f"""\
apiVersion: v1
kind: Namespace
metadata: {{name: dynatrace}}
---
apiVersion: dynatrace.com/v1beta5
kind: DynaKube
metadata: {{name: dk, namespace: dynatrace}}
spec:
  apiUrl: https://abc123.live.dynatrace.com/api
  oneAgent:
    cloudNativeFullStack: {{}}
  activeGate:
    capabilities: [routing]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: dk-oneagent, namespace: dynatrace}}
spec:
  selector: {{matchLabels: {{app.kubernetes.io/name: oneagent}}}}
  template:
    metadata:
      labels:
{ONEAGENT_LABELS}    spec:
      hostNetwork: true
      containers: [{{name: agent, image: oneagent}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: deny-all, namespace: dynatrace}}
spec:
  podSelector: {{}}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: oneagent-out, namespace: dynatrace}}
spec:
  podSelector:
    matchLabels: {{app.kubernetes.io/name: oneagent}}
  policyTypes: [Egress]
  egress:
    - ports: [{{port: 443}}, {{port: 9999}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: activegate-in, namespace: dynatrace}}
spec:
  podSelector:
    matchLabels: {{app.kubernetes.io/name: activegate}}
  ingress:
    - from: [{{podSelector: {{matchLabels: {{app.kubernetes.io/name: oneagent}}}}}}]
      ports: [{{port: 9999}}]
"""


@pytest.fixture
def install(tmp_path: Path) -> str:
    path = tmp_path / "install.yaml"
    path.write_text(INSTALL)
    return str(path)


def _verdicts(path: str, mode: str) -> dict[str, tuple[str, str]]:
    _, out, err = run("check", path, "--host-network", mode, "-o", "json")
    assert "Traceback" not in err
    return {f["id"]: (f["verdict"], f["source"]) for f in json.loads(out)["flows"]
            if f["id"].startswith("oneagent-to-")}


def test_check_oneagent_under_node_and_pod(install: str) -> None:
    node = _verdicts(install, "node")
    assert node["oneagent-to-endpoints"][0] == "not-governed"
    # Node traffic: the ActiveGate's label peer does not match the OneAgent's node IPs.
    assert node["oneagent-to-activegate"] == ("blocked", "nodes")
    pod = _verdicts(install, "pod")
    assert pod["oneagent-to-endpoints"] == ("allowed", "dynatrace/dk-oneagent[DaemonSet]")
    assert pod["oneagent-to-activegate"] == ("allowed", "dynatrace/dk-oneagent[DaemonSet]")


def test_flows_follow_the_mode() -> None:
    dk = parse_dynakube({"apiVersion": "dynatrace.com/v1beta5", "kind": "DynaKube",
                         "metadata": {"name": "dk", "namespace": "dynatrace"},
                         "spec": {"apiUrl": "https://abc.live.dynatrace.com/api",
                                  "oneAgent": {"cloudNativeFullStack": {}},
                                  "activeGate": {"capabilities": ["routing"]}}})
    by_mode = {m: {f.spec.id: f for f in applicable_flows(dk, InstallFacts(host_network=m))}
               for m in HostNetwork}
    node, pod = by_mode[HostNetwork.NODE], by_mode[HostNetwork.POD]
    assert not node["oneagent-to-endpoints"].egress_governed
    assert pod["oneagent-to-endpoints"].egress_governed
    assert node["oneagent-to-activegate"].source.kind == SourceKind.ONEAGENT_NODES.value
    assert pod["oneagent-to-activegate"].source.kind == SourceKind.COMPONENT.value
    assert any(n.startswith("--host-network pod:") for n in pod["oneagent-to-endpoints"].notes)
    assert not any("do not govern" in n for n in pod["oneagent-to-endpoints"].notes)


def test_can_reach_and_connlist_take_the_flag(install: str) -> None:
    args = ("can-reach", install, "--from", "dynatrace/dk-oneagent", "--to", "8.8.8.8",
            "--port", "443")
    code_node, out_node, _ = run(*args, "--host-network", "node")
    code_pod, out_pod, _ = run(*args, "--host-network", "pod")
    assert code_node == code_pod == 0
    assert "egress of dynatrace/dk-oneagent[DaemonSet]: not-governed" in out_node
    assert "allowed by: dynatrace/oneagent-out egress[0]" in out_pod
    code, _, err = run("connlist", install, "--host-network", "bridge")
    assert code == 2 and "--host-network" in err
