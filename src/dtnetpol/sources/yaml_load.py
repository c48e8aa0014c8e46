"""Read Kubernetes manifests (YAML or JSON) from files, directories and stdin.

This is the I/O edge of the input layer: it turns bytes into :class:`Document` objects whose
mappings and sequences remember the 1-based line of every key and item
(:mod:`dtnetpol.manifest.marks`), so that later problems can name the exact line. Parsing uses
libyaml (``yaml.CSafeLoader``) when available, because ``helm template`` output of a large chart
is slow with the pure-Python loader.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TextIO

import yaml

from dtnetpol.errors import InputError
from dtnetpol.manifest.marks import LinedMap, MarkedList, MarkedMap
from dtnetpol.model.location import SourceLocation
from dtnetpol.safe_text import path_label
from dtnetpol.sources import yaml_fast
from dtnetpol.sources.yaml_fast import LINED_API_VERSION
from dtnetpol.sources.yaml_fast import LINELESS_KINDS as _LINELESS_KINDS

STDIN_NAME = "<stdin>"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

#: The most bytes one input (a file, standard input) may hold; ``--max-input-size`` sets it for
#: a run, 0 lifts it. A file's text is held whole while it is parsed, so this bounds what one
#: read can take (``/dev/zero`` on stdin, a stray log file); what stays is the model of the
#: objects read, which grows with the cluster asked for (a snapshot of a big cluster is split
#: into files far under this, see :mod:`dtnetpol.sources.snapshot`).
DEFAULT_MAX_INPUT_BYTES = 256 << 20
max_input_bytes: ContextVar[int] = ContextVar("max_input_bytes", default=DEFAULT_MAX_INPUT_BYTES)
_BLOCK = 1 << 20


def _budget() -> list[int]:
    """Bytes one input may take (0: none; no limit: 2**62)."""
    return [max_input_bytes.get() or 1 << 62]

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Document:
    """One non-empty YAML/JSON document.

    ``index`` is the 1-based position of the document in ``file`` (empty documents count, so
    the number matches what an editor shows between ``---`` lines); ``line`` is the 1-based line
    where its content starts.
    """

    file: str
    index: int
    body: Any = field(hash=False)
    line: int

    @property
    def location(self) -> SourceLocation:
        return SourceLocation(self.file, self.index, self.line)


def _construct_map(loader: Any, node: yaml.MappingNode) -> Iterator[MarkedMap]:
    """Build a MarkedMap; reject duplicate keys, which kubectl rejects too."""
    if not isinstance(node, yaml.MappingNode):
        raise yaml.constructor.ConstructorError(
            None, None, f"expected a mapping, found {node.id}", node.start_mark)
    data = MarkedMap(node.start_mark.line + 1)
    yield data
    own = {id(k) for k, _ in node.value if k.tag != _MERGE_TAG}
    loader.flatten_mapping(node)  # resolves '<<' merge keys; explicit keys come last and win
    seen: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value, not a mapping or list",
                key_node.start_mark)
        if id(key_node) in own:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {seen[key]})",
                    key_node.start_mark)
            seen[key] = line
        data[key] = loader.construct_object(value_node, deep=False)
        data.key_lines[key] = line


def _construct_seq(loader: Any, node: yaml.SequenceNode) -> Iterator[MarkedList]:
    if not isinstance(node, yaml.SequenceNode):
        raise yaml.constructor.ConstructorError(
            None, None, f"expected a sequence, found {node.id}", node.start_mark)
    data = MarkedList(node.start_mark.line + 1)
    yield data
    data.extend(loader.construct_object(child, deep=False) for child in node.value)
    data.item_lines = [child.start_mark.line + 1 for child in node.value]


def _construct_timestamp(loader: Any, node: yaml.ScalarNode) -> str:
    """Keep dates as text: Kubernetes fields and labels are strings, never datetimes; an
    explicit ``!!timestamp`` must still look like one."""
    text = str(loader.construct_scalar(node))
    if not loader.timestamp_regexp.match(text):
        raise ValueError(text)
    return text


def _construct_object(loader: Any, node: yaml.Node, deep: bool = False) -> Any:
    """Give every constructor failure (``!!int abc``, ``!!bool maybe``, bad ``!!binary``)
    the line of its node: PyYAML's constructors raise whatever their conversion raises."""
    try:
        return _BASE.construct_object(loader, node, deep)
    except (yaml.YAMLError, RecursionError, MemoryError):
        raise
    except Exception:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        shown = f" {node.value[:40]!r}" if isinstance(node.value, str) else ""
        raise yaml.constructor.ConstructorError(
            None, None, f"invalid {tag} value{shown}", node.start_mark) from None


