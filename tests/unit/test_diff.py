"""dtnetpol diff: connection changes between two policy sets, from paths or git revisions."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dtnetpol.cli import main
from dtnetpol.diff.connections import Change, diff_connections
from dtnetpol.engine.connlist import Connection
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.ports import PortSet
from dtnetpol.model.policy import Protocol

REPO = Path(__file__).resolve().parents[2]


def tcp(lo: int, hi: int | None = None) -> PortSet:
    return PortSet.of(Protocol.TCP, IntervalSet.single(lo, hi))


def test_diff_classifies_added_removed_changed() -> None:
    old = [Connection("a", "b", tcp(80)), Connection("a", "c", tcp(80)),
           Connection("a", "d", tcp(1, 100))]
    new = [Connection("a", "b", tcp(80)), Connection("a", "d", tcp(1, 50)),
           Connection("a", "e", PortSet.all())]
    changes = {(c.src, c.dst): c for c in diff_connections(old, new)}
    assert set(changes) == {("a", "c"), ("a", "d"), ("a", "e")}
    assert changes[("a", "c")].change is Change.REMOVED
    assert changes[("a", "e")].change is Change.ADDED
    d = changes[("a", "d")]
    assert d.change is Change.CHANGED and d.lost == tcp(51, 100) and not d.gained


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def _fixed_copy(tmp: Path) -> tuple[Path, Path]:
    old = tmp / "old"
    new = tmp / "new"
    shutil.copytree(REPO / "examples" / "cluster", old)
    shutil.copytree(REPO / "examples" / "cluster", new)
    pol = new / "policies" / "payments.yaml"
    pol.write_text(pol.read_text().replace("port: 443\n", "port: 8443\n"))
    return old, new


def test_diff_of_two_directories_shows_the_fixed_service_port(tmp_path: Path) -> None:
    old, new = _fixed_copy(tmp_path)
    code, out, _ = run("diff", "--skip-invalid", str(old), str(new), "-o", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["changes"] == [{"src": "shop/cart[Deployment]",
                               "dst": "payments/payments-api[Deployment]", "change": "added",
                               "before": None,
                               "after": [{"protocol": "TCP", "ports": [[8443, 8443]]}]}]


def test_diff_needs_two_paths_or_one_and_a_live_cluster(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run("diff", "examples/cluster", "examples/cluster", "examples/cluster")
    assert code == 2 and "diff takes two paths, OLD and NEW" in err
    # one PATH is compared with the live cluster: here there is none to read
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    code, _, err = run("diff", "examples/cluster")
    assert code == 2 and "no kubeconfig found" in err


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_between_git_revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = _fixed_copy(tmp_path)
    repo = tmp_path / "repo"
    shutil.copytree(old, repo / "cluster")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "old"], check=True)
    shutil.copy(new / "policies" / "payments.yaml", repo / "cluster" / "policies")
    subprocess.run([*git, "commit", "-qam", "fix port"], check=True)
    monkeypatch.chdir(repo)
    code, out, _ = run("diff", "--skip-invalid", "--git", "HEAD~1..HEAD", "cluster")
    assert code == 0
    assert "shop/cart[Deployment]" in out and "1 added" in out
    code, _, err = run("diff", "--git", "nosuchrev..HEAD", "cluster")
    assert code == 2 and "nosuchrev" in err and "Traceback" not in err
