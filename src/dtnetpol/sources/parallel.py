"""Load large inputs on two cores: two worker processes read and build runs of documents.

The files are cut at document boundaries (lines that are ``---`` or start with ``--- ``) into
runs (chunks) of complete documents of about equal size, smaller towards the end; each piece
of a file knows its first line and document number, so every location is the one the
single-process path gives. Forked workers parse the chunks and build what is per document
(:func:`build_partial`); the parent merges the
:class:`~dtnetpol.manifest.cluster.PartialCluster` results in input order, as they arrive
(objects given twice, owners, namespaces need the whole input). Documents differ in cost per byte
(a policy costs twice a workload), so there are many more chunks than workers.

Whatever goes wrong (a syntax error, an invalid object, an unreadable file, a worker that dies)
returns None and the caller loads the single-process way from scratch, so results and error
messages are exactly the usual ones.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from dtnetpol.manifest.cluster import OnInvalid, PartialCluster, build_partial, merge_partials
from dtnetpol.manifest.problems import Problem
from dtnetpol.model.cluster import Cluster
from dtnetpol.model.location import SourceLocation
from dtnetpol.safe_text import path_label
from dtnetpol.sources.yaml_load import _manifest_files, _read_file, read_piece

# Inputs (files only) from this many bytes on are loaded in two processes.
PARALLEL_MIN_BYTES = 8 << 20
# Chunks of full size the input would be cut into (the smaller last ones come on top).
CHUNKS = 24
WORKERS = 2
# Runs shrink once less than this many runs per worker are left (see ``cut``).
_TAIL = 3

# libyaml counts these as line breaks too, pieces count "\n" only; with directives and document
# end markers, the number of a document is not the number of ``---`` lines before it.
_ODD_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
_ODD_LINES = ("%", "...")


@dataclass(frozen=True)
class Piece:
    """Complete documents of ``file`` starting at its 1-based ``line``; ``index`` is the number
    of the first one; ``text`` starts with a ``---`` line unless it starts the file."""

    file: str
    text: str
    line: int
    index: int


@dataclass(frozen=True)
class _Loaded:
    partial: PartialCluster
    counts: list[int]    # documents read per piece, empty ones included
    documents: int       # non-empty documents


def input_files(paths: Sequence[str]) -> list[str] | None:
    """The files ``read_documents`` would read, in order; None when stdin is among the paths
    or a path would be an error (the single-process path reports it)."""
    files: list[str] = []
    for path in paths:
        if path == "-":
            return None
        if os.path.isdir(path):
            found = _manifest_files(path)
            if not found:
                return None
            files.extend(found)
        elif os.path.exists(path):
            files.append(path)
        else:
            return None
    return files


def _splittable(text: str) -> bool:
    return not (any(c in text for c in _ODD_BREAKS) or text.startswith(_ODD_LINES)
                or any("\n" + c in text for c in _ODD_LINES))


def _is_marker(text: str, pos: int) -> bool:
    """Whether the line starting at ``pos`` is ``---`` or starts with ``--- ``."""
    return text.startswith("---", pos) and text[pos + 3: pos + 4] in ("", " ", "\n")


def _next_marker(text: str, pos: int) -> int | None:
    """The start of the first ``---`` line starting after ``pos`` (at least 1)."""
    while True:
        found = text.find("\n---", pos - 1)
        if found < 0:
            return None
        if _is_marker(text, found + 1):
            return found + 1
        pos = found + 2


def _markers(text: str, start: int, end: int) -> int:
    """The number of ``---`` lines starting at a position in [start, end) (``start`` is the
    start of a line, ``end`` the start of a ``---`` line)."""
    count = text.count("\n---\n", max(start - 1, 0), end + 3)
    count += text.count("\n--- ", max(start - 1, 0), end + 3)
    return count + (start == 0 and _is_marker(text, 0))


def _first_index(text: str, pos: int) -> int:
    """The number of the document starting at the ``---`` line at ``pos`` of a file."""
    first = 0 if _is_marker(text, 0) else (_next_marker(text, 1) or pos)
    implicit = any(line.strip() and not line.lstrip().startswith("#")
                   for line in text[:first].split("\n"))
    return 1 + implicit + _markers(text, 0, pos)


def split(texts: Sequence[tuple[str, str]], parts: int) -> list[list[Piece]]:
    """Cut ``texts`` (file, text) into runs of complete documents, in order: about ``parts``
    runs of about equal size, then a few smaller ones (see :func:`cut`)."""
    return list(cut(texts, parts))


def cut(texts: Sequence[tuple[str, str]], parts: int) -> Iterator[list[Piece]]:
    """What :func:`split` returns, each run as soon as it is cut (workers start on the first
    while the rest are cut).

    The last runs are smaller (down to a quarter): the worker that ends first waits for the
    other's last run, so the smaller that run, the less both wait."""
    total = sum(len(text) for _, text in texts)
    full = max(total / parts, 1)
    remaining = total
    size = full
    chunk: list[Piece] = []
    filled = 0
    for file, text in texts:
        pos, line, index = 0, 1, 1
        splittable = _splittable(text)
        while True:
            if filled >= size and chunk:
                yield chunk
                remaining -= filled
                size = min(full, max(remaining / (_TAIL * WORKERS), full / 4))
                chunk = []
                filled = 0
            rest = len(text) - pos
            cut_at = None
            if splittable and rest > size - filled:
                cut_at = _next_marker(text, pos + max(round(size - filled), 1))
            if cut_at is None:
                chunk.append(Piece(file, text[pos:], line, index))
                filled += rest
                break
            chunk.append(Piece(file, text[pos:cut_at], line, index))
            filled += cut_at - pos
            line += text.count("\n", pos, cut_at)
            index = index + _markers(text, pos, cut_at) if pos else _first_index(text, cut_at)
            pos = cut_at
    yield chunk


