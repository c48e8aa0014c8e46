"""Safe writes of ``generate --out`` and ``fix --write`` (issue 14).

``generate --out`` wrote outside the folder when a namespace held ``../``, replaced changed
files silently and wrote through symlinks; ``fix --write`` followed a dangling symlink. Both
now write through :mod:`dtnetpol.commands._write`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from dtnetpol.cli import main
from dtnetpol.commands._write import write_files
from dtnetpol.errors import InputError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "cluster"
DYNAKUBE = str(EXAMPLE / "dynakube.yaml")
GENERATE = ["generate", "--dynakube", DYNAKUBE, "--apiserver-cidr", "10.0.0.0/24"]
FIX = ["fix", "--skip-invalid", str(EXAMPLE)]
# Both commands, each with its folder flag.
COMMANDS = {"generate": (GENERATE, "--out"), "fix": (FIX, "--write")}


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def tree(root: Path) -> dict[str, str]:
    """Every entry under ``root``: files by content, links by target."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                found[rel] = path.read_text(encoding="utf-8")
            else:
                found[rel] = "/"
    return found


@pytest.fixture(params=sorted(COMMANDS))
def command(request: pytest.FixtureRequest) -> tuple[list[str], str]:
    return COMMANDS[request.param]


def test_names_from_flags_that_leave_the_folder_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "a" / "out"
    code, _, err = run([*GENERATE, "--operator-namespace", "../../escape", "--out", str(out)])
    assert code == 2
    # Refused twice over: by the flag's own check, and (tested below) by the writer.
    assert err.splitlines()[-1] == ("dtnetpol generate: error: argument --operator-namespace: "
                                    "'../../escape': not a namespace name (lower-case letters, "
                                    "digits and '-', at most 63)")
    assert tree(tmp_path) == {}   # not even the folder


def test_names_from_the_input_that_leave_the_folder_are_refused(tmp_path: Path) -> None:
    dk = tmp_path / "dk.yaml"
    dk.write_text(Path(DYNAKUBE).read_text(encoding="utf-8").replace(
        "namespace: dynatrace", "namespace: ../up", 1), encoding="utf-8")
    code, _, err = run(["generate", "--dynakube", str(dk), "--apiserver-cidr", "10.0.0.0/24",
                        "--out", str(tmp_path / "out")])
    assert code == 2, err
    assert "refusing to write '../up." in err or "../up" in err
    assert sorted(tree(tmp_path)) == ["dk.yaml"]


@pytest.mark.parametrize("name", ["a/b.yaml", "../x.yaml", "A.yaml", "x.yaml\n", ".x.yaml",
                                  "x.txt", "é.yaml", ""])
def test_the_writer_takes_dns1123_names_only(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="DNS-1123 characters only"):
        write_files(str(tmp_path / "o"), [(name, "x")], flag="--out")
    assert not (tmp_path / "o").exists()


def test_a_changed_file_is_replaced_only_with_force(tmp_path: Path,
                                                    command: tuple[list[str], str]) -> None:
    argv, flag = command
    out = tmp_path / "out"
    code, _, err = run([*argv, flag, str(out)])
    assert code == 0, err
    written = tree(out)
    first = sorted(written)[0]
    code, _, err = run([*argv, flag, str(out)])       # the same content: left alone
    assert code == 0 and "(0 " not in err and "unchanged" in err
    (out / first).write_text("# edited by hand\n", encoding="utf-8")
    code, _, err = run([*argv, flag, str(out)])
    assert code == 2
    assert err.endswith(f"--out {out}: {first} exists with other content; not replacing it "
                        "(--force replaces it)\n".replace("--out", flag))
    assert (out / first).read_text(encoding="utf-8") == "# edited by hand\n"
    code, _, err = run([*argv, flag, str(out), "--force"])
    assert code == 0, err
    assert tree(out) == written


@pytest.mark.parametrize("dangling", [True, False])
def test_no_symlink_is_followed(tmp_path: Path, command: tuple[list[str], str],
                                dangling: bool) -> None:
    argv, flag = command
    out = tmp_path / "out"
    code, _, err = run([*argv, flag, str(out)])
    assert code == 0, err
    name = sorted(tree(out))[0]
    target = tmp_path / "target.yaml"
    if not dangling:
        target.write_text("# theirs\n", encoding="utf-8")
    (out / name).unlink()
    (out / name).symlink_to(target)
    before = tree(tmp_path)
    for extra in ([], ["--force"]):
        code, _, err = run([*argv, flag, str(out), *extra])
        assert code == 2
        assert f"{name} is a symbolic link; not writing through it" in err
        assert tree(tmp_path) == before


def test_the_folder_itself_may_not_be_a_symlink(tmp_path: Path,
                                                command: tuple[list[str], str]) -> None:
    argv, flag = command
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    code, _, err = run([*argv, flag, str(tmp_path / "link")])
    assert code == 2 and "is a symbolic link" in err
    assert list((tmp_path / "real").iterdir()) == []


def test_nothing_is_written_when_one_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.yaml").write_text("old\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.yaml exists with other content"):
        write_files(str(out), [("a.yaml", "new a\n"), ("b.yaml", "new b\n")], flag="--out")
    assert tree(out) == {"b.yaml": "old\n"}


def test_writes_are_atomic_and_leave_no_temporary_file(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    done = write_files(str(out), [("a.yaml", "a\n")], flag="--out")
    assert done.written == ("a.yaml",) and tree(out) == {"a.yaml": "a\n"}
    # A failure after the temporary file was written leaves the old file and no temporary.
    real_rename = os.rename

    def failing_rename(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "rename", failing_rename)
    with pytest.raises(InputError, match="No space left on device"):
        write_files(str(out), [("a.yaml", "b\n")], flag="--out", force=True)
    monkeypatch.setattr(os, "rename", real_rename)
    assert tree(out) == {"a.yaml": "a\n"}


def test_a_file_that_appears_meanwhile_is_not_replaced(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from dtnetpol.commands import _write

    out = tmp_path / "out"
    out.mkdir()
    real = _write._existing

    def racing(name: str, fd: int) -> os.stat_result | None:
        found = real(name, fd)
        (out / name).write_text("theirs\n", encoding="utf-8")   # after the check
        return found

    monkeypatch.setattr(_write, "_existing", racing)
    with pytest.raises(InputError, match=r"a\.yaml appeared while writing"):
        write_files(str(out), [("a.yaml", "ours\n")], flag="--out")
    assert tree(out) == {"a.yaml": "theirs\n"}
