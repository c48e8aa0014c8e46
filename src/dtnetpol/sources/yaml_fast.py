"""A compiled YAML parser for the documents no report cites by line (workloads, namespaces).

``yaml_rs`` (Rust) builds plain ``dict``/``list`` objects 7 times faster than libyaml through
PyYAML's ``CSafeLoader`` builds them, but keeps no line marks and reads YAML 1.2, while
Kubernetes and PyYAML read YAML 1.1. So it is used only where both readings are certain to
agree, and PyYAML reads everything else:

- a file is cut into its documents at ``---`` lines; only runs of documents whose top-level
  ``kind`` is one of :data:`LINELESS_KINDS` go to ``yaml_rs``, the others (policies, whose
  rules checks cite by line) to the marked loader, numbered and lined as in the whole file;
- a run is left to PyYAML when its text holds anything the two read differently or that our
  loader rejects (:func:`risky`): YAML 1.1 booleans (``yes``, ``on``), octal, binary,
  sexagesimal, underscored or exponent numbers, tags, directives, merge keys, complex keys,
  tabs, odd line breaks and characters PyYAML refuses; it is also left to PyYAML when
  ``yaml_rs`` refuses it (a syntax error or a duplicate key: PyYAML then names the line) or
  gives anything else than one mapping of the expected kind per document.

The documents read this way carry no line marks inside; their own line is the first line of
their content, as PyYAML gives it. :func:`dtnetpol.sources.load_cluster` reads the input again
through PyYAML when anything is to be reported, as it does for JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson

#: Kinds whose fields no report cites by line (pods, workloads, namespaces, nodes,
#: services): what a cluster mostly holds, and what live mode lists by the thousand.
LINELESS_KINDS = frozenset({
    "Pod", "Namespace", "Node", "Service", "Endpoints", "EndpointSlice", "Deployment",
    "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"})

#: Kinds read by the compiled parser although reports cite their rules by line: the line of
#: every item of their block sequences is found by :func:`item_lines` (networking.k8s.io/v1
#: only: a Calico NetworkPolicy has the same kind).
LINED_KINDS = frozenset({"NetworkPolicy"})
LINED_API_VERSION = "networking.k8s.io/v1"   # = manifest.networkpolicy.LINED_API_VERSION
FAST_KINDS = LINELESS_KINDS | LINED_KINDS

#: Files shorter than this go to PyYAML whole: importing the compiled parser costs more
#: than it saves on them (check on a small input stays as fast to start).
MIN_CHARS = 64 << 10
#: Documents read by one call of the compiled parser: all of them are held at once (256
#: held 14 MiB of pods and workloads at the peak, 64 a quarter of that, at the same speed).
BATCH = 64


def _loader() -> Callable[..., Any] | None:
    """``yaml_rs.loads``, imported on first use (its module pulls in pathlib and enum: not
    worth it for ``--version``); None when it is not installed."""
    if not _LOADS:
        try:
            from yaml_rs import loads
        except ImportError:  # the dependency is declared; PyYAML then reads everything
            _LOADS.append(None)
        else:
            _LOADS.append(loads)
    return _LOADS[0]


_LOADS: list[Callable[..., Any] | None] = []


# A scalar position: a line's start (after indentation), after an indicator and a blank, or
# right after a flow opener or comma; the scalar then ends the line, a flow entry or a key.
_PRE = r"(?:^[ \t]*|[:\-?\[{,][ \t]+|[\[{,])"
_POST = r"[ \t]*(?:$|#|[,\]}]|:(?:[ \t]|$))"
# Plain scalars that YAML 1.1 (PyYAML) and 1.2 (yaml_rs) read differently, or that our loader
# rejects (``=``, ``<<``). ``true``, ``false``, ``null``, ``~``, decimal integers and plain
# decimal fractions read the same and are not listed.
_SPELLINGS = "|".join([
    r"[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF|=|<<",
    r"[-+]?0[0-9_]+(?:\.[0-9_]*)?",                    # leading zero: octal in 1.1
    r"[-+]?0[bBoOxX][0-9a-fA-F_]*",                    # binary, 0o (1.2 only), hex
    r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?",   # sexagesimal (1.1 only)
    r"[-+]?\.?[0-9][0-9.]*_[0-9_.eE+-]*",              # underscores (1.1 only)
    r"[-+]?\.?[0-9][0-9_.]*[eE][-+]?[0-9]*",           # exponents (1.1 needs a dot and a sign)
    r"\+[0-9.][0-9a-zA-Z_.:+-]*",                       # a plus sign
    r"[-+]?\.[0-9_]+", r"[-+]?[0-9][0-9_]*\.",          # .5 and 5.
    r"[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)",
])
# What the compiled parser and PyYAML read differently, checked line by line; only the lines
# where :data:`_CANDIDATE` finds something are checked (a whole-text search of these patterns
# took 3 times as long as parsing).
_RISKY_LINE = re.compile(rf"{_PRE}(?:{_SPELLINGS}){_POST}", re.MULTILINE)
# Where a risky spelling may be: each found with one fast scan. A pattern that starts with one
# literal character is scanned for that character many times faster than one that starts
# with a character class (13 times on the policies of size L), so each starts with one and
# looks back for what comes before it; a search for the whole spellings at every position
# of the text took longer than parsing it.
_CANDIDATES = tuple(re.compile(p) for p in (
    r"_(?<=[0-9]_)", r":(?<=[0-9]:)", r"e(?<=[0-9]e)", r"E(?<=[0-9]E)",   # 1_0 1:2 1e3
    r"_[0-9]", r"\+[0-9]", r"\.(?<=[0-9]\.)(?![0-9])", r"\.(?<![0-9]\.)[0-9]",
    r"0(?<![\w.]0)[0-9bBoOxX_]", r"\.(?:inf|Inf|INF|nan|NaN|NAN)"))
_FLOW_KEYS = (re.compile(r"\}[ \t]*:(?:[ \t]|$)", re.MULTILINE),
              re.compile(r"\][ \t]*:(?:[ \t]|$)", re.MULTILINE))
# The same spellings as whole strings (keys too) in the parser's output written as JSON: a
# plain ``yes`` that YAML 1.2 reads as the string "yes" (a quoted "yes" is found too, and
# left to PyYAML all the same).
_WORDS = re.compile(rb'"(?:[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF|=|<<)"')
# Anywhere: tags, anchors (PyYAML refuses one given twice), directives, merge keys,
# explicit (complex) keys, a flow collection as a key;
# tabs, odd line breaks, BOMs and the characters PyYAML's reader refuses. Each is searched
# by a pattern that starts with one rare character (a pattern that starts with ``^`` or an
# alternation is tried at every position: 1 s on the 13 MB of policies at size L).
_TAG_OR_ANCHOR = re.compile(r"[!&]")
_TAG_OR_ANCHOR_AT = re.compile(r"(?:^|(?<=[\s\[{,]))[!&]", re.MULTILINE)
_EXPLICIT_KEY = re.compile(r"\?")
_EXPLICIT_KEY_LINE = re.compile(r"^[ \t]*(?:-[ \t]+)*\?(?:[ \t]|$)", re.MULTILINE)
_ODD_CHARS = re.compile(
    "[\t\r\x85\u2028\u2029\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f"
    "\ud800-\udfff\ufffe\uffff]")


def _risky_any(text: str) -> bool:
    # ``in`` first: a substring search is many times faster than a pattern's scan.
    if "<<" in text or text.startswith("%") or "\n%" in text:
        return True
    if any(p.search(text) for p in _FLOW_KEYS):
        return True
    if ("!" in text or "&" in text) and any(
            _TAG_OR_ANCHOR_AT.match(text, m.start()) for m in _TAG_OR_ANCHOR.finditer(text)):
        return True
    for m in _EXPLICIT_KEY.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1
        if _EXPLICIT_KEY_LINE.match(text, start):
            return True
    return False


def risky(text: str) -> bool:
    """Whether ``text`` may hold something the compiled parser and PyYAML read differently
    (see the module doc); True also for some texts that hold nothing of the sort."""
    if _ODD_CHARS.search(text):
        return True
    if _risky_any(text):
        return True
    for pattern in _CANDIDATES:
        for m in pattern.finditer(text):
            if _risky_line(text, m.start()):
                return True
    return False


def _risky_line(text: str, pos: int) -> bool:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return _RISKY_LINE.search(text, start, len(text) if end < 0 else end) is not None


# One line of a document in plain block style: blank, a comment, a ``---`` marker, a key
# (after ``- `` indicators) with or without a one-line value, or ``- `` indicators and a
# one-line value. No flow collection but ``{}`` and ``[]``, no block scalar, no quoted
# scalar continued on the next line, no line that continues a plain scalar, no ``-`` that
# ends its line: then every item of every sequence starts with its own ``-``, on the line
# PyYAML gives the item. (A plain value is not read further than its first character.)
_KEY = r"""(?:[A-Za-z0-9_.][A-Za-z0-9_./-]*|"[^"\\\n]*"|'[^'\n]*')"""
_END = r" *(?:#[^\n]*)?(?:\n|\Z)"
_VALUE = (rf"""(?:"(?:[^"\\\n]|\\.)*"{_END}|'(?:[^'\n]|'')*'{_END}|\{{\}}{_END}|\[\]{_END}"""
          r"""|(?:[^\s"'|>\[\]{}#&*!%@`?:,-]|[?:-](?=\S)))""")
