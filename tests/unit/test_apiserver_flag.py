"""``--apiserver`` is one flag: repeatable, the same value syntax and help text in lint and in
every command that works out the Dynatrace flows (issue 17: lint took one value, check many).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tests.cli_run import run

from dtnetpol.cli import build_parser
from dtnetpol.commands import _types
from dtnetpol.commands._inputs import APISERVER_HELP, apiserver_values

REPO = Path(__file__).resolve().parents[2]
DYNAKUBE = REPO / "examples" / "cluster" / "dynakube.yaml"

# An egress policy to the API server on the Service port 443: NPL008 names the endpoint.
POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: to-apiserver, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 172.18.0.0/24}
    ports:
    - port: 443
"""
ENDPOINTS = """apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes
  namespace: default
  labels: {kubernetes.io/service-name: kubernetes}
addressType: IPv4
endpoints:
- addresses: [172.18.0.2]
ports:
- {name: https, port: 6443, protocol: TCP}
"""


def apiserver_actions() -> dict[str, argparse.Action]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: action for name, p in sub.choices.items() for action in p._actions
            if "--apiserver" in action.option_strings}


def test_every_apiserver_flag_is_the_same_repeatable_flag() -> None:
    actions = apiserver_actions()
    assert {"lint", "check", "generate", "fix", "diff", "diagnose", "probe"} <= set(actions)
    for name, action in actions.items():
        assert isinstance(action, argparse._AppendAction), name
        assert (action.type, action.metavar, action.help) == \
            (_types.apiserver, "IP:PORT", APISERVER_HELP), name


def test_values_keep_their_order_and_drop_repeats() -> None:
    assert apiserver_values(["172.18.0.2:6443", "[fd00::1]:6443", ":443", "172.18.0.2:6443"]) \
        == (("172.18.0.2", 6443), ("fd00::1", 6443), (None, 443))


def test_lint_takes_several_addresses(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY, encoding="utf-8")
    code, out, _ = run("lint", str(path), "-o", "json", "--apiserver", "172.18.0.2:6443",
                       "--apiserver", "172.18.0.3:6443")
    assert code == 1   # NPL008 is an error
    (finding,) = [f for f in json.loads(out)["findings"] if f["rule"] == "NPL008"]
    assert "172.18.0.2, 172.18.0.3 port 6443" in finding["message"]


def test_lint_port_only_and_one_port(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY, encoding="utf-8")
    # the address from the input's EndpointSlice, the port from the flag
    slice_ = tmp_path / "slice.yaml"
    slice_.write_text(ENDPOINTS.replace("6443", "443"), encoding="utf-8")
    code, out, _ = run("lint", str(path), "-o", "json", "--apiserver", ":6443")
    assert code == 0
    code, out, _ = run("lint", str(path), str(slice_), "-o", "json", "--apiserver", ":6443")
    assert code == 1
    (finding,) = [f for f in json.loads(out)["findings"] if f["rule"] == "NPL008"]
    assert "172.18.0.2 port 6443 (configuration)" in finding["message"]
    code, _, err = run("lint", str(path), "--apiserver", "172.18.0.2:6443",
                       "--apiserver", "172.18.0.3:443")
    assert code == 2
    assert err == "dtnetpol: error: --apiserver: lint takes one API server port, not 443 " \
                  "and 6443\n"


def test_generate_admits_every_given_endpoint() -> None:
    code, out, _ = run("generate", "--dynakube", str(DYNAKUBE), "--apiserver",
                       "172.18.0.2:6443", "--apiserver", "172.18.0.3:6443")
    assert code == 0
    assert "cidr: 172.18.0.2/32" in out and "cidr: 172.18.0.3/32" in out


def test_generate_with_the_port_alone() -> None:
    code, out, err = run("generate", "--dynakube", str(DYNAKUBE), "--apiserver", ":7443",
                         "--apiserver-cidr", "10.0.0.0/24")
    assert code == 0
    assert "operator-to-apiserver: kube-apiserver (address unknown), 7443/TCP" in out
    assert "port: 6443" not in out
    code, _, err = run("generate", "--dynakube", str(DYNAKUBE), "--apiserver", ":7443",
                       "--apiserver", ":6443")
    assert code == 2
    assert err == "dtnetpol: error: --apiserver: give one :PORT (address unknown), not :6443 " \
                  "and :7443\n"
