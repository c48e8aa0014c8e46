"""The GitHub Action, the GitLab job and the pre-commit hooks, run as CI would run them.

The Action's scripts are executed by bash with the step's environment (inputs substituted
as GitHub does, into ``env:`` only) and a ``dtnetpol`` on PATH that runs this checkout.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dtnetpol.cli import main

REPO = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
GITLAB = yaml.safe_load((REPO / "docs" / "gitlab-ci.yml").read_text(encoding="utf-8"))
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _shim(tmp_path: Path) -> Path:
    """A bin folder whose ``dtnetpol`` runs this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "dtnetpol"
    shim.write_text(f"#!/bin/sh\nPYTHONPATH={REPO / 'src'} exec {sys.executable} -c "
                    "'import sys; from dtnetpol.cli import main; sys.exit(main())' \"$@\"\n")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def _value(expr: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    if expr.startswith("inputs."):
        name = expr[len("inputs."):]
        return inputs.get(name, str(ACTION["inputs"][name].get("default", "")))
    m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
    if m:
        return outputs.get(m.group(1), {}).get(m.group(2), "")
    if expr == "github.action_path":
        return str(REPO)
    raise AssertionError(f"unexpected expression {expr!r}")


def run_action(tmp_path: Path, inputs: dict[str, str]) -> dict[str, Any]:
    """Run the Action's shell steps (not the install, not the uploads) in ``tmp_path``."""
    summary = tmp_path / "summary.md"
    summary.write_text("")
    outputs: dict[str, dict[str, str]] = {}
    logs: dict[str, str] = {}
    path = f"{_shim(tmp_path)}{os.pathsep}{os.environ['PATH']}"
    final = 0
    for step in ACTION["runs"]["steps"]:
        if "run" not in step or step.get("name") == "Install dtnetpol":
            continue
        condition = step.get("if", "")
        if "inputs.check == 'true'" in condition and _value("inputs.check", inputs, outputs) \
                != "true":
            continue
        out_file = tmp_path / f"out-{step.get('id', 'final')}"
        out_file.write_text("")
        env = {k: EXPR.sub(lambda m: _value(m.group(1), inputs, outputs), str(v))
               for k, v in (step.get("env") or {}).items()}
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path,
                              env={**os.environ, **env, "PATH": path, "NO_COLOR": "1",
                                   "GITHUB_OUTPUT": str(out_file),
                                   "GITHUB_STEP_SUMMARY": str(summary)},
                              capture_output=True, text=True, timeout=300, check=False)
        logs[step["name"]] = done.stdout + done.stderr
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in
                                       out_file.read_text().splitlines())
            assert done.returncode == 0, logs[step["name"]]
        else:
            final = done.returncode
    return {"outputs": outputs, "logs": logs, "final": final,
            "summary": summary.read_text(encoding="utf-8")}


def test_action_never_pastes_an_expression_into_a_script() -> None:
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    assert "security-events: write" in text
    assert {"fail-on", "check-fail-on"} <= set(ACTION["inputs"])


@pytest.fixture
def example(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "examples" / "cluster", tmp_path / "cluster")
    shutil.rmtree(tmp_path / "cluster" / "policies" / "invalid")
    return tmp_path


def test_action_reports_uploads_and_fails_on_findings(example: Path) -> None:
    got = run_action(example, {"paths": "cluster"})
    assert got["outputs"]["lint"] == {"code": "1", "sarif": "true"}
    assert got["outputs"]["check"] == {"code": "1", "sarif": "true"}
    assert (example / "dtnetpol-lint.sarif").stat().st_size > 1000
    assert "### dtnetpol lint:" in got["summary"] and "### dtnetpol check:" in got["summary"]
    assert got["final"] == 1


def test_action_check_fail_on_is_passed_through(example: Path) -> None:
    got = run_action(example, {"paths": "cluster", "check-fail-on": "conditional",
                               "check-args": "--no-fix"})
    assert got["outputs"]["check"]["code"] == "1"


