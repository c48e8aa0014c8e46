"""``.dtnetpol.yaml``: settings for every command, found upward, flags win; --exclude."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.cli_run import run

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "cluster"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example as a repository, worked in from a sub-folder."""
    shutil.copytree(EXAMPLE, tmp_path / "cluster")
    (tmp_path / "deploy").mkdir()
    shutil.move(tmp_path / "cluster" / "dynakube.yaml", tmp_path / "deploy" / "dynakube.yaml")
    (tmp_path / "sub" / "dir").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "sub" / "dir")
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def settings(repo: Path, text: str) -> None:
    (repo / ".dtnetpol.yaml").write_text(text, encoding="utf-8")


def test_settings_are_found_upward_and_fill_the_flags(repo: Path) -> None:
    cluster = str(repo / "cluster")
    assert run("check", cluster, "-o", "json")[0] == 2   # an invalid policy, no DynaKube
    settings(repo, "dynakube: [deploy/dynakube.yaml]\n"
                   "exclude: ['cluster/policies/invalid/*']\n"
                   "platform: eks\n")
    code, out, err = run("check", cluster, "-o", "json", "--no-fix")
    assert code == 1, err
    report = json.loads(out)
    assert report["summary"]["total"] > 10
    assert not any("seed-activegate" in w for w in report["warnings"])   # excluded, not skipped
    # the settings' platform is used, and a flag wins over it
    assert out == run("check", cluster, "-o", "json", "--no-fix", "--platform", "eks")[1]
    assert out != run("check", cluster, "-o", "json", "--no-fix", "--platform", "generic")[1]


def test_flags_win_over_settings(repo: Path) -> None:
    settings(repo, "dynakube: [deploy/dynakube.yaml]\nexclude: ['cluster/policies/invalid/*']\n"
                   "fail-on: {check: conditional, lint: info}\n")
    cluster = str(repo / "cluster")
    assert run("check", cluster, "--no-fix")[0] == 1
    # lint: info findings fail by the settings, not with --fail-on error
    code_settings = run("lint", cluster)[0]
    code_flag = run("lint", cluster, "--fail-on", "error")[0]
    assert code_settings == 1
    assert code_flag in (0, 1)
    only_info = run("lint", cluster, "-o", "json", "--fail-on", "error")[1]
    if all(f["severity"] != "error" for f in json.loads(only_info)["findings"]):
        assert code_flag == 0


def test_exclude_flag_is_relative_to_the_working_directory(repo: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.chdir(repo)
    code, _, err = run("connlist", "cluster")
    assert code == 2 and "seed-activegate.yaml" in err
    code, out, err = run("connlist", "cluster", "--exclude", "cluster/policies/invalid/*")
    assert code == 0 and err == "" and "allowed connections" in out
    code, _, err = run("connlist", "cluster", "--exclude", "cluster/**")
    assert code == 2 and "every manifest in this folder is left out" in err


def test_lint_keys_and_general_keys_live_in_one_file(repo: Path) -> None:
    settings(repo, "exclude: ['cluster/policies/invalid/*']\ndisable: [NPL016]\n")
    code, out, _ = run("lint", str(repo / "cluster"), "-o", "json")
    findings = json.loads(out)["findings"]
    assert code in (0, 1) and findings
    assert all(f["rule"] != "NPL016" for f in findings)
    assert all("invalid" not in f["file"] for f in findings)
    (repo / ".dtnetpol.yaml").unlink()
    every = json.loads(run("lint", str(repo / "cluster"), "-o", "json")[1])["findings"]
    assert any(f["rule"] == "NPL016" for f in every)
    assert any("invalid" in f["file"] for f in every)


@pytest.mark.parametrize(("text", "message"), [
    ("platform: moon\n", "platform 'moon' is not one of"),
    ("tenant-cidrs: [300.1.1.1/8]\n", "'300.1.1.1/8' is not an IP address or CIDR"),
    ("fail-on: {check: sometimes}\n", "fail-on.check: 'sometimes' is not one of"),
    ("fail-on: {diff: required}\n", "not 'diff'"),
    ("colour: blue\n", "unknown key 'colour'"),
])
def test_bad_settings_are_one_line_errors_with_file_and_line(repo: Path, text: str,
                                                             message: str) -> None:
    settings(repo, "# settings\n" + text)
    code, out, err = run("connlist", str(repo / "cluster"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
    assert f"{repo / '.dtnetpol.yaml'}:2" in err or ".dtnetpol.yaml:2" in err
