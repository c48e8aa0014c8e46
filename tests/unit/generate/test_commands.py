"""``dtnetpol generate`` and ``dtnetpol fix`` end to end, and the golden files per flavor."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from tests.corpora import corpus, missing

from dtnetpol.engine.analysis import Analyzer
from dtnetpol.engine.explain import Outcome
from dtnetpol.sources import load_cluster

from .cli_harness import run

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "cluster"
SAMPLE = corpus("dynakube-samples", "v1beta6", "cloudNativeFullStack.yaml")
GOLDEN_ARGS = ["--apiserver", "172.18.0.2:6443", "--apiserver-cidr", "172.18.0.0/28",
               "--monitored-namespaces", "shop", "--node-cidr", "172.18.0.0/24"]


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- generate --------------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", ["kubernetes", "cilium", "calico", "calico-enterprise",
                                    "openshift"])
def test_golden_per_flavor_on_the_cloud_native_sample(
        flavor: str, golden: Callable[[str, str], None]) -> None:
    if not SAMPLE.exists():
        pytest.skip(missing(SAMPLE))
    extra = ["--flavor", "calico", "--calico-edition", "enterprise"] \
        if flavor == "calico-enterprise" else ["--flavor", flavor]
    code, out, err = run(["generate", "--dynakube", str(SAMPLE), *GOLDEN_ARGS, *extra])
    assert code == 0, err
    golden(f"generate/cloudNativeFullStack.{flavor}.yaml", out)


def test_generate_reads_namespaces_endpoints_and_nodes_from_path() -> None:
    code, out, err = run(["generate", "--skip-invalid", str(EXAMPLE)])
    assert code == 0, err
    docs = list(yaml.safe_load_all(out))
    refs = [f"{d['metadata']['namespace']}/{d['metadata']['name']}" for d in docs]
    assert "shop/dynatrace-dynakube-app-egress" in refs
    assert "payments/dynatrace-dynakube-app-egress" in refs
    assert "ingress-nginx/dynatrace-dynakube-app-egress" not in refs
    text = out
    assert "172.18.0.2/32" in text          # EndpointSlice default/kubernetes
    assert "port: 6443" in text
    assert "172.18.0.3/32" in text          # a Node's InternalIP (OneAgent → ActiveGate)


def test_generate_out_writes_one_file_per_document(tmp_path: Path) -> None:
    code, out, err = run(["generate", "--skip-invalid", str(EXAMPLE), "--out",
                          str(tmp_path / "out")])
    assert code == 0, err
    assert out == ""
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "dynatrace.networkpolicy.dynatrace-webhook-ingress.yaml" in files
    for name in files:
        body = yaml.safe_load((tmp_path / "out" / name).read_text())
        assert f"{body['metadata']['namespace']}.networkpolicy.{body['metadata']['name']}" \
            ".yaml" == name


@pytest.mark.parametrize(("argv", "message"), [
    (["generate", "--dynakube", "/nonexistent.yaml"], "no such file"),
    (["generate", "--dynakube", str(EXAMPLE / "dynakube.yaml"), "--apiserver", "nope"],
     "--apiserver"),
    (["generate", "--dynakube", str(EXAMPLE / "dynakube.yaml"), "--tenant-cidr", "1.2.3/99"],
     "--tenant-cidr"),
    (["generate", "--dynakube", str(EXAMPLE / "dynakube.yaml"), "--platform", "eks"],
     "--apiserver-cidr"),
    (["generate", "--dynakube", str(EXAMPLE / "namespaces.yaml")], "no DynaKube"),
    (["generate", "--dynakube", str(EXAMPLE / "dynakube.yaml"), "--flavor", "openshift",
      "--platform", "gke"], "--platform openshift"),
])
def test_bad_input_is_one_line_and_exit_2(argv: list[str], message: str) -> None:
    code, out, err = run(argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    if lines[0].startswith("usage:"):  # a flag value refused by the parser (issue 14)
        lines = [line for line in lines if not line.startswith(("usage:", " "))]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in err


def test_unknown_apiserver_address_warns_on_stderr() -> None:
    code, out, err = run(["generate", "--dynakube", str(EXAMPLE / "dynakube.yaml"),
                          "--apiserver-cidr", "10.0.0.0/28", "--monitored-namespaces", "shop"])
    assert code == 0
    assert "warning:" in err and "endpoint address is unknown" in err
    assert "FILL IN" in out


# --- fix ---------------------------------------------------------------------------------------


def _required_flows_allowed(paths: list[str]) -> list[str]:
    """Independent of fix: ask the engine about required flows between the example's pods."""
    cluster, _ = load_cluster(paths, strict=False)
    an = Analyzer(cluster)
    cases = [
        ("172.18.0.2", "dynatrace/dynatrace-webhook", 8443),
        ("dynatrace/dynatrace-webhook", "172.18.0.2", 6443),
        ("dynatrace/dynatrace-operator", "172.18.0.2", 6443),
        ("dynatrace/dynatrace-operator", "kube-system/coredns", 53),
        ("dynatrace/dynatrace-oneagent-csi-driver", "172.18.0.2", 6443),
        ("dynatrace/dynakube-activegate", "172.18.0.2", 6443),
        ("dynatrace/dynakube-activegate", "kube-system/coredns", 53),
        ("dynatrace/dynakube-activegate", "203.0.113.7", 443),
        ("shop/frontend", "203.0.113.7", 443),
        ("payments/payments-api", "kube-system/coredns", 53),
    ]
    bad = []
    for src, dst, port in cases:
        v = an.can_reach(an.find(src), an.find(dst), port)
        if v.outcome is not Outcome.ALLOWED:
            bad.append(f"{src} → {dst}:{port} {v.outcome}")
    return bad


