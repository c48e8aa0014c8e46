"""The pure core never imports the edges, and every command lives in its own module."""

from __future__ import annotations

import ast
from pathlib import Path

import dtnetpol
from dtnetpol.cli import build_parser

ROOT = Path(dtnetpol.__file__).parent
CORE = ("model", "engine", "manifest", "dynatrace", "check", "lint", "generate", "diff",
        "diagnose", "probe")
EDGES = ("dtnetpol.sources", "dtnetpol.render", "dtnetpol.commands", "dtnetpol.cli")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_core_packages_import_no_edge() -> None:
    bad = [f"{path.relative_to(ROOT)}: {name}"
           for package in CORE for path in sorted((ROOT / package).rglob("*.py"))
           for name in _imports(path) if name.startswith(EDGES)]
    assert bad == []


def test_every_subcommand_has_its_own_module() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():  # type: ignore[union-attr]
        module = p.get_default("run").__module__
        assert module == f"dtnetpol.commands.{name.replace('-', '_')}", name


def test_cli_defines_no_flag_of_a_command() -> None:
    """cli.py wires the commands; their flags live in dtnetpol.commands."""
    text = (ROOT / "cli.py").read_text(encoding="utf-8")
    assert text.count("add_argument(") == 1  # -V/--version only


def test_every_imported_third_party_package_is_declared() -> None:
    """A package imported by dtnetpol is a declared dependency, not one that happens to be
    installed with another (markupsafe comes with jinja2)."""
    import sys
    import tomllib

    project = tomllib.loads((ROOT.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {d.split(">")[0].split("=")[0].split("[")[0].strip().lower().replace("-", "_")
                for d in project["project"]["dependencies"]}
    aliases = {"yaml": "pyyaml"}
    imported = {name.split(".")[0] for path in ROOT.rglob("*.py") for name in _imports(path)}
    third = {aliases.get(n, n).lower() for n in imported
             if n != "dtnetpol" and n not in sys.stdlib_module_names and n != "__future__"}
    assert third <= declared, third - declared


def test_commands_never_import_the_cli() -> None:
    """cli.py wires the commands; a command that imported it would point back up."""
    bad = [f"{path.name}: {name}" for path in sorted((ROOT / "commands").glob("*.py"))
           for name in _imports(path) if name == "dtnetpol.cli" or name.startswith("dtnetpol.cli.")]
    assert bad == []
