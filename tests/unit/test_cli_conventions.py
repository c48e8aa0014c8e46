"""Conventions every subcommand shares: -V, bare help, unknown flags, -f, -q, PATH needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli_run import run

from dtnetpol import __version__

REPO = Path(__file__).resolve().parents[2]
POLICY = "examples/cluster/policies/default-deny.yaml"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag: str) -> None:
    code, out, _ = run(flag)
    assert (code, out.strip()) == (0, f"dtnetpol {__version__}")


def test_bare_command_prints_help_with_check_first() -> None:
    code, out, err = run()
    assert code == 0 and err == ""
    assert out.startswith("usage: dtnetpol")
    listed = [line.split()[0] for line in out.splitlines()
              if line.startswith("    ") and not line.startswith("     ")]
    assert listed[0] == "check"
    assert {"check", "fix", "generate", "diff", "lint", "rules", "can-reach", "explain",
            "connlist"} <= set(listed)


@pytest.mark.parametrize("command", ["check", "lint", "connlist", "explain", "diff"])
def test_unknown_flag_shows_the_subcommand_usage(command: str) -> None:
    code, out, err = run(command, "--no-such-flag", POLICY)
    assert code == 2 and out == ""
    assert err.startswith(f"usage: dtnetpol {command} ")
    assert "unrecognized arguments: --no-such-flag" in err


@pytest.mark.parametrize("command", ["check", "fix", "lint", "connlist", "explain",
                                     "can-reach", "diff"])
def test_a_command_without_path_reads_the_live_cluster_or_says_why_not(
        command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # no kubeconfig anywhere and not in a pod: one line naming both ways to give input
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    extra = ["--from", "a/b", "--to", "c/d"] if command == "can-reach" else []
    code, out, err = run(command, *extra)
    assert code == 2 and out == ""
    assert err.startswith("dtnetpol: error:")
    assert len(err.strip().splitlines()) == 1
    if command == "diff":
        assert "two paths" in err
    else:
        assert "no kubeconfig found" in err and "give PATHs" in err


def test_filename_flag_is_an_alias_of_path() -> None:
    by_path = run("connlist", "-o", "json", POLICY)
    by_flag = run("connlist", "-o", "json", "-f", POLICY)
    assert by_path[0] == 0 and by_path == by_flag


def test_quiet_silences_warnings(tmp_path: Path) -> None:
    manifest = tmp_path / "w.yaml"
    # A Service with a selector but no port: a warning, not an error.
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: a\n"
                        "  labels: {app: x}\nspec:\n  containers: [{name: c, image: i}]\n"
                        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                        "metadata: {name: n, namespace: a}\nspec:\n  podSelector: {}\n"
                        "  ingress:\n  - ports: [{port: web}]\n", encoding="utf-8")
    loud = run("connlist", str(manifest))
    quiet = run("connlist", "-q", str(manifest))
    assert loud[0] == quiet[0] == 0 and loud[1] == quiet[1]
    assert quiet[2] == ""
    assert "warning:" in loud[2]


def test_generate_still_runs_without_path() -> None:
    code, out, _ = run("generate", "--dynakube", "examples/cluster/dynakube.yaml",
                       "--apiserver", "172.18.0.2:6443")
    assert code == 0 and "kind: NetworkPolicy" in out


def _subcommands() -> dict[str, object]:
    import argparse

    from dtnetpol.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_command_help_has_examples_that_parse() -> None:
    """Each example in --help is a command line the parser accepts (flags, choices)."""
    import shlex

    from dtnetpol.cli import build_parser

    for name in _subcommands():
        code, out, _ = run(name, "--help")
        assert code == 0 and "\nexamples:\n" in out, name
        lines = out.split("\nexamples:\n")[1].splitlines()
        assert lines, name
        for line in lines:
            command = line.split("  #")[0].strip()
            for part in command.split("|"):
                words = shlex.split(part.split(">")[0].replace("<(", " ").replace(")", " "))
                if "dtnetpol" not in words:
                    continue
                argv = words[words.index("dtnetpol") + 1:]
                args, extra = build_parser().parse_known_args(argv)
                assert extra == [] and args.command == name, line


@pytest.mark.parametrize("argv", [
    ("check", "--skip-invalid", "examples/cluster", "--no-fix"),
    ("connlist", "--skip-invalid", "examples/cluster"),
    ("explain", "--skip-invalid", "examples/cluster", "--workload", "shop/cart"),
    ("can-reach", "--skip-invalid", "examples/cluster", "--from", "shop/frontend", "--to",
     "shop/cart"),
    ("lint", "examples/cluster"),
    ("rules",),
    ("diff", "--skip-invalid", "examples/cluster", "examples/cluster"),
    ("diagnose", "--skip-invalid", "examples/cluster", "examples/diagnose"),
])
def test_yaml_output_is_the_json_document(argv: tuple[str, ...]) -> None:
    import yaml

    as_json = run(*argv, "-o", "json")
    as_yaml = run(*argv, "-o", "yaml")
    assert as_json[0] == as_yaml[0]
    assert yaml.safe_load(as_yaml[1]) == json.loads(as_json[1])
    assert not as_yaml[1].lstrip().startswith("{")


def test_every_command_with_json_output_has_yaml_next_to_it() -> None:
    """kubectl's habit: where the output is data, -o yaml is offered beside -o json."""
    import argparse

    with_json = []
    for name, p in _subcommands().items():
        assert isinstance(p, argparse.ArgumentParser)
        for action in p._actions:
            if "--output" in action.option_strings and "json" in (action.choices or ()):
                with_json.append(name)
                assert "yaml" in (action.choices or ()), name
    assert {"check", "diagnose", "probe", "lint", "connlist", "rules"} <= set(with_json)


def test_no_text_points_at_documents_users_do_not_have() -> None:
    """Help, messages, rule docs, README and examples state facts; they never send a user to
    the project's internal notes ("reference §3", "the seed guide")."""
    import re

    repo = Path(__file__).resolve().parents[2]
    files = [repo / "README.md", repo / "action.yml", repo / ".pre-commit-hooks.yaml",
             *repo.glob("docs/*.md"), *repo.glob("docs/*.yml"), *repo.glob("examples/**/*"),
             *(repo / "src" / "dtnetpol").rglob("*.py")]
    bad = re.compile(r"§|reference §|seed guide|shared/(seed|reference)", re.IGNORECASE)
    found = [f"{f.relative_to(repo)}:{n}: {line.strip()}"
             for f in files if f.is_file() and f.suffix != ".png"
             for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
             if bad.search(line)]
    assert len(files) > 100 and found == []
