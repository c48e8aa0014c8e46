"""What ``diagnose`` reads from a cluster or a snapshot, as plain frozen records.

The edges (a snapshot directory, the live API) hand over object bodies as mappings and log
lines as text; :func:`observe` turns the bodies into these records. Nothing here reads a file
or talks to a cluster. Secrets are never among the inputs: no record has room for one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "ConditionObs",
    "ContainerObs",
    "EventObs",
    "EvidenceKind",
    "LogObs",
    "Observations",
    "PodObs",
    "log_line",
    "observe",
]


class EvidenceKind(StrEnum):
    LOG = "log"
    EVENT = "event"
    POD = "pod"
    CONDITION = "condition"


@dataclass(frozen=True)
class ContainerObs:
    """One container's state: restarts, why it waits or why it ended."""

    name: str
    init: bool = False
    restarts: int = 0
    ready: bool = True
    waiting: str | None = None
    terminated: str | None = None
    exit_code: int | None = None
    last_exit_code: int | None = None


@dataclass(frozen=True)
class PodObs:
    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    annotations: Mapping[str, str] = field(default_factory=dict, hash=False)
    init_containers: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()
    created: str | None = None
    phase: str | None = None
    states: tuple[ContainerObs, ...] = ()
    ips: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class EventObs:
    """A core/v1 or events.k8s.io/v1 Event about one object."""

    namespace: str
    object_kind: str
    object_name: str
    reason: str
    message: str
    type: str = "Normal"
    time: str | None = None
    count: int = 1

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.object_name}"


@dataclass(frozen=True)
class ConditionObs:
    """A DynaKube/EdgeConnect status condition, or its ``status.phase`` (type ``phase``)."""

    kind: str
    namespace: str
    name: str
    type: str
    status: str = ""
    reason: str = ""
    message: str = ""
    time: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def text(self) -> str:
        """The condition as the symptom catalogue writes it."""
        if self.type == "phase":
            return f"status.phase: {self.status}"
        return f"condition {self.type}, reason {self.reason}, message {self.message}"


@dataclass(frozen=True)
class LogObs:
    """The last lines of one container's log (``previous``: of its last instance)."""

    namespace: str
    pod: str
    container: str
    lines: tuple[str, ...]
    previous: bool = False

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.pod}"


@dataclass(frozen=True)
class Observations:
    """Everything read, plus the creation times of the DynaKubes (``ns/name`` → time)."""

    pods: tuple[PodObs, ...] = ()
    events: tuple[EventObs, ...] = ()
    conditions: tuple[ConditionObs, ...] = ()
    logs: tuple[LogObs, ...] = ()
    dynakube_created: Mapping[str, str] = field(default_factory=dict, hash=False)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in _map(value).items()}


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _container_state(status: Mapping[str, Any], init: bool) -> ContainerObs:
    state = _map(status.get("state"))
    waiting = _map(state.get("waiting"))
    term = _map(state.get("terminated"))
    last = _map(_map(status.get("lastState")).get("terminated"))
    return ContainerObs(
        name=str(status.get("name", "")), init=init, restarts=_int(status.get("restartCount")),
        ready=bool(status.get("ready", False)), waiting=_str(waiting.get("reason")),
        terminated=_str(term.get("reason")) if term else None,
        exit_code=_int(term.get("exitCode")) if term else None,
        last_exit_code=_int(last.get("exitCode")) if last else None)


def _pod(body: Mapping[str, Any]) -> PodObs:
    meta = _map(body.get("metadata"))
    spec = _map(body.get("spec"))
    status = _map(body.get("status"))
    states = tuple(_container_state(_map(s), True)
                   for s in _list(status.get("initContainerStatuses"))) + tuple(
        _container_state(_map(s), False) for s in _list(status.get("containerStatuses")))
    ips = tuple(str(_map(i).get("ip")) for i in _list(status.get("podIPs"))
                if _map(i).get("ip")) or ((str(status["podIP"]),) if status.get("podIP") else ())
    return PodObs(
        namespace=str(meta.get("namespace") or "default"), name=str(meta.get("name", "")),
        labels=_strings(meta.get("labels")), annotations=_strings(meta.get("annotations")),
        init_containers=tuple(str(_map(c).get("name", "")) for c in
                              _list(spec.get("initContainers"))),
        containers=tuple(str(_map(c).get("name", "")) for c in _list(spec.get("containers"))),
        created=_str(meta.get("creationTimestamp")), phase=_str(status.get("phase")),
        states=states, ips=ips)


