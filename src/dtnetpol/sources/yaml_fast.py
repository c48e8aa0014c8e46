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
# Where a risky spelling may start: each found with one fast scan (a pattern that starts with
# one character class, or a plain substring search); a search for the whole spellings at every
# position of the text took longer than parsing it.
_CANDIDATES = (
    re.compile(r"[0-9][_:eE]"), re.compile(r"[_+][0-9]"), re.compile(r"[0-9]\.(?![0-9])"),
    re.compile(r"\.(?<![0-9]\.)[0-9]"), re.compile(r"0(?<![\w.]0)[0-9bBoOxX_]"),
    re.compile(r"\.(?:inf|Inf|INF|nan|NaN|NAN)"),
)
# The same spellings as whole strings (keys too) in the parser's output written as JSON: a
# plain ``yes`` that YAML 1.2 reads as the string "yes" (a quoted "yes" is found too, and
# left to PyYAML all the same).
_WORDS = re.compile(rb'"(?:[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF|=|<<)"')
# Anywhere: tags, anchors (PyYAML refuses one given twice), directives, merge keys,
# explicit (complex) keys, a flow collection as a key;
# tabs, odd line breaks, BOMs and the characters PyYAML's reader refuses.
_RISKY_ANY = re.compile("|".join([
    r"(?:^|[\s\[{,])[!&]", r"^%", r"<<", r"^[ \t]*(?:-[ \t]+)*\?(?:[ \t]|$)",
    r"[\]}][ \t]*:(?:[ \t]|$)",
]), re.MULTILINE)
_ODD_CHARS = re.compile(
    "[\t\r\x85\u2028\u2029\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f"
    "\ud800-\udfff\ufffe\uffff]")
_PREFILTER = re.compile(r"[!&%?<\]}]")


def risky(text: str) -> bool:
    """Whether ``text`` may hold something the compiled parser and PyYAML read differently
    (see the module doc); True also for some texts that hold nothing of the sort."""
    if _ODD_CHARS.search(text):
        return True
    if _PREFILTER.search(text) and _RISKY_ANY.search(text):
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


_KIND = re.compile(r"^kind:[ \t]*(?:([A-Za-z]+)|\"([A-Za-z]+)\"|'([A-Za-z]+)')[ \t]*$",
                   re.MULTILINE)
_MARKER = re.compile(r"^---(?:[ \t]*(?:#.*)?)?$", re.MULTILINE)
_ANY_MARKER = re.compile(r"^---(?:[ \t]|$)", re.MULTILINE)
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
    bounds = [m.start() for m in _MARKER.finditer(text)]
    if len(bounds) != sum(1 for _ in _ANY_MARKER.finditer(text)):
        return None   # a ``--- value`` line: content on the marker line
    pieces: list[Piece] = []
    starts = bounds if bounds and not _has_content(text, 0, bounds[0]) else [0, *bounds]
    if not bounds and not _has_content(text, 0, len(text)):
        return []
    bounds_set = set(bounds)
    kinds = [(m.start(), m.group(1) or m.group(2) or m.group(3))
             for m in _KIND.finditer(text)]
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
    :data:`LINELESS_KINDS`, at most :data:`BATCH` of them; ``line`` and ``index`` are those
    of the run's first line and document in the file."""
    index, line, pos, i = 1, 1, 0, 0
    while i < len(pieces):
        fast = pieces[i].kind in LINELESS_KINDS
        j = i + 1
        while j < len(pieces) and (pieces[j].kind in LINELESS_KINDS) == fast and (
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


def parse_run(text: str, pieces: list[Piece]) -> list[Any] | None:
    """The bodies of ``pieces`` (a fast run of ``text``) read by ``yaml_rs``; None when PyYAML
    must read them (see the module doc)."""
    bodies = read_plain(text[pieces[0].start:pieces[-1].end], len(pieces))
    if bodies is None:
        return None
    for b, piece in zip(bodies, pieces, strict=True):
        if type(b) is not dict or b.get("kind") != piece.kind:
            return None
    return bodies
