"""The compiled YAML path (sources/yaml_fast.py) reads what PyYAML reads, or leaves it to PyYAML.

Differential: on random multi-document texts built from the spellings where YAML 1.1 and 1.2
part ways (``yes``, ``010``, ``1_000``, ``1:20``, ``1e3``, tags, merge keys, duplicate keys,
...) and on every file of the shared corpora, the fast reader gives the same documents (index,
line, body) as the PyYAML reader, or the same error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, note
from hypothesis import strategies as st
from tests.corpora import CORPORA, missing

from dtnetpol.errors import InputError
from dtnetpol.sources import yaml_fast
from dtnetpol.sources.yaml_load import _fast_yaml, _parse, read_text

pytestmark = pytest.mark.skipif(not yaml_fast.available(), reason="yaml_rs is not installed")

# Plain spellings that YAML 1.1 and 1.2 read differently, or that our loader treats apart,
# next to ordinary ones.
TRICKY = ("yes", "No", "ON", "off", "y", "n", "true", "False", "TRUE", "null", "Null", "~",
          "010", "09", "0o17", "0x1F", "0b101", "1_000", "1:20", "190:20:30", "1e3", "1.0e5",
          "1.0e+5", "+12", "-7", ".5", "5.", "-.inf", ".NaN", "1.5", "0", "100", "=", "<<",
          "2024-01-01", "2001-12-14t21:59:43.10-05:00", "10.0.0.0/8", "v1.2.3", "nginx:1.25",
          "!!str 12", "!!int '7'", "!custom x", "&a x", "*a", "'on'", '"yes"', "''", '""',
          "a b", "on the fly", "x # c", "[1, on]", "{a: yes}", "|\n  text\n", ">-\n  a\n  b\n",
          "'multi\n  line'", "\"esc\\x41\\t\"", "é", "\t", "")
KEYS = ("name", "app", "on", "yes", "1", "010", "true", "null", "a b", "'q'", "? [1]", "<<",
        "app.kubernetes.io/name", "x")
KINDS = ("Deployment", "Namespace", "Service", "Pod", "NetworkPolicy", "ConfigMap", "List")


@st.composite
def mapping(draw: st.DrawFn, indent: int, depth: int) -> str:
    lines = []
    pad = " " * indent
    for _ in range(draw(st.integers(0, 4))):
        key = draw(st.sampled_from(KEYS))
        if depth < 2 and draw(st.booleans()):
            if draw(st.booleans()):
                items = [f"{pad}- {draw(st.sampled_from(TRICKY))}"
                         for _ in range(draw(st.integers(0, 3)))]
                lines.append(f"{pad}{key}:" + ("\n" + "\n".join(items) if items else " []"))
            else:
                inner = draw(mapping(indent + 2, depth + 1))
                lines.append(f"{pad}{key}:" + ("\n" + inner if inner else " {}"))
        else:
            lines.append(f"{pad}{key}: {draw(st.sampled_from(TRICKY))}")
    return "\n".join(lines)


@st.composite
def document(draw: st.DrawFn) -> str:
    head = [f"kind: {draw(st.sampled_from(KINDS))}", "apiVersion: v1"]
    if draw(st.booleans()):
        head.insert(0, "# a comment")
    body = draw(mapping(0, 0))
    return "\n".join([*head, body]) if body else "\n".join(head)


@st.composite
def stream(draw: st.DrawFn) -> str:
    docs = draw(st.lists(document(), min_size=0, max_size=4))
    seps = st.sampled_from(["---\n", "---\n\n", "--- # c\n", "---\n---\n", "\n---\n"])
    text = "".join(draw(seps) + d + "\n" for d in docs)
    if draw(st.booleans()):
        text = text.removeprefix("---\n")
    return text


def read(reader: Any, text: str) -> Any:
    try:
        return [(d.index, d.line, d.body) for d in reader(text)]
    except InputError as e:
        return f"error: {e}"


def ours(text: str) -> list[Any]:
    """PyYAML's safe reading as our loader gives it (dates stay text)."""
    return [d.body for d in read_text(text, "f.yaml")]


