"""``dtnetpol check -o sarif|md|dot|html``: golden files on the bundled example, SARIF valid
against the official schema, user data always text."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from tests.corpora import missing

from dtnetpol.render.check_html import script_hash
from dtnetpol.render.dot import quote
from dtnetpol.render.markdown import block, code, text

from .helpers import (
    DK_NAME,
    REPO,
    SARIF_SCHEMA,
    WORKLOAD_NAME,
    hostile_cluster,
    run_cli,
    without_svg,
)

Golden = Callable[[str, str], None]
ARGS = ("check", "--skip-invalid", "examples/cluster")


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _validate_sarif(doc: dict[str, Any]) -> None:
    if not SARIF_SCHEMA.is_file():
        pytest.skip(missing(SARIF_SCHEMA))
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_sarif_is_valid_and_points_at_the_deciding_policy() -> None:
    code_, out, _ = run_cli(*ARGS, "-o", "sarif")
    assert code_ == 1
    doc = json.loads(out)
    _validate_sarif(doc)
    _, js, _ = run_cli(*ARGS, "-o", "json")
    flows = json.loads(js)["flows"]
    problems = [f for f in flows if f["verdict"] in ("blocked", "conditional")]
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["properties"]["flow"] for r in results] == [f["id"] for f in problems]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        (loc,) = r["locations"]
        phys = loc["physicalLocation"]
        assert phys["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not phys["artifactLocation"]["uri"].startswith("/")
        assert phys["region"]["startLine"] >= 1
    by_flow = {r["properties"]["flow"]: r for r in results}
    webhook = by_flow["apiserver-to-webhook"]
    assert webhook["level"] == "error"
    assert webhook["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "examples/cluster/policies/seed-samples.yaml",
                             "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 20}}
    assert "dynatrace/dynatrace-operator-allow" in webhook["message"]["text"]
    optional = by_flow["oneagent-to-activegate"]
    assert optional["level"] == "warning"
    rule = rules[webhook["ruleIndex"]]
    assert "kind: NetworkPolicy" in rule["help"]["text"]
    assert "```yaml" in rule["help"]["markdown"]


def test_sarif_without_nearest_miss_points_at_the_isolating_policy() -> None:
    _, out, _ = run_cli(*ARGS, "-o", "sarif")
    results = {r["properties"]["flow"]: r for r in json.loads(out)["runs"][0]["results"]}
    # activegate-to-apiserver: no rule comes close; the isolating policy is default-deny-all.
    r = results["activegate-to-apiserver"]
    assert "no rule names kube-apiserver" in r["message"]["text"]
    phys = r["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "examples/cluster/policies/default-deny.yaml"
    lines = (REPO / "examples/cluster/policies/default-deny.yaml").read_text().splitlines()
    around = "\n".join(lines[phys["region"]["startLine"] - 1:
                             phys["region"]["startLine"] + 5])
    assert "namespace: dynatrace" in around


@pytest.mark.parametrize("fmt", ["md", "dot", "sarif"])
def test_golden(fmt: str, golden: Golden) -> None:
    code_, out, _ = run_cli(*ARGS, "-o", fmt)
    assert code_ == 1
    if fmt == "sarif":
        doc = json.loads(out)
        doc["runs"][0].pop("originalUriBaseIds")  # the absolute checkout path
        doc["runs"][0]["tool"]["driver"]["version"] = "VERSION"
        doc["runs"][0]["tool"]["driver"]["semanticVersion"] = "VERSION"
        out = json.dumps(doc, indent=2) + "\n"
    golden(f"formats/check.{fmt}", out)


def test_golden_html(golden: Golden) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz (dot) is not installed")
    code_, out, _ = run_cli(*ARGS, "-o", "html")
    assert code_ == 1
    golden("formats/check.html", without_svg(out))


def test_markdown_is_summary_first_details_folded() -> None:
    _, out, _ = run_cli(*ARGS, "-o", "md")
    lines = out.splitlines()
    assert lines[0].startswith("### dtnetpol check: ") and "12 required" in lines[0]
    assert lines[2].startswith("**23 flows: 3 allowed, 15 blocked")
    assert out.index("| flow |") < out.index("<details>")
    assert out.count("<details>") == out.count("</details>") == 15
    assert "```yaml\n---\n# NetworkPolicy dynatrace/apiserver-to-webhook" in out


def test_markdown_escapes_user_data() -> None:
    assert text("<script>alert(1)</script>") == "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" \
        or text("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert text("a|b*c*_d_[e](f)") == "a\\|b\\*c\\*\\_d\\_\\[e\\](f)"
    assert text("two\nlines") == "two lines"
    assert code("a`b") == "``a`b``"
    assert block("x\n```\ny\n", "yaml") == ["````yaml", "x", "```", "y", "````"]


def test_markdown_of_hostile_names_has_no_tag(tmp_path: Path) -> None:
    _, out, _ = run_cli("check", "--skip-invalid", str(hostile_cluster(tmp_path)), "-o", "md")
    outside_code = re.sub(r"(`{3,}).*?\1", "", out, flags=re.S)
    assert "<script" not in outside_code and "&lt;script&gt;" in outside_code


def test_dot_escapes_and_graphviz_reads_it(tmp_path: Path) -> None:
    assert quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    _, out, _ = run_cli("check", "--skip-invalid", str(hostile_cluster(tmp_path)), "-o", "dot")
    assert quote(f"OneAgent of {DK_NAME}") in out
    if shutil.which("dot") is None:
        pytest.skip("Graphviz (dot) is not installed")
    svg = subprocess.run(["dot", "-Tsvg"], input=out, capture_output=True, text=True,
                         check=True).stdout
    assert html.escape(f"OneAgent of {DK_NAME}", quote=False) in svg.replace("&quot;", '"')


def test_dot_has_one_coloured_edge_per_flow() -> None:
    _, out, _ = run_cli(*ARGS, "-o", "dot")
    _, js, _ = run_cli(*ARGS, "-o", "json")
    flows = json.loads(js)["flows"]
    edges = [line for line in out.splitlines() if " -> " in line]
    # application-pod flows get one edge per monitored namespace (payments and shop)
    second_namespace = sum(1 for f in flows if f["source"].startswith("payments/"))
    assert second_namespace == 4 and len(edges) == len(flows) + second_namespace
    webhook = next(e for e in edges if 'label="apiserver-to-webhook\\n8443/TCP' in e)
    assert 'color="#cf222e"' in webhook
    # the edge names the deciding rule, not every isolating policy
    assert "nearest miss dynatrace/dynatrace-operator-allow ingress[0]" in webhook
    assert "default-deny-all" not in webhook
    nodes = [line for line in out.splitlines() if "label=" in line and " -> " not in line]
    assert any('"OneAgent communication endpoints' in n for n in nodes)
    assert not any("status.oneAgent" in n or "connectionInfoStatus" in n for n in nodes)
    assert sum('color="#1a7f37"' in e for e in edges) >= 3  # allowed flows are green


def test_html_is_self_contained_and_escapes(tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz (dot) is not installed")
    _, out, _ = run_cli("check", "--skip-invalid", str(hostile_cluster(tmp_path)), "-o",
                        "html")
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", out, flags=re.S)
    assert len(scripts) == 1 and "alert" not in scripts[0]
    assert f"'{script_hash(scripts[0])}'" in out  # the CSP allows exactly that script
    assert "<script>alert" not in out
    assert str(escape(DK_NAME)) in out and str(escape(WORKLOAD_NAME)) in out
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", out)
    assert "<svg" in out and "<?xml" not in out and "DOCTYPE svg" not in out
    rows = re.findall(r"<tr class=\"flow\" data-verdict=\"([a-z-]+)\"", out)
    assert len(rows) == 23 and rows.count("blocked") == 15


def test_html_without_graphviz_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DTNETPOL_DOT", "/nonexistent/dot")
    code_, out, err = run_cli(*ARGS, "-o", "html")
    assert code_ == 2 and out == ""
    last = err.strip().splitlines()[-1]
    assert last.startswith("dtnetpol: error: the HTML report needs Graphviz")
    assert "Traceback" not in err


def test_long_policy_lists_are_cut_in_text_but_whole_in_json() -> None:
    """A flow from every monitored namespace meets one default-deny per namespace."""
    from dataclasses import replace

    from dtnetpol.cli import build_parser
    from dtnetpol.commands._install import load_inputs
    from dtnetpol.commands.check import build_report
    from dtnetpol.render.check_json import check_json
    from dtnetpol.render.check_view import details

    args = build_parser().parse_args(list(ARGS))
    report = build_report(args, load_inputs(args, for_policies=False))
    blocked = next(r for r in report.results if r.blocked_by)
    many = replace(blocked, policies=tuple(f"ns-{i:04}/default-deny" for i in range(2500)))
    line = next(x for x in details(many) if "isolated by" in x)
    assert line.endswith("ns-0009/default-deny and 2,490 more policies (-o json lists them all)")
    assert "ns-0010" not in line
    one_more = replace(blocked, policies=many.policies[:11])
    assert "and 1 more policy (" in next(x for x in details(one_more) if "isolated by" in x)
    listed = json.loads(check_json(replace(report, results=(many,))))["flows"][0]["policies"]
    assert len(listed) == 2500


def test_sarif_location_is_the_miss_own_location_not_its_text() -> None:
    """A file:line inside the message text (user data) never becomes the location."""
    from dataclasses import replace

    from dtnetpol.check import Miss, NearMiss
    from dtnetpol.cli import build_parser
    from dtnetpol.commands._install import load_inputs
    from dtnetpol.commands.check import build_report
    from dtnetpol.engine.explain import RuleRef
    from dtnetpol.model import Direction, SourceLocation
    from dtnetpol.render.check_sarif import check_sarif

    args = build_parser().parse_args(["check", "--skip-invalid", "examples/cluster"])
    report = build_report(args, load_inputs(args, None, for_policies=False))
    first = next(r for r in report.results if r.misses)
    rule = RuleRef("ns/p", Direction.EGRESS, 0, SourceLocation("real.yaml", 1, 12))
    miss = Miss(Direction.EGRESS, "ns/w[Deployment]", "looks like (decoy.yaml:5)",
                NearMiss(rule, ("label app=(decoy.yaml:5) required",)))
    crafted = replace(report, results=(replace(first, misses=(miss,)),))
    doc = json.loads(check_sarif(crafted, root=None))
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("real.yaml")
    assert loc["region"]["startLine"] == 12
