"""explain and connlist tables keep every file:line and workload name whole, at 80 columns."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from dtnetpol.commands._inputs import load
from dtnetpol.engine.analysis import Analyzer
from dtnetpol.engine.connlist import connection_list
from dtnetpol.engine.posture import workload_posture
from dtnetpol.render.engine_table import connlist_table, posture_table

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    loaded = load(argparse.Namespace(skip_invalid=True), None,
                  paths=[str(REPO / "examples" / "cluster")])
    return Analyzer(loaded.cluster)


@pytest.mark.parametrize("width", [80, 100])
def test_explain_keeps_file_line_whole(analyzer: Analyzer, width: int) -> None:
    postures = [p for c in analyzer.classes for p in workload_posture(analyzer, c)]
    text = posture_table(postures, width=width)
    words = {w.strip("│ ") for w in text.split()}
    refs = {f"({r.ref.location.file}:{r.ref.location.line})" for p in postures
            for d in (p.ingress, p.egress) for r in d.rules if r.ref.location is not None}
    assert refs and refs <= words
    assert max(len(line) for line in text.splitlines()) <= width


@pytest.mark.parametrize("width", [80, 100])
def test_connlist_keeps_names_whole(analyzer: Analyzer, width: int) -> None:
    conns = connection_list(analyzer)
    text = connlist_table(conns, width=width)
    words = {w.rstrip(":") for w in text.split()}
    assert {c.src for c in conns} <= words and {c.dst for c in conns} <= words
    assert max(len(line) for line in text.splitlines()) <= width


@pytest.mark.parametrize("width", [60, 80])
def test_narrow_tables_stack_rows_instead_of_cutting(width: int) -> None:
    from dtnetpol.render.text_table import text_table

    rows = [("dynatrace/dynatrace-oneagent-csi-driver[DaemonSet]",
             "ingress-nginx/ingress-nginx-controller[Deployment]", "TCP 443")]
    lines = [t.plain for t in text_table(("source", "destination", "allowed"), rows, width)]
    assert all(len(line) <= width for line in lines)
    assert set(rows[0][0].split()) | {rows[0][1]} <= set(" ".join(lines).split())