_BASE: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR, _MAP, _SEQ = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:map",
                    "tag:yaml.org,2002:seq")
_PLAIN_TAGS: dict[str, str] = {}   # plain scalar -> resolved tag (the resolver's regexps, cached)
_PLAIN_TAGS_MAX = 1 << 16


_COLLECTION_TAGS: dict[Any, str] = {yaml.MappingNode: _MAP, yaml.SequenceNode: _SEQ}
_SCALAR = yaml.ScalarNode


def _resolve(loader: Any, kind: Any, value: Any, implicit: tuple[bool, bool]) -> Any:
    """The resolver's answer, cached per plain scalar: manifests repeat the same keys and
    values (``name``, ``matchLabels``, ``TCP``) thousands of times. Quoted scalars are
    strings; mappings and sequences without a tag get the default tags (the loader has no
    path resolvers, which alone could say otherwise)."""
    if kind is not _SCALAR:
        return _COLLECTION_TAGS[kind]
    if not implicit[0]:
        return _STR
    tag = _PLAIN_TAGS.get(value)
    if tag is None:
        tag = _BASE.resolve(loader, kind, value, implicit)
        if len(_PLAIN_TAGS) < _PLAIN_TAGS_MAX:
            _PLAIN_TAGS[value] = tag
    return tag


class _Fallback(Exception):
    """The fast builder met something it leaves to PyYAML's constructor (tags, merge keys,
    aliases seen twice, duplicate keys)."""


_MAPPING, _SEQUENCE = yaml.MappingNode, yaml.SequenceNode
# Plain scalars of these tags build immutable values; manifests repeat them (ports, true, 1).
_SHARED_SCALAR_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:bool",
                                 "tag:yaml.org,2002:null", "tag:yaml.org,2002:float"})
_SCALARS: dict[tuple[str, str], Any] = {}
_new_map = dict.__new__
_new_list = list.__new__


def _scalar(loader: Any, node: yaml.Node) -> Any:
    """A scalar that is not a plain string, built once per (tag, text) where immutable."""
    key = (node.tag, node.value)
    if key in _SCALARS:
        return _SCALARS[key]
    value = _construct_object(loader, node)
    if node.tag in _SHARED_SCALAR_TAGS and len(_SCALARS) < _PLAIN_TAGS_MAX:
        _SCALARS[key] = value
    return value


def _build(loader: Any, node: yaml.Node, seen: set[int]) -> Any:
    """What the constructors above build, without PyYAML's generic per-node machinery.

    Handles the nodes of ordinary manifests (maps, sequences, scalars of the core schema);
    anything else raises :class:`_Fallback` and the document is built the usual way, so
    results and error messages stay those of the constructors.
    """
    cls = node.__class__
    if cls is _SCALAR:
        return node.value if node.tag == _STR else _scalar(loader, node)
    key = id(node)
    if key in seen:           # an alias (possibly recursive): let PyYAML share the object
        raise _Fallback
    seen.add(key)
    if cls is _MAPPING and node.tag == _MAP:
        data: MarkedMap = _new_map(MarkedMap)   # MarkedMap(line), without a Python __init__
        data.line = node.start_mark.line + 1
        data.key_lines = lines = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not _SCALAR:
                raise _Fallback
            tag = key_node.tag
            if tag == _STR:
                k = key_node.value
            elif tag == _MERGE_TAG:
                raise _Fallback
            else:
                k = _scalar(loader, key_node)
            if k in data:
                raise _Fallback
            if value_node.__class__ is _SCALAR and value_node.tag == _STR:
                data[k] = value_node.value
            else:
                data[k] = _build(loader, value_node, seen)
            lines[k] = key_node.start_mark.line + 1
        return data
    if cls is _SEQUENCE and node.tag == _SEQ:
        children = node.value
        items: MarkedList = _new_list(MarkedList)
        items.line = node.start_mark.line + 1
        items.extend([_build(loader, child, seen) for child in children])
        items.item_lines = [child.start_mark.line + 1 for child in children]
        return items
    raise _Fallback


