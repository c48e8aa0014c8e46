"""A large YAML file is read in pieces cut at ``---`` lines (memory: the whole text is never
held): the documents, their numbers, every line mark and every error are those of reading the
file whole. The piece sizes are made tiny here, so every cut position is met."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dtnetpol.errors import InputError
from dtnetpol.manifest.marks import MarkedList, MarkedMap
from dtnetpol.sources import load_cluster, yaml_load
from dtnetpol.sources.yaml_load import iter_documents

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = "---\n".join(p.read_text(encoding="utf-8")
                       for p in sorted((REPO / "examples" / "cluster").rglob("*.yaml")))
POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  namespace: n\n" \
      "  labels: {{app: a{i}}}\nspec:\n  containers:\n  - name: c\n    ports:\n" \
      "    - containerPort: 80\n"


def marks(value: Any) -> Any:
    """``value`` with the line marks of every mapping and sequence, to compare them too."""
    if isinstance(value, MarkedMap):
        return ("map", value.line, dict(value.key_lines),
                {k: marks(v) for k, v in value.items()})
    if isinstance(value, MarkedList):
        return ("seq", value.line, list(value.item_lines), [marks(v) for v in value])
    if isinstance(value, dict):
        return {k: marks(v) for k, v in value.items()}
    if isinstance(value, list):
        return [marks(v) for v in value]
    return value


def read(path: Path, fast: bool) -> list[Any] | str:
    """Every document as (file, number, line, body with marks), or the error. With ``fast``
    (the compiled parser for runs of workloads) no marks are promised: a run may go either
    way, depending on its neighbours (its text checked as a whole)."""
    try:
        return [(d.file, d.index, d.line, marks(d.body) if not fast else d.body)
                for d in iter_documents([str(path)], fast_json=fast)]
    except InputError as e:
        return str(e)


def _item_lines(marked: Any) -> list[int]:
    """The lines of every sequence item, in document order, from :func:`marks`."""
    out: list[int] = []
    if isinstance(marked, tuple) and marked[0] == "seq":
        for line, item in zip(marked[2], marked[3], strict=True):
            out.append(line)
            out += _item_lines(item)
    elif isinstance(marked, tuple):
        for value in marked[3].values():
            out += _item_lines(value)
    return out


@pytest.fixture
def in_pieces(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    sizes: list[int] = []
    original = yaml_load._pieces

    def counted(path: str, budget: list[int]) -> Iterator[bytes]:
        for data in original(path, budget):
            sizes.append(len(data))
            yield data

    monkeypatch.setattr(yaml_load, "PIECE_MIN_BYTES", 0)
    monkeypatch.setattr(yaml_load, "_pieces", counted)
    yield sizes


TEXTS = {
    "example": EXAMPLE,
    "leading comment and empty documents": "# head\n\n---\n---\n# only a comment\n---\n"
                                           + EXAMPLE + "---\n---\n",
    "implicit first document": "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n"
                               + EXAMPLE,
    "markers with comments and tabs": EXAMPLE.replace("---\n", "--- # cut\n", 3)
                                      .replace("---\n", "---\t\n", 2),
    "byte order mark": "\ufeff" + EXAMPLE,
    "document end markers": EXAMPLE.replace("---\n", "...\n---\n", 2),
    "carriage returns": EXAMPLE.replace("\n", "\r\n"),
    "a line break libyaml counts": EXAMPLE.replace("# ", "# \u2028", 1),
    "a syntax error late": EXAMPLE + "---\nkind: [unclosed\n---\n" + EXAMPLE,
    "a duplicate key late": EXAMPLE + "---\na: 1\na: 2\n",
    "one big document": "kind: List\nitems:\n" + "".join(f"- {{a: {i}}}\n" for i in range(300)),
}


@pytest.mark.parametrize("name", sorted(TEXTS))
@pytest.mark.parametrize("piece", [1, 40, 300, 2000])
def test_pieces_read_as_the_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       name: str, piece: int) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(TEXTS[name], encoding="utf-8", newline="")
    whole = [read(path, fast) for fast in (False, True)]
    assert isinstance(whole[0], str) == ("error" in name or "duplicate" in name)
    monkeypatch.setattr(yaml_load, "PIECE_MIN_BYTES", 0)
    monkeypatch.setattr(yaml_load, "PIECE_BYTES", piece)
    assert [read(path, fast) for fast in (False, True)] == whole


def test_a_large_file_is_read_in_pieces(tmp_path: Path, in_pieces: list[int],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces large enough for the compiled parser (runs of pods between policies)."""
    policies = EXAMPLE.split("---\n")
    text = "---\n".join(POD.format(i=i) + ("---\n" + policies[i % len(policies)]
                                           if i % 50 == 0 else "") for i in range(3000))
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    whole = [read(path, fast) for fast in (False, True)]
    monkeypatch.setattr(yaml_load, "PIECE_BYTES", 100_000)
    in_pieces.clear()
    assert [read(path, fast) for fast in (False, True)] == whole
    # a policy read by the compiled parser: the lines of its items and, read again with
    # every mark, its fields, at the lines of the whole file
    marked = {d.index: marks(d.body) for d in iter_documents([str(path)])}
    lined = [d for d in iter_documents([str(path)], fast_json=True) if hasattr(d.body, "remark")]
    assert lined
    for d in lined:
        assert marks(d.body.remark()) == marked[d.index]
        assert d.body.item_lines == _item_lines(marked[d.index])
    # two reads; a piece is a block and what was left after the last ``---`` of the one before
    assert len(in_pieces) >= 2 * (len(text) // 100_000)
    assert max(in_pieces) < 100_000 + 2 * len(POD) + max(len(p) for p in policies)
    # and the model built from it
    def loaded() -> Any:
        try:
            return load_cluster([str(path)], parallel_min_bytes=1 << 60)
        except InputError as e:   # the example holds a policy the API server rejects
            return str(e)

    in_pieces.clear()
    piecewise = loaded()
    assert in_pieces
    monkeypatch.setattr(yaml_load, "PIECE_MIN_BYTES", 1 << 40)
    assert loaded() == piecewise


def test_the_limit_holds_for_a_file_read_in_pieces(tmp_path: Path, in_pieces: list[int],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(EXAMPLE, encoding="utf-8")
    monkeypatch.setattr(yaml_load, "PIECE_BYTES", 1000)
    token = yaml_load.max_input_bytes.set(len(EXAMPLE) - 1)
    try:
        assert "input larger than the limit" in str(read(path, True))
    finally:
        yaml_load.max_input_bytes.reset(token)
    assert in_pieces == []   # refused before a piece is read


def test_a_file_read_in_pieces_is_never_held_whole(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of pieces: while reading (documents let go one by one, as the loader does),
    Python holds a fraction of the file; read whole, it held the text and, while decoding,
    its bytes too."""
    import tracemalloc

    path = tmp_path / "pods.yaml"
    path.write_text("---\n".join(POD.format(i=i) for i in range(30_000)), encoding="utf-8")
    size = path.stat().st_size

    def peak() -> int:
        tracemalloc.start()
        try:
            for _ in iter_documents([str(path)], fast_json=True):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    monkeypatch.setattr(yaml_load, "PIECE_MIN_BYTES", 1 << 40)
    whole = peak()
    monkeypatch.setattr(yaml_load, "PIECE_MIN_BYTES", 0)
    monkeypatch.setattr(yaml_load, "PIECE_BYTES", 256 << 10)
    pieces = peak()
    assert whole > 2 * size
    assert pieces < size / 2, (pieces, size)
