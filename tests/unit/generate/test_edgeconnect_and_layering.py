"""EdgeConnect flows, the namespace matching of the operator, and the core's layering."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

import dtnetpol.generate
from dtnetpol.dynatrace import parse_edgeconnect
from dtnetpol.generate import ignored_namespace_patterns, monitored_namespaces
from dtnetpol.model import LabelSelector, Namespace

from .conftest import dynakube
from .proof import blocked, extra_connections, install_facts, scenario

EDGECONNECT = """
apiVersion: dynatrace.com/v1alpha2
kind: EdgeConnect
metadata: {name: edge, namespace: dynatrace}
spec:
  apiServer: abc123.apps.dynatrace.com
  oauth: {clientSecret: s, endpoint: "https://sso.dynatrace.com/sso/oauth2/token",
          resource: "urn:dtenvironment:abc123", provisioner: true}
  kubernetesAutomation: {enabled: true}
"""


def test_edgeconnect_gets_its_own_egress_and_the_operator_reaches_its_api() -> None:
    from dtnetpol.dynatrace import applicable_flows
    from dtnetpol.generate import GenerateOptions, generate

    ec = parse_edgeconnect(yaml.safe_load(EDGECONNECT))
    dk = dynakube()
    install = install_facts("generic")
    result = generate(applicable_flows([dk], install, edgeconnects=[ec]),
                      GenerateOptions(install=install, dynakubes=(dk,),
                                      monitored={dk.name: ("app",)}))
    names = [d.name for d in result.documents]
    assert names[-1] == "dynatrace-edge-edgeconnect-egress"
    edge = result.documents[-1]
    assert {"edgeconnect-to-tenant", "edgeconnect-to-apiserver", "dns-from-edgeconnect"} <= \
        set(edge.flows)
    operator = next(d for d in result.documents if d.name == "dynatrace-operator-egress")
    assert "operator-to-edgeconnect-api" in operator.flows


def test_monitored_namespaces_follow_the_operator() -> None:
    dk = dynakube({"apiUrl": "https://abc.live.dynatrace.com/api", "oneAgent": {
        "applicationMonitoring": {"namespaceSelector": {"matchLabels": {"monitor": "yes"}}}}})
    spaces = [Namespace("shop", {"monitor": "yes"}), Namespace("kube-public", {"monitor": "yes"}),
              Namespace("dynatrace", {"monitor": "yes"}), Namespace("other", {}),
              Namespace("labelled", {"dynakube.internal.dynatrace.com/instance": "dynakube"}),
              Namespace("openshift-console", {"monitor": "yes"})]
    assert monitored_namespaces(dk, spaces) == ("labelled", "shop")


def test_ignored_namespaces_feature_flag() -> None:
    dk = dynakube(annotations={"feature.dynatrace.com/ignored-namespaces": '["^shop$"]'})
    assert ignored_namespace_patterns(dk) == ("^shop$",)
    assert monitored_namespaces(dk, [Namespace("shop"), Namespace("kube-system")]) == \
        ("kube-system",)
    broken = dynakube(annotations={"feature.dynatrace.com/ignored-namespaces": "not json"})
    assert "^kube-.*" in ignored_namespace_patterns(broken)


def test_no_selector_no_injection_no_namespaces() -> None:
    dk = dynakube({"apiUrl": "https://abc.live.dynatrace.com/api",
                   "activeGate": {"capabilities": ["kubernetes-monitoring"]}})
    assert dk.namespace_selector is None
    assert monitored_namespaces(dk, [Namespace("shop")]) == ()
    assert LabelSelector().is_empty


def test_proxy_scenario_is_proven_too() -> None:
    spec = {"apiUrl": "https://abc.live.dynatrace.com/api",
            "proxy": {"value": "http://192.0.2.10:3128"},
            "oneAgent": {"cloudNativeFullStack": {}},
            "activeGate": {"capabilities": ["routing", "kubernetes-monitoring"]}}
    s = scenario([dynakube(spec)])
    assert blocked(s, required_only=False) == []
    assert extra_connections(s) == []


def test_without_csi_driver_is_proven_too() -> None:
    spec = {"apiUrl": "https://abc.live.dynatrace.com/api",
            "oneAgent": {"applicationMonitoring": {}}}
    s = scenario([dynakube(spec)], csi=False)
    assert "init-to-tenant" in {f.id for f in s.flows}
    assert blocked(s, required_only=False) == []
    assert extra_connections(s) == []


EDGES = ("dtnetpol.sources", "dtnetpol.render", "dtnetpol.cli", "dtnetpol.commands")


def test_generate_core_imports_no_edge_and_does_no_io() -> None:
    root = Path(dtnetpol.generate.__file__).parent
    bad = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "open":
                names = ["open()"]
            bad += [f"{path.name}: {n}" for n in names
                    if n.startswith(EDGES) or n in ("open()", "pathlib", "os")]
    assert bad == []