def _construct_document(loader: Any, node: yaml.Node) -> Any:
    try:
        body = _build(loader, node, set())
    except _Fallback:
        loader.constructed_objects = {}
        loader.recursive_objects = {}
        return loader.construct_document(node)
    loader.constructed_objects = {}
    return body


# The composer calls the resolver's path hooks twice per node; without path resolvers they do
# nothing. Built-in callables that do nothing cost a fraction of a Python call: a fifth less
# composing time on policy files. (``{}.get(node, index)`` and ``tuple()``: class attributes
# that are built-ins do not bind ``self``.)
_PATH_HOOKS = {"descend_resolver": {}.get, "ascend_resolver": tuple}
_MarkedLoader: type[Any] = type("_MarkedLoader", (_BASE,), {"construct_object": _construct_object,
                                                            "resolve": _resolve, **_PATH_HOOKS})
assert not _MarkedLoader.yaml_path_resolvers, "the resolver cache and path hooks assume no " \
    "path resolvers"
_MarkedLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_MarkedLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_MarkedLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _yaml_error(exc: yaml.YAMLError, file: str, document: int) -> InputError:
    line: int | None = None
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            line = mark.line + 1
        detail = exc.problem or exc.context or str(exc)
    else:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InputError(f"YAML syntax error: {_one_line(detail)}",
                      SourceLocation(file, document, line))


def read_text(text: str, file: str) -> list[Document]:
    """Parse every document of ``text``; empty and comment-only documents are skipped.

    Raises:
        InputError: YAML/JSON syntax error, duplicate key or unsupported tag, with the file,
            document index and line.
    """
    return _read(text, file, 1)[0]


def read_piece(text: str, file: str, line: int, index: int) -> tuple[list[Document], int]:
    """Like :func:`read_text` for a piece of ``file`` that starts at its 1-based ``line`` with
    its document number ``index`` (the piece starts with a ``---`` line unless it starts the
    file); returns the documents, numbered and lined as in the whole file, and the number of
    documents read (empty ones included)."""
    # Blank lines before a document change nothing but the line numbers libyaml counts.
    documents, end = _read("\n" * (line - 1) + text, file, index)
    return documents, end - index


def _read(text: str, file: str, index: int) -> tuple[list[Document], int]:
    end = [index]
    documents = list(_parse(text, file, index, end))
    return documents, end[0]


def _parse(text: str, file: str, index: int, end: list[int]) -> Iterator[Document]:
    """The documents of ``text`` one at a time (a caller that builds each and lets it go
    never holds every parsed body at once); ``end[0]``: the number after the last read."""
    loader = _MarkedLoader(text)
    # index: of the document being read, also when an error interrupts it
    try:
        while loader.check_node():
            node = loader.get_node()
            body = _construct_document(loader, node)
            end[0] = index + 1
            if body is not None:
                yield Document(file, index, body, node.start_mark.line + 1)
            index += 1
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file, index) from None
    except RecursionError:
        raise InputError("YAML document is nested too deeply",
                         SourceLocation(file, index)) from None
    except MemoryError:
        raise
    except Exception as exc:  # a constructor failing outside construct_object
        raise InputError(f"YAML value error: {_one_line(str(exc))[:80]}",
                         SourceLocation(file, index)) from None
    finally:
        loader.dispose()


class _DuplicateKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _DuplicateKey   # json_marks.first_duplicate names the key and its line
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(name)    # NaN and Infinity are not JSON


