"""Markdown for pull-request comments stays under GitHub's 65,536 characters, cut between
whole rows and blocks with a note; lint findings are sorted by severity."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from dtnetpol.cli import build_parser, main
from dtnetpol.commands._install import load_inputs
from dtnetpol.commands.check import build_report
from dtnetpol.render.markdown import MAX_COMMENT, check_md, fit

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _balanced(text: str) -> None:
    assert text.count("<details>") == text.count("</details>")
    assert text.count("```") % 2 == 0


def test_a_huge_check_report_is_cut_whole_with_a_note() -> None:
    args = build_parser().parse_args(["check", "--skip-invalid", "examples/cluster"])
    report = build_report(args, load_inputs(args, None, for_policies=False))
    blocked = [r for r in report.results if r.fix]
    many = tuple(replace(r, fix=r.fix + "# padding\n" * 40) for _ in range(40) for r in blocked)
    big = replace(report, results=many)
    full = check_md(big, limit=10**9)
    assert len(full) > MAX_COMMENT
    cut = check_md(big)
    assert len(cut) <= MAX_COMMENT
    assert "✂️ **Truncated**" in cut and "-o md > report.md" in cut
    _balanced(cut)
    assert cut.startswith(full[:2000])          # the headline and table come first
    small = check_md(report)
    assert "Truncated" not in small and len(small) < MAX_COMMENT


def test_fit_keeps_sections_whole() -> None:
    sections = [["# head"], *([f"| row {i} |"] for i in range(100))]
    out = fit(sections, "rows", limit=1200)
    lines = out.splitlines()
    assert len(out) <= 1200
    assert all(line.startswith(("# head", "| row", "> ✂️", "")) for line in lines)
    shown = sum(1 for line in lines if line.startswith("| row"))
    assert f"{100 - shown} more rows not shown" in out


def test_lint_md_is_sorted_by_severity(capsys: pytest.CaptureFixture[str]) -> None:
    import io
    out = io.StringIO()
    main(["lint", "examples/cluster", "-o", "md"], out=out, err=io.StringIO())
    marks = [line.split("|")[1].strip() for line in out.getvalue().splitlines()
             if line.startswith("| 🔴") or line.startswith("| 🟠") or line.startswith("| 🔵")]
    order = {"🔴": 0, "🟠": 1, "🔵": 2}
    assert len(marks) > 5 and [order[m] for m in marks] == sorted(order[m] for m in marks)
    js = io.StringIO()
    main(["lint", "examples/cluster", "-o", "json"], out=js, err=io.StringIO())
    assert len(marks) == len(json.loads(js.getvalue())["findings"])
