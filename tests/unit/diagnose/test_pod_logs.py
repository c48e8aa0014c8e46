"""The offline log layout: DIR/logs/NAMESPACE/POD/CONTAINER[.previous].log."""

from __future__ import annotations

from pathlib import Path

from dtnetpol.sources.pod_logs import log_path, read_logs


def test_layout_current_and_previous_and_tail(tmp_path: Path) -> None:
    cur = log_path(tmp_path, "dynatrace", "op-1", "operator", previous=False)
    prev = log_path(tmp_path, "dynatrace", "op-1", "operator", previous=True)
    assert cur == tmp_path / "logs/dynatrace/op-1/operator.log"
    assert prev == tmp_path / "logs/dynatrace/op-1/operator.previous.log"
    cur.parent.mkdir(parents=True)
    cur.write_text("".join(f"line {i}\n" for i in range(10)), encoding="utf-8")
    prev.write_text("before the restart\n", encoding="utf-8")
    (cur.parent / "notes.txt").write_text("ignored\n", encoding="utf-8")
    logs = read_logs([str(tmp_path)], lines=3)
    assert [(x.namespace, x.pod, x.container, x.previous, x.lines) for x in logs] == [
        ("dynatrace", "op-1", "operator", False, ("line 7", "line 8", "line 9")),
        ("dynatrace", "op-1", "operator", True, ("before the restart",)),
    ]


def test_logs_below_a_given_directory_are_found_and_files_ignored(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    p = log_path(snap, "shop", "cart-1", "dynatrace-operator", previous=False)
    p.parent.mkdir(parents=True)
    p.write_bytes(b"error during download, the error was suppressed\n\xff\n")
    (tmp_path / "x.yaml").write_text("a: 1\n", encoding="utf-8")
    (log,) = read_logs([str(tmp_path), str(tmp_path / "x.yaml"), "-"])
    assert log.lines == ("error during download, the error was suppressed", "\ufffd")