def _json_loads(text: str, file: str) -> Any:
    """The value of the JSON ``text``; :data:`_NOT_JSON` when the JSON parser refuses it (a
    syntax error, NaN, more than one value, nested deeper than it goes): the YAML reader
    reads it then, and names the line of an error.

    Raises:
        InputError: a key given twice in one object, with the message and line the YAML
            reader gives.
    """
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)
    except _DuplicateKey:
        from dtnetpol.sources import json_marks  # JSON input only: not at every start

        try:
            dup = json_marks.first_duplicate(text)
        except (ValueError, RecursionError):
            return _NOT_JSON   # a syntax error after the duplicate: the YAML reader's error
        if dup is None:   # pragma: no cover - the parser found one
            raise AssertionError("a duplicate key the JSON parser saw is not found") from None
        raise InputError(f"YAML syntax error: duplicate key {dup.key!r} (first at line "
                         f"{dup.first})", SourceLocation(file, 1, dup.line)) from None
    except (ValueError, RecursionError):
        # deeper than the JSON parser goes: libyaml refuses it too, and names the line
        return _NOT_JSON


_NOT_JSON = object()
_TOO_DEEP = "YAML document is nested too deeply"


def _json_marked(text: str, file: str, body: Any = None) -> Any:
    """The JSON ``text`` (parsed: ``body``) with the line of every mapping, key and item,
    as the YAML reader marks them (:mod:`dtnetpol.sources.json_marks`), without it."""
    from dtnetpol.sources import json_marks  # JSON input only: not at every start

    if body is None:
        body = _json_loads(text, file)
    try:
        return json_marks.marked(text, body)
    except RecursionError:
        raise InputError(_TOO_DEEP, SourceLocation(file, 1)) from None


def _json_document(text: str, file: str, marks: bool,
                   lined: bool = False) -> Document | bool | None:
    """``text`` read by the JSON parser (30 times faster than libyaml on the same bytes):
    its one document, None when it is ``null``, False when it is not JSON (a syntax error,
    NaN, several documents): then the YAML reader reads it and reports what it finds.

    ``marks``: every mapping, key and item carries its line (:func:`_json_marked`); else the
    workloads, namespaces and other objects no report cites by line come as plain values (see
    :func:`dtnetpol.sources.load_cluster`). Unless ``marks`` without ``lined``,
    NetworkPolicies (one, or a List of them) come as :class:`LinedMap` bodies with the lines
    of their items (:func:`_json_policies`). Anything else has every mark."""
    body = _json_loads(text, file)
    if body is _NOT_JSON:
        return False
    if body is None:
        return None
    blanks = text[:len(text) - len(text.lstrip(_JSON_BLANKS))]
    line = blanks.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    if marks and not lined:
        return Document(file, 1, _json_marked(text, file, body), line)
    # Any JSON value may stand where a string is expected: only a str kind is looked up.
    kind = body.get("kind") if isinstance(body, dict) else None
    items = body.get("items") if isinstance(kind, str) and kind.endswith("List") else [body]
    if not isinstance(items, list):
        items = []
    if items and all(isinstance(o, dict) and isinstance(o.get("kind"), str)
                     and o["kind"] in _LINELESS_KINDS for o in items):
        if not marks:
            return Document(file, 1, body, line)
    else:
        # policies: reports cite their rules' lines
        policies = _json_policies(text, body, file, items)
        if policies is not None:
            return Document(file, 1, policies, line)
    return Document(file, 1, _json_marked(text, file, body), line)


_JSON_BLANKS = " \t\n\r"
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
# Where an array item starts: after "[" (unless empty) and after a "," not followed by a key.
_JSON_ITEM = re.compile(r'\[[ \t\r\n]*+|,[ \t\r\n]*+(?!""[ \t\r\n]*+:)|\]')
_LONE_CR = re.compile("\r(?!\n)")
_LIST_KEYS = frozenset({"apiVersion", "kind", "items", "metadata"})


def _json_item_lines(text: str) -> list[tuple[int, int]] | None:
    """(line, depth in arrays) of every array item of the JSON ``text``, in document order:
    the line of the item's first character, as the YAML reader marks it; None when the text
    has a lone carriage return (the full walk of :mod:`json_marks` counts those)."""
    if "\r" in text and _LONE_CR.search(text):
        return None
    blanked = _JSON_STRING.sub('""', text)   # strings hold no line break, so lines stay
    out: list[tuple[int, int]] = []
    depth = 0
    line, prev = 1, 0
    count = blanked.count
    for m in _JSON_ITEM.finditer(blanked):
        char = blanked[m.start()]
        if char == "]":
            depth -= 1
            continue
        at = m.end()
        if char == "[":
            depth += 1
            if blanked[at] == "]":
                continue
        line += count("\n", prev, at)
        prev = at
        out.append((line, depth))
    return out


