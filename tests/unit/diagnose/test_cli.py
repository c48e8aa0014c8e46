"""``dtnetpol diagnose`` offline on the example cluster plus a snapshot of its symptoms."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.cli_run import run

REPO = Path(__file__).resolve().parents[3]
ARGS = ("diagnose", "--skip-invalid", "examples/cluster", "examples/diagnose")


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("NO_COLOR", "1")


def test_table_is_golden(golden: Any) -> None:
    code, out, _ = run(*ARGS)
    assert code == 1
    golden("diagnose/example.txt", out)


def test_json_contract_exactly() -> None:
    code, out, _ = run(*ARGS, "-o", "json")
    assert code == 1
    doc = json.loads(out)
    assert set(doc) == {"apiVersion", "kind", "findings"}
    assert (doc["apiVersion"], doc["kind"]) == ("dtnetpol/v1", "Diagnosis")
    verdicts = {"allowed", "blocked", "conditional", "not-governed"}
    for f in doc["findings"]:
        assert set(f) == {"flow", "verdict", "required", "evidence", "policies", "fix", "cause"}
        assert f["verdict"] in verdicts and isinstance(f["required"], bool)
        assert f["fix"] is None or "kind: NetworkPolicy" in f["fix"]
        for e in f["evidence"]:
            assert set(e) == {"kind", "object", "text", "time"}
            assert e["kind"] in {"log", "event", "pod", "condition"}
            assert e["object"].count("/") == 1
    by = {f["flow"]: f for f in doc["findings"]}
    assert by["dns-from-webhook"]["verdict"] == "blocked"
    assert by["dns-from-webhook"]["policies"] == ["dynatrace/default-deny-all",
                                                  "dynatrace/dynatrace-operator-allow"]
    assert by["apiserver-to-webhook"]["evidence"][0] == {
        "kind": "pod", "object": "shop/cart-5f7c9d8b6-k2j3h",
        "text": by["apiserver-to-webhook"]["evidence"][0]["text"],
        "time": "2026-12-01T07:58:03Z"}
    assert by["oneagent-to-endpoints"]["verdict"] == "not-governed"
    assert by["oneagent-to-endpoints"]["fix"] is None
    assert "TLS" in by["oneagent-to-endpoints"]["cause"]
    # Required and blocked first.
    order = [(not f["required"], f["verdict"] != "blocked") for f in doc["findings"]]
    assert order == sorted(order)


def test_md_and_html_carry_the_evidence() -> None:
    _, md, _ = run(*ARGS, "-o", "md")
    assert md.startswith("## dtnetpol diagnose")
    assert "`dns-from-webhook`" in md and "DNS service not ready" in md
    _, html, _ = run(*ARGS, "-o", "html")
    assert "<title>dtnetpol check: diagnose: 7 Dynatrace flows with symptoms" in html
    assert "seen (event dynatrace/dynatrace-webhook-7b8d9c5f6-q9w8e" in html
    assert "no dynatrace-operator init container" in html


def test_no_symptom_is_exit_0(tmp_path: Path) -> None:
    code, out, _ = run("diagnose", "--skip-invalid", "examples/cluster")
    assert code == 0
    assert out.startswith("No symptom of a Dynatrace flow in what was read")


def test_control_characters_in_logs_are_escaped(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    shutil.copytree(REPO / "examples" / "diagnose", snap)
    log = snap / "logs/dynatrace/dynatrace-operator-6c9f7d8b4-x2k4p/operator.log"
    log.write_text('Post "https://abc12345.live.dynatrace.com/api": \x1b[31mdial tcp '
                   "10.96.0.1:443: i/o timeout\x1b]0;pwned\x07\u202e\n", encoding="utf-8")
    code, out, _ = run("diagnose", "--skip-invalid", "examples/cluster", str(snap))
    assert code == 1
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b[31mdial tcp 10.96.0.1:443" in out and "\\u202e" in out
    _, md, _ = run("diagnose", "--skip-invalid", "-o", "md", "examples/cluster", str(snap))
    assert "\x1b" not in md


def test_log_lines_limits_what_is_read(tmp_path: Path) -> None:
    code, out, _ = run(*ARGS, "--log-lines", "1")
    assert "read: 7 pods, 3 events, 0 conditions, 4 logs, 4 log lines" in out
    code, _, err = run(*ARGS, "--log-lines", "0")
    assert code == 2 and "--log-lines 0" in err
