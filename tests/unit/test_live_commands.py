"""Live mode, command by command: each analysing command reads the kubeconfig's current
context when no PATH is given, takes --context, and the client library is imported only
when a cluster is read (issue 18's audit; the deeper live tests are in test_live.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.apiserver import ApiServer, NoOpenSSL, running_example
from tests.apiserver.fixture import example_server
from tests.cli_run import run

from dtnetpol.sources.cluster import ClusterSpec, read_cluster

REPO = Path(__file__).resolve().parent.parent.parent
SRC = REPO / "src"

#: every command that analyses a cluster, with the arguments it needs besides the cluster
COMMANDS: dict[str, tuple[str, ...]] = {
    "check": (),
    "can-reach": ("--from", "shop/frontend", "--to", "shop/cart", "--port", "8080"),
    "explain": ("--workload", "shop/cart"),
    "connlist": (),
    "lint": (),
    "generate": (),
    "fix": (),
    "diagnose": ("--skip-invalid",),
}


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    with example_server() as srv:
        yield srv


@pytest.fixture
def current(server: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$KUBECONFIG names a file whose current context is the test server; no ~/.kube."""
    kubeconfig = server.kubeconfig(tmp_path / "kubeconfig", context="shop-prod")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    return kubeconfig


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_path_reads_the_current_context(server: ApiServer, current: Path,
                                           command: str) -> None:
    server.clear_requests()
    code, out, err = run(command, *COMMANDS[command])
    assert code in (0, 1), err
    assert out
    pods = [r for r in server.requests if r.path == "/api/v1/pods"]
    assert pods and all(r.status == 200 for r in pods)
    assert {r.method for r in server.requests} == {"GET"}
    # the same with the context named, and the file given
    named = run(command, *COMMANDS[command], "--context", "shop-prod",
                "--kubeconfig", str(current))
    assert named[:2] == (code, out)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_unknown_context_is_one_line(server: ApiServer, current: Path,
                                        command: str) -> None:
    server.clear_requests()
    code, out, err = run(command, *COMMANDS[command], "--context", "nope")
    assert (code, out) == (2, "")
    assert err == (f'dtnetpol: error: context "nope" is not in {current} '
                   "(contexts: shop-prod)\n")
    assert server.requests == []


def test_all_namespaces_is_the_default_and_n_narrows(current: Path) -> None:
    whole = run("connlist", "-o", "json")
    assert whole[0] == 0
    assert run("connlist", "-o", "json", "-A") == whole
    narrowed = run("connlist", "-o", "json", "-n", "payments")
    assert narrowed[0] == 0 and narrowed[1] != whole[1]
    assert run("connlist", "-n", "payments", "-A")[0] == 2


def test_a_group_that_is_not_installed_is_skipped_quietly(tmp_path: Path) -> None:
    """A cluster without the Dynatrace operator: no DynaKube CRD, no warning, no request for
    a path of a group discovery did not list."""
    objects, _ = running_example()
    plain = [o for o in objects if not o["apiVersion"].startswith("dynatrace.com/")]
    try:
        srv = ApiServer(plain).start()
    except NoOpenSSL as e:
        pytest.skip(f"no test API server: {e}")
    try:
        kc = srv.kubeconfig(tmp_path / "kc")
        live = read_cluster(ClusterSpec(kubeconfig=str(kc)))
        assert "dynatrace.com" in {r.group for r in live.absent}
        assert not live.forbidden
        assert not [r for r in srv.requests if r.path.startswith("/apis/dynatrace.com/")
                    and r.status != 404]
        assert all(r.status == 200 for r in srv.requests if r.path != "/apis/dynatrace.com")
        code, out, err = run("connlist", "--kubeconfig", str(kc))
        assert code == 0 and out
        assert "dynatrace.com" not in err and "warning" not in err
    finally:
        srv.stop()


def test_the_client_library_is_imported_only_for_a_live_read(server: ApiServer,
                                                             tmp_path: Path) -> None:
    """Files never import ``kubernetes`` (it costs 0.15 s and more); live mode does."""
    kubeconfig = server.kubeconfig(tmp_path / "kc")
    probe = ("import sys, io; from dtnetpol.cli import main; "
             "code = main(sys.argv[1:], out=io.StringIO(), err=io.StringIO()); "
             "print(code, 'kubernetes' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    files = subprocess.run([sys.executable, "-c", probe, "connlist", "examples/cluster",
                            "--skip-invalid"], capture_output=True, text=True, cwd=REPO,
                           env=env, timeout=120, check=True)
    assert files.stdout.split() == ["0", "False"], files.stderr
    live = subprocess.run([sys.executable, "-c", probe, "connlist", "--kubeconfig",
                           str(kubeconfig)], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=120, check=True)
    assert live.stdout.split() == ["0", "True"], live.stderr