def _event(body: Mapping[str, Any]) -> EventObs:
    meta = _map(body.get("metadata"))
    involved = _map(body.get("involvedObject")) or _map(body.get("regarding"))
    time = (body.get("lastTimestamp") or body.get("eventTime") or body.get("firstTimestamp")
            or _map(body.get("series")).get("lastObservedTime") or meta.get("creationTimestamp"))
    count = _int(body.get("count"), 0) or _int(_map(body.get("series")).get("count"), 1)
    return EventObs(
        namespace=str(involved.get("namespace") or meta.get("namespace") or "default"),
        object_kind=str(involved.get("kind", "")), object_name=str(involved.get("name", "")),
        reason=str(body.get("reason", "")),
        message=str(body.get("message") or body.get("note") or ""),
        type=str(body.get("type", "Normal")), time=_str(time), count=count)


def _conditions(body: Mapping[str, Any], kind: str) -> list[ConditionObs]:
    meta = _map(body.get("metadata"))
    ns, name = str(meta.get("namespace") or "default"), str(meta.get("name", ""))
    status = _map(body.get("status"))
    out = [ConditionObs(kind, ns, name, str(c.get("type", "")), str(c.get("status", "")),
                        str(c.get("reason", "")), str(c.get("message", "")),
                        _str(c.get("lastTransitionTime")))
           for c in map(_map, _list(status.get("conditions")))]
    if status.get("phase"):
        out.append(ConditionObs(kind, ns, name, "phase", str(status["phase"]),
                                time=_str(status.get("updatedTimestamp")
                                          or status.get("lastTransitionTime"))))
    return out


def _flat(bodies: Iterable[Any]) -> Iterable[Mapping[str, Any]]:
    """The objects, with the items of ``kind: List`` documents (kubectl, snapshots)."""
    for body in bodies:
        if not isinstance(body, Mapping):
            continue
        if body.get("kind") == "List" or (str(body.get("kind", "")).endswith("List") and \
                isinstance(body.get("items"), list)):
            kind = str(body.get("kind", ""))
            item_kind = kind[:-len("List")] if kind != "List" else None
            for item in body.get("items") or []:
                if isinstance(item, Mapping) and item_kind and "kind" not in item:
                    item = {**item, "kind": item_kind}
                yield from _flat([item])
            continue
        yield body


def observe(bodies: Iterable[Any], logs: Iterable[LogObs] = ()) -> Observations:
    """Records of the Pods, Events, DynaKubes and EdgeConnects among ``bodies`` (other kinds,
    and anything that is not a mapping, are ignored); ``logs`` are passed through."""
    pods: list[PodObs] = []
    events: list[EventObs] = []
    conditions: list[ConditionObs] = []
    created: dict[str, str] = {}
    for body in _flat(bodies):
        kind = body.get("kind")
        if kind == "Pod":
            pods.append(_pod(body))
        elif kind == "Event":
            events.append(_event(body))
        elif kind in ("DynaKube", "EdgeConnect"):
            conditions.extend(_conditions(body, str(kind)))
            meta = _map(body.get("metadata"))
            if kind == "DynaKube" and meta.get("creationTimestamp"):
                created[f"{meta.get('namespace') or 'default'}/{meta.get('name')}"] = \
                    str(meta["creationTimestamp"])
    return Observations(tuple(pods), tuple(events), tuple(conditions), tuple(logs), created)


_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))\s")
_JSON_TEXT_KEYS = ("msg", "message", "error", "err", "reason")
_JSON_TIME_KEYS = ("ts", "time", "timestamp", "@timestamp")


def log_line(raw: str) -> tuple[str, str | None]:
    """A log line as text to match, and its time if it carries one.

    ``kubectl logs --timestamps`` prefixes an RFC 3339 time; the operator, webhook and CSI
    driver write JSON lines whose message and error fields are joined here (in the raw JSON
    their quotes are escaped, which would hide the catalogue's quoted strings).
    """
    line = raw.rstrip("\r\n")
    time: str | None = None
    m = _TIMESTAMP.match(line)
    if m:
        time, line = m.group(1), line[m.end():]
    stripped = line.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict):
            parts = [str(data[k]) for k in _JSON_TEXT_KEYS if isinstance(data.get(k), str)]
            if parts:
                line = ": ".join(parts)
            if time is None:
                t = next((data[k] for k in _JSON_TIME_KEYS if k in data), None)
                time = str(t) if t is not None else None
    return line.strip(), time
