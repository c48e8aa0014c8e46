"""What ``dtnetpol check`` imports: only what its input needs (start-up is most of the time of a
check on a small cluster). Each run is a fresh interpreter, whose ``sys.modules`` is inspected
after the command returned."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dtnetpol.manifest import kinds
from dtnetpol.model.calico import CalicoKind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cluster"

#: Never needed to check plain NetworkPolicies from files.
NOT_FOR_PLAIN_FILES = (
    "dtnetpol.lint",    # no .dtnetpol.yaml: no lint keys; lint's findings neither
    "dtnetpol.sources.json_marks",    # no JSON file
    "shutil",           # with bz2 and lzma: only for the width of a terminal
    "dtnetpol.sources.cluster", "dtnetpol.sources.parallel", "kubernetes", "jsonschema",
    "multiprocessing", "concurrent.futures", "importlib.resources",
    "dtnetpol.manifest.calico", "dtnetpol.manifest.cilium", "dtnetpol.manifest.admin",
    "dtnetpol.manifest.crd_schemas", "dtnetpol.model.calico", "dtnetpol.model.calico_selector",
    "dtnetpol.model.cilium", "dtnetpol.model.admin", "dtnetpol.engine.calico_tier",
    "dtnetpol.engine.calico_eval", "dtnetpol.engine.calico_staged", "dtnetpol.engine.cilium",
    "dtnetpol.engine.admin_tier", "dtnetpol.engine.np_tier", "dtnetpol.engine.connlist",
    "dtnetpol.engine.layered_connlist", "dtnetpol.engine.layers",
    "rich",             # a plain table is written without it (colours, odd text need it)
)


def _modules_after(*argv: str, cwd: Path) -> tuple[int, list[str]]:
    """Exit code of ``dtnetpol ARGV`` run in a fresh interpreter, and the modules it loaded."""
    code = ("import io, json, sys\nfrom dtnetpol.cli import main\n"
            f"rc = main({list(argv)!r}, out=io.StringIO(), err=io.StringIO())\n"
            "print(json.dumps([rc, sorted(sys.modules)]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=cwd)
    rc, modules = json.loads(done.stdout)
    return rc, modules


def _loaded(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)]


@pytest.fixture(scope="module")
def plain_cluster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example cluster without its invalid policies: NetworkPolicies, workloads, a
    DynaKube; no Calico, Cilium or admin policy."""
    folder = tmp_path_factory.mktemp("plain") / "cluster"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("invalid"))
    return folder


#: The policy writers: for a fix an output shows (the table, for a blocked flow, only says
#: whether there is one: the first is worked out).
PLANNER = ("dtnetpol.generate._plan", "dtnetpol.generate._fix", "dtnetpol.generate._doc",
           "dtnetpol.generate._kubernetes", "dtnetpol.generate.yaml_out")
#: Never for a cluster of plain NetworkPolicies: the other flavours' writers; generate() is
#: for conditional flows.
OTHER_WRITERS = ("dtnetpol.generate._calico", "dtnetpol.generate._cilium",
                 "dtnetpol.generate._openshift", "dtnetpol.generate._generate")


def test_check_of_plain_network_policies_imports_no_other_layer(plain_cluster: Path) -> None:
    rc, modules = _modules_after("check", str(plain_cluster), cwd=plain_cluster.parent)
    assert rc == 1                      # blocked flows: the first fix was worked out
    assert _loaded(modules, PLANNER) == sorted(PLANNER)
    assert _loaded(modules, (*NOT_FOR_PLAIN_FILES, *OTHER_WRITERS)) == []


def test_check_without_fixes_imports_no_policy_writer(plain_cluster: Path) -> None:
    """--no-fix (and a check that blocks nothing) plans no policy: the planner and the
    writers are not imported; the flavours and the monitored namespaces are."""
    rc, modules = _modules_after("check", "--no-fix", str(plain_cluster),
                                 cwd=plain_cluster.parent)
    assert rc == 1
    assert _loaded(modules, ("dtnetpol.generate",)) == [
        "dtnetpol.generate", "dtnetpol.generate._flavor", "dtnetpol.generate._namespaces",
        "dtnetpol.generate._options"]


def test_check_of_a_calico_input_imports_calico(plain_cluster: Path, tmp_path: Path) -> None:
    """The other side of the test above: the readers are there when their kinds are."""
    folder = tmp_path / "calico"
    shutil.copytree(plain_cluster, folder)
    (folder / "tier.yaml").write_text(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n"
        "  name: deny-all\nspec:\n  selector: all()\n  types: [Ingress]\n", encoding="utf-8")
    _, modules = _modules_after("check", str(folder), cwd=tmp_path)
    assert _loaded(modules, ("dtnetpol.manifest.calico", "dtnetpol.engine.calico_tier")) == [
        "dtnetpol.engine.calico_tier", "dtnetpol.manifest.calico"]


def test_lint_configuration_without_rules_imports_no_rule(tmp_path: Path) -> None:
    """.dtnetpol.yaml is read by every command; the rule catalogue only when it names one."""
    (tmp_path / ".dtnetpol.yaml").write_text("platform: eks\n", encoding="utf-8")
    shutil.copytree(EXAMPLE, tmp_path / "cluster", ignore=shutil.ignore_patterns("invalid"))
    rc, modules = _modules_after("check", "cluster", cwd=tmp_path)
    assert rc == 1
    assert _loaded(modules, ("dtnetpol.lint.registry", "dtnetpol.lint.rules")) == []


def test_kind_tables_agree_with_the_readers() -> None:
    """manifest/kinds.py spells out what the readers define (it must not import them)."""
    from dtnetpol.manifest import admin, calico, cilium
    from dtnetpol.model import cilium as cilium_model

    assert {k.value for k in CalicoKind} == kinds.CALICO_POLICY_KINDS
    assert {cilium_model.CNP, cilium_model.CCNP} == kinds.CILIUM_KINDS
    assert calico.CALICO_KINDS is kinds.CALICO_KINDS
    assert admin.ADMIN_KINDS is kinds.ADMIN_KINDS and cilium.CILIUM_KINDS is kinds.CILIUM_KINDS


def test_settings_file_is_the_lint_configuration_file() -> None:
    from dtnetpol.commands._settings import FAIL_ON, SETTINGS_FILE
    from dtnetpol.lint.config import CONFIG_FILE
    from dtnetpol.lint.finding import Severity

    assert SETTINGS_FILE == CONFIG_FILE
    assert FAIL_ON["lint"] == tuple(s.value for s in Severity)


@pytest.mark.parametrize("columns", ["57", "", "x"])
def test_help_is_as_wide_as_argparse_makes_it(columns: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The help formatter finds the width without shutil, and finds argparse's."""
    import argparse

    from dtnetpol.commands._help import HelpFormatter

    monkeypatch.setenv("COLUMNS", columns)
    text = "word " * 60
    ours = argparse.ArgumentParser(prog="x", description=text, formatter_class=HelpFormatter)
    theirs = argparse.ArgumentParser(prog="x", description=text)
    assert ours.format_help() == theirs.format_help()
