"""JSON read with every line mark, without YAML: the same marks the YAML reader gives.

JSON is YAML, so PyYAML (``_parse``, the marked loader) is the oracle: random JSON values (keys
given twice now and then), written with random formatting (indented, compact, one line,
blanks and line breaks between any two tokens, ``\\uXXXX`` escapes or raw Unicode, CRLF or CR
line ends, blank lines before), read through the JSON path (``_documents``, with marks) give
the same document, values, types and lines of every mapping, key and item as through PyYAML,
or the same error. Text that YAML 1.1 reads otherwise than JSON is not generated (exponent
numbers, surrogate pairs, tabs, a line break between a key and its colon, keys over 1,024
characters); ``tests/unit/test_json_input.py`` pins what the JSON reader makes of those.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, note, settings
from hypothesis import strategies as st

from dtnetpol.errors import InputError
from dtnetpol.manifest.marks import MarkedList, MarkedMap
from dtnetpol.sources import json_marks
from dtnetpol.sources.yaml_load import _documents, _parse


class Obj(list[tuple[str, Any]]):
    """A JSON object as pairs: a key may come twice."""


# Characters YAML takes raw in a double-quoted scalar as JSON does (printable, no line break,
# no surrogate, no byte order mark); the JSON writer escapes the control characters drawn.
def _chars(top: int) -> st.SearchStrategy[str]:
    return st.characters(min_codepoint=0x20, max_codepoint=top,
                         blacklist_categories=("Cs", "Cc"),
                         blacklist_characters="\x85\u2028\u2029\ufeff\ufffe\uffff") | \
        st.sampled_from('\n\t\r"\\/ ')


_CHARS, _BMP = _chars(0x10FFFF), _chars(0xFFFF)
# Fractions without an exponent (repr writes none below 1e16 and down to 1e-4)
_FLOATS = st.integers(-(10 ** 12), 10 ** 12).map(lambda n: n / 1000)
_WS = st.sampled_from(["", " ", "\n", "\n  ", "   ", "\n\n"])
_KEY_WS = st.sampled_from(["", " "])   # between a key and its colon: no line break for YAML


def _values(chars: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(["a", "b", "kind", "name"]) | st.text(chars, max_size=12)
    scalars = st.none() | st.booleans() | st.integers(-(2 ** 70), 2 ** 70) | _FLOATS | \
        st.text(chars, max_size=12)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.lists(
            st.tuples(keys, inner), max_size=4).map(Obj),
        max_leaves=25)


def _plain(value: Any) -> Any:
    """``value`` with objects as dicts (None when a key comes twice)."""
    if isinstance(value, Obj):
        out = {k: _plain(v) for k, v in value}
        if len(out) != len(value) or any(v is _DUP for v in out.values()):
            return _DUP
        return out
    if isinstance(value, list):
        items = [_plain(v) for v in value]
        return _DUP if any(v is _DUP for v in items) else items
    return value


_DUP = object()


def _dump(draw: st.DrawFn, value: Any, ascii_only: bool) -> str:
    """``value`` as JSON with random blanks and line breaks between tokens."""
    def ws() -> str:
        return draw(_WS)

    if isinstance(value, Obj):
        parts = [json.dumps(k, ensure_ascii=ascii_only) + draw(_KEY_WS) + ":" + ws()
                 + _dump(draw, v, ascii_only) for k, v in value]
        return "{" + ws() + (ws() + "," + ws()).join(parts) + ws() + "}"
    if isinstance(value, list):
        return "[" + ws() + (ws() + "," + ws()).join(
            _dump(draw, v, ascii_only) for v in value) + ws() + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


@st.composite
def json_text(draw: st.DrawFn) -> str:
    ascii_only = draw(st.booleans())
    value = draw(_values(_BMP if ascii_only else _CHARS))
    if draw(st.integers(0, 3)):   # mostly an object or an array at the top, as manifests are
        value = draw(st.sampled_from([Obj([("kind", "List"), ("items", [value])]), [value],
                                      Obj([("x", value)])]))
    plain = _plain(value)
    style = draw(st.sampled_from(["random", "indent", "compact", "one-line"]))
    if style == "random" or plain is _DUP:
        text = _dump(draw, value, ascii_only)
    elif style == "indent":
        text = json.dumps(plain, indent=draw(st.sampled_from([0, 1, 2, 4])),
                          ensure_ascii=ascii_only)
    elif style == "compact":
        text = json.dumps(plain, separators=(",", ":"), ensure_ascii=ascii_only)
    else:
        text = json.dumps(plain, ensure_ascii=ascii_only)
    text = "\n" * draw(st.integers(0, 2)) + text + draw(st.sampled_from(["", "\n", " \n"]))
    return text.replace("\n", draw(st.sampled_from(["\n", "\n", "\r\n", "\r"])))


def _same(a: Any, b: Any, path: str = "$") -> None:
    """``a`` (the JSON reader's) equals ``b`` (PyYAML's): values, types and every mark."""
    assert type(a) is type(b), (path, type(a), type(b))
    if isinstance(b, MarkedMap):
        assert (a.line, a.key_lines) == (b.line, b.key_lines), path
        assert list(a) == list(b), path
        for k in b:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(b, MarkedList):
        assert (a.line, a.item_lines, len(a)) == (b.line, b.item_lines, len(b)), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b or (a != a and b != b), (path, a, b)


def _read(reader: Any) -> Any:
    try:
        return [(d.file, d.index, d.line, d.body) for d in reader()]
    except InputError as e:
        return str(e)


SEEN = [0, 0]   # duplicate-key errors compared, texts compared


@settings(max_examples=400)
@given(json_text())
@example('{"a": {"x": 1, "x": 2},\n "b": 1, "b": 2}')        # the top mapping's first
@example('[{"a": [{"k": 1, "k": 2}]}, {"b": 1, "b": 2}]')      # the shallower one first
@example('{"a": {"k": 1, "k": 2}, "b": {"k": 1, "k": 3}}')     # the same depth: in order
@example('\r\n{\r\n "a": [1,\r 2]\r\n}\r')
@example('{"a\\"b": "c\\\\",\n "d": ["\\\\\\"", 1,\n "e"]}')   # escaped quotes, backslashes
@example('{"a":\n "x", "b":\n\n[1,\n2], "c": {}}')              # a value lines below its key
@example('{"s": "\\u00e9\\u2603 \\" \\\\ \\n", "n": [-0, 1.5, -2.25, true, false, null]}')
def test_json_marks_equal_the_yaml_readers(text: str) -> None:
    note(repr(text))
    mine = _read(lambda: _documents(text, "in.json", False))
    oracle = _read(lambda: _parse(text, "in.json", 1, [1]))
    SEEN[1] += 1
    if isinstance(oracle, str):
        SEEN[0] += "duplicate key" in oracle
        assert mine == oracle
        return
    assert not isinstance(mine, str), mine
    assert [d[:3] for d in mine] == [d[:3] for d in oracle]
    for (*_, a), (*_, b) in zip(mine, oracle, strict=True):
        _same(a, b)


def test_duplicate_keys_were_compared() -> None:
    """The differential test above also compared duplicate-key errors."""
    if SEEN[1] < 100:
        import pytest
        pytest.skip("runs after test_json_marks_equal_the_yaml_readers")
    assert SEEN[0] >= 5, SEEN


@given(json_text())
def test_one_line_per_mark(text: str) -> None:
    """One line per mapping, sequence, key and item, none for a key's scalar value: what the
    walk of the parsed value takes."""
    try:
        value = json.loads(text, object_pairs_hook=json_marks.Pairs)
    except ValueError:
        return

    def count(v: Any) -> int:
        if isinstance(v, json_marks.Pairs):
            return 1 + sum(1 + (count(x) if isinstance(x, list) else 0) for _, x in v)
        if isinstance(v, list):
            return 1 + sum(count(x) for x in v)
        return 1

    lines = json_marks.mark_lines(text)
    assert len(lines) == count(value)
    assert lines == sorted(lines)