def same(text: str) -> None:
    assert read(lambda t: _fast_yaml(t, "f.yaml"), text) == \
        read(lambda t: _parse(t, "f.yaml", 1, [1]), text)


@given(stream())
@example("kind: Namespace\nmetadata:\n  name: a\n  labels: {x: yes}\n")
@example("---\nkind: Pod\napiVersion: v1\nspec: {a: 1, a: 2}\n")
@example("kind: Pod\nx:\n  on\n---\nkind: Pod\n")
@example("---\nkind: Pod\nx: 'a\n---\nb'\n")
@example("kind: Namespace\nx: 010\n---\nkind: NetworkPolicy\ny: 1\n---\nkind: Pod\nz: 1e3\n")
def test_fast_reader_equals_pyyaml(text: str) -> None:
    note(text)
    same(text)


@given(st.lists(st.sampled_from(TRICKY), min_size=1, max_size=3))
def test_plain_scalars_read_as_pyyaml_reads_them(values: list[str]) -> None:
    """Each scalar as a whole value: what yaml_rs gives back, when the guard lets it, is
    PyYAML's reading (empty documents, which our reader skips, aside)."""
    text = "kind: Pod\n" + "".join(f"k{i}: {v}\n" for i, v in enumerate(values))
    note(text)
    bodies = yaml_fast.read_plain(text, 1)
    if bodies is not None:
        assert bodies == ours(text)
    same(text)


def _corpus_files() -> list[Path]:
    return sorted(p for p in CORPORA.rglob("*") if p.suffix in (".yaml", ".yml"))


@pytest.mark.skipif(not CORPORA.is_dir(), reason=missing(CORPORA))
@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: str(p.relative_to(CORPORA)))
def test_corpus_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    same(text)
    # Every document alone, whatever its kind: where the fast reader answers, it is right.
    pieces = yaml_fast.split(text) or []
    for piece in pieces:
        chunk = text[piece.start:piece.end]
        bodies = yaml_fast.read_plain(chunk, 1)
        if bodies is not None:
            assert bodies == ours(chunk), chunk[:200]


def test_workloads_and_policies_take_the_fast_path_and_policies_keep_their_lines() -> None:
    text = ("---\nkind: Namespace\nmetadata:\n  name: a\n"
            "---\nkind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata:\n  name: p\n"
            "spec:\n  policyTypes:\n  - Ingress\n"
            "---\n# c\n\nkind: Deployment\nspec:\n  replicas: 2\n")
    docs = list(_fast_yaml(text, "f.yaml"))
    assert [(d.index, d.line, type(d.body).__name__) for d in docs] == [
        (1, 2, "dict"), (2, 6, "LinedMap"), (3, 16, "dict")]
    assert docs[1].body.item_lines == [12]
    assert read(lambda t: _fast_yaml(t, "f.yaml"), text) == \
        read(lambda t: _parse(t, "f.yaml", 1, [1]), text)
    # Without the apiVersion of a Kubernetes NetworkPolicy (Calico's has the same kind), or
    # in a style the line scan cannot pair, the run goes to PyYAML with its marks.
    for odd in ("apiVersion: networking.k8s.io/v1\n", "  - Ingress\n"):
        other = text.replace(odd, "" if odd.startswith("api") else "  - [Ingress]\n")
        docs = list(_fast_yaml(other, "f.yaml"))
        assert [type(d.body).__name__ for d in docs] == ["MarkedMap"] * 3
        assert read(lambda t: _fast_yaml(t, "f.yaml"), other) == \
            read(lambda t: _parse(t, "f.yaml", 1, [1]), other)


@pytest.mark.parametrize("value", ["yes", "on", "010", "1_000", "1:20", "1e3", "!!str 1",
                                   "&a x", "<<"])
def test_what_yaml_1_1_reads_otherwise_goes_to_pyyaml(value: str) -> None:
    text = f"kind: Pod\nmetadata:\n  x: {value}\n"
    assert yaml_fast.read_plain(text, 1) is None
    assert yaml_fast.read_plain("kind: Pod\nmetadata:\n  x: 10\n", 1) == [
        {"kind": "Pod", "metadata": {"x": 10}}]
