"""Loading in worker processes (dtnetpol.sources.parallel) gives exactly the sequential result."""

from __future__ import annotations

import dataclasses
import io
import sys
from pathlib import Path
from typing import Any

import pytest

from dtnetpol.errors import InputError
from dtnetpol.manifest.marks import MarkedList, MarkedMap
from dtnetpol.sources import load_cluster, parallel, read_documents

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import generate  # noqa: E402

SEQUENTIAL = 1 << 60


def deep(value: Any) -> Any:
    """Everything a value holds, source lines of marked containers included."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,
                tuple((f.name, deep(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, MarkedMap):
        return ("map", value.line, tuple((deep(k), deep(v), value.key_lines.get(k))
                                         for k, v in value.items()))
    if isinstance(value, MarkedList):
        return ("seq", value.line, tuple(value.item_lines), tuple(deep(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((deep(k), deep(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(deep(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, tuple(sorted(repr(deep(v)) for v in value)))
    return value


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = generate.generate(generate.SIZES["S"], 3)
    out = tmp_path_factory.mktemp("S-3")
    folder = generate.write(files, out, {})
    # Things the cut must keep right: a comment and an implicit first document, empty
    # documents, objects given twice across chunks, other kinds, an invalid-but-lax policy.
    extra = folder / "zz-extra.yaml"
    docs = [
        "# leading comment\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n",
        "---\n",
        "--- # empty with a comment\n",
        "--- \napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: extra\n",
    ]
    for i in range(40):
        docs.append(f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s{i % 7}\n"
                    f"  namespace: extra\nspec:\n  selector:\n    app: a{i}\n  ports:\n"
                    f"  - port: {80 + i}\n")
    extra.write_text("".join(docs), encoding="utf-8")
    return folder


def load_both(paths: list[str], strict: bool = True) -> tuple[Any, Any]:
    loaded = parallel.load_parallel(paths, strict, min_bytes=0)
    assert loaded is not None, "the parallel path fell back"
    sequential = load_cluster(paths, strict=strict, parallel_min_bytes=SEQUENTIAL)
    return loaded, sequential


def same_error(paths: list[str]) -> InputError:
    """The error both loading paths raise for ``paths``, asserted to be the same one."""
    with pytest.raises(InputError) as par_err:
        load_cluster(paths, parallel_min_bytes=0)
    with pytest.raises(InputError) as seq_err:
        load_cluster(paths, parallel_min_bytes=SEQUENTIAL)
    assert str(par_err.value) == str(seq_err.value)
    assert par_err.value.location == seq_err.value.location
    return par_err.value


@pytest.mark.parametrize("chunks", [2, 7, 24])
def test_parallel_equals_sequential(manifests: Path, chunks: int,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "CHUNKS", chunks)
    ((cluster, problems), count), (seq_cluster, seq_problems) = load_both([str(manifests)])
    assert cluster == seq_cluster
    assert deep(cluster) == deep(seq_cluster)
    assert problems == seq_problems
    assert count == len(read_documents([str(manifests)]))
    assert cluster.warnings == seq_cluster.warnings and cluster.warnings


def test_cuts_inside_files_keep_lines_and_numbers(manifests: Path) -> None:
    texts = [(str(f), f.read_text(encoding="utf-8")) for f in sorted(manifests.glob("*.yaml"))]
    chunks = parallel.split(texts, 24)
    pieces = [p for chunk in chunks for p in chunk]
    assert any(p.line > 1 for p in pieces)  # files were cut, not only split between files
    for file, text in texts:
        own = [p for p in pieces if p.file == file]
        assert "".join(p.text for p in own) == text
        for p in own[1:]:
            assert text.split("\n")[p.line - 1] == p.text.split("\n")[0]
            assert p.text.startswith("---")


def test_lax_mode_problems_and_the_load_cluster_entry(manifests: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    body = (manifests / "policies.yaml").read_text(encoding="utf-8")
    bad.write_text(body + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                   "metadata:\n  name: bad\n  namespace: x\nspec:\n  podSelector: {}\n"
                   "  policyTypes: [Sideways]\n" + body.replace("name: ", "name: again-"),
                   encoding="utf-8")
    paths = [str(bad), str(manifests / "workloads.yaml")]
    (cluster, problems), _ = load_both(paths, strict=False)[0]
    seq = load_cluster(paths, strict=False, parallel_min_bytes=SEQUENTIAL)
    assert deep((cluster, problems)) == deep(seq)
    assert problems
    assert deep(load_cluster(paths, strict=False, parallel_min_bytes=0)) == deep(seq)
    same_error(paths)


def test_syntax_error_in_a_later_document_is_the_sequential_error(manifests: Path,
                                                                  tmp_path: Path) -> None:
    text = (manifests / "workloads.yaml").read_text(encoding="utf-8")
    cut = text.index("\n---\n", len(text) * 3 // 4) + 1
    broken = tmp_path / "broken.yaml"
    broken.write_text(text[:cut] + "---\nmetadata: {name: [x\n" + text[cut:], encoding="utf-8")
    paths = [str(manifests / "policies.yaml"), str(broken)]
    assert parallel.load_parallel(paths, True, min_bytes=0) is None
    error = same_error(paths)
    assert error.location.line is not None and error.location.line > 1


@pytest.mark.parametrize("value", ["!!bool maybe", "!!int x", "!!timestamp garbage",
                                   "!!binary 'a'"])
def test_constructor_errors_are_the_sequential_error(manifests: Path, tmp_path: Path,
                                                     value: str) -> None:
    text = (manifests / "workloads.yaml").read_text(encoding="utf-8")
    cut = text.index("\n---\n", len(text) * 3 // 4) + 1
    broken = tmp_path / "broken.yaml"
    broken.write_text(text[:cut] + f"---\nmetadata: {{name: {value}}}\n" + text[cut:],
                      encoding="utf-8")
    paths = [str(manifests / "policies.yaml"), str(broken)]
    assert parallel.load_parallel(paths, True, min_bytes=0) is None
    error = same_error(paths)
    assert error.location is not None and error.location.file == str(broken)
    assert error.location.line == text[:cut].count("\n") + 2
    assert "invalid !!" in error.message or "base64" in error.message


class _NoPool:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("the pool must not be used")


def test_small_inputs_and_stdin_do_not_use_the_pool(manifests: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", _NoPool)
    cluster, _ = load_cluster([str(manifests)])  # far below the default threshold
    assert cluster.pods
    stdin = io.StringIO((manifests / "namespaces.yaml").read_text(encoding="utf-8"))
    cluster, _ = load_cluster(["-"], stdin=stdin, parallel_min_bytes=0)
    assert cluster.namespaces
    assert parallel.input_files(["-"]) is None
    assert parallel.input_files([str(manifests / "missing.yaml")]) is None


def test_document_numbers_with_an_implicit_first_document() -> None:
    text = "# c\na: 1\n---\nb: 2\n---\n---\nc: 3\n"
    chunks = parallel.split([("f.yaml", text)], 3)
    pieces = [p for chunk in chunks for p in chunk]
    assert (pieces[0].line, pieces[0].index) == (1, 1)
    assert len(pieces) > 1
    assert all(p.index == {3: 2, 5: 3, 6: 4}[p.line] for p in pieces[1:])
    assert "".join(p.text for p in pieces) == text


def test_last_runs_are_smaller_so_workers_end_together(manifests: Path) -> None:
    files = parallel.input_files([str(manifests)])
    assert files is not None
    texts = [(f, f_text) for f in files for f_text in [Path(f).read_text(encoding="utf-8")]]
    sizes = [sum(len(p.text) for p in chunk) for chunk in parallel.split(texts, 12)]
    total = sum(len(text) for _, text in texts)
    assert sum(sizes) == total
    assert max(sizes) <= total / 12 * 1.5          # full runs: about total / parts
    assert sizes[-2] < sizes[0] / 2                # the tail shrinks
    assert list(parallel.cut(texts, 12)) == parallel.split(texts, 12)