def _json_policies(text: str, body: Any, file: str, items: list[Any]) -> Any:
    """A JSON NetworkPolicy (or List of them) as :func:`_fast_yaml` gives a YAML one: each
    policy a :class:`LinedMap` whose ``remark()`` reads it with every mark
    (:func:`_json_marked`); None when anything is unusual (then the whole document is read
    with every mark)."""
    if not items or not all(type(o) is dict and o.get("kind") == "NetworkPolicy"
                            and o.get("apiVersion") == LINED_API_VERSION for o in items):
        return None
    found = _json_item_lines(text)
    if found is None:
        return None
    if items[0] is body:
        return _lined(body, [line for line, _ in found], partial(_json_marked, text, file))
    meta = body.get("metadata")
    if not body.keys() <= _LIST_KEYS or not isinstance(body.get("apiVersion", ""), str) or (
            meta is not None and (type(meta) is not dict or any(
                type(v) is dict or type(v) is list for v in meta.values()))):
        return None
    # Items of "items" are at depth 1 (nothing else of the List holds an array); deeper
    # ones belong to the item before them.
    starts = [n for n, (_, depth) in enumerate(found) if depth == 1]
    if len(starts) != len(items) or (found and starts[0] != 0):
        return None
    whole: list[Any] = []
    lined = MarkedList(None)
    lined.item_lines = [found[n][0] for n in starts]
    for k, (item, n, end) in enumerate(zip(items, starts, [*starts[1:], len(found)],
                                           strict=True)):
        lined.append(_lined(item, [line for line, _ in found[n + 1:end]],
                            partial(_remark_item, text, file, whole, k)))
    out = MarkedMap(text.count("\n", 0, len(text) - len(text.lstrip())) + 1)
    out.update(body)
    out["items"] = lined
    return out


def _remark_item(text: str, file: str, whole: list[Any], k: int) -> Any:
    """Item ``k`` of the JSON List ``text`` with every mark (the List read once for all its
    items)."""
    if not whole:
        whole.append(_json_marked(text, file))
    return whole[0]["items"][k]


def _documents(text: str, file: str, fast_json: bool, line_base: int = 0,
               index_base: int = 0, lined: bool = False) -> Iterator[Document]:
    """The documents of one file or of stdin: JSON (``*.json``, stdin) through the JSON
    parser, never PyYAML (with every line mark unless ``fast_json``); when ``fast_json``,
    workloads and namespaces in YAML through the compiled parser
    (:mod:`dtnetpol.sources.yaml_fast`); everything else, and text the JSON parser refuses,
    through PyYAML.

    ``line_base`` and ``index_base``: the lines and documents of the file before ``text``,
    when it is a piece of a file read in pieces (:func:`_file_documents`)."""
    if file == STDIN_NAME or file.lower().endswith(".json"):
        found = _json_document(text, file, marks=not fast_json, lined=lined)
        if found is not False:
            if isinstance(found, Document):
                yield found
            return
    if fast_json and len(text) >= yaml_fast.MIN_CHARS:
        yield from _fast_yaml(text, file, line_base, index_base)
        return
    yield from _parse("\n" * line_base + text, file, 1 + index_base, [1 + index_base])


