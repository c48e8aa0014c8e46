"""Input edge: read manifests from files, folders and stdin into a Cluster."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from dtnetpol.manifest import Problem, build_cluster
from dtnetpol.model.cluster import Cluster
from dtnetpol.sources.yaml_load import Document, read_documents, read_text

__all__ = ["Document", "load_cluster", "read_documents", "read_text"]


def load_cluster(paths: Sequence[str], stdin: TextIO | None = None,
                 strict: bool = True) -> tuple[Cluster, list[Problem]]:
    """Read ``paths`` (files, folders, ``-``) and build the cluster.

    Raises:
        InputError: unreadable input, YAML errors, objects without meaning, and (when
            ``strict``) a NetworkPolicy the API server would reject.
    """
    documents = read_documents(paths, stdin)
    return build_cluster(((d.body, d.location) for d in documents), strict=strict)
