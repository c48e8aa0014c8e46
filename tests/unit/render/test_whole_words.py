"""explain and connlist tables keep every file:line and workload name whole, at 80 columns."""

from __future__ import annotations

import argparse
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dtnetpol.commands._inputs import load
from dtnetpol.engine.analysis import Analyzer
from dtnetpol.engine.connlist import connection_list
from dtnetpol.engine.posture import workload_posture
from dtnetpol.render import console
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


def test_long_port_list_breaks_after_a_comma_only() -> None:
    """A port list longer than the line breaks between its items, in a table or one
    connection per line; every line fits; continuation lines are indented."""
    from dtnetpol.engine.connlist import Connection
    from dtnetpol.engine.intervals import IntervalSet
    from dtnetpol.engine.ports import PortSet

    ports = PortSet(tcp=IntervalSet.of((p, p + 49) for p in range(10000, 11200, 100)))
    conn = Connection("blue-ads-209/ads-0[Deployment]", "10.109.183.0-10.109.183.255", ports)
    items = str(ports).removeprefix("TCP ").split(",")
    for width in (40, 60, 80, 100):
        lines = connlist_table([conn], width=width).splitlines()[:-1]
        assert len(lines) > 1 and all(len(line) <= width for line in lines)
        assert all(any(item in line for line in lines) for item in items)
        if not lines[0].startswith("source"):          # one connection per line
            assert all(line.startswith("    ") for line in lines[1:])


@settings(deadline=None)
@given(st.lists(st.text(st.sampled_from(" ab-,.:[]/✓✗→") | st.characters(max_codepoint=0x250),
                        max_size=130), max_size=8),
       st.integers(min_value=20, max_value=120))
def test_plain_fast_path_prints_what_rich_prints(lines: list[str], width: int) -> None:
    """The fast path for plain lines gives rich's own output, for any text and width."""
    fast = console.render(lines, width=width)
    with mock.patch.object(console, "_plain_lines", return_value=None):
        assert fast == console.render(lines, width=width)


@settings(deadline=None)
@given(st.lists(st.text(st.sampled_from("  ab-,.:/✓✗→"), max_size=160), max_size=6),
       st.integers(min_value=1, max_value=120))
@example(["ab   "], 80)                                   # blanks after the text are kept
@example(["✗ 3 required flows blocked (23 flows: 10 allowed, 5 blocked, 3 conditional, "
          "5 not governed)"], 80)                           # wrapped: the blank stays
@example(["ab cd  ef gh", "  ab  cd   ef  ", "abcdefgh ij"], 5)
def test_plain_text_is_wrapped_as_rich_wraps_it(lines: list[str], width: int) -> None:
    """Plain text (what the fast path takes: printable ASCII and the report's marks), long or
    short, blanks anywhere: the fast path prints what rich prints."""
    fast = console.render(lines, width=width)
    with mock.patch.object(console, "_plain_lines", return_value=None):
        assert fast == console.render(lines, width=width)