def _fast_yaml(text: str, file: str, line_base: int = 0,
               index_base: int = 0) -> Iterator[Document]:
    """:func:`_parse` with runs of workloads and namespaces read by ``yaml_rs``; anything
    unexpected (an error, documents counted differently) and the rest of the file is read
    by PyYAML as :func:`_parse` reads it, so results and errors are the same."""
    cut = yaml_fast.split(text) if yaml_fast.available() else None
    given = 0   # non-empty documents yielded so far
    try:
        for fast, line, index, start, pieces in yaml_fast.runs(text, cut or []):
            index += index_base
            bodies = yaml_fast.parse_run(text, pieces, line + line_base) if fast else None
            if bodies is None:
                # One document at a time, as _parse gives them (a run may be a whole file
                # of policies: a list of all of them doubled the peak memory).
                end = [index]
                piece = "\n" * line_base + text if start == 0 and pieces[-1].end == len(text) \
                    else "\n" * (line_base + line - 1) + text[start:pieces[-1].end]
                for doc in _parse(piece, file, index, end):
                    yield doc
                    given += 1
                if end[0] - index != len(pieces):
                    raise _Fallback
            else:
                at = line + line_base
                pos = start
                for i, ((body, lines), piece_) in enumerate(zip(bodies, pieces, strict=True)):
                    if lines is not None:
                        at += text.count("\n", pos, piece_.start)
                        pos = piece_.start
                        body = _lined(body, lines, partial(
                            _remark, text, piece_.start, piece_.end, file, index + i, at))
                    yield Document(file, index + i, body, (piece_.line or line) + line_base)
                    given += 1
        if cut is not None:
            return
    except (_Fallback, InputError):
        pass
    for i, doc in enumerate(_parse("\n" * line_base + text, file, 1 + index_base,
                                   [1 + index_base])):
        if i >= given:
            yield doc


def _lined(body: dict[Any, Any], lines: list[int], remark: Callable[[], Any]) -> LinedMap:
    out = LinedMap(body)
    out.item_lines = lines
    out.remark = remark
    return out


def _remark(text: str, start: int, end: int, file: str, index: int, line: int) -> Any:
    """The one document ``text[start:end]`` (document ``index`` of ``file``, from its 1-based
    ``line``) read by PyYAML with every mark: a :class:`LinedMap` has the lines of its
    sequence items only, and problems name the line of any field."""
    for doc in _parse("\n" * (line - 1) + text[start:end], file, index, [index]):
        return doc.body
    raise AssertionError("a document read by the compiled parser is not empty")


def _too_large(limit: int) -> str:
    return (f"input larger than the limit of {limit:,} bytes (raise it with "
            "--max-input-size SIZE, e.g. 1G; 0 for none)")


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("file is not UTF-8 text", SourceLocation(file, 1, line)) from None


def _read_bounded(source: Any, budget: list[int], first: int, label: str) -> Any:
    """Everything ``source`` gives (bytes or text), in blocks, never more than ``budget[0]``
    (a file that grows, ``/dev/zero`` on stdin: refused once it has given that much)."""
    blocks: list[Any] = []
    size = 0
    want = first
    while True:
        block = source.read(min(want, budget[0] - size + 1))
        if not block:
            break
        blocks.append(block)
        size += len(block)
        if size > budget[0]:
            raise InputError(_too_large(max_input_bytes.get()), SourceLocation(label))
        want = _BLOCK
    budget[0] -= size
    empty = blocks[0][:0] if blocks else b""
    return empty.join(blocks)


def _read_file(path: str, budget: list[int] | None = None) -> str:
    """The text of a regular file (see :func:`read_bytes`), UTF-8."""
    return _decode(read_bytes(path, budget), path_label(path))


def read_bytes(path: str, budget: list[int] | None = None) -> bytes:
    """The bytes of a regular file; a FIFO, device or socket is refused, never waited on
    (opened without blocking), and a file larger than ``budget`` (bytes, default
    :data:`max_input_bytes`) is refused before it is read."""
    label = path_label(path)
    budget = budget if budget is not None else _budget()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}",
                         SourceLocation(label)) from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError("not a regular file (a FIFO, device or socket is not read)",
                             SourceLocation(label))
        if info.st_size > budget[0]:
            raise InputError(_too_large(max_input_bytes.get()), SourceLocation(label))
        try:
            data: bytes = _read_bounded(fh, budget, info.st_size + 1, label)
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror or exc}",
                             SourceLocation(label)) from None
    return data


