"""The lint and rules subcommands: exit codes, formats, configuration discovery."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dtnetpol.lint.registry import RULES

from .helpers import run_cli, write

WARN_ONLY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: in
  namespace: shop
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {}
"""
INVALID = WARN_ONLY.replace("namespaceSelector: {}", "ipBlock: {cidr: 10.0.0.0/40}")


@pytest.mark.parametrize(("text", "fail_on", "code"), [
    (WARN_ONLY, None, 0),
    (WARN_ONLY, "error", 0),
    (WARN_ONLY, "warning", 1),
    (WARN_ONLY, "info", 1),
    (INVALID, None, 1),
])
def test_fail_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                 fail_on: str | None, code: int) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, text)
    argv = ["lint", path] + (["--fail-on", fail_on] if fail_on else [])
    assert run_cli(argv)[0] == code


def test_bad_input_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["lint", str(tmp_path / "missing.yaml")])
    assert code == 2
    assert "no such file or folder" in err
    bad = write(tmp_path, "a: [\n", name="bad.yaml")
    assert run_cli(["lint", bad])[0] == 2


def test_config_in_the_working_directory_is_read(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, WARN_ONLY)
    write(tmp_path, "severity: {broad-ingress: error}\n", name=".dtnetpol.yaml")
    assert run_cli(["lint", path])[0] == 1
    write(tmp_path, "disable: [NPL999]\n", name=".dtnetpol.yaml")
    code, _, err = run_cli(["lint", path])
    assert code == 2
    assert ".dtnetpol.yaml:1: document 1: disable[0]: unknown rule 'NPL999'" in err


def test_explicit_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, WARN_ONLY)
    cfg = write(tmp_path, "disable: [NPL014]\n", name="conf/lint.yaml")
    code, out, _ = run_cli(["lint", path, "--config", cfg, "--fail-on", "warning"])
    assert (code, out) == (0, "no findings\n")


def test_table_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, WARN_ONLY)
    code, out, _ = run_cli(["lint", "input.yaml"])
    assert code == 0
    assert out.splitlines() == [
        "input.yaml:10: warning[NPL014] broad-ingress: ingress[0] of policy shop/in allows "
        "every pod of every namespace (namespaceSelector: {}) on every port",
        "    at document 1, spec.ingress[0].from[0].namespaceSelector",
        "    fix: list the clients (namespace and pod selectors) and the ports they use",
        "0 errors, 1 warning, 0 info",
    ]


def test_json_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, WARN_ONLY)
    code, out, err = run_cli(["lint", "input.yaml", "-o", "json"])
    assert code == 0
    doc = json.loads(out)
    assert (doc["apiVersion"], doc["kind"]) == ("dtnetpol/v1", "LintReport")
    assert doc["findings"] == [{
        "rule": "NPL014", "name": "broad-ingress", "severity": "warning",
        "message": "ingress[0] of policy shop/in allows every pod of every namespace "
                   "(namespaceSelector: {}) on every port",
        "fix": "list the clients (namespace and pod selectors) and the ports they use",
        "file": "input.yaml", "document": 1, "line": 10, "column": None,
        "path": "spec.ingress[0].from[0].namespaceSelector"}]
    assert doc["summary"] == {"errors": 0, "warnings": 1, "info": 0, "total": 1,
                              "suppressed": 0, "rules": len(RULES)}
    assert err == "0 errors, 1 warning, 0 info\n"


def test_flags_for_cluster_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, WARN_ONLY.replace("namespaceSelector: {}", "ipBlock: {cidr: 10.9.0.0/24}")
          + "    ports:\n    - port: 80\n")
    code, out, _ = run_cli(["lint", "input.yaml", "--pod-cidr", "10.9.0.0/16"])
    assert (code, "NPL012" in out) == (0, True)
    assert run_cli(["lint", "input.yaml", "--pod-cidr", "nope"])[0] == 2
    assert run_cli(["lint", "input.yaml", "--apiserver", "10.0.0.1"])[0] == 2


def test_rules_lists_every_rule() -> None:
    code, out, _ = run_cli(["rules"])
    lines = out.splitlines()
    assert code == 0
    assert len(lines) == len(RULES)
    assert lines[3].split()[:4] == ["NPL004", "service-port-in-policy", "error", "NetworkPolicy"]
    assert lines[0].split()[3] == "NetworkPolicy+Admin+Cilium+Calico"
    assert lines[18].split()[:4] == ["NPL019", "cilium-fqdn-without-dns", "error", "Cilium"]


def test_rules_id_prints_the_doc() -> None:
    code, out, _ = run_cli(["rules", "and-or-confusion"])
    assert code == 0
    assert out.startswith("NPL009 and-or-confusion (warning; inspects NetworkPolicy)\n")
    assert "## Why is this bad?" in out
    assert run_cli(["rules", "NPL999"])[0] == 2
    code, out, _ = run_cli(["rules", "NPL006", "-o", "json"])
    assert json.loads(out)["options"]["port"] == 53
    assert json.loads(out)["kinds"] == ["NetworkPolicy"]
