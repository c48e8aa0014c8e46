"""Markdown for pull-request comments stays under GitHub's 65,536 characters, cut between
whole rows and blocks with a note; lint findings are sorted by severity."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

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
    # a fix is worked out when first read: ``fixer`` gives it
    many = tuple(replace(r, fixer=partial(str, f"{r.fix}" + "# padding\n" * 40))
                 for _ in range(40) for r in blocked)
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


def test_explain_md_of_a_large_cluster_is_cut_whole(tmp_path: Path) -> None:
    import io
    docs = []
    for i in range(400):
        docs.append(f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app{i}, "
                    f"namespace: team{i}}}\nspec:\n  selector: {{matchLabels: {{app: a{i}}}}}\n"
                    f"  template:\n    metadata: {{labels: {{app: a{i}}}}}\n    spec:\n"
                    "      containers: [{name: c, image: x}]\n---\n"
                    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                    f"metadata: {{name: deny, namespace: team{i}}}\n"
                    "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n")
    path = tmp_path / "big.yaml"
    path.write_text("---\n".join(docs), encoding="utf-8")
    out = io.StringIO()
    assert main(["explain", str(path), "-o", "md"], out=out, err=io.StringIO()) == 0
    text = out.getvalue()
    assert len(text) <= MAX_COMMENT
    assert "✂️ **Truncated**" in text and "more rows or workloads not shown" in text
    assert "| team0/app0\\[Deployment\\] | yes | yes | team0/deny |" in text
    _balanced(text)


def test_diagnose_md_is_cut_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from dtnetpol.commands import diagnose as command
    from dtnetpol.render.diagnose import diagnose_md

    seen: list[Any] = []
    real = command.render_diagnosis

    def keep(fmt: str, diag: Any, *args: Any, **kwargs: Any) -> str:
        seen.append(diag)
        return real(fmt, diag, *args, **kwargs)

    monkeypatch.setattr(command, "render_diagnosis", keep)
    main(["diagnose", "--skip-invalid", "examples/cluster", "examples/diagnose", "-o", "md"],
         out=io.StringIO(), err=io.StringIO())
    (diag,) = seen
    whole = diagnose_md(diag)
    assert "Truncated" not in whole and diag.findings
    big = replace(diag, findings=diag.findings * 200)
    cut = diagnose_md(big)
    assert len(diagnose_md(big, limit=10**9)) > MAX_COMMENT
    assert len(cut) <= MAX_COMMENT and "✂️ **Truncated**" in cut
    assert cut.startswith("## dtnetpol diagnose\n\n1400 Dynatrace flows with symptoms")
    assert "| flow | verdict | required | evidence | policies |" in cut   # the table first
    _balanced(cut)