#: YAML files from this size on are read in pieces of about :data:`PIECE_BYTES`, cut at
#: ``---`` lines (:func:`_file_documents`): the whole text (and, while it was decoded, its
#: bytes too) no longer stays in memory next to the model built from it.
PIECE_MIN_BYTES = 32 << 20
PIECE_BYTES = 8 << 20
# A piece holds whole documents: it ends before a line that is ``---`` or starts with ``--- ``
# (or ``---`` and a tab). Texts with these are read whole: libyaml counts other line breaks,
# and document end markers and directives change how documents are numbered.
_PIECE_MARKER = re.compile(rb"\n---(?=[ \t\n]|\Z)")
_PIECE_START = re.compile(rb"---(?=[ \t\n]|\Z)")
_PIECE_ODD_BYTES = re.compile(rb"\r|\n\.\.\.|\n%")
_PIECE_ODD_CHARS = ("\x85", "\u2028", "\u2029")


class _Whole(Exception):
    """A piece of a file read in pieces is not plainly cut: read the file whole."""


def _last_marker(data: bytes) -> int | None:
    """Where the last ``---`` line of ``data`` starts (not at 0, and followed by a blank or a
    line break inside ``data``: the line is whole); None when there is none."""
    end = len(data)
    while True:
        found = data.rfind(b"\n---", 0, end)
        if found < 0:
            return None
        if data[found + 4:found + 5] in (b" ", b"\t", b"\n"):
            return found + 1
        end = found + 3


def _pieces(path: str, budget: list[int]) -> Iterator[bytes]:
    """The bytes of the regular file ``path`` in pieces of about :data:`PIECE_BYTES`, each
    piece but the first starting with a ``---`` line; raises :class:`_Whole` where that is
    not certain to give the documents the whole text gives."""
    label = path_label(path)
    with open(path, "rb") as fh:
        carry = b""
        size = 0
        out: list[bytes] = []
        while True:
            block = fh.read(PIECE_BYTES)
            size += len(block)
            if size > budget[0]:
                raise InputError(_too_large(max_input_bytes.get()), SourceLocation(label))
            if not block:
                if carry:
                    yield carry
                return
            data = carry + block if carry else block
            del block, carry
            cut = _last_marker(data)
            if cut is None:
                if len(data) > 4 * PIECE_BYTES:
                    raise _Whole   # one huge document: its text is needed whole anyway
                carry = data
                continue
            out.append(data[:cut])
            carry = data[cut:]
            del data
            yield out.pop()   # held by the reader alone, which lets it go once decoded


def _file_documents(path: str, fast_json: bool, lined: bool = False) -> Iterator[Document]:
    """The documents of the file ``path``; a large YAML file is read in pieces (see
    :data:`PIECE_MIN_BYTES`), with the lines and document numbers of the whole file. Anything
    unusual in a piece (a YAML error, a character libyaml counts as a line break, a ``...``
    line) and the file is read again whole, from the document after the last one given: so
    documents, lines and errors are always those of the whole text."""
    label = path_label(path)
    try:
        info = os.stat(path)
    except OSError:
        info = None
    if info is None or not stat.S_ISREG(info.st_mode) or info.st_size < PIECE_MIN_BYTES or \
            path.lower().endswith(".json"):
        yield from _documents(_read_file(path), label, fast_json, lined=lined)
        return
    budget = _budget()
    if info.st_size > budget[0]:
        raise InputError(_too_large(max_input_bytes.get()), SourceLocation(label))
    given = 0
    try:
        line_base = 0   # lines of the pieces before this one
        markers = 0     # ``---`` lines in the pieces before this one
        implicit = 0    # 1 when the file's first document has no ``---``
        n = -1   # no enumerate(): it would hold each piece until the next
        for data in _pieces(path, budget):
            n += 1
            bom = 3 if n == 0 and data.startswith(b"\xef\xbb\xbf") else 0
            if _PIECE_ODD_BYTES.search(data) or (n == 0 and data.startswith((b"...", b"%"),
                                                                             bom)):
                raise _Whole
            # a piece after the first starts with ``---``; the first may
            starts = _PIECE_START.match(data, bom) is not None
            if n == 0:
                head = None if starts else _PIECE_MARKER.search(data)
                before = b"" if starts else data[bom:] if head is None else \
                    data[bom:head.start()]
                implicit = int(any(x.strip() and not x.lstrip().startswith(b"#")
                                   for x in before.split(b"\n")))
            lines = data.count(b"\n")
            count = len(_PIECE_MARKER.findall(data)) + starts
            text = data.decode("utf-8-sig" if n == 0 else "utf-8")
            del data
            if any(c in text for c in _PIECE_ODD_CHARS):
                raise _Whole
            # the document after the n-th ``---`` of the file is number 1 + implicit + n
            for doc in _documents(text, label, fast_json, line_base,
                                  implicit + markers if n else 0, lined):
                yield doc
                given += 1
            del text
            line_base += lines
            markers += count
    except (_Whole, InputError, UnicodeDecodeError):
        for i, doc in enumerate(_documents(_read_file(path), label, fast_json, lined=lined)):
            if i >= given:
                yield doc