_PLAIN_LINE = (rf" *(?:(?:- +)*{_KEY} *:(?: +{_VALUE}|{_END})|(?:- +)+{_VALUE}|(?:#[^\n]*)?"
               r"(?:\n|\Z))|---")
_FIRST_LINE = re.compile(_PLAIN_LINE)
_NOT_PLAIN_LINE = re.compile(rf"\n(?!{_PLAIN_LINE})")
_DASH = re.compile(r"\n *- ")
_DASHES = re.compile(r"\n *((?:- +)+)")
_NESTED = re.compile(r"\n *- +- ")


def item_lines(text: str, start: int, end: int, line: int) -> list[int] | None:
    """The 1-based lines of the ``-`` indicators of ``text[start:end]`` (one document, whose
    first line is ``line``), in order; None when a line of it is not plain block style
    (see ``_PLAIN_LINE``): then an item may have no ``-`` of its own, or a ``-`` no item."""
    if not _FIRST_LINE.match(text, start, end):
        return None
    if _NOT_PLAIN_LINE.search(text, start, end):
        return None
    out: list[int] = []
    pos = start
    line += 1    # of the text after the newline each match starts with
    if _NESTED.search(text, start, end):   # ``- - x``: two items start on one line
        for m in _DASHES.finditer(text, start, end):
            here = m.start()
            line += text.count("\n", pos, here)
            pos = here
            out.extend([line] * m.group(1).count("-"))
        return out
    for m in _DASH.finditer(text, start, end):
        here = m.start()
        line += text.count("\n", pos, here)
        pos = here
        out.append(line)
    return out