def test_fix_unblocks_the_broken_example_without_touching_it(tmp_path: Path) -> None:
    before = _hashes(EXAMPLE)
    assert _required_flows_allowed([str(EXAMPLE)]) != []   # the example is broken
    code, out, err = run(["fix", "--skip-invalid", str(EXAMPLE)])
    assert code == 0, err
    docs = list(yaml.safe_load_all(out))
    assert docs and all(d["metadata"]["name"].endswith("-fix") for d in docs)
    fixes = tmp_path / "fixes"
    code, _, err = run(["fix", "--skip-invalid", str(EXAMPLE), "--write", str(fixes)])
    assert code == 0, err
    assert sorted(p.name for p in fixes.iterdir()) == sorted(
        f"{d['metadata']['namespace']}.networkpolicy.{d['metadata']['name']}.yaml"
        for d in docs)
    assert _hashes(EXAMPLE) == before                       # originals untouched
    assert _required_flows_allowed([str(EXAMPLE), str(fixes)]) == []
    # applied twice, it adds nothing
    written = _hashes(fixes)
    code, out, err = run(["fix", "--skip-invalid", str(EXAMPLE), str(fixes),
                          "--write", str(fixes)])
    assert code == 0 and out == ""
    assert "nothing to fix" in err
    assert _hashes(fixes) == written
    assert _hashes(EXAMPLE) == before


def test_fix_never_replaces_a_file_without_force(tmp_path: Path) -> None:
    fixes = tmp_path / "fixes"
    code, out, _ = run(["fix", "--skip-invalid", str(EXAMPLE)])
    first = next(iter(yaml.safe_load_all(out)))
    fixes.mkdir()
    name = f"{first['metadata']['namespace']}.networkpolicy.{first['metadata']['name']}.yaml"
    (fixes / name).write_text("# mine\n")
    code, _, err = run(["fix", "--skip-invalid", str(EXAMPLE), "--write", str(fixes)])
    assert code == 2 and "exists with other content; not replacing it" in err
    assert (fixes / name).read_text() == "# mine\n"


def test_fix_on_the_invalid_example_without_skip_invalid_is_an_input_error() -> None:
    code, out, err = run(["fix", str(EXAMPLE)])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
