"""The lint core never imports the edges (sources, render, cli); only lint/cli.py does."""

from __future__ import annotations

import ast
from pathlib import Path

import dtnetpol.lint

EDGES = ("dtnetpol.sources", "dtnetpol.render", "dtnetpol.cli")
EDGE_MODULES = {"cli.py"}


def test_lint_core_imports_no_edge() -> None:
    root = Path(dtnetpol.lint.__file__).parent
    bad = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).as_posix() in EDGE_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            bad += [f"{path.name}: {n}" for n in names if n.startswith(EDGES)]
    assert bad == []
