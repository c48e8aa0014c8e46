"""Loading a real repository: every error in one run, non-Kubernetes files skipped and
counted, a hint for Helm templates, ``--strict`` and ``--skip-invalid`` (fixtures of our own)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli_run import run

BAD_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 0}]}]
"""

BAD_SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports:
  - port: 80
  - port: 99999
"""

GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web}]}
"""

VALUES = "replicaCount: 2\nimage: {repository: nginx}\n"
PACKAGE = '{"name": "shop-ui", "version": "1.0.0"}\n'
WORKFLOW = "name: ci\non: [push]\njobs: {build: {runs-on: ubuntu-latest}}\n"
TEMPLATE = """\
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-web
spec:
  ports: [{port: 80}]
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b-policy.yaml").write_text(BAD_POLICY)
    (tmp_path / "a-service.yaml").write_text(BAD_SERVICE)
    (tmp_path / "web.yaml").write_text(GOOD)
    (tmp_path / "values.yaml").write_text(VALUES)
    (tmp_path / "package.json").write_text(PACKAGE)
    (tmp_path / "ci.yml").write_text(WORKFLOW)
    return tmp_path


def test_every_error_of_every_file_one_line_each_sorted(repo: Path) -> None:
    code, _, err = run("connlist", ".")
    assert code == 2
    assert err.splitlines() == [
        "dtnetpol: error: ./a-service.yaml:7: document 1: spec.ports[1].port: port 99999 must "
        "be between 1 and 65535",
        "dtnetpol: error: ./b-policy.yaml:6: document 1: spec.ingress[0].ports[0].port: "
        "invalid-port: port 0 must be between 1 and 65535 (the API server would reject this "
        "NetworkPolicy)",
    ]


def test_strict_stops_at_the_first(repo: Path) -> None:
    code, _, err = run("connlist", ".", "--strict")
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("dtnetpol: error: ./a-service.yaml:7:")


def test_skip_invalid_leaves_out_every_kind_and_counts_other_documents(repo: Path) -> None:
    code, out, err = run("connlist", ".", "--skip-invalid")
    assert code == 0, err
    assert "shop/web[Deployment]" in out                  # the valid objects are analysed
    assert "object at ./a-service.yaml:1 (document 1) skipped" in err
    assert "NetworkPolicy shop/deny at ./b-policy.yaml:1 (document 1) ignored" in err
    assert "skipped 3 documents that are not a Kubernetes object (no apiVersion, no kind); " \
        "-v lists them" in err
    _, _, verbose = run("connlist", ".", "--skip-invalid", "-v")
    assert [line.strip() for line in verbose.splitlines() if line.startswith("  ")] == [
        "./ci.yml:1 (document 1)", "./package.json:1 (document 1)",
        "./values.yaml:1 (document 1)"]


def test_a_helm_template_gets_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "service.yaml").write_text(TEMPLATE)
    code, _, err = run("connlist", "service.yaml")
    assert code == 2
    assert "dtnetpol: error: service.yaml contains '{{': a Helm template? Render it first: " \
        "helm template RELEASE CHART | dtnetpol ... -" in err.splitlines()


def test_an_unserved_policy_version_is_an_error_never_dropped(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deny.yaml").write_text(BAD_POLICY.replace("networking.k8s.io/v1", "v1")
                                        .replace("port: 0", "port: 80"))
    code, _, err = run("connlist", "deny.yaml")
    assert code == 2
    assert err.startswith("dtnetpol: error: deny.yaml:1: document 1: apiVersion: ")
    assert "networking.k8s.io/v1" in err


def test_yaml_errors_of_several_files_and_object_errors_in_one_run(
        repo: Path) -> None:
    (repo / "c-broken.yaml").write_text("kind: Pod\nmetadata: {name: a\n")
    (repo / "d-broken.yaml").write_text(GOOD + "---\nkind: [\n")
    for command in ("connlist", "lint"):
        code, _, err = run(command, ".")
        files = [line.split(":")[2].strip() for line in err.splitlines()]
        assert code == 2, err
        assert files == ["./a-service.yaml", "./b-policy.yaml", "./c-broken.yaml",
                         "./d-broken.yaml"] if command == "connlist" else \
            ["./a-service.yaml", "./c-broken.yaml", "./d-broken.yaml"], err
    code, _, err = run("connlist", ".", "--strict")
    assert code == 2 and len(err.splitlines()) == 1