# Each at the start of a line: the text's start, or after a newline (a pattern that starts
# with ``^`` is tried at every position of the text, one that starts with ``\n`` is not).
_KIND = r"kind:[ \t]*(?:([A-Za-z]+)|\"([A-Za-z]+)\"|'([A-Za-z]+)')[ \t]*(?=\n|\Z)"
_MARKER = r"---(?:[ \t]*(?:#[^\n]*)?)?(?=\n|\Z)"
_ANY_MARKER = r"---(?=[ \t\n]|\Z)"


def _at_line_starts(pattern: str) -> Callable[[str], list[re.Match[str]]]:
    first, later = re.compile(pattern), re.compile("\n" + pattern)

    def find(text: str) -> list[re.Match[str]]:
        head = first.match(text)
        return [*([head] if head else []), *later.finditer(text)]
    return find


def _line_start(m: re.Match[str]) -> int:
    """Where the line of a match of :func:`_at_line_starts` starts."""
    return m.start() + 1 if m.group(0).startswith("\n") else m.start()


_kinds, _markers, _any_markers = (_at_line_starts(p) for p in (_KIND, _MARKER, _ANY_MARKER))
_CONTENT = re.compile(r"^(?![ \t]*(?:#|$))", re.MULTILINE)


class Piece:
    """One document of a file: ``text[start:end]``, the 1-based ``line`` where its content
    starts (None when it has none) and the ``kind`` its text names, if one it can be read for.
    """

    __slots__ = ("end", "kind", "line", "start")

    def __init__(self, start: int, end: int, line: int | None, kind: str | None) -> None:
        self.start, self.end, self.line, self.kind = start, end, line, kind


