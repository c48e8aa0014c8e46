"""Safe writes of ``snapshot --out`` (issue 14), against the test API server.

File names come from the server (resources, and with ``--with-logs`` namespaces, pods and
containers under ``DIR/logs/NS/POD/CONTAINER.log``): a hostile or broken server must not make
the snapshot write outside DIR, through a symbolic link, or over a file it did not write.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.apiserver import ApiServer, NoOpenSSL, running_example
from tests.cli_run import run

from dtnetpol.commands._write import write_files
from dtnetpol.errors import InputError

OPERATOR = "dynatrace-operator-w7lpr7pntl-z8lzt"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def tree(root: Path) -> dict[str, str]:
    """Every entry under ``root``: files by content, links by target, folders as '/'."""
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


def _server(container: str | None = None) -> ApiServer:
    """The running example; with ``container``, the operator pod has a second container of
    that name, with a log (so ``--with-logs`` derives a file name from it)."""
    objects, groups = running_example()
    if container is not None:
        for o in objects:
            if o["kind"] == "Pod" and o["metadata"]["name"] == OPERATOR:
                o["spec"]["containers"].append({"name": container, "image": "x:1"})
    try:
        server = ApiServer(objects, installed=groups).start()
    except NoOpenSSL as e:
        pytest.skip(f"no test API server: {e}")
    server.store.logs[("dynatrace", OPERATOR, "operator")] = [(NOW, "operator line")]
    if container is not None:
        server.store.logs[("dynatrace", OPERATOR, container)] = [(NOW, "hostile line")]
    return server


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    srv = _server()
    yield srv
    srv.stop()


def snapshot(server: ApiServer, tmp_path: Path, out: Path, *extra: str) -> tuple[int, str]:
    kubeconfig = server.kubeconfig(tmp_path / "kubeconfig")
    code, _, err = run("snapshot", "--kubeconfig", str(kubeconfig), "--out", str(out), *extra)
    return code, err


def test_logs_are_written_under_dir_logs(server: ApiServer, tmp_path: Path) -> None:
    code, err = snapshot(server, tmp_path, tmp_path / "snap", "--with-logs")
    assert code == 0, err
    files = tree(tmp_path / "snap")
    assert files[f"logs/dynatrace/{OPERATOR}/operator.log"].endswith("operator line\n")
    assert not [n for n in files if n.endswith(".tmp")]   # atomic: no temporary left


@pytest.mark.parametrize("container", ["../../../../escape", "UPPER", "a b", ".hidden",
                                       "x\x1b]0;title\x07"])
def test_hostile_names_from_the_server_are_refused(tmp_path: Path, container: str) -> None:
    server = _server(container)
    try:
        code, err = snapshot(server, tmp_path, tmp_path / "a" / "snap", "--with-logs")
    finally:
        server.stop()
    assert code == 2
    assert len(err.splitlines()) == 1 and "\x1b" not in err and "\x07" not in err
    assert err.startswith(f"dtnetpol: error: --out {tmp_path}/a/snap: refusing to write "
                          f"'logs/dynatrace/{OPERATOR}/")
    assert "DNS-1123 characters only" in err
    # checked before anything is written: not even the folder, nothing beside it
    assert sorted(tree(tmp_path)) == ["kubeconfig"]


def test_a_non_empty_folder_is_written_only_with_force(server: ApiServer,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "snap"
    out.mkdir()
    (out / "01-namespaces.json").write_text("mine\n", encoding="utf-8")
    code, err = snapshot(server, tmp_path, out)
    assert code == 2
    assert err == (f"dtnetpol: error: --out {out}: exists and is not an empty folder (--force "
                   "writes into it, replacing files of the same name)\n")
    assert tree(out) == {"01-namespaces.json": "mine\n"}
    code, err = snapshot(server, tmp_path, out, "--force")
    assert code == 0, err
    assert (out / "01-namespaces.json").read_text(encoding="utf-8").startswith("{")


def test_a_second_snapshot_into_the_same_folder_needs_force(server: ApiServer,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "snap"
    assert snapshot(server, tmp_path, out, "--with-logs")[0] == 0
    first = tree(out)
    code, err = snapshot(server, tmp_path, out, "--with-logs")
    assert code == 2 and "not an empty folder" in err
    assert tree(out) == first
    code, err = snapshot(server, tmp_path, out, "--with-logs", "--force")
    assert code == 0, err
    assert sorted(tree(out)) == sorted(first)


def test_the_folder_may_not_be_a_symlink(server: ApiServer, tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for extra in ([], ["--force"]):
        code, err = snapshot(server, tmp_path, tmp_path / "link", *extra)
        assert code == 2 and "is a symbolic link; not writing through it" in err
    assert list((tmp_path / "real").iterdir()) == []


@pytest.mark.parametrize("link", ["logs", f"logs/dynatrace/{OPERATOR}/operator.log",
                                  "03-pods.json"])
def test_no_symlink_inside_the_folder_is_followed(server: ApiServer, tmp_path: Path,
                                                  link: str) -> None:
    out = tmp_path / "snap"
    assert snapshot(server, tmp_path, out, "--with-logs")[0] == 0
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep").write_text("theirs\n", encoding="utf-8")
    entry = out / link
    if entry.is_dir():
        for f in sorted(entry.rglob("*"), reverse=True):
            f.rmdir() if f.is_dir() else f.unlink()
        entry.rmdir()
    else:
        entry.unlink()
    entry.symlink_to(target if link == "logs" else target / "keep")
    before = tree(tmp_path)
    code, err = snapshot(server, tmp_path, out, "--with-logs", "--force")
    assert code == 2
    assert f"{link} is a symbolic link; not writing through it" in err
    assert tree(tmp_path) == before


def test_a_failed_write_leaves_the_old_file(server: ApiServer, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "snap"
    out.mkdir()
    (out / "snapshot.txt").write_text("old\n", encoding="utf-8")

    def failing_rename(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "rename", failing_rename)
    code, err = snapshot(server, tmp_path, out, "--force")
    assert code == 2 and err.endswith(f"--out {out}: No space left on device\n")
    files = tree(out)
    assert files["snapshot.txt"] == "old\n"
    assert not [n for n in files if n.endswith(".tmp")]


@pytest.mark.parametrize("name", ["logs/../x.log", "/abs/x.log", "logs//x.log", "logs/x.yaml",
                                  "logs/.x/y.log", "logs/x/"])
def test_nested_names_stay_in_the_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="DNS-1123 characters only"):
        write_files(str(tmp_path / "o"), [(name, "x")], flag="--out", nested=True,
                    suffixes=(".log",))
    assert not (tmp_path / "o").exists()


def test_a_file_where_a_folder_goes_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "logs").write_text("a file\n", encoding="utf-8")
    with pytest.raises(InputError, match="logs exists and is not a folder"):
        write_files(str(out), [("logs/ns/p/c.log", "x")], flag="--out", nested=True,
                    suffixes=(".log",), force=True)
    assert tree(out) == {"logs": "a file\n"}
