"""Text from the input never reaches the terminal raw, and every format names any file.

Issue 14: label values of workloads and pod templates reached the terminal raw (explain, lint,
md output) and could clear the screen or set the window title; SARIF crashed on a file name
that is not valid UTF-8. One function escapes (dtnetpol.safe_text); these tests run every
command in every format over hostile input and look at the bytes that come out.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest
from rich.text import Text

from dtnetpol.cli import main
from dtnetpol.render.console import render
from dtnetpol.safe_text import _UNSAFE, SafeStream, escape_controls, escape_line, path_label

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "cluster"

# A workload whose name, labels and pod-template labels carry terminal controls: clear screen,
# set the window title, 8-bit CSI, a bidirectional override.
HOSTILE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: "evil\\e[2J"
  namespace: shop
  labels:
    app: "x\\e]0;PWNED\\a"
spec:
  selector:
    matchLabels:
      app: evil
  template:
    metadata:
      labels:
        app: evil
        tier: "t\\x9b31m\\u202eed"
    spec:
      containers:
        - name: c
          image: "i\\e[5m"
"""

COMMANDS: list[tuple[str, ...]] = [
    ("lint",), ("explain",), ("connlist",),
    ("can-reach", "--from", "shop/frontend", "--to", "shop/cart"),
    ("check", "--skip-invalid"), ("diagnose", "--skip-invalid", "--apiserver-cidr", "10.0.0.0/24"),
]
FORMATS = {"lint": ("table", "json", "sarif", "md"), "explain": ("table", "json", "md"),
           "connlist": ("table", "json", "md", "dot"), "can-reach": ("table", "json", "md"),
           "check": ("table", "json", "sarif", "md", "html", "dot"),
           "diagnose": ("table", "json", "md", "html")}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(argv: list[str], out: io.StringIO | None = None) -> tuple[int, str, str]:
    out = out if out is not None else io.StringIO()
    err = io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "cluster"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("invalid"))
    (folder / "evil.yaml").write_text(HOSTILE, encoding="utf-8")
    return folder


def test_escape_controls_escapes_every_kind_of_control() -> None:
    assert escape_controls("a\x1b[2Jb") == "a\\u001b[2Jb"
    assert escape_controls("\x07\x00\x7f\x9b\u202e\u2066") == \
        "\\u0007\\u0000\\u007f\\u009b\\u202e\\u2066"
    assert escape_controls("tab\tand\nnewline stay, é and 日本 too") == \
        "tab\tand\nnewline stay, é and 日本 too"
    assert escape_line("a\tb\nc") == "a\\tb\\nc"


def test_undecodable_file_name_bytes_are_percent_encoded() -> None:
    name = os.fsdecode(b"dir/bad\xff\xfe.yaml")
    assert path_label(name) == "dir/bad%FF%FE.yaml"
    assert path_label("plain/é.yaml") == "plain/é.yaml"


def test_safe_stream_keeps_only_our_colours() -> None:
    raw = io.StringIO()
    SafeStream(raw, keep_colour=True).write("\x1b[1;31mred\x1b[0m \x1b]0;title\x07 \x1b[2J")
    assert raw.getvalue() == "\x1b[1;31mred\x1b[0m \\u001b]0;title\\u0007 \\u001b[2J"
    raw = io.StringIO()
    SafeStream(raw).write("\x1b[1;31mred")
    assert raw.getvalue() == "\\u001b[1;31mred"


