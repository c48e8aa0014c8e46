"""Shell completion scripts, run in the real shells: subcommands, flags and their choices."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from dtnetpol.cli import main


def script(shell: str) -> str:
    out = io.StringIO()
    assert main(["completion", shell], out=out, err=io.StringIO()) == 0
    return out.getvalue()


def _need(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"{shell} is not installed (Debian package {shell})")
    return path


def _run(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bash_completes_commands_flags_and_choices(tmp_path: Path) -> None:
    bash = _need("bash")
    path = tmp_path / "c.bash"
    path.write_text(script("bash"))

    def complete(*words: str) -> list[str]:
        quoted = " ".join(f"'{w}'" for w in words)
        return _run([bash, "-c", f"source {path}; COMP_WORDS=(dtnetpol {quoted}); "
                     f"COMP_CWORD={len(words)}; _dtnetpol; printf '%s\\n' \"${{COMPREPLY[@]}}\""]
                    ).split()

    assert complete("ch") == ["check"]
    assert complete("check", "-o", "") == ["table", "json", "yaml", "sarif", "md", "html",
                                           "dot"]
    assert complete("lint", "--fail") == ["--fail-on"]
    assert complete("check", "--fail-on", "o") == ["optional"]
    assert complete("completion", "") == ["bash", "zsh", "fish"]
    assert "--namespace" in complete("connlist", "--n")


def test_zsh_script_loads_and_dispatches(tmp_path: Path) -> None:
    zsh = _need("zsh")
    path = tmp_path / "_dtnetpol"
    path.write_text(script("zsh"))
    _run([zsh, "-n", str(path)])
    registered = _run([zsh, "-fc", f"autoload -U compinit; compinit -u -D; source {path}; "
                       "print -r -- ${_comps[dtnetpol]} ${_comps[kubectl-dtnetpol]}"])
    assert registered.split() == ["_dtnetpol", "_dtnetpol"]
    # _arguments and _describe replaced by printers: what the script asks zsh to complete.
    specs = _run([zsh, "-fc", f"compdef() {{ :; }}; source {path}; "
                  "_arguments() { print -rl -- \"$@\" }; "
                  "_describe() { print -rl -- \"${(P)4}\" }; "
                  "words=(dtnetpol check --fail-on ''); CURRENT=4; _dtnetpol; "
                  "words=(dtnetpol ''); CURRENT=2; _dtnetpol"])
    assert "--fail-on[exit 1 when a required flow is blocked]:value:(required optional " \
           "conditional)" in specs
    assert "'*:file:_files'" not in specs and "*:file:_files" in specs
    assert any(line.startswith("check:") for line in specs.splitlines())


def test_fish_completes_commands_flags_and_choices(tmp_path: Path) -> None:
    fish = _need("fish")
    path = tmp_path / "dtnetpol.fish"
    path.write_text(script("fish"))

    def complete(line: str) -> list[str]:
        out = _run([fish, "-c", f"source {path}; complete -C '{line}'"])
        return [row.split("\t")[0] for row in out.splitlines()]

    assert complete("dtnetpol ch") == ["check"]
    assert sorted(complete("dtnetpol check -o ")) == ["dot", "html", "json", "md", "sarif",
                                                      "table", "yaml"]
    assert sorted(complete("dtnetpol lint --fail-on ")) == ["error", "info", "warning"]
    assert "--show-fixes" in complete("dtnetpol check --sh")
