"""``-o md`` and ``-o dot`` for connlist, can-reach, explain and diff (golden files on the
bundled example), and ``dtnetpol diff`` with Dynatrace flows: verdict changes, exit 1 when a
required flow becomes blocked, JSON valid against the schema."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dtnetpol.check import CheckReport
from dtnetpol.cli import build_parser
from dtnetpol.commands._install import load_inputs
from dtnetpol.commands.check import build_report
from dtnetpol.diff.flows import ABSENT, breaking, flow_changes

from .helpers import EXAMPLE, REPO, run_cli

Golden = Callable[[str, str], None]
EX = ("--skip-invalid", "examples/cluster")


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _schema() -> dict[str, Any]:
    text = resources.files("dtnetpol").joinpath("data/dtnetpol-v1.schema.json").read_text()
    doc: dict[str, Any] = json.loads(text)
    return doc


def _valid(doc: dict[str, Any]) -> None:
    jsonschema.validate(doc, _schema(), cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(("name", "argv"), [
    ("connlist.md", ("connlist", *EX, "-o", "md")),
    ("connlist.dot", ("connlist", *EX, "-o", "dot")),
    ("explain.md", ("explain", *EX, "-n", "shop", "-o", "md")),
    ("can-reach.md", ("can-reach", *EX, "--from", "shop/frontend", "--to", "shop/cart",
                      "--port", "8080", "-o", "md")),
])
def test_golden(name: str, argv: tuple[str, ...], golden: Golden) -> None:
    code, out, _ = run_cli(*argv)
    assert code == 0
    golden(f"formats/{name}", out)


def test_connlist_dot_is_a_graph_graphviz_reads() -> None:
    _, out, _ = run_cli("connlist", *EX, "-o", "dot")
    _, js, _ = run_cli("connlist", *EX, "-o", "json")
    assert sum(" -> " in line for line in out.splitlines()) == \
        len(json.loads(js)["connections"])
    if shutil.which("dot") is None:
        pytest.skip("Graphviz (dot) is not installed")
    svg = subprocess.run(["dot", "-Tsvg"], input=out, capture_output=True, text=True,
                         check=True).stdout
    assert svg.count('class="edge"') == len(json.loads(js)["connections"])


def test_md_is_rejected_where_dot_is_not_offered() -> None:
    code, _, err = run_cli("explain", *EX, "-o", "dot")
    assert code == 2 and "invalid choice: 'dot'" in err


@pytest.fixture
def without_seed(tmp_path: Path) -> Path:
    """The example without the seed samples, which allow the operator and CSI driver out."""
    new = tmp_path / "new"
    shutil.copytree(EXAMPLE, new)
    (new / "policies" / "seed-samples.yaml").unlink()
    return new


def test_diff_exits_1_when_a_required_flow_becomes_blocked(without_seed: Path,
                                                           golden: Golden) -> None:
    code, out, _ = run_cli("diff", "--skip-invalid", "examples/cluster", str(without_seed),
                           "-o", "json")
    assert code == 1
    doc = json.loads(out)
    _valid(doc)
    flows = {f["id"]: f for f in doc["flows"]}
    assert set(flows) == {"operator-to-tenant", "csi-to-tenant"}
    assert flows["operator-to-tenant"] == {
        "id": "operator-to-tenant", "required": True, "before": "allowed", "after": "blocked",
        "source": "dynatrace/dynatrace-operator[Deployment]",
        "destination": "abc12345.live.dynatrace.com:443", "port": "443/TCP",
        "blocked_by": "egress", "policies": ["dynatrace/default-deny-all"], "breaks": True}
    code, table, _ = run_cli("diff", "--skip-invalid", "examples/cluster", str(without_seed))
    assert code == 1
    assert "operator-to-tenant" in table and "blocked (breaks)" in table
    assert " ".join(table.split()).endswith("2 Dynatrace flow verdicts changed, 2 required "
                                            "flows become blocked")
    code, md, _ = run_cli("diff", "--skip-invalid", "examples/cluster", str(without_seed),
                          "-o", "md")
    assert code == 1
    golden("formats/diff.md", md.replace(str(without_seed), "NEW"))


def test_diff_that_repairs_flows_exits_0(without_seed: Path) -> None:
    code, out, _ = run_cli("diff", "--skip-invalid", str(without_seed), "examples/cluster",
                           "-o", "json")
    assert code == 0
    doc = json.loads(out)
    _valid(doc)
    assert {(f["id"], f["before"], f["after"], f["breaks"]) for f in doc["flows"]} == {
        ("operator-to-tenant", "blocked", "allowed", False),
        ("csi-to-tenant", "blocked", "allowed", False)}


def test_diff_without_dynakube_has_no_flows(tmp_path: Path) -> None:
    for side in ("old", "new"):
        shutil.copytree(EXAMPLE, tmp_path / side)
        (tmp_path / side / "dynakube.yaml").unlink()
    (tmp_path / "new" / "policies" / "seed-samples.yaml").unlink()
    code, out, _ = run_cli("diff", "--skip-invalid", str(tmp_path / "old"),
                           str(tmp_path / "new"), "-o", "json")
    assert code == 0
    doc = json.loads(out)
    _valid(doc)
    assert doc["flows"] is None and doc["changes"]
    # the DynaKube given once applies to both sides
    code, out, _ = run_cli("diff", "--skip-invalid", str(tmp_path / "old"),
                           str(tmp_path / "new"), "--dynakube",
                           str(EXAMPLE / "dynakube.yaml"), "-o", "json")
    assert code == 1 and {f["id"] for f in json.loads(out)["flows"]} == {
        "operator-to-tenant", "csi-to-tenant"}


def test_diff_of_identical_sets_is_empty_and_0() -> None:
    code, out, _ = run_cli("diff", "--skip-invalid", "examples/cluster", "examples/cluster")
    assert code == 0
    assert out.strip().endswith("no connection changes; 0 Dynatrace flow verdicts changed, "
                                "0 required flows become blocked")


def test_diff_rejects_stdin() -> None:
    code, _, err = run_cli("diff", "-", "examples/cluster")
    assert code == 2 and err.strip().splitlines()[-1].startswith("dtnetpol: error: diff reads")


def test_flow_changes_marks_absent_flows() -> None:
    args = build_parser().parse_args(["check", *EX])
    report = build_report(args, load_inputs(args, None))
    empty = CheckReport(())
    gone = flow_changes(report, empty)
    assert [c.id for c in gone] == [r.id for r in report.results]
    assert all(c.after == ABSENT and not c.breaks for c in gone)
    new = flow_changes(empty, report)
    assert {c.id for c in breaking(new)} == {r.id for r in report.results
                                            if r.required and r.verdict.value == "blocked"}
    assert flow_changes(report, report) == []


def test_lint_md_is_golden_and_escapes(golden: Golden) -> None:
    code, out, _ = run_cli("lint", "examples/cluster", "-o", "md")
    assert code == 1
    assert out.startswith("### dtnetpol lint: 🔴 7 errors\n")
    # one row per finding, the same findings as the JSON report
    _, js, _ = run_cli("lint", "examples/cluster", "-o", "json")
    assert out.count("\n| 🔴 |") + out.count("\n| 🟠 |") + out.count("\n| 🔵 |") == \
        len(json.loads(js)["findings"])
    assert "dynakube-activegate\\[StatefulSet\\]" in out  # Markdown punctuation escaped
    golden("formats/lint.md", out)
