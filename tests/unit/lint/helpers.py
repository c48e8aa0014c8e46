"""Lint inline YAML through the real loader, and small YAML builders for workloads.

``lint_text(tmp_path, text)`` writes ``text`` (dedented) to ``tmp_path/input.yaml``, loads it
with the same loader the CLI uses (``read_documents`` + ``build_cluster(strict=False)``, which
is ``load_cluster(strict=False)`` keeping the document bodies) and lints it.
"""

from __future__ import annotations

import argparse
import io
import textwrap
from pathlib import Path

from dtnetpol.cli import main
from dtnetpol.commands._inputs import load
from dtnetpol.commands.lint import run_lint
from dtnetpol.lint.config import LintConfig, parse_config
from dtnetpol.lint.context import ClusterFacts
from dtnetpol.lint.finding import Finding
from dtnetpol.lint.linter import LintResult
from dtnetpol.sources import read_text

FILE = "input.yaml"


def write(tmp_path: Path, text: str, name: str = FILE) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return str(path)


def config(text: str, file: str = ".dtnetpol.yaml") -> LintConfig:
    docs = read_text(textwrap.dedent(text), file)
    return parse_config(docs[0].body if docs else None, file)


def lint_result(tmp_path: Path, text: str, *, cfg: LintConfig | None = None,
                facts: ClusterFacts | None = None) -> LintResult:
    path = write(tmp_path, text)
    loaded = load(argparse.Namespace(), None, paths=[path], keep_documents=True)
    return run_lint(loaded, cfg or LintConfig(), facts=facts, cwd=str(tmp_path))


def lint_text(tmp_path: Path, text: str, rule: str | None = None, *,
              cfg: LintConfig | None = None, facts: ClusterFacts | None = None
              ) -> list[Finding]:
    """Findings for ``text`` (only rule ``rule`` when given)."""
    found = lint_result(tmp_path, text, cfg=cfg, facts=facts).findings
    return [f for f in found if rule is None or f.rule_id == rule]


def where(findings: list[Finding]) -> list[tuple[str, int | None, str]]:
    """(rule id, line, field path) of each finding."""
    return [(f.rule_id, f.location.line, f.location.path) for f in findings]


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """Run ``dtnetpol lint|rules ...`` through the main CLI."""
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def namespace(name: str, labels: dict[str, str] | None = None) -> str:
    lines = [f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"]
    if labels:
        lines.append("  labels:\n" + "".join(f"    {k}: \"{v}\"\n" for k, v in labels.items()))
    return "".join(lines) + "---\n"


def deployment(ns: str, name: str, labels: dict[str, str],
               ports: list[tuple[str | None, int, str]] | None = None,
               host_network: bool = False) -> str:
    """A Deployment whose pod template carries ``labels`` and declares ``ports``
    ((name, number, protocol) tuples)."""
    label_lines = "".join(f"        {k}: \"{v}\"\n" for k, v in labels.items())
    match_lines = "".join(f"      {k}: \"{v}\"\n" for k, v in labels.items())
    port_lines = ""
    for pname, number, proto in ports or []:
        port_lines += f"        - containerPort: {number}\n          protocol: {proto}\n"
        if pname:
            port_lines += f"          name: {pname}\n"
    ports_block = f"        ports:\n{port_lines}" if port_lines else ""
    host = "      hostNetwork: true\n" if host_network else ""
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
            f"  namespace: {ns}\nspec:\n  selector:\n    matchLabels:\n{match_lines}"
            f"  template:\n    metadata:\n      labels:\n{label_lines}    spec:\n{host}"
            f"      containers:\n      - name: main\n        image: example/{name}\n"
            f"{ports_block}---\n")


def service(ns: str, name: str, selector: dict[str, str],
            ports: list[tuple[int, int | str]], cluster_ip: str | None = None) -> str:
    sel = "".join(f"    {k}: \"{v}\"\n" for k, v in selector.items())
    port_lines = "".join(f"  - port: {p}\n    targetPort: {t}\n    protocol: TCP\n"
                         for p, t in ports)
    ip = f"  clusterIP: {cluster_ip}\n" if cluster_ip else ""
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
            f"spec:\n{ip}  selector:\n{sel}  ports:\n{port_lines}---\n")


DNS = deployment("kube-system", "coredns", {"k8s-app": "kube-dns"},
                 [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")])
