"""A big snapshot is split into numbered List files, each under ``--max-input-size``; every
command reads the folder with default flags and gives the answers live mode gives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.apiserver import ApiServer
from tests.apiserver.fixture import example_server
from tests.cli_run import run

from dtnetpol.sources.snapshot import FILE_BYTES, list_texts
from dtnetpol.sources.yaml_load import DEFAULT_MAX_INPUT_BYTES


def _verdicts(report: str) -> dict[str, str]:
    return {f["id"]: f["verdict"] for f in json.loads(report)["flows"]}


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    with example_server() as srv:
        yield srv


@pytest.fixture(scope="module")
def kubeconfig(server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return server.kubeconfig(tmp_path_factory.mktemp("kc") / "kubeconfig")


ITEMS: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "labels": {"app": "é" * i}},
     "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80 + i}]}]}}
    for i in range(12)]


def _whole(items: list[dict[str, Any]]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items,
                       "metadata": {"resourceVersion": ""}}, indent=2, ensure_ascii=False) + "\n"


def test_one_file_is_written_as_before() -> None:
    assert FILE_BYTES * 8 == DEFAULT_MAX_INPUT_BYTES
    for items in ([], ITEMS[:1], ITEMS):
        assert list_texts(items) == [(_whole(items), len(items))]


@pytest.mark.parametrize("max_bytes", [1, 300, 700, 2000])
def test_split_lists_hold_every_item_in_order_each_under_the_size(max_bytes: int) -> None:
    texts = list_texts(ITEMS, max_bytes)
    whole = len(_whole(ITEMS).encode("utf-8"))
    assert len(texts) > 1 and len(texts) >= min(len(ITEMS), whole // max_bytes)
    back = []
    for text, count in texts:
        body = json.loads(text)
        assert body["kind"] == "List" and len(body["items"]) == count
        assert text == _whole(body["items"])   # each part is a List as kubectl writes it
        # under the size, unless one item alone is larger
        assert count == 1 or len(text.encode("utf-8")) <= max_bytes
        back += body["items"]
    assert back == ITEMS


def test_a_split_snapshot_reads_with_default_flags_and_answers_as_live(
        server: ApiServer, kubeconfig: Path, tmp_path: Path) -> None:
    live_code, live, err = run("check", "-o", "json", "--kubeconfig", str(kubeconfig))
    assert live_code == 1, err
    snap = tmp_path / "snap"
    code, _, err = run("snapshot", "--kubeconfig", str(kubeconfig), "--out", str(snap),
                       "--max-file-size", "4K")
    assert code == 0, err
    pods = sorted(p.name for p in snap.glob("03-pods*.json"))
    assert len(pods) > 2 and pods[:2] == ["03-pods-0001.json", "03-pods-0002.json"]
    info = yaml.safe_load((snap / "snapshot.txt").read_text(encoding="utf-8"))
    assert sum(info["files"][p] for p in pods) == info["objects"]["pods"]
    assert sorted(info["files"]) == sorted(p.name for p in snap.glob("*.json"))
    largest = max(p.stat().st_size for p in snap.glob("*.json"))
    total = sum(p.stat().st_size for p in snap.glob("*.json"))
    assert largest < total // 4
    code, report, err = run("check", "-o", "json", str(snap))
    assert (code, err) == (1, "")
    assert _verdicts(report) == _verdicts(live)
    # the limit is for each input: a folder larger in all than the limit is read
    code, report, err = run("check", "-o", "json", "--max-input-size", str(largest + 1),
                            str(snap))
    assert code == 1 and _verdicts(report) == _verdicts(live), err
    code, _, err = run("check", "-o", "json", "--max-input-size", str(largest - 1), str(snap))
    assert code == 2 and "input larger than the limit" in err
    # the same connections, for every workload
    assert run("connlist", "-o", "json", str(snap))[1] == \
        run("connlist", "-o", "json", "--kubeconfig", str(kubeconfig))[1]


def test_a_missing_or_stray_file_is_a_warning(server: ApiServer, kubeconfig: Path,
                                              tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    assert run("snapshot", "--kubeconfig", str(kubeconfig), "--out", str(snap),
               "--max-file-size", "4K")[0] == 0
    info = yaml.safe_load((snap / "snapshot.txt").read_text(encoding="utf-8"))
    count = info["files"]["03-pods-0002.json"]
    stray = snap / "03-pods-0002.json"
    stray.rename(snap / "99-old-pods.json")
    code, out, err = run("check", "-o", "json", str(snap))
    assert code in (0, 1)
    objects = f"{count:,} object{'s' if count != 1 else ''}"
    expected = [
        f"snapshot {snap}: 03-pods-0002.json is missing (snapshot.txt lists it with {objects}): "
        "the answers are without them",
        f"snapshot {snap}: 99-old-pods.json is not one of its files (snapshot.txt does not list "
        "it: left from another snapshot?); its objects are read too"]
    assert [w for w in json.loads(out)["warnings"] if w.startswith("snapshot ")] == expected
    assert [x for x in err.splitlines() if x.startswith("warning: snapshot")] == \
        [f"warning: {w}" for w in expected]
