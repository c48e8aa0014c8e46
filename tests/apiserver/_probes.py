"""The test API server with the writes ``dtnetpol probe`` makes, and a stand-in kubelet.

:class:`ProbeApiServer` serves POST and DELETE of pods and ConfigMaps in a namespace (as the
real server does: 201 with the stored object, 404 for what is not there, 409 for a name that
exists), deletes the pods a ConfigMap owns when it is deleted (the garbage collector), and
plays the kubelet: a probe pod's fate is decided by ``kubelet(pod)`` when it is created —
``"connected"``, ``"refused"``, ``"timeout"``, ``"dns"`` or ``"never"`` (the image is never
pulled) — and shows after the pod has been read once (Pending first, as on a real node).
Every created object is kept in :attr:`ProbeApiServer.created` for assertions.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tests.apiserver._resources import by_kind, by_path
from tests.apiserver._server import ApiServer, _HttpError
from tests.apiserver._store import Obj, dumps

Fate = str
_LOG = {
    "connected": (0, "{host} ({host}:{port}) open"),
    "refused": (1, "nc: {host} ({host}:{port}): Connection refused"),
    "timeout": (1, "nc: {host} ({host}:{port}): Connection timed out"),
    "dns": (1, "nc: bad address '{host}'"),
}


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ProbeApiServer(ApiServer):
    """An :class:`ApiServer` that creates and deletes pods and ConfigMaps."""

    def __init__(self, objects: Iterable[Obj] = (), *, installed: Iterable[str] = (),
                 kubelet: Callable[[Mapping[str, Any]], Fate] = lambda _pod: "connected"
                 ) -> None:
        super().__init__(objects, installed=installed)
        self.kubelet = kubelet
        self.created: list[Obj] = []
        self.deleted: list[tuple[str, str, str]] = []  # (kind, namespace, name)
        self._fates: dict[tuple[str, str], Fate] = {}
        self._reads: dict[tuple[str, str], int] = {}
        self._write_lock = threading.Lock()
        self._ephemeral_fates: dict[tuple[str, str, str], Fate] = {}

    # ------------------------------------------------------------------ reads advance pods
    def get(self, path: str, query: Mapping[str, str]) -> tuple[bytes, str]:
        parts = [p for p in path.split("/") if p]
        if len(parts) == 6 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "pods":
            self._advance(parts[3], parts[5])
        return super().get(path, query)

    def _advance(self, namespace: str, name: str) -> None:
        self._advance_ephemeral(namespace, name)
        key = (namespace, name)
        fate = self._fates.get(key)
        if fate is None:
            return
        with self._write_lock:
            self._reads[key] = self._reads.get(key, 0) + 1
            if self._reads[key] < 2:
                return
        pods = by_kind("v1", "Pod")
        pod = self.store.get(pods, namespace, name)
        if pod is None:
            return
        container = pod["spec"]["containers"][0]["name"]
        if fate == "never":
            pod["status"] = {"phase": "Pending", "containerStatuses": [{
                "name": container, "ready": False, "restartCount": 0, "image":
                pod["spec"]["containers"][0]["image"], "state": {"waiting": {
                    "reason": "ImagePullBackOff",
                    "message": "Back-off pulling image"}}}]}
        else:
            code, line = _LOG[fate]
            command = pod["spec"]["containers"][0]["command"]
            host, port = command[-2], command[-1]
            pod["status"] = {"phase": "Succeeded" if code == 0 else "Failed",
                             "containerStatuses": [{
                                 "name": container, "ready": False, "restartCount": 0,
                                 "state": {"terminated": {"exitCode": code,
                                                          "reason": "Completed" if code == 0
                                                          else "Error"}}}]}
            self.store.logs[(namespace, name, container)] = [
                (dt.datetime.now(dt.UTC), line.format(host=host, port=port))]
        self.store.add(pod)

    def _advance_ephemeral(self, namespace: str, name: str) -> None:
        pods = by_kind("v1", "Pod")
        pod = self.store.get(pods, namespace, name)
        if pod is None:
            return
        statuses = []
        for c in (pod.get("spec") or {}).get("ephemeralContainers") or []:
            fate = self._ephemeral_fates.get((namespace, name, c["name"]))
            if fate is None:
                continue
            if fate == "never":
                state: dict[str, Any] = {"waiting": {"reason": "ImagePullBackOff"}}
            else:
                code, line = _LOG[fate]
                state = {"terminated": {"exitCode": code,
                                        "reason": "Completed" if code == 0 else "Error"}}
                host, port = c["command"][-2], c["command"][-1]
                self.store.logs[(namespace, name, c["name"])] = [
                    (dt.datetime.now(dt.UTC), line.format(host=host, port=port))]
            statuses.append({"name": c["name"], "ready": False, "restartCount": 0,
                             "state": state})
        if statuses:
            pod.setdefault("status", {})["ephemeralContainerStatuses"] = statuses

    # ------------------------------------------------------------------ writes
    def write(self, method: str, path: str, query: Mapping[str, str], body: bytes
              ) -> tuple[bytes, str, int]:
        parts = [p for p in path.split("/") if p]
        if len(parts) < 5 or parts[:3] != ["api", "v1", "namespaces"]:
            return super().write(method, path, query, body)
        namespace, plural = parts[3], parts[4]
        resource = by_path("", "v1", plural)
        if resource is None or plural not in ("pods", "configmaps"):
            return super().write(method, path, query, body)
        if method == "POST" and len(parts) == 5:
            return self._create(resource.kind, namespace, body)
        if method == "DELETE" and len(parts) == 6:
            return self._delete(resource.kind, namespace, parts[5])
        if method == "PATCH" and len(parts) == 7 and plural == "pods" and \
                parts[6] == "ephemeralcontainers":
            return self._ephemeral(namespace, parts[5], body)
        return super().write(method, path, query, body)

    def _ephemeral(self, namespace: str, name: str, body: bytes) -> tuple[bytes, str, int]:
        """A strategic-merge patch of pods/ephemeralcontainers: the containers are added
        (by name) and their fate decided like a probe pod's."""
        pods = by_kind("v1", "Pod")
        pod = self.store.get(pods, namespace, name)
        if pod is None:
            raise _HttpError(404, "NotFound", f'pods "{name}" not found',
                             {"name": name, "kind": "pods"})
        patch = json.loads(body)
        added = (patch.get("spec") or {}).get("ephemeralContainers") or []
        spec = pod.setdefault("spec", {})
        existing = {c["name"] for c in spec.get("ephemeralContainers") or []}
        for c in added:
            if c["name"] in existing:
                raise _HttpError(422, "Invalid", f"ephemeral container {c['name']} exists "
                                 "and cannot be changed")
            spec.setdefault("ephemeralContainers", []).append(c)
            self.created.append({"kind": "EphemeralContainer", "pod": f"{namespace}/{name}",
                                 "container": copy.deepcopy(c)})
            fate = self.kubelet({"metadata": pod["metadata"], "spec": {"containers": [c]}})
            self._ephemeral_fates[(namespace, name, c["name"])] = fate
        self.store.add(pod)
        return dumps(pod), "application/json", 200

    def _log(self, namespace: str, name: str, query: Mapping[str, str]) -> bytes:
        container = query.get("container", "")
        if (namespace, name, container) in self._ephemeral_fates:
            lines = self.store.logs.get((namespace, name, container), [])
            return "".join(line + "\n" for _, line in lines).encode()
        return super()._log(namespace, name, query)

    def _create(self, kind: str, namespace: str, body: bytes) -> tuple[bytes, str, int]:
        try:
            obj = json.loads(body)
        except ValueError:
            raise _HttpError(400, "BadRequest", "the body is not JSON") from None
        if obj.get("kind") != kind:
            raise _HttpError(400, "BadRequest", f"expected kind {kind}")
        meta = obj.setdefault("metadata", {})
        meta["namespace"] = namespace
        resource = by_kind("v1", kind)
        if self.store.get(resource, namespace, meta.get("name", "")) is not None:
            raise _HttpError(409, "AlreadyExists",
                             f'{resource.plural} "{meta.get("name")}" already exists')
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = _now()
        self.created.append(copy.deepcopy(obj))
        if kind == "Pod":
            obj["status"] = {"phase": "Pending"}
            self._fates[(namespace, meta["name"])] = self.kubelet(obj)
        self.store.add(obj)
        return dumps(obj), "application/json", 201

    def _delete(self, kind: str, namespace: str, name: str) -> tuple[bytes, str, int]:
        resource = by_kind("v1", kind)
        obj = self.store.remove(resource, namespace, name)
        if obj is None:
            raise _HttpError(404, "NotFound", f'{resource.plural} "{name}" not found',
                             {"name": name, "kind": resource.plural})
        self.deleted.append((kind, namespace, name))
        if kind == "ConfigMap":  # the garbage collector: dependents go too
            uid = obj["metadata"]["uid"]
            pods = by_kind("v1", "Pod")
            for pod in list(self.store.objects(pods)):
                owners = pod["metadata"].get("ownerReferences") or []
                if any(o.get("uid") == uid for o in owners):
                    self.store.remove(pods, pod["metadata"]["namespace"],
                                      pod["metadata"]["name"])
                    self.deleted.append(("Pod(gc)", pod["metadata"]["namespace"],
                                         pod["metadata"]["name"]))
        return dumps({"kind": "Status", "apiVersion": "v1", "status": "Success",
                      "details": {"name": name, "kind": resource.plural}}), \
            "application/json", 200

    def live(self, kind: str) -> list[Obj]:
        """The objects of ``kind`` the server holds now."""
        return self.store.objects(by_kind("v1", kind))