def split(text: str) -> list[Piece] | None:
    """The documents of ``text`` in the order PyYAML numbers them (from 1, empty ones
    included); None when the text is not plainly cut into documents by ``---`` lines
    (``...`` ends, directives, content on a ``---`` line)."""
    if "\n..." in text or text.startswith(("...", "%")) or "\r" in text:
        return None
    bounds = [_line_start(m) for m in _markers(text)]
    if len(bounds) != len(_any_markers(text)):
        return None   # a ``--- value`` line: content on the marker line
    pieces: list[Piece] = []
    starts = bounds if bounds and not _has_content(text, 0, bounds[0]) else [0, *bounds]
    if not bounds and not _has_content(text, 0, len(text)):
        return []
    bounds_set = set(bounds)
    kinds = [(_line_start(m), m.group(1) or m.group(2) or m.group(3)) for m in _kinds(text)]
    k = 0
    line = 1
    pos = 0
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        line += text.count("\n", pos, start)
        pos = start
        if text.startswith("---\n", start) and text[start + 4:start + 5].isalpha():
            content: int | None = line + 1    # the usual case, without a search
        else:
            found = _CONTENT.search(text, start + 1 if start in bounds_set else start, end)
            content = None if found is None else line + text.count("\n", start, found.start())
        named = []
        while k < len(kinds) and kinds[k][0] < end:
            named.append(kinds[k][1])
            k += 1
        pieces.append(Piece(start, end, content, named[0] if len(named) == 1 else None))
    return pieces


def _has_content(text: str, start: int, end: int) -> bool:
    return _CONTENT.search(text, start, end) is not None


def runs(text: str, pieces: list[Piece]) -> Iterator[tuple[bool, int, int, int, list[Piece]]]:
    """Runs of consecutive documents (``pieces`` of ``text``, as :func:`split` cut them):
    (fast, line, index, start offset, pieces); ``fast`` runs hold only documents of
    :data:`FAST_KINDS`, at most :data:`BATCH` of them; ``line`` and ``index`` are those
    of the run's first line and document in the file."""
    index, line, pos, i = 1, 1, 0, 0
    while i < len(pieces):
        fast = pieces[i].kind in FAST_KINDS
        j = i + 1
        while j < len(pieces) and (pieces[j].kind in FAST_KINDS) == fast and (
                not fast or j - i < BATCH):
            j += 1
        start = pieces[i].start
        line += text.count("\n", pos, start)
        pos = start
        yield fast, line, index, start, pieces[i:j]
        index += j - i
        i = j


def available() -> bool:
    """Whether the compiled parser is installed."""
    return _loader() is not None


def read_plain(text: str, count: int) -> list[Any] | None:
    """The ``count`` documents of ``text`` read by ``yaml_rs``, each as PyYAML's safe loader
    (with our duplicate-key rule) reads it; None when that is not certain or ``yaml_rs``
    refuses the text: then PyYAML must read it."""
    loads = _loader()
    if loads is None or risky(text):
        return None
    try:
        body = loads(text, parse_datetime=False)
        written = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    except Exception:   # a syntax error, a duplicate key: PyYAML names the line
        return None
    if _WORDS.search(written):
        return None
    bodies = body if count > 1 else [body]
    if not isinstance(bodies, list) or len(bodies) != count:
        return None
    return bodies


def parse_run(text: str, pieces: list[Piece], line: int
              ) -> list[tuple[Any, list[int] | None]] | None:
    """The bodies of ``pieces`` (a fast run of ``text`` whose first line is ``line``) read by
    ``yaml_rs``, each with the lines of its sequence items (:func:`item_lines`) when it is
    of :data:`LINED_KINDS`; None when PyYAML must read them (see the module doc)."""
    bodies = read_plain(text[pieces[0].start:pieces[-1].end], len(pieces))
    if bodies is None:
        return None
    out: list[tuple[Any, list[int] | None]] = []
    pos = pieces[0].start
    for b, piece in zip(bodies, pieces, strict=True):
        if type(b) is not dict or b.get("kind") != piece.kind:
            return None
        lines = None
        if piece.kind in LINED_KINDS:
            if b.get("apiVersion") != LINED_API_VERSION:
                return None
            line += text.count("\n", pos, piece.start)
            pos = piece.start
            lines = item_lines(text, piece.start, piece.end, line)
            if lines is None:
                return None
        out.append((b, lines))
    return out