def _read_stdin(stream: TextIO, budget: list[int]) -> str:
    """Standard input, as bytes when it has them (decoded as files are)."""
    binary = getattr(stream, "buffer", None)
    if binary is None:
        return str(_read_bounded(stream, budget, _BLOCK, STDIN_NAME) or "")
    return _decode(_read_bounded(binary, budget, _BLOCK, STDIN_NAME), STDIN_NAME)


def _manifest_files(root: str) -> list[str]:
    """Manifest files under ``root``, sorted by path; hidden files and folders are skipped."""
    found: list[tuple[tuple[str, ...], str]] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = Path(folder).relative_to(root).parts
        for name in files:
            if name.startswith(".") or not name.lower().endswith(MANIFEST_SUFFIXES):
                continue
            found.append(((*rel, name), os.path.join(folder, name)))
    return [path for _, path in sorted(found)]


def read_documents(paths: Sequence[str], stdin: TextIO | None = None) -> list[Document]:
    """Read every document from ``paths`` in order.

    Args:
        paths: files (any name), directories (searched recursively for ``*.yaml``, ``*.yml``
            and ``*.json``, in sorted order) or ``-`` for standard input.
        stdin: the stream ``-`` reads; ``sys.stdin`` when None.

    Raises:
        InputError: a path that does not exist, cannot be read, a folder without manifests,
            or a syntax error.
    """
    return list(iter_documents(paths, stdin))


def iter_documents(paths: Sequence[str], stdin: TextIO | None = None, *,
                   fast_json: bool = False, lined_json: bool = False,
                   errors: list[InputError] | None = None) -> Iterator[Document]:
    """:func:`read_documents` one document at a time, each file read when its turn comes.

    ``fast_json``: JSON files and stdin read without line marks where no report cites
    them (see :func:`_json_document`); JSON is read by the JSON parser either way.
    ``lined_json``: NetworkPolicies in JSON as :class:`LinedMap` bodies even without
    ``fast_json`` (for the cluster builder, which reads them again with marks if it must).
    ``errors``: where a file's error (unreadable, YAML syntax) goes, after the documents
    before it; reading goes on with the next file (every file's problems in one run). None:
    the first error raises.
    """
    if errors is None:
        yield from _iter_documents(paths, stdin, fast_json, lined_json)
        return
    for path in paths:
        files = _manifest_files(path) if path != "-" and os.path.isdir(path) else [path]
        for file in files or [path]:
            try:
                yield from _iter_documents([file], stdin, fast_json, lined_json)
            except InputError as e:
                errors.append(e)


def _iter_documents(paths: Sequence[str], stdin: TextIO | None = None,
                    fast_json: bool = False, lined: bool = False) -> Iterator[Document]:
    for path in paths:
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin
            try:
                text = _read_stdin(stream, _budget())
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read standard input: {exc}",
                                 SourceLocation(STDIN_NAME)) from None
            yield from _documents(text, STDIN_NAME, fast_json, lined=lined)
        elif os.path.isdir(path):
            files = _manifest_files(path)
            if not files:
                raise InputError("folder holds no *.yaml, *.yml or *.json file",
                                 SourceLocation(path_label(path)))
            for file in files:
                yield from _file_documents(file, fast_json, lined)
        elif os.path.lexists(path):
            yield from _file_documents(path, fast_json, lined)
        else:
            raise InputError("no such file or folder", SourceLocation(path_label(path)))
