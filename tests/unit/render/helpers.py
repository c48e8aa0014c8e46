"""Shared by the report-format tests: run the CLI in-process, build hostile input."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

from tests.corpora import corpus

from dtnetpol.cli import main

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "cluster"
SARIF_SCHEMA = corpus("sarif", "sarif-schema-2.1.0.json")

#: Markup in user data: a DynaKube name (shows in graph nodes, table, fixes) and a workload
#: name (shows as a flow source), each with quotes, tags and a script.
DK_NAME = "dk\"<script>alert(4)</script>"
WORKLOAD_NAME = "payments-api\"'<script>alert(1)</script>"


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def hostile_cluster(tmp_path: Path) -> Path:
    """The example cluster with markup in the DynaKube's and a workload's names."""
    root = tmp_path / "hostile"
    shutil.copytree(EXAMPLE, root)
    dk = root / "dynakube.yaml"
    text = dk.read_text(encoding="utf-8")
    assert "\n  name: dynakube\n" in text
    dk.write_text(text.replace("\n  name: dynakube\n", f"\n  name: '{DK_NAME}'\n", 1),
                  encoding="utf-8")
    pay = root / "payments.yaml"
    text = pay.read_text(encoding="utf-8")
    quoted = WORKLOAD_NAME.replace("'", "''")
    assert "name: payments-api\n  namespace: payments\n" in text
    pay.write_text(text.replace("name: payments-api\n  namespace: payments\n",
                                f"name: '{quoted}'\n  namespace: payments\n", 1),
                   encoding="utf-8")
    return root


def without_svg(html: str) -> str:
    """The page with the Graphviz drawing replaced by a marker (its coordinates depend on
    the Graphviz version; the graph itself is tested through DOT)."""
    return re.sub(r"<svg\b.*?</svg>", "<svg><!-- Graphviz layout --></svg>", html,
                  count=1, flags=re.S)