def test_console_escapes_cell_text_but_keeps_its_colours() -> None:
    text = render([Text("a\x1b[2Jb", style="bold")], colour=True, width=40)
    assert "a\\u001b[2Jb" in text
    assert "\x1b[2J" not in text


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_no_control_character_reaches_the_terminal(hostile: Path, command: tuple[str, ...],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    for fmt in FORMATS[command[0]]:
        code, out, err = run([*command, str(hostile), "-o", fmt])
        assert code in (0, 1), err
        assert not _UNSAFE.search(out), (fmt, _UNSAFE.search(out))
        assert not _UNSAFE.search(err), (fmt, err)
        if fmt in ("json", "sarif"):
            json.loads(out)  # \\uXXXX inside strings keeps JSON valid


def test_hostile_values_are_shown_escaped(hostile: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = run(["explain", str(hostile), "-o", "md"])
    assert "evil\\u001b\\[2J" in out or "evil\\u001b[2J" in out
    _, out, _ = run(["explain", str(hostile)])
    assert "evil\\u001b[2J" in out


@pytest.mark.parametrize("command", [("lint",), ("explain",), ("check", "--skip-invalid")],
                         ids=lambda c: c[0])
def test_coloured_tables_carry_only_colour_sequences(hostile: Path, command: tuple[str, ...],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    code, out, err = run([*command, str(hostile)], out=_Terminal())
    assert code in (0, 1), err
    assert "\x1b[" in out  # coloured
    without_colour = __import__("re").sub(r"\x1b\[[0-9;]*m", "", out)
    assert not _UNSAFE.search(without_colour), _UNSAFE.search(without_colour)


def test_errors_and_warnings_are_escaped(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_text('kind: Namespace\nmetadata: {name: "n\\e[2J", labels: [1]}\n',
                   encoding="utf-8")
    code, _, err = run(["lint", str(bad)])
    assert code == 2
    assert not _UNSAFE.search(err)
    code, _, err = run(["can-reach", str(bad), "--from", "a\x1b[2J", "--to", "b"])
    assert code == 2 and not _UNSAFE.search(err)


@pytest.fixture
def badly_named(tmp_path: Path) -> Path:
    folder = tmp_path / "cluster"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("invalid"))
    # This file has lint findings and the check's isolating policies.
    os.rename(folder / "policies" / "default-deny.yaml",
              os.fsdecode(bytes(folder / "shop") + b"\xff\x1b.yaml"))
    return folder


@pytest.mark.parametrize("command", [("lint",), ("check", "--skip-invalid")],
                         ids=lambda c: c[0])
def test_a_file_name_that_is_not_utf8_in_every_format(badly_named: Path,
                                                      command: tuple[str, ...],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The same name, ``shop%FF\\u001b.yaml``, in every format (SARIF as its URI)."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(badly_named)
    for fmt in FORMATS[command[0]]:
        code, out, err = run([*command, ".", "-o", fmt])
        assert code in (0, 1), (fmt, err)
        assert not _UNSAFE.search(out)
        if fmt == "sarif":
            assert "shop%25FF%5Cu001b.yaml" in out, fmt
        elif fmt == "json":
            assert "shop%FF\\\\u001b.yaml" in out, fmt
        elif command[0] == "lint" or fmt == "html":  # check's table, md, dot name no files
            assert "shop%FF\\u001b.yaml" in out, fmt


def test_lint_with_a_kind_that_is_a_mapping(tmp_path: Path) -> None:
    """Found by the fuzz suite: ``kind: {a: b}`` crashed lint's choice of bodies to keep."""
    f = tmp_path / "k.yaml"
    f.write_text("apiVersion: v1\nkind:\n  matchLabels: {a: b}\nmetadata: {name: x}\n",
                 encoding="utf-8")
    code, _, err = run(["lint", str(f)])
    assert code in (0, 1, 2) and "Traceback" not in err


@pytest.mark.parametrize("url", ["https://[abc.live.dynatrace.com/api", "https://x]/api"])
def test_a_dynakube_url_with_an_unbalanced_bracket(tmp_path: Path, url: str) -> None:
    """Found by the fuzz suite: urlsplit's "Invalid IPv6 URL" escaped as a traceback."""
    dk = tmp_path / "dk.yaml"
    dk.write_text((EXAMPLE / "dynakube.yaml").read_text(encoding="utf-8").replace(
        "https://abc12345.live.dynatrace.com/api", url), encoding="utf-8")
    for command in ("check", "generate", "diagnose"):
        code, _, err = run([command, "--skip-invalid", str(dk), "--apiserver-cidr",
                            "10.0.0.0/24"])
        assert code == 2, err
        assert err.splitlines()[-1].startswith(f"dtnetpol: error: {dk}:"), err
        assert "invalid URL" in err


@pytest.mark.parametrize("key", ["\\r", "\\f", "\\x1c", "\\x85"])
def test_an_error_with_a_line_breaking_control_stays_one_line(tmp_path: Path, key: str) -> None:
    """Found by the fuzz suite: a label key ``"\\r"`` in an error message was split into
    lines (``str.splitlines`` breaks on CR, FF, FS and NEL too), so the last line named no
    file."""
    f = tmp_path / "sts.yaml"
    f.write_text(f'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels:\n'
                 f'    ? "{key}"\n    : 0\n', encoding="utf-8")
    code, _, err = run(["lint", str(f)])
    assert code == 2, err
    lines = err.strip().split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith(f"dtnetpol: error: {f}:6: document 1: metadata.labels["), err
    assert not _UNSAFE.search(err)
