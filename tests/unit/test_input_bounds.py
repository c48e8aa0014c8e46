"""Bounded input (issue 14): a size limit per read, FIFOs and devices refused, not waited on."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dtnetpol.errors import InputError
from dtnetpol.sources import load_cluster, read_documents
from dtnetpol.sources.yaml_load import DEFAULT_MAX_INPUT_BYTES, max_input_bytes

REPO = Path(__file__).resolve().parents[2]
DOC = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"


@pytest.fixture
def limit() -> Iterator[None]:
    token = max_input_bytes.set(100)
    yield
    max_input_bytes.reset(token)


def test_the_default_limit_is_documented() -> None:
    assert DEFAULT_MAX_INPUT_BYTES == 256 << 20
    assert "--max-input-size" in (REPO / "README.md").read_text(encoding="utf-8")


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path, limit: None) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(DOC * 10, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_documents([str(big)])
    assert str(err.value).startswith(f"{big}: document 1: input larger than the limit of 100")
    assert "--max-input-size" in str(err.value)


def test_the_limit_is_for_each_file(tmp_path: Path, limit: None) -> None:
    """Per input, not per run: a snapshot of a big cluster is many files, each far under
    the limit (sources/snapshot.py), and must read with default flags."""
    (tmp_path / "a.yaml").write_text("a: " + "x" * 96 + "\n", encoding="utf-8")   # 100
    (tmp_path / "b.yaml").write_text("b: " + "x" * 96 + "\n", encoding="utf-8")   # 100
    assert len(read_documents([str(tmp_path)])) == 2
    assert len(read_documents([str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")])) == 2
    (tmp_path / "c.yaml").write_text("c: " + "x" * 97 + "\n", encoding="utf-8")   # 101
    with pytest.raises(InputError) as err:
        read_documents([str(tmp_path)])
    assert err.value.location is not None and err.value.location.file.endswith("c.yaml")


def test_parallel_loading_gives_the_same_refusal(tmp_path: Path, limit: None) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(DOC, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(DOC * 3, encoding="utf-8")   # over the limit of 100
    with pytest.raises(InputError) as par:
        load_cluster([str(tmp_path)], parallel_min_bytes=0)
    with pytest.raises(InputError) as seq:
        load_cluster([str(tmp_path)], parallel_min_bytes=1 << 60)
    assert str(par.value) == str(seq.value)
    assert "input larger than the limit" in str(par.value)


def test_no_limit_with_zero(tmp_path: Path) -> None:
    token = max_input_bytes.set(0)
    try:
        big = tmp_path / "big.yaml"
        big.write_text("---\n".join([DOC] * 1000), encoding="utf-8")
        assert len(read_documents([str(big)])) == 1000
    finally:
        max_input_bytes.reset(token)


def test_stdin_over_the_limit_is_refused(limit: None) -> None:
    with pytest.raises(InputError) as err:
        read_documents(["-"], io.StringIO(DOC * 10))
    assert str(err.value).startswith("<stdin>: document 1: input larger than the limit")
    assert len(read_documents(["-"], io.StringIO(DOC))) == 1


def test_stdin_from_dev_zero_stops_at_the_limit() -> None:
    """Reads no more than the limit, then refuses: memory stays bounded (measured here as
    the child's peak RSS, far below what an unbounded read would reach)."""
    # VmHWM is the peak of this process's own memory since exec; getrusage's ru_maxrss is
    # not (Linux carries it over from the forking parent: pytest's own size after many tests).
    code = ("import sys\n"
            "from dtnetpol.cli import main\n"
            "rc = main(['lint', '--max-input-size', '16M', '-'])\n"
            "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
            "peak = int(status.split()[0]) // 1024\n"
            "print(rc, peak)\n")
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run([sys.executable, "-c", code], stdin=zero, capture_output=True,
                              text=True, timeout=600,  # a loaded CI machine
                              env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    rc, peak = done.stdout.split()
    assert rc == "2"
    assert "<stdin>: document 1: input larger than the limit of 16,777,216 bytes" in \
        done.stderr
    assert int(peak) < 150, f"peak RSS {peak} MiB"


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_fifos_and_devices_are_refused_not_waited_on(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        path = tmp_path / "pipe.yaml"
        os.mkfifo(path)
    else:
        path = tmp_path / "zero.yaml"
        path.symlink_to("/dev/zero")
    code = ("import sys\nfrom dtnetpol.cli import main\n"
            f"sys.exit(main(['lint', {str(path)!r}]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert done.returncode == 2
    assert done.stderr == (f"dtnetpol: error: {path}: document 1: not a regular file (a FIFO, "
                           "device or socket is not read)\n")


def test_a_folder_with_a_fifo_named_like_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(DOC, encoding="utf-8")
    os.mkfifo(tmp_path / "b.yaml")
    with pytest.raises(InputError) as err:
        read_documents([str(tmp_path)])
    assert "not a regular file" in str(err.value)