def _load(pieces: Sequence[Piece], strict: bool, on_invalid: OnInvalid) -> _Loaded:
    gc.disable()  # as in load_cluster (the forked worker inherits it off already)
    counts: list[int] = []
    documents = 0

    def bodies() -> Iterator[tuple[Any, SourceLocation]]:
        nonlocal documents
        for piece in pieces:
            docs, count = read_piece(piece.text, path_label(piece.file), piece.line,
                                     piece.index)
            counts.append(count)
            documents += len(docs)
            for doc in docs:
                yield doc.body, doc.location

    partial = build_partial(bodies(), strict=strict, on_invalid=on_invalid)
    return _Loaded(partial, counts, documents)


def _consistent(pieces: Sequence[Piece], counts: Sequence[int]) -> bool:
    """Each piece's first document number follows the documents read before it in its file."""
    for prev, count, piece in zip(pieces, counts, pieces[1:], strict=False):
        if piece.file == prev.file and piece.line > 1 and piece.index != prev.index + count:
            return False
    return True


def load_parallel(paths: Sequence[str], strict: bool,
                  min_bytes: int = PARALLEL_MIN_BYTES,
                  on_invalid: OnInvalid = OnInvalid.REPORT,
                  ) -> tuple[tuple[Cluster, list[Problem]], int] | None:
    """``build_cluster(read_documents(paths))`` and the number of documents, loaded in two
    processes; None when the input is small, not only files, or anything fails."""
    files = input_files(paths)
    if files is None or any(f.lower().endswith(".json") for f in files):
        return None   # JSON goes through the JSON parser, in one process
    try:
        size = sum(os.path.getsize(f) for f in files)
        if size <= min_bytes:
            return None
        texts = [(f, _read_file(f)) for f in files]   # each bounded, as read_documents reads them
    except Exception:  # the single-process path reports it
        return None
    runs = cut(texts, CHUNKS)
    first = [chunk for _, chunk in zip(range(2), runs, strict=False)]
    if len(first) < 2:
        return None
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=context)
    chunks: list[list[Piece]] = []
    parts: list[_Loaded] = []

    def arriving(futures: Sequence[Future[_Loaded]]) -> Iterator[PartialCluster]:
        # In input order, each as soon as it is there: the merge of the first chunks runs
        # while the workers read the last ones.
        for future in futures:
            parts.append(future.result())
            yield parts[-1].partial

    try:
        futures: list[Future[_Loaded]] = []
        for chunk in itertools.chain(first, runs):   # the workers start on the first chunk
            chunks.append(chunk)
            futures.append(pool.submit(_load, chunk, strict, on_invalid))
        result = merge_partials(arriving(futures), strict=strict, on_invalid=on_invalid)
    except Exception:  # the single-process path reports it
        pool.shutdown(wait=False, cancel_futures=True)
        return None
    pool.shutdown()
    if not _consistent(
            [piece for chunk in chunks for piece in chunk],
            [count for part in parts for count in part.counts]):
        return None
    return result, sum(part.documents for part in parts)
