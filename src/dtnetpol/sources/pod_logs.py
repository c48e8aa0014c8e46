"""Container logs stored next to manifests: the layout ``diagnose`` reads offline.

``DIR/logs/NAMESPACE/POD/CONTAINER.log`` holds the last lines of a container's current log,
``CONTAINER.previous.log`` those of its last terminated instance (what ``kubectl logs
--previous`` shows). ``snapshot --with-logs`` writes this layout; anything else under
``logs/`` is ignored. Lines may start with the RFC 3339 time ``kubectl logs --timestamps``
adds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from dtnetpol.diagnose.observations import LogObs
from dtnetpol.sources.yaml_load import read_bytes

__all__ = ["LOGS_DIR", "log_name", "log_path", "read_logs"]

LOGS_DIR = "logs"
PREVIOUS = ".previous"


def log_name(namespace: str, pod: str, container: str, previous: bool) -> str:
    """Where one container's log goes in a snapshot folder (``/``-separated; the names come
    from the API server, so the writer checks them)."""
    return f"{LOGS_DIR}/{namespace}/{pod}/{container}{PREVIOUS if previous else ''}.log"


def log_path(root: Path, namespace: str, pod: str, container: str, previous: bool) -> Path:
    """Where one container's log goes under ``root``."""
    return root.joinpath(*log_name(namespace, pod, container, previous).split("/"))


def _tail(path: Path, lines: int) -> tuple[str, ...]:
    # Bounded, and a FIFO or device is refused, as for manifests.
    text = read_bytes(str(path)).decode("utf-8", errors="replace")
    all_lines = text.splitlines()
    return tuple(all_lines[-lines:] if lines > 0 else all_lines)


def _roots(paths: Iterable[str]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if p != "-" and path.is_dir():
            out.extend(d.parent for d in sorted(path.rglob(LOGS_DIR)) if d.is_dir())
    return list(dict.fromkeys(out))


def read_logs(paths: Sequence[str], lines: int = 200) -> list[LogObs]:
    """The last ``lines`` lines of every log stored under the directories among ``paths``."""
    out: list[LogObs] = []
    for root in _roots(paths):
        for f in sorted((root / LOGS_DIR).glob("*/*/*.log")):
            pod_dir = f.parent
            stem = f.name[:-len(".log")]
            previous = stem.endswith(PREVIOUS)
            container = stem[:-len(PREVIOUS)] if previous else stem
            out.append(LogObs(pod_dir.parent.name, pod_dir.name, container,
                              _tail(f, lines), previous))
    return out
