"""The objects the test server holds, with what listing needs: order, selectors, encoded items.

Objects are kept per resource in etcd's order (namespace, then name). Each item's JSON is
encoded once and kept, so a page of 500 pods is a join of ready-made bytes: the server has to
hand out 150,000 pods quickly for the live-read benchmark.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.apiserver._resources import RESOURCES, Resource, by_kind

try:  # orjson is several times faster at the sizes the benchmark serves; json is the fallback
    import orjson

    def dumps(value: Any) -> bytes:
        return orjson.dumps(value)
except ImportError:  # pragma: no cover - orjson is in the test environment
    def dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()

Obj = dict[str, Any]


class BadRequest(ValueError):
    """A selector the real API server would reject with 400 Bad Request."""


# --------------------------------------------------------------------------- label selectors
_SET_RE = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)\s*$")
_KEY_RE = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")

Requirement = Callable[[Mapping[str, str]], bool]


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses (``a in (x,y),b`` is two requirements)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def parse_label_selector(text: str) -> list[Requirement]:
    """The requirements of a ``labelSelector`` query (equality- and set-based)."""
    out: list[Requirement] = []
    for part in _split_top(text):
        m = _SET_RE.match(part)
        if m:
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",")}
            if op == "in":
                out.append(lambda labels, k=key, vs=values: labels.get(k) in vs)
            else:
                out.append(lambda labels, k=key, vs=values: labels.get(k) not in vs)
            continue
        m = _EQ_RE.match(part)
        if m:
            key, op, value = m.groups()
            if op == "!=":
                out.append(lambda labels, k=key, v=value: labels.get(k) != v)
            else:
                out.append(lambda labels, k=key, v=value: labels.get(k) == v)
            continue
        m = _KEY_RE.match(part)
        if m:
            neg, key = m.groups()
            if neg:
                out.append(lambda labels, k=key: k not in labels)
            else:
                out.append(lambda labels, k=key: k in labels)
            continue
        raise BadRequest(f"unable to parse requirement: {part.strip()!r}")
    return out


# --------------------------------------------------------------------------- field selectors
_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
#: The field labels the real API server supports per kind (beyond name and namespace).
FIELD_LABELS: Mapping[str, tuple[str, ...]] = {
    "Pod": ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
            "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
            "status.podIPs", "status.nominatedNodeName"),
    "Event": ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
              "involvedObject.uid", "involvedObject.apiVersion",
              "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
              "reportingComponent", "source", "type"),
    "Secret": ("type",),
    "Namespace": ("status.phase",),
    "Node": ("spec.unschedulable",),
    "ReplicaSet": ("status.replicas",),
    "Job": ("status.successful",),
}


def _field_value(obj: Mapping[str, Any], path: str) -> str:
    value: Any = obj
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
        if value is None:
            return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # status.podIPs: matches any of them
        return ",".join(str(v.get("ip", v)) if isinstance(v, Mapping) else str(v)
                        for v in value)
    return str(value)


def parse_field_selector(text: str, kind: str) -> list[Callable[[Mapping[str, Any]], bool]]:
    out: list[Callable[[Mapping[str, Any]], bool]] = []
    allowed = (*_COMMON_FIELDS, *FIELD_LABELS.get(kind, ()))
    for part in _split_top(text):
        m = _EQ_RE.match(part)
        if not m:
            raise BadRequest(f"invalid selector: {part.strip()!r}; can't understand it")
        path, op, value = m.groups()
        if path not in allowed:
            raise BadRequest(f'field label not supported: {path}')
        if op == "!=":
            out.append(lambda o, p=path, v=value: _field_value(o, p) != v)
        else:
            out.append(lambda o, p=path, v=value: _field_value(o, p) == v)
    return out


# --------------------------------------------------------------------------- the store
_UID_NAMESPACE = uuid.NAMESPACE_URL.bytes


def uid_of(kind: str, namespace: str, name: str) -> str:
    """A stable uid, so fixtures (and golden outputs) do not change from run to run.

    It is ``uuid5(NAMESPACE_URL, "dtnetpol-test/KIND/NS/NAME")``, computed without the UUID
    class (a third of the cost; bench L makes 300,000 of them).
    """
    raw = bytearray(hashlib.sha1(
        _UID_NAMESPACE + f"dtnetpol-test/{kind}/{namespace}/{name}".encode(),
        usedforsecurity=False).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


CREATED = "2026-11-02T09:14:07Z"


class Encoded:
    """Every item of a resource as one version serves it: the items' JSON, each followed by
    a comma, in one buffer, and where each starts.

    One buffer instead of an object per item: at 150,000 pods the per-item bytes cost four
    times their size in allocator overhead (about 1.4 GB instead of 0.4), and a page of
    consecutive items is one slice of the buffer, not a join of 500 objects.
    """

    __slots__ = ("blob", "offsets")

    def __init__(self, items: Iterable[bytes]) -> None:
        self.blob = bytearray()
        self.offsets = [0]
        for item in items:
            self.blob += item
            self.blob += b","
            self.offsets.append(len(self.blob))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def item(self, i: int) -> bytes:
        return bytes(self.blob[self.offsets[i]:self.offsets[i + 1] - 1])

    def run(self, start: int, end: int) -> memoryview:
        """Items ``start`` to ``end`` (exclusive), comma-separated, without a copy."""
        if start >= end:
            return memoryview(b"")
        return memoryview(self.blob)[self.offsets[start]:self.offsets[end] - 1]


@dataclass(frozen=True)
class Selection:
    """The items a list returns before paging: a run of consecutive items, or some of them."""

    encoded: Encoded
    start: int
    end: int
    picked: tuple[int, ...] | None = None  # indexes into encoded, when selectors filtered

    def __len__(self) -> int:
        return len(self.picked) if self.picked is not None else self.end - self.start

    def page(self, first: int, last: int) -> bytes | memoryview:
        """Items ``first`` to ``last`` of the selection, comma-separated (a JSON array's
        inside)."""
        if self.picked is None:
            return self.encoded.run(self.start + first, self.start + last)
        return b",".join(self.encoded.run(i, i + 1) for i in self.picked[first:last])

    def items(self) -> list[bytes]:
        return [bytes(self.page(i, i + 1)) for i in range(len(self))]


@dataclass
class _Bucket:
    resource: Resource
    objects: dict[tuple[str, str], Obj] = field(default_factory=dict)
    _order: list[tuple[str, str]] | None = None
    _encoded: dict[str, Encoded] = field(default_factory=dict)  # version -> items' JSON
    _by_namespace: dict[str, tuple[int, int]] | None = None
    #: (namespace, labelSelector, fieldSelector) -> the indexes they pick: the pages of one
    #: list (bench L: 300 pages of running pods) filter the 150,000 objects once, not per page
    _picked: dict[tuple[str | None, str, str], tuple[int, ...]] = field(default_factory=dict)

    def invalidate(self) -> None:
        self._order = None
        self._encoded.clear()
        self._by_namespace = None
        self._picked.clear()

    def order(self) -> list[tuple[str, str]]:
        if self._order is None:
            self._order = sorted(self.objects)
        return self._order

    def encoded(self, version: str) -> Encoded:
        """Every item's JSON as this version serves it, in order."""
        found = self._encoded.get(version)
        if found is None:
            r = self.resource
            group_version = r.group_version(version)

            def items() -> Iterator[bytes]:
                for key in self.order():
                    obj = self.objects[key]
                    if r.builtin:
                        obj = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
                    elif obj.get("apiVersion") != group_version:
                        obj = {**obj, "apiVersion": group_version}
                    yield dumps(obj)

            with no_gc():
                found = Encoded(items())
            self._encoded[version] = found
        return found

    def namespace_range(self, namespace: str) -> tuple[int, int]:
        """Where a namespace's objects sit in :meth:`order` (they are contiguous)."""
        if self._by_namespace is None:
            ranges: dict[str, tuple[int, int]] = {}
            for i, (ns, _name) in enumerate(self.order()):
                start, _end = ranges.get(ns, (i, i))
                ranges[ns] = (start, i + 1)
            self._by_namespace = ranges
        return self._by_namespace.get(namespace, (0, 0))