def test_action_on_bad_input_shows_the_error_and_uploads_nothing(tmp_path: Path) -> None:
    got = run_action(tmp_path, {"paths": "no-such-dir"})
    for step in ("lint", "check"):
        assert got["outputs"][step] == {"code": "2"}     # no sarif=true: no upload
    assert not (tmp_path / "dtnetpol-lint.sarif").exists()
    assert not (tmp_path / "dtnetpol-check.sarif").exists()
    assert "dtnetpol: error: no-such-dir:" in got["logs"]["Lint"]
    assert "no such file or folder" in got["logs"]["Lint"]
    assert "::error title=dtnetpol lint::" in got["logs"]["Lint"]
    assert got["final"] == 2


def test_action_inputs_cannot_run_commands(tmp_path: Path) -> None:
    got = run_action(tmp_path, {"paths": "x; touch PWNED $(touch PWNED2)",
                                "check-args": "`touch PWNED3`"})
    assert not list(tmp_path.glob("PWNED*"))
    assert got["final"] == 2


def test_gitlab_job_keeps_diff_exit_code_through_tee_and_fetches_the_base(
        tmp_path: Path) -> None:
    job = GITLAB["dtnetpol"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    script = next(s for s in job["script"] if "dtnetpol diff" in s)
    assert "set -o pipefail" in script and "| tee" in script and "git fetch" in script
    assert not any("pip install --quiet dtnetpol" in s for s in job["before_script"])
    assert any("git+${DTNETPOL_GIT}@${DTNETPOL_COMMIT}" in s for s in job["before_script"])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("dtnetpol", "echo '### diff'; exit 1"), ("git", "exit 0")):
        fake = bin_dir / name
        fake.write_text(f"#!/bin/sh\n{body}\n")
        fake.chmod(0o755)
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path,
                          env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                               "CI_MERGE_REQUEST_DIFF_BASE_SHA": "abc",
                               "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
                               "MANIFESTS": "deploy/"},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and (tmp_path / "dtnetpol-diff.md").read_text() == "### diff\n"


def test_no_placeholder_release_in_the_docs() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "@v0.1.0" not in text and "rev: v0.1.0" not in text
    assert "pip install dtnetpol" not in text


def _hook_argv(hook: dict[str, Any]) -> list[str]:
    entry = hook["entry"].split()
    assert entry[0] == "dtnetpol" and hook["pass_filenames"] is False
    return [*entry[1:], *hook.get("args", [])]


def test_hooks_lint_and_check_the_whole_repository(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A repository with a Helm chart, a CI workflow and the policies split over files: the
    hooks skip what is not a manifest, see every file, and take the DynaKube from the
    settings."""
    repo = tmp_path
    shutil.copytree(REPO / "examples" / "cluster", repo / "deploy")
    shutil.rmtree(repo / "deploy" / "policies" / "invalid")
    shutil.move(repo / "deploy" / "dynakube.yaml", repo / "dynakube.yaml.txt")
    (repo / "chart" / "templates").mkdir(parents=True)
    (repo / "chart" / "values.yaml").write_text("replicaCount: 1\n")
    (repo / "chart" / "templates" / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n")
    (repo / ".github").mkdir()
    (repo / "ci.yml").write_text("on: push\njobs: {}\n")
    (repo / ".dtnetpol.yaml").write_text("dynakube: [dynakube.yaml.txt]\nplatform: kind\n")
    monkeypatch.chdir(repo)
    codes = {}
    for hook in HOOKS:
        out, err = io.StringIO(), io.StringIO()
        codes[hook["id"]] = (main(_hook_argv(hook), out=out, err=err), err.getvalue())
    assert codes["dtnetpol-lint"][0] == 1, codes      # findings, not bad input
    assert codes["dtnetpol-check"][0] == 1, codes     # blocked flows, not "no DynaKube"
    for hook in HOOKS:
        assert re.search(hook["files"], "deploy/shop.yaml")
