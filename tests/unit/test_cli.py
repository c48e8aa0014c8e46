"""The CLI end to end on the bundled example: outputs as golden files, exit codes, errors."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from dtnetpol.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = str(REPO / "examples" / "cluster")


def run(*argv: str, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    # Relative paths in outputs (file:line) stay stable wherever pytest runs from.
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("NO_COLOR", "1")


def test_invalid_policy_is_a_one_line_error_with_exit_2() -> None:
    code, out, err = run("connlist", "examples/cluster")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "dtnetpol: error: examples/cluster/policies/invalid/seed-activegate.yaml:")
    assert "document 1" in lines[0] and "spec.egress[0].to[0].ports" in lines[0]
    assert "Traceback" not in err


def test_connlist_json_golden(golden: Callable[[str, str], None]) -> None:
    code, out, err = run("connlist", "--skip-invalid", "examples/cluster", "-o", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["apiVersion"] == "dtnetpol/v1" and doc["kind"] == "ConnectionList"
    pairs = {(c["src"], c["dst"]): c["conns"] for c in doc["connections"]}
    # The Service-port mistake: cart may send only to 443, payments-api listens on 8443.
    assert ("shop/cart[Deployment]", "payments/payments-api[Deployment]") not in pairs
    assert pairs[("shop/frontend[Deployment]", "shop/cart[Deployment]")] == \
        [{"protocol": "TCP", "ports": [[8080, 8080]]}]
    assert "ignored: the API server would reject it" in err
    golden("cli/connlist.json", out)


def test_connlist_table_golden(golden: Callable[[str, str], None]) -> None:
    code, out, _ = run("connlist", "--skip-invalid", "examples/cluster")
    assert code == 0
    golden("cli/connlist.txt", out)


def test_can_reach_blocked_by_egress(golden: Callable[[str, str], None]) -> None:
    code, out, _ = run("can-reach", "--skip-invalid", "examples/cluster",
                       "--from", "shop/cart", "--to", "payments/payments-api",
                       "--port", "8443/TCP")
    assert code == 1
    assert "BLOCKED (blocked by egress)" in out
    golden("cli/can-reach-cart-payments.txt", out)


def test_can_reach_json_names_the_allowing_rule() -> None:
    code, out, _ = run("can-reach", "--skip-invalid", "examples/cluster", "--from",
                       "shop/frontend", "--to", "shop/cart", "--port", "8080", "-o", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["verdict"] == "allowed"
    assert doc["egress"]["allowingRules"][0]["policy"] == "shop/frontend-to-cart"
    assert doc["ingress"]["allowingRules"][0]["file"] == "examples/cluster/policies/shop.yaml"


def test_can_reach_from_api_server_ip_to_webhook_is_blocked() -> None:
    code, out, _ = run("can-reach", "--skip-invalid", "examples/cluster", "--from",
                       "172.18.0.2", "--to", "dynatrace/dynatrace-webhook", "--port", "8443")
    assert code == 1
    assert "ingress of dynatrace/dynatrace-webhook[Deployment]: blocked" in out
    assert "not a pod" in out


def test_explain_one_workload_golden(golden: Callable[[str, str], None]) -> None:
    code, out, _ = run("explain", "--skip-invalid", "examples/cluster", "--workload",
                       "dynatrace/dynatrace-webhook", "-o", "json")
    assert code == 0
    doc = json.loads(out)
    [w] = doc["workloads"]
    assert w["workload"] == "dynatrace/dynatrace-webhook[Deployment]"
    assert w["ingress"]["isolated"] and w["egress"]["isolated"]
    golden("cli/explain-webhook.json", out)


def test_unknown_workload_is_a_usage_error() -> None:
    code, _, err = run("can-reach", "--skip-invalid", EXAMPLE, "--from", "shop/nope",
                       "--to", "shop/cart")
    assert code == 2
    assert "no workload or pod 'shop/nope'" in err and "cart" in err


def test_bad_port_is_a_usage_error() -> None:
    code, _, err = run("can-reach", "--skip-invalid", EXAMPLE, "--from", "shop/cart",
                       "--to", "shop/db", "--port", "http/TCP")
    assert code == 2 and "--port" in err


def test_missing_file_is_an_input_error() -> None:
    code, _, err = run("connlist", "does/not/exist.yaml")
    assert code == 2 and "does/not/exist.yaml" in err and "Traceback" not in err


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = """
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-in, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {matchLabels: {app: a}}}], ports: [{port: 80}]}]
"""
    code, out, err = run("connlist", "-", "-o", "json", stdin=manifest,
                         monkeypatch=monkeypatch)
    assert code == 0, err
    conns = {(c["src"], c["dst"]): c["conns"] for c in json.loads(out)["connections"]}
    assert conns[("x/a[Pod]", "x/b[Pod]")] == [{"protocol": "TCP", "ports": [[80, 80]]}]
    assert ("x/b[Pod]", "x/a[Pod]") in conns
    assert conns[("0.0.0.0-255.255.255.255", "x/a[Pod]")] == "all"
    assert ("0.0.0.0-255.255.255.255", "x/b[Pod]") not in conns
    assert 'namespace "x" not given' in err


def test_explain_table_shows_selectors_literally(golden: Callable[[str, str], None]) -> None:
    # Selector text like "[app=frontend]" must not be eaten as terminal markup.
    code, out, _ = run("explain", "--skip-invalid", "examples/cluster", "--workload", "shop/cart")
    assert code == 0
    assert "pods [app=frontend] in namespace shop" in out
    golden("cli/explain-cart.txt", out)


def test_namespace_flag_narrows_connlist_and_explain() -> None:
    code, out, _ = run("connlist", "--skip-invalid", "examples/cluster", "-n", "payments",
                       "-o", "json")
    assert code == 0
    conns = json.loads(out)["connections"]
    assert conns and all("payments/" in c["src"] or "payments/" in c["dst"] for c in conns)
    code, out, _ = run("explain", "--skip-invalid", "examples/cluster", "-n", "shop",
                       "-o", "json")
    names = [w["workload"] for w in json.loads(out)["workloads"]]
    assert names == ["shop/cart[Deployment]", "shop/db[StatefulSet]",
                     "shop/frontend[Deployment]"]
    code, _, err = run("connlist", "examples/cluster", "-n", "shop", "-A")
    assert code == 2 and "not allowed with" in err


# ------------------------------------------------------------------ start-up: lazy commands

def test_lazy_parser_lists_the_commands_as_the_full_one_does() -> None:
    """``dtnetpol --help`` is built without importing any command: its list of commands and
    their one-line help must still be each command module's own."""
    from dtnetpol.cli import COMMANDS, build_parser

    full = build_parser()
    assert build_parser("").format_help() == full.format_help()
    for name in COMMANDS:
        lazy = build_parser(name)
        assert lazy.format_help() == full.format_help()
        sub = next(a for a in lazy._actions if a.dest == "command")
        full_sub = next(a for a in full._actions if a.dest == "command")
        assert isinstance(sub.choices, dict) and isinstance(full_sub.choices, dict)
        assert sub.choices[name].format_help() == full_sub.choices[name].format_help()


@pytest.mark.parametrize("argv", [("check", "--skip-invalid", "examples/cluster", "-o", "json"),
                                  ("check", "examples/cluster"),
                                  ("connlist", "examples/cluster")])
def test_the_command_as_a_process_says_what_main_says(argv: tuple[str, ...]) -> None:
    """``python -m dtnetpol`` (:func:`dtnetpol.cli.entry`, which leaves what is left at the
    end to the process's exit, uncollected) writes what :func:`main` gives, exit code too."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "dtnetpol", *argv], capture_output=True,
                          text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == run(*argv)


def test_version_imports_no_command() -> None:
    import subprocess
    import sys

    code = ("import sys, io\nfrom dtnetpol.cli import main\n"
            "assert main(['--version'], out=io.StringIO()) == 0\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('dtnetpol', 'rich', "
            "'yaml', 'lark')))))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["dtnetpol", "dtnetpol.cli", "dtnetpol.commands",
                                   "dtnetpol.commands._help", "dtnetpol.errors",
                                   "dtnetpol.render", "dtnetpol.render.console",
                                   "dtnetpol.safe_text"]
