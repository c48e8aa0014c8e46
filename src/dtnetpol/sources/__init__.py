"""Input edge: read manifests from files, folders and stdin into a Cluster."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO, TypeVar

from dtnetpol.errors import InputError, InputErrors, raise_all
from dtnetpol.manifest import OnInvalid, Problem, build_cluster
from dtnetpol.model.cluster import Cluster
from dtnetpol.model.location import SourceLocation
from dtnetpol.sources.yaml_load import Document, iter_documents, read_documents, read_text

__all__ = ["Document", "iter_documents", "load_cluster", "read_documents", "read_text",
           "with_file_errors"]

T = TypeVar("T")

#: Off unless asked for: the two-process loader (sources/parallel.py) cost 16-26 % more CPU
#: than one process on the L input (9.22 vs 7.34 s, 11.93 vs 10.25 s, workers included) and
#: 35 % more memory, for a wall time that was 10 % worse in one pair and 32 % better in the
#: other on this shared 2-core machine: it wins only on an idle machine.
PARALLEL_OFF = 1 << 62

# From this many documents on, the loaded objects are moved out of the cyclic garbage
# collector's reach (gc.freeze) once loading is done.
FREEZE_MIN_DOCUMENTS = 10_000


def with_file_errors(build: Callable[[], T], file_errors: list[InputError] | None) -> T:
    """``build()``, whose documents were read collecting each file's error in
    ``file_errors``: those errors and the build's, raised together (sorted by file and line).
    """
    try:
        result = build()
    except InputError as e:
        raise_all([*(file_errors or ()), *(e.errors if isinstance(e, InputErrors) else [e])])
        raise
    raise_all(list(file_errors or ()))
    return result


def load_cluster(paths: Sequence[str], stdin: TextIO | None = None,
                 strict: bool = True, *, parallel_min_bytes: int = PARALLEL_OFF,
                 on_invalid: OnInvalid = OnInvalid.REPORT) -> tuple[Cluster, list[Problem]]:
    """Read ``paths`` (files, folders, ``-``) and build the cluster.

    Files of more than ``parallel_min_bytes`` in all are loaded in two processes
    (:mod:`dtnetpol.sources.parallel`), with the same result; by default never
    (``PARALLEL_OFF``): it costs more CPU than it saves wall time on a busy machine.

    ``on_invalid``: see :func:`dtnetpol.manifest.build_cluster`.

    Raises:
        InputError: unreadable input, YAML errors, objects without meaning, and (when
            ``strict``) a NetworkPolicy the API server would reject; all of them at once
            (``InputErrors``) under ``OnInvalid.REPORT``.
    """
    # Loading allocates millions of small, acyclic objects (parser nodes, mappings, model
    # objects); with the cyclic collector on, its full collections walk the growing heap
    # again and again (a third of the load time at size L). Reference counting still frees
    # everything; a cycle left behind is collected once the collector is back on.
    enabled = gc.isenabled()
    gc.disable()
    try:
        loaded = None
        if parallel_min_bytes < PARALLEL_OFF:
            # imported only then: multiprocessing and concurrent.futures cost check on a
            # small input a tenth of its time
            from dtnetpol.sources.parallel import load_parallel
            loaded = load_parallel(paths, strict, parallel_min_bytes, on_invalid)
        if loaded is None:
            result, count = _load_single(paths, stdin, strict, on_invalid)
        else:
            result, count = loaded
    finally:
        if enabled:
            gc.enable()
    if count >= FREEZE_MIN_DOCUMENTS:
        # A large cluster lives until the process ends: keep later collections (during the
        # analysis) from walking it each time.
        gc.freeze()
    return result


def _load_single(paths: Sequence[str], stdin: TextIO | None, strict: bool,
                 on_invalid: OnInvalid) -> tuple[tuple[Cluster, list[Problem]], int]:
    """One document at a time: parsed, built, let go (all parsed bodies at once took 16 times
    the input in memory). Workloads and namespaces in JSON (and in YAML, through the
    compiled parser) are read without line marks: when anything is to be reported (an
    error, a problem, a warning) and any were read that way, the input is read again with
    every mark (JSON through the JSON parser and a scan of its text, YAML through PyYAML),
    so every message carries its line."""
    used_json = [False]
    counted = [0]

    def attempt(fast: bool) -> tuple[Cluster, list[Problem]]:
        # Unless stopping at the first, a file that cannot be read or parsed does not stop
        # the others: its error joins the objects' errors, all raised together.
        file_errors: list[InputError] | None = None if on_invalid is OnInvalid.STOP else []

        def bodies() -> Iterator[tuple[Any, SourceLocation]]:
            for d in iter_documents(paths, stdin, fast_json=fast, lined_json=True,
                                    errors=file_errors):
                counted[0] += 1
                if fast and type(d.body) in (dict, list):   # YAML makes MarkedMap, MarkedList
                    used_json[0] = True
                yield d.body, d.location

        return with_file_errors(
            lambda: build_cluster(bodies(), strict=strict, on_invalid=on_invalid), file_errors)

    # Standard input cannot be read twice: it is read with every mark at once.
    fast = "-" not in paths
    try:
        result = attempt(fast)
        if not used_json[0] or not (result[1] or result[0].warnings):
            return result, counted[0]
    except InputError:
        if not used_json[0]:
            raise
    counted[0] = 0
    return attempt(False), counted[0]
