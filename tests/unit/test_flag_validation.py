"""Every CIDR, IP, port, namespace and size flag is checked when parsed (issue 14).

``--tenant-cidr banana`` was accepted and the run went on. Now every such flag of every
command has an argparse ``type=`` from :mod:`dtnetpol.commands._types`: a bad value exits 2
naming the flag, before any input is read.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from dtnetpol.cli import build_parser, main
from dtnetpol.commands import _types

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "cluster"

# What a flag takes, told by its metavar or name → (checking function, bad values, good).
KINDS: dict[str, tuple[object, list[str], str]] = {
    "CIDR": (_types.cidr, ["banana", "1.2.3/99", "10.0.0.0/33", "::1/129", ""], "10.0.0.0/8"),
    "IP:PORT": (_types.apiserver, ["banana", "1.2.3.4", "1.2.3.4:0", "1.2.3.4:65536",
                                   "host:443", "[::1]:x", "10.0.0.0/8:443", ":"],
                "[fd00::1]:6443"),
    "NS": (_types.namespace, ["../x", "Upper", "a_b", "-a", "a" * 64, ""], "dynatrace"),
    "NS,...": (_types.namespaces, ["a,../b", ",", "A"], "shop,payments"),
    "PORT": (_types.port, ["0", "65536", "http", "53/ICMP", "-1"], "53/UDP"),
    "SIZE": (_types.size, ["lots", "-1", "1X", "1.5G"], "512M"),
}


def kind(action: argparse.Action) -> str | None:
    if action.metavar in KINDS:
        return str(action.metavar)
    names = set(action.option_strings)
    if "--namespace" in names:
        return "NS"
    if "--port" in names:
        return "PORT"
    return None


def typed_flags() -> list[tuple[str, str, str]]:
    """(command, flag, kind) for every checked flag of every command."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = []
    for command, p in sub.choices.items():
        for action in p._actions:
            k = kind(action)
            if k is not None:
                found.append((command, action.option_strings[-1], k))
    return found


FLAGS = typed_flags()


def paths_for(command: str) -> list[str]:
    """A PATH for commands that take one (``rbac`` takes none)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    takes = any(a.dest == "paths" for a in sub.choices[command]._actions)
    return ["/nonexistent"] if takes else []


def test_the_matrix_covers_every_command_that_takes_such_flags() -> None:
    commands = {c for c, _, _ in FLAGS}
    assert {"check", "fix", "generate", "diff", "lint", "can-reach", "explain",
            "connlist"} <= commands
    assert ("check", "--tenant-cidr", "CIDR") in FLAGS
    assert ("lint", "--pod-cidr", "CIDR") in FLAGS


@pytest.mark.parametrize(("command", "flag", "kind_"), FLAGS)
def test_each_flag_has_its_check(command: str, flag: str, kind_: str) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    action = next(a for a in sub.choices[command]._actions if flag in a.option_strings)
    assert action.type is KINDS[kind_][0]


@pytest.mark.parametrize(("command", "flag", "kind_"), FLAGS)
def test_bad_values_exit_2_naming_the_flag(command: str, flag: str, kind_: str) -> None:
    _, bad, good = KINDS[kind_]
    extra = {"can-reach": ["--from", "a/b", "--to", "c/d"],
             "snapshot": ["--out", "/nonexistent"]}.get(command, [])
    for value in bad:
        out, err = io.StringIO(), io.StringIO()
        code = main([command, *paths_for(command), *extra, f"{flag}={value}"], out=out,
                    err=err)
        assert code == 2, (flag, value)
        last = err.getvalue().splitlines()[-1]
        assert last.startswith(f"dtnetpol {command}: error: argument "), last
        assert flag in last, last
    parser = build_parser()
    args = parser.parse_args([command, *paths_for(command), *extra, f"{flag}={good}"])
    assert args is not None


def test_tenant_cidr_banana_stops_check() -> None:
    err = io.StringIO()
    code = main(["check", str(EXAMPLE), "--tenant-cidr", "banana"], out=io.StringIO(), err=err)
    assert code == 2
    assert err.getvalue().splitlines()[-1] == ("dtnetpol check: error: argument --tenant-cidr: "
                                               "'banana': not an IP address or CIDR (e.g. "
                                               "10.0.0.0/16)")


@pytest.mark.parametrize(("text", "size"), [("0", 0), ("100", 100), ("1k", 1024),
                                            ("256M", 256 << 20), ("2GiB", 2 << 30),
                                            ("1 G", 1 << 30)])
def test_sizes(text: str, size: int) -> None:
    assert _types.size(text) == size


def test_max_input_size_flag_limits_the_read(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", encoding="utf-8")
    err = io.StringIO()
    assert main(["lint", str(f), "--max-input-size", "10"], out=io.StringIO(), err=err) == 2
    assert err.getvalue() == (f"dtnetpol: error: {f}: document 1: input larger than the limit "
                              "of 10 bytes (raise it with --max-input-size SIZE, e.g. 1G; 0 "
                              "for none)\n")
    # the limit is for that run only
    assert main(["lint", str(f)], out=io.StringIO(), err=io.StringIO()) == 0


def test_a_namespace_that_matches_nothing_warns() -> None:
    err = io.StringIO()
    code = main(["connlist", "--skip-invalid", str(EXAMPLE), "-n", "nope"], out=io.StringIO(),
                err=err)
    assert code == 0
    assert "warning: -n nope: no workload or namespace in the input is in it\n" in \
        err.getvalue()
    err = io.StringIO()
    main(["explain", "--skip-invalid", str(EXAMPLE), "-n", "shop"], out=io.StringIO(), err=err)
    assert "-n shop" not in err.getvalue()
    err = io.StringIO()
    main(["generate", "--skip-invalid", str(EXAMPLE), "--monitored-namespaces", "shop,nope",
          "--operator-namespace", "dynatrace"], out=io.StringIO(), err=err)
    assert "warning: --monitored-namespaces nope: no such namespace in PATH\n" in \
        err.getvalue()
    assert "--operator-namespace" not in err.getvalue()


@pytest.mark.parametrize("value", ["1e9h", "inf", "nan", "25h", "0", "0.0s"])
def test_request_timeout_is_bounded(value: str) -> None:
    """``--request-timeout 1e9h`` reached the socket and crashed with OverflowError (found by
    the fuzz suite's snapshot fuzzing); NaN and infinity passed the old check too."""
    err = io.StringIO()
    code = main(["snapshot", "--out", "never", "--request-timeout", value], out=io.StringIO(),
                err=err)
    assert code == 2
    assert err.getvalue().splitlines()[-1] == (
        f"dtnetpol snapshot: error: argument --request-timeout: {value!r}: must be more than 0 "
        "and at most 24h")


@pytest.mark.parametrize("value", ["1e999", "inf", "nan", "0", "3601"])
def test_probe_timeout_is_bounded(value: str) -> None:
    err = io.StringIO()
    code = main(["probe", "--timeout", value], out=io.StringIO(), err=err)
    assert code == 2
    assert err.getvalue().splitlines()[-1] == (
        f"dtnetpol probe: error: argument --timeout: {value!r}: must be more than 0 and at "
        "most 3600")
