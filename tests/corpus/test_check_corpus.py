"""``check`` on real DynaKubes: which flows apply per mode and feature (reference §4), pinned
in golden files, and the policies ``generate`` writes leave no required flow blocked.

Reads ../shared/corpora/dynakube-samples/v1beta6/ (skipped with a reason when absent) and runs
each sample against the bundled example cluster.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from tests.corpora import corpus, missing

from dtnetpol.cli import main

REPO = Path(__file__).resolve().parents[2]
SAMPLES = corpus("dynakube-samples", "v1beta6")
NAMES = sorted(p.name for p in SAMPLES.glob("*.yaml")) if SAMPLES.is_dir() else []
EXAMPLE = REPO / "examples" / "cluster"
# The example's manifests without its DynaKube and policies.
WORKLOADS = [str(p) for p in sorted(EXAMPLE.glob("*.yaml")) if p.name != "dynakube.yaml"]
POLICIES = str(EXAMPLE / "policies")

pytestmark = pytest.mark.skipif(not NAMES, reason=missing(SAMPLES))


def check(*argv: str) -> tuple[int, dict[str, Any]]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", *argv, "-o", "json"], out=out, err=err)
    assert code in (0, 1), err.getvalue()
    doc: dict[str, Any] = json.loads(out.getvalue())
    return code, doc


def ids(doc: dict[str, Any]) -> set[str]:
    return {f["id"].split("/")[-1] for f in doc["flows"]}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.mark.parametrize("name", NAMES)
def test_flows_per_sample_are_golden(name: str, golden: Any) -> None:
    _, doc = check("--skip-invalid", *WORKLOADS, POLICIES, "--dynakube", str(SAMPLES / name),
                   "--no-fix")
    rows = [f"{f['id']:<60} {'required' if f['required'] else 'optional':<8} {f['verdict']}"
            for f in doc["flows"]]
    golden(f"check/{name.removesuffix('.yaml')}.txt", "\n".join(rows) + "\n")


# Reference §4: what each OneAgent mode brings (ids without the DynaKube prefix).
MODES = {
    "cloudNativeFullStack.yaml": ({"oneagent-to-endpoints", "codemodules-to-endpoints",
                                   "csi-to-tenant"}, set()),
    "applicationMonitoring.yaml": ({"codemodules-to-endpoints", "csi-to-tenant"},
                                   {"oneagent-to-endpoints"}),
    "hostMonitoring.yaml": ({"oneagent-to-endpoints"},
                            {"codemodules-to-endpoints", "csi-to-tenant", "init-to-tenant"}),
    "classicFullStack.yaml": ({"oneagent-to-endpoints"},
                              {"codemodules-to-endpoints", "csi-to-tenant", "init-to-tenant"}),
    "kubernetesSecurityPostureManagement.yaml": ({"kspm-to-activegate", "dns-from-kspm"}, set()),
    "logMonitoring.yaml": ({"logmonitoring-to-endpoints", "logmonitoring-to-kubelet"}, set()),
    "telemetryIngest.yaml": ({"app-to-otel-collector", "otel-to-tenant"}, set()),
    "telemetryIngestWithLocalActiveGate.yaml": ({"app-to-otel-collector", "otel-to-activegate"},
                                                {"otel-to-tenant"}),
}


@pytest.mark.parametrize("name", sorted(MODES))
def test_modes_and_features_bring_their_flows(name: str) -> None:
    if name not in NAMES:
        pytest.skip(f"{name} is not in the corpus")
    present, absent = MODES[name]
    _, doc = check("--skip-invalid", *WORKLOADS, POLICIES, "--dynakube", str(SAMPLES / name),
                   "--no-fix")
    got = ids(doc)
    assert present <= got, present - got
    assert not absent & got, absent & got
    # Install-wide flows are there whatever the mode.
    assert {"apiserver-to-webhook", "operator-to-apiserver", "dns-from-webhook"} <= got


def test_without_csi_driver_the_init_container_downloads() -> None:
    if "applicationMonitoring.yaml" not in NAMES:
        pytest.skip("applicationMonitoring.yaml is not in the corpus")
    _, doc = check("--skip-invalid", *WORKLOADS, POLICIES, "--dynakube",
                   str(SAMPLES / "applicationMonitoring.yaml"), "--no-csi-driver", "--no-fix")
    got = ids(doc)
    assert "init-to-tenant" in got and "csi-to-tenant" not in got


DEFAULT_DENY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: default-deny, namespace: {ns}}}
spec:
  podSelector: {{}}
  policyTypes: [Ingress, Egress]
"""


# The platform's own policy: CoreDNS answers every pod (not a Dynatrace flow).
DNS_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns-from-everywhere, namespace: kube-system}
spec:
  podSelector: {matchLabels: {k8s-app: kube-dns}}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {}}]
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
"""


PLATFORM_FLAGS = {
    "generic": (), "kind": (), "k3s": (),
    "eks": ("--apiserver-cidr", "192.168.0.0/16"),
    "gke": ("--apiserver-cidr", "172.16.0.0/28"),
    "aks": ("--apiserver-cidr", "10.224.0.0/12"),
    "openshift": (),
}


@pytest.mark.parametrize("platform", sorted(PLATFORM_FLAGS))
@pytest.mark.parametrize("name", NAMES)
def test_generated_policies_pass_check_on_every_platform(name: str, platform: str,
                                                         tmp_path: Path) -> None:
    flags = ("--platform", platform, *PLATFORM_FLAGS[platform])
    out, err = io.StringIO(), io.StringIO()
    code = main(["generate", "--dynakube", str(SAMPLES / name), *WORKLOADS, *flags],
                out=out, err=err)
    assert code == 0, err.getvalue()
    (tmp_path / "generated.yaml").write_text(out.getvalue())
    namespaces = ("shop", "payments", "dynatrace", "ingress-nginx", "kube-system", "default")
    (tmp_path / "deny.yaml").write_text("---\n".join(
        [DEFAULT_DENY.format(ns=n) for n in namespaces] + [DNS_INGRESS]))
    # before: default-deny alone blocks the webhook
    code, doc = check(*WORKLOADS, str(tmp_path / "deny.yaml"), "--dynakube",
                      str(SAMPLES / name), *flags, "--no-fix")
    assert code == 1
    code, doc = check(*WORKLOADS, str(tmp_path), "--dynakube", str(SAMPLES / name), *flags,
                      "--no-fix")
    blocked = [f["id"] for f in doc["flows"] if f["verdict"] == "blocked" and f["required"]]
    assert blocked == [], blocked
    assert code == 0