class Store:
    """Objects by resource; every change bumps the cluster's resourceVersion."""

    def __init__(self, objects: Iterable[Obj] = (), *, installed: Iterable[str] = ()) -> None:
        self.lock = threading.RLock()
        self.buckets: dict[tuple[str, str], _Bucket] = {
            (r.group, r.plural): _Bucket(r) for r in RESOURCES}
        #: custom resource groups whose CRDs are installed (served and listed by discovery)
        self.installed: set[str] = set(installed)
        self.resource_version = 1000
        #: (namespace, pod, container) -> [(time, line)]: what pods/P/log serves
        self.logs: dict[tuple[str, str, str], list[tuple[dt.datetime, str]]] = {}
        with no_gc():
            for obj in objects:
                self.add(obj)

    def serves(self, resource: Resource) -> bool:
        return resource.builtin or resource.group in self.installed

    def bucket(self, resource: Resource) -> _Bucket:
        return self.buckets[(resource.group, resource.plural)]

    def add(self, obj: Obj) -> Obj:
        """Store an object (replacing one of the same name), filling in what the server sets:
        uid, resourceVersion, creationTimestamp, and the group of a custom resource."""
        resource = by_kind(obj["apiVersion"], obj["kind"])
        meta = obj.setdefault("metadata", {})
        namespace = meta.get("namespace", "default") if resource.namespaced else ""
        if resource.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        with self.lock:
            self.resource_version += 1
            meta.setdefault("uid", uid_of(obj["kind"], namespace, meta["name"]))
            meta["resourceVersion"] = str(self.resource_version)
            meta.setdefault("creationTimestamp", CREATED)
            if not resource.builtin:
                self.installed.add(resource.group)
            bucket = self.bucket(resource)
            bucket.objects[(namespace, meta["name"])] = obj
            bucket.invalidate()
        return obj

    def remove(self, resource: Resource, namespace: str, name: str) -> Obj | None:
        with self.lock:
            bucket = self.bucket(resource)
            obj = bucket.objects.pop((namespace if resource.namespaced else "", name), None)
            if obj is not None:
                self.resource_version += 1
                bucket.invalidate()
            return obj

    def get(self, resource: Resource, namespace: str, name: str) -> Obj | None:
        return self.bucket(resource).objects.get((namespace if resource.namespaced else "",
                                                  name))

    def objects(self, resource: Resource) -> list[Obj]:
        bucket = self.bucket(resource)
        with self.lock:
            return [bucket.objects[k] for k in bucket.order()]

    def select(self, resource: Resource, version: str, namespace: str | None,
               label_selector: str, field_selector: str) -> Selection:
        """The encoded items a list returns, before paging.

        Raises:
            BadRequest: a selector the API server would reject.
        """
        labels = parse_label_selector(label_selector) if label_selector else []
        fields = parse_field_selector(field_selector, resource.kind) if field_selector else []
        with self.lock:
            bucket = self.bucket(resource)
            encoded = bucket.encoded(version)
            order = bucket.order()
            start, end = (0, len(order)) if namespace is None else \
                bucket.namespace_range(namespace)
            if not labels and not fields:
                return Selection(encoded, start, end)
            key = (namespace, label_selector, field_selector)
            picked = bucket._picked.get(key)
            if picked is None:
                found = []
                for i in range(start, end):
                    obj = bucket.objects[order[i]]
                    obj_labels = obj.get("metadata", {}).get("labels") or {}
                    if all(r(obj_labels) for r in labels) and all(f(obj) for f in fields):
                        found.append(i)
                picked = bucket._picked[key] = tuple(found)
            return Selection(encoded, start, end, picked)


def pod_template_hash(text: str) -> str:
    """A ReplicaSet name suffix as the Deployment controller makes it (10 safe characters)."""
    return safe_suffix(text, 10)


_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet of Kubernetes' generated names
#: byte -> its letter of _SAFE (byte mod 27), for bytes.translate
_SAFE_TABLE = bytes(ord(_SAFE[b % len(_SAFE)]) for b in range(256))


def safe_suffix(text: str, length: int = 5) -> str:
    """A generated-name suffix (``frontend-7d9c5f6b8d-x2k4p``), stable for the same text."""
    return hashlib.sha256(text.encode()).digest()[:length].translate(_SAFE_TABLE).decode()


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic garbage collector off while a big fixture is built: the objects are trees
    (no cycles to find), and at 200,000 objects the collector's full passes over the growing
    heap cost more than building them."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
