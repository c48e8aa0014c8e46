"""Input edge: read manifests from files, folders and stdin into a Cluster."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import TextIO

from dtnetpol.manifest import OnInvalid, Problem, build_cluster
from dtnetpol.model.cluster import Cluster
from dtnetpol.sources.parallel import PARALLEL_MIN_BYTES, load_parallel
from dtnetpol.sources.yaml_load import Document, read_documents, read_text

__all__ = ["Document", "load_cluster", "read_documents", "read_text"]

# From this many documents on, the loaded objects are moved out of the cyclic garbage
# collector's reach (gc.freeze) once loading is done.
FREEZE_MIN_DOCUMENTS = 10_000


def load_cluster(paths: Sequence[str], stdin: TextIO | None = None,
                 strict: bool = True, *, parallel_min_bytes: int = PARALLEL_MIN_BYTES,
                 on_invalid: OnInvalid = OnInvalid.REPORT) -> tuple[Cluster, list[Problem]]:
    """Read ``paths`` (files, folders, ``-``) and build the cluster.

    Files of more than ``parallel_min_bytes`` in all are loaded in two processes
    (:mod:`dtnetpol.sources.parallel`), with the same result.

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
        loaded = load_parallel(paths, strict, parallel_min_bytes, on_invalid)
        if loaded is None:
            documents = read_documents(paths, stdin)
            result = build_cluster(((d.body, d.location) for d in documents), strict=strict,
                                   on_invalid=on_invalid)
            count = len(documents)
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
