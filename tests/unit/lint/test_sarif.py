"""SARIF 2.1.0 output: valid against the official schema, and what GitHub code scanning needs.

The schema is read from ../shared/corpora/sarif/ (not copied into the project).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.corpora import corpus, missing

from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.model.location import SourceLocation
from dtnetpol.render.sarif import artifact_uri, sarif_report

from .helpers import run_cli, write

REPO = Path(__file__).resolve().parents[3]
SCHEMA = corpus("sarif", "sarif-schema-2.1.0.json")
EXAMPLE = REPO / "examples" / "cluster"

POLICY = """
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
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: bad
  namespace: shop
spec:
  podSelector: {}
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.0.0/40}
"""


def _validate(doc: dict[str, Any]) -> None:
    if not SCHEMA.is_file():
        pytest.skip(missing(SCHEMA))
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc),
                    key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def _github_checks(doc: dict[str, Any]) -> None:
    """What GitHub code scanning requires beyond the schema."""
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dtnetpol" and driver["version"]
    rules = driver["rules"]
    for rule in rules:
        assert rule["id"] and rule["shortDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        (loc,) = result["locations"]
        physical = loc["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert "\\" not in uri and not uri.startswith("/")
        assert physical["region"]["startLine"] >= 1
        assert result["partialFingerprints"]


def test_cli_sarif_is_valid_and_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, POLICY, name="deploy/policies/in.yaml")
    code, out, _ = run_cli(["lint", "deploy", "-o", "sarif"])
    assert code == 1
    doc = json.loads(out)
    _validate(doc)
    _github_checks(doc)
    results = doc["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("NPL014", "warning"),
                                                            ("NPL001", "error")]
    physical = results[1]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "deploy/policies/in.yaml",
                                            "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 21}
    assert results[1]["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "spec.ingress[0].from[0].ipBlock.cidr", "kind": "member"}]


def test_sarif_of_the_example_cluster_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    if not EXAMPLE.is_dir():
        pytest.skip("examples/cluster is absent")
    monkeypatch.chdir(REPO)
    code, out, _ = run_cli(["lint", "examples/cluster", "-o", "sarif"])
    assert code == 1
    doc = json.loads(out)
    _validate(doc)
    _github_checks(doc)
    assert len(doc["runs"][0]["results"]) > 10


def test_columns_and_severities_map() -> None:
    f = Finding("NPL009", Severity.INFO, "m", SourceLocation("a b.yaml", 1, 3, "spec"),
                column=5)
    doc = json.loads(sarif_report([f], root="/work"))
    result = doc["runs"][0]["results"][0]
    assert result["level"] == "note"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 3,
                                                                   "startColumn": 5}
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a%20b.yaml"
    _validate(doc)


def test_artifact_uris() -> None:
    assert artifact_uri("/repo/deploy/a.yaml", "/repo") == ("deploy/a.yaml", True)
    assert artifact_uri("/elsewhere/a.yaml", "/repo") == ("file:///elsewhere/a.yaml", False)
    assert artifact_uri("./x/../a.yaml", "/repo") == ("a.yaml", True)
    assert artifact_uri("<stdin>", "/repo") == ("stdin", True)
