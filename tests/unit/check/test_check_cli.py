"""``dtnetpol check`` end to end on the bundled example: verdicts, explanations, fixes, exits."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from tests.cli_run import run
from tests.corpora import corpus, missing

REPO = Path(__file__).resolve().parents[3]
CRD = corpus("dynatrace-operator-assets", "dynakube-crd.yaml")


def report(*argv: str) -> dict[str, Any]:
    code, out, err = run("check", *argv, "-o", "json")
    assert code in (0, 1), err
    doc: dict[str, Any] = json.loads(out)
    return doc


def flows(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in doc["flows"]}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("NO_COLOR", "1")


def test_table_is_golden(golden: Any) -> None:
    code, out, _ = run("check", "--skip-invalid", "examples/cluster")
    assert code == 1
    golden("cli/check.txt", out)


def test_json_is_golden(golden: Any) -> None:
    code, out, _ = run("check", "--skip-invalid", "examples/cluster", "-o", "json")
    assert code == 1
    golden("cli/check.json", out)


def test_json_has_the_documented_keys_per_flow() -> None:
    doc = report("--skip-invalid", "examples/cluster")
    assert doc["apiVersion"] == "dtnetpol/v1" and doc["kind"] == "CheckReport"
    for f in doc["flows"]:
        assert {"id", "source", "destination", "protocol", "port", "required", "verdict",
                "blocked_by", "policies", "symptom", "fix"} <= f.keys()
        assert sum(f["pairs"].values()) >= len(f["ports"])
        order = [p["verdict"] in ("blocked", "conditional") for p in f["ports"]]
        assert order == sorted(order, reverse=True)  # problems listed first
    s = doc["summary"]
    assert s["total"] == len(doc["flows"])
    assert sum(s[k] for k in ("allowed", "blocked", "conditional", "not-governed")) == s["total"]


def test_webhook_flow_blocked_on_the_ingress_side_with_pod_port() -> None:
    f = flows(report("--skip-invalid", "examples/cluster"))["apiserver-to-webhook"]
    assert (f["verdict"], f["blocked_by"], f["port"], f["protocol"]) == \
        ("blocked", "ingress", 8443, "TCP")
    assert f["required"] is True
    assert "dynatrace/default-deny-all" in f["policies"]
    assert f["symptom"].startswith("pod annotation: new pods in monitored namespaces have no "
                                   "Dynatrace annotations and no dynatrace-operator init")
    assert "ipBlock:" in f["fix"] and "port: 8443" in f["fix"]


def test_dns_flow_has_both_protocols_and_missing_dns_explained() -> None:
    f = flows(report("--skip-invalid", "examples/cluster"))["dns-from-activegate"]
    assert (f["port"], f["protocol"], f["verdict"]) == (53, "UDP,TCP", "blocked")
    assert any("missing DNS" in m for m in f["nearest_misses"])
    assert "k8s-app: kube-dns" in f["fix"]


def test_app_dns_is_allowed_by_the_namespace_allow_dns_policies() -> None:
    f = flows(report("--skip-invalid", "examples/cluster"))["dns-from-app-pods"]
    assert f["verdict"] == "allowed" and f["blocked_by"] is None and f["fix"] is None
    assert f["allowed_by"] == [
        "payments/allow-dns egress[0] (examples/cluster/policies/default-deny.yaml:83)",
        "shop/allow-dns egress[0] (examples/cluster/policies/default-deny.yaml:60)"]


def test_host_network_and_kubelet_flows_are_not_governed() -> None:
    got = flows(report("--skip-invalid", "examples/cluster"))
    assert got["oneagent-to-endpoints"]["verdict"] == "not-governed"
    assert got["kubelet-to-webhook-probe"]["verdict"] == "not-governed"
    assert "kubelet" in got["kubelet-to-webhook-probe"]["reason"]


def test_exit_codes_and_fail_on() -> None:
    assert run("check", "--skip-invalid", "examples/cluster", "--no-fix")[0] == 1
    code, _, err = run("check", "examples/cluster")
    assert code == 2 and err.count("\n") == 1 and "seed-activegate.yaml:21" in err
    code, _, err = run("check", "--skip-invalid", "examples/cluster/namespaces.yaml")
    assert code == 2 and "no DynaKube" in err


def test_fail_on_levels(tmp_path: Path) -> None:
    # Only the optional flows stay blocked once the required ones are fixed.
    doc = report("--skip-invalid", "examples/cluster")
    for i, f in enumerate(doc["flows"]):
        if f["fix"] and f["verdict"] == "blocked" and f["required"]:
            (tmp_path / f"{i}.yaml").write_text(f["fix"])
    args = ("check", "--skip-invalid", "examples/cluster", str(tmp_path), "--no-fix")
    assert run(*args)[0] == 0
    assert run(*args, "--fail-on", "optional")[0] == 1
    assert run(*args, "--fail-on", "conditional")[0] == 1


def test_the_fixes_check_suggests_leave_no_required_flow_blocked(tmp_path: Path) -> None:
    before = report("--skip-invalid", "examples/cluster")
    names: set[tuple[str, str]] = set()
    for i, f in enumerate(before["flows"]):
        if f["verdict"] == "blocked":
            assert f["fix"], f["id"]
            (tmp_path / f"fix-{i}.yaml").write_text(f["fix"])
            fix_lines = f["fix"].splitlines()
            for j, line in enumerate(fix_lines):
                if line.startswith("  name: "):
                    name = (fix_lines[j + 1].split(": ", 1)[1], line.split(": ", 1)[1])
                    assert name not in names, f"two fixes share the name {name}"
                    names.add(name)
    after = report("--skip-invalid", "examples/cluster", str(tmp_path))
    assert after["summary"]["blocked"] == 0
    assert after["summary"]["required_blocked"] == 0
    # Applied twice, the check finds nothing more to fix.
    assert all(f["fix"] is None for f in after["flows"] if f["verdict"] != "conditional")


def test_operator_in_another_namespace(tmp_path: Path) -> None:
    src = (REPO / "examples" / "cluster")
    for path in [*src.glob("*.yaml"), *(src / "policies").glob("*.yaml")]:
        text = path.read_text().replace("namespace: dynatrace", "namespace: dt-system") \
            .replace("kubernetes.io/metadata.name: dynatrace", "kubernetes.io/metadata.name: "
                     "dt-system").replace("name: dynatrace\n", "name: dt-system\n")
        (tmp_path / path.name).write_text(text)
    got = flows(report(str(tmp_path)))
    hook = got["apiserver-to-webhook"]
    assert hook["destination"] == "dt-system/dynatrace-webhook[Deployment]"
    assert hook["verdict"] == "blocked" and "dt-system/default-deny-all" in hook["policies"]
    assert "namespace: dt-system" in hook["fix"]


def test_inferred_operands_before_the_dynakube_is_applied(tmp_path: Path) -> None:
    # Without the operand manifests the ActiveGate is inferred with the operator's labels.
    src = REPO / "examples" / "cluster"
    for name in ("namespaces.yaml", "kube-system.yaml", "dynatrace-operator.yaml",
                 "dynakube.yaml"):
        (tmp_path / name).write_text((src / name).read_text())
    (tmp_path / "policies.yaml").write_text((src / "policies" / "default-deny.yaml").read_text())
    got = flows(report(str(tmp_path)))
    ag = got["activegate-to-apiserver"]
    assert ag["inferred"] == ["dynatrace/<activegate>[inferred]"]
    assert ag["verdict"] == "blocked"
    assert "app.kubernetes.io/name: activegate" in ag["fix"]


def test_multiple_dynakubes_prefix_their_flows() -> None:
    sample = corpus("dynakube-samples", "v1beta6", "multipleDynakubes.yaml")
    if not sample.exists():
        pytest.skip(missing(sample))
    got = flows(report("--skip-invalid", "examples/cluster", "--dynakube", str(sample)))
    names = {i.split("/")[0] for i in got if "/" in i}
    assert names == {"dynakube-application-monitoring", "dynakube-cloud-native"}
    assert "apiserver-to-webhook" in got  # install-wide flows once, unprefixed


def test_dynakube_is_validated_against_the_crd(tmp_path: Path) -> None:
    if not CRD.exists():
        pytest.skip(missing(CRD))
    bad = tmp_path / "dk.yaml"
    bad.write_text((REPO / "examples" / "cluster" / "dynakube.yaml").read_text()
                   .replace("hostGroup: shop-prod", "hostGrup: shop-prod"))
    code, out, err = run("check", "--skip-invalid", "examples/cluster", "--dynakube",
                         str(bad), "--crd", str(CRD))
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert f"{bad}:" in err and "spec.oneAgent.hostGrup" in err and "unknown field" in err
    line = int(err.split(f"{bad}:")[1].split(":")[0])
    assert bad.read_text().splitlines()[line - 1].strip().startswith("hostGrup")
    assert run("check", "--skip-invalid", "examples/cluster", "--crd", str(CRD))[0] == 1


def test_fix_yaml_in_the_table_pastes_back_unwrapped() -> None:
    import yaml

    code, out, _ = run("check", "--skip-invalid", "examples/cluster", "--show-fixes")
    assert code == 1
    assert "kind: NetworkPolicy" not in run("check", "--skip-invalid", "examples/cluster")[1]
    blocks, current = [], None
    for line in out.splitlines():
        if line == "  fix:" or line.startswith("Fix for "):
            current = []
            blocks.append(current)
        elif current is not None and line.startswith("    "):
            current.append(line[4:])
        else:
            current = None
    assert len(blocks) >= 10
    for block in blocks:
        docs = [d for d in yaml.safe_load_all("\n".join(block)) if d]
        assert docs and all(d["kind"] == "NetworkPolicy" for d in docs)


def test_dtnetpol_fix_output_makes_check_pass(tmp_path: Path) -> None:
    code, _, err = run("fix", "--skip-invalid", "examples/cluster", "--write", str(tmp_path))
    assert code == 0, err
    assert run("check", "--skip-invalid", "examples/cluster", str(tmp_path), "--no-fix")[0] == 0
    # fix applied twice adds nothing
    again = tmp_path / "again"
    code, _, err = run("fix", "--skip-invalid", "examples/cluster", str(tmp_path), "--write",
                       str(again))
    assert code == 0 and "nothing to fix" in err


def _example_with(tmp_path: Path, edit: Any) -> str:
    src = REPO / "examples" / "cluster"
    for path in src.rglob("*.yaml"):
        if "invalid" in path.parts:
            continue
        target = tmp_path / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(edit(path.name, path.read_text()))
    return str(tmp_path)


def test_install_facts_come_from_the_operator_workloads(tmp_path: Path) -> None:
    def no_csi_host_network_webhook(name: str, text: str) -> str:
        if name != "dynatrace-operator.yaml":
            return text
        docs = text.split("\n---\n")
        kept = [d for d in docs if "kind: DaemonSet" not in d]
        return "\n---\n".join(kept).replace(
            "      serviceAccountName: dynatrace-webhook\n",
            "      serviceAccountName: dynatrace-webhook\n      hostNetwork: true\n")

    root = _example_with(tmp_path, no_csi_host_network_webhook)
    code, out, err = run("check", root, "-o", "json")
    assert code == 1
    got = flows(json.loads(out))
    assert "init container" in err
    assert "init-to-tenant" in got and "csi-to-tenant" not in got
    hook = got["apiserver-to-webhook"]
    assert hook["verdict"] == "not-governed"


def test_oneagent_endpoints_flag_pins_the_hosts() -> None:
    got = flows(report("--skip-invalid", "examples/cluster", "--oneagent-endpoints",
                       "https://10.1.2.3:9999", "--no-fix"))
    f = got["codemodules-to-endpoints"]
    assert f["destination"] == "10.1.2.3:9999" and f["port"] == 9999
    code, _, err = run("check", "--skip-invalid", "examples/cluster", "--oneagent-endpoints",
                       ",,")
    assert code == 2 and "--oneagent-endpoints" in err


def test_table_is_readable_at_80_columns() -> None:
    from dtnetpol.cli import build_parser
    from dtnetpol.commands._install import load_inputs
    from dtnetpol.commands.check import build_report
    from dtnetpol.render.check_table import check_table

    args = build_parser().parse_args(["check", "--skip-invalid", "examples/cluster"])
    report = build_report(args, load_inputs(args, None, for_policies=False))
    text = check_table(report, width=80)
    fix_lines = {"    " + line for r in report.results for line in (r.fix or "").splitlines()}
    too_long = [line for line in text.splitlines() if len(line.rstrip()) > 80
                and line not in fix_lines]  # fix YAML is never wrapped, so it pastes back
    assert too_long == []
    lines = text.rstrip().splitlines()
    assert lines[0] == lines[-1] and lines[0].endswith("5 not governed)")
    assert lines[0].startswith("✗ 12 required flows blocked")
    assert len(lines) <= 60  # a screen, not 900 lines


def test_table_never_breaks_a_name_or_file_line() -> None:
    """Every flow id, workload name and file:line of the report is whole on one line."""
    import re

    from dtnetpol.cli import build_parser
    from dtnetpol.commands._install import load_inputs
    from dtnetpol.commands.check import build_report
    from dtnetpol.render.check_table import check_table

    args = build_parser().parse_args(["check", "--skip-invalid", "examples/cluster"])
    report = build_report(args, load_inputs(args, None, for_policies=False))
    for verbose in (False, True):
        text = check_table(report, width=80, verbose=verbose)
        words = set(text.split())
        for r in report.results:
            assert r.id in words
            for m in r.misses:
                if m.location is not None and (verbose or m is r.misses[0]):
                    assert f"({m.location.file}:{m.location.line})" in words
        if verbose:
            names = {n for r in report.results for n in re.split(r", | -> ",
                                                                 f"{r.source} -> "
                                                                 f"{r.destination}")}
            assert all(n in text for n in names if " " not in n)


def test_details_only_for_blocked_and_conditional_flows() -> None:
    code, out, _ = run("check", "--skip-invalid", "examples/cluster")
    assert code == 1
    why = out.split("\nWhy (")[1]
    assert "apiserver-to-webhook (ingress): dynatrace/dynatrace-operator-allow" in \
        " ".join(why.split())
    assert "operator-to-tenant" not in why and "kubelet-to-csi-probe" not in why
    # flows blocked by the same rule are told once
    assert " ".join(why.split()).count("seed-samples.yaml:26) it allows TCP 443, not 6443") == 1


def test_terminal_width_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from dtnetpol.render.console import terminal_width

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("COLUMNS", "80")
    assert terminal_width() == 100  # captured stdout: not a terminal
    monkeypatch.setattr("sys.stdout", Tty())
    assert terminal_width() == 80


@pytest.mark.parametrize("width", [40, 80, 120])
def test_table_without_rich_is_what_rich_prints(width: int) -> None:
    """A plain table is written without rich (start-up); it is the text rich prints."""
    from unittest import mock

    from dtnetpol.cli import build_parser
    from dtnetpol.commands._install import load_inputs
    from dtnetpol.commands.check import build_report
    from dtnetpol.render import check_table as table

    args = build_parser().parse_args(["check", "--skip-invalid", "examples/cluster"])
    report = build_report(args, load_inputs(args, None, for_policies=False))
    for verbose in (False, True):
        for show_fixes in (False, True):
            fast = table.check_table(report, width=width, verbose=verbose,
                                     show_fixes=show_fixes)
            with mock.patch.object(table, "plain_lines", return_value=None):
                assert fast == table.check_table(report, width=width, verbose=verbose,
                                                 show_fixes=show_fixes)
