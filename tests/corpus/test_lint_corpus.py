"""Lint on real inputs, findings pinned in golden files under tests/golden/lint/.

- the Dynatrace Operator's own sample policies (../shared/corpora/dynatrace-operator-assets/
  calico/, plain networking.k8s.io/v1 NetworkPolicies despite the folder name), one file at
  a time, as a user would lint them: policies alone, no workloads;
- the bundled example cluster (examples/cluster/, which holds the seed document's samples
  and two mistakes of its own), whole, and its policies alone.

``pytest --update-golden`` rewrites the golden files; a missing one fails. Corpus cases skip
with a reason when the shared corpora are absent (tests/corpora.py).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.corpora import corpus, missing

from dtnetpol.cli import main

REPO = Path(__file__).resolve().parents[2]
CALICO = corpus("dynatrace-operator-assets", "calico")
EXAMPLE = REPO / "examples" / "cluster"
CALICO_FILES = ("activegate-policy.yaml", "agent-policy-external-only.yaml",
                "agent-policy.yaml", "dynatrace-policies.yaml")

Golden = Callable[[str, str], None]


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def _lint(cwd: Path, monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    code, out, err = run_cli(["lint", *argv])
    assert "error:" not in err, err
    return code, out


def _rules(out: str) -> list[str]:
    return [f["rule"] for f in json.loads(out)["findings"]]


@pytest.mark.parametrize("name", CALICO_FILES)
def test_operator_sample_policies(name: str, golden: Golden,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if not (CALICO / name).is_file():
        pytest.skip(missing(CALICO / name))
    code, out = _lint(CALICO, monkeypatch, name)
    golden(f"lint/calico-{name.removesuffix('.yaml')}.txt", out)
    assert code == 0  # warnings only
    _, as_json = _lint(CALICO, monkeypatch, name, "-o", "json")
    rules = _rules(as_json)
    assert "NPL013" in rules  # every sample opens 0.0.0.0/0 on every port
    if name == "dynatrace-policies.yaml":
        assert "NPL016" in rules  # name=dynatrace-operator + managed-by=dynatrace-operator


def test_example_cluster(golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    if not EXAMPLE.is_dir():
        pytest.skip("examples/cluster is absent")
    code, out = _lint(REPO, monkeypatch, "examples/cluster")
    golden("lint/example-cluster.txt", out)
    assert code == 1
    _, as_json = _lint(REPO, monkeypatch, "examples/cluster", "-o", "json")
    golden("lint/example-cluster.json", as_json)
    found = {(f["rule"], f["file"].rsplit("/", 1)[1]) for f in json.loads(as_json)["findings"]}
    # The mistakes examples/README.md lists, by rule and file.
    for expected in [
        ("NPL007", "seed-samples.yaml"),   # 2, 6: namespaceSelector for the API server
        ("NPL006", "seed-samples.yaml"),   # 3: no DNS
        ("NPL008", "seed-samples.yaml"),   # 3: API server on 443, endpoint 6443
        ("NPL002", "seed-samples.yaml"),   # 4, 8: selects no pod
        ("NPL016", "seed-samples.yaml"),   # 4, 8: labels no Dynatrace pod carries
        ("NPL004", "seed-samples.yaml"),   # 5: Service port 443 for the webhook
        ("NPL002", "seed-workload-egress.yaml"),  # 7: lands in default, selects nothing
        ("NPL016", "seed-activegate.yaml"),  # 9: dynatrace-activegate
        ("NPL001", "seed-activegate.yaml"),  # 10: ports under the peer
        ("NPL009", "payments.yaml"),       # 11: AND written as OR
        ("NPL004", "payments.yaml"),       # 12: Service port 443 for payments-api
    ]:
        assert expected in found, expected
    # The correct-on-purpose policies of shop draw nothing.
    assert not any(file == "shop.yaml" for _, file in found)


def test_example_policies_alone(golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    if not EXAMPLE.is_dir():
        pytest.skip("examples/cluster is absent")
    code, out = _lint(REPO, monkeypatch, "examples/cluster/policies")
    golden("lint/example-policies-only.txt", out)
    assert code == 1
