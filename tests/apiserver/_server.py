"""A local HTTPS server that answers like the Kubernetes API server, for tests and benchmarks.

What it speaks, as the real server does: discovery (``/version``, ``/api``, ``/api/v1``,
``/apis``, ``/apis/G``, ``/apis/G/V``), get and list of every resource in
:mod:`tests.apiserver._resources` (cluster-wide and per namespace, ``labelSelector``,
``fieldSelector``, ``limit``/``continue`` with ``remainingItemCount``), list items of built-in
kinds without ``kind``/``apiVersion``, Status bodies for 400/401/403/404/405/410/429/5xx, bearer
tokens, and pod logs (``container``, ``tailLines``, ``sinceSeconds``, ``timestamps``).

What tests add: a log of every request (:attr:`ApiServer.requests`) and faults
(:attr:`ApiServer.faults`): 403 on a resource, 410 Gone in the middle of a list, 429/5xx before
success, a dropped connection, a slow answer.

Writes are answered 405 by default. To serve them (probes that create pods), subclass
:class:`ApiServer` and override :meth:`ApiServer.write`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.apiserver._resources import RESOURCES, Resource, by_path
from tests.apiserver._store import BadRequest, Obj, Store, dumps
from tests.apiserver._tls import Certificate, self_signed

TOKEN = "dtnetpol-test-token"
USER = "system:serviceaccount:dtnetpol:reader"

#: /version as a 1.33 server returns it: every field client-go's version.Info has.
VERSION_INFO: Mapping[str, str] = {
    "major": "1",
    "minor": "33",
    "emulationMajor": "1",
    "emulationMinor": "33",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "32",
    "gitVersion": "v1.33.1",
    "gitCommit": "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828",
    "gitTreeState": "clean",
    "buildDate": "2025-05-15T08:19:08Z",
    "goVersion": "go1.24.2",
    "compiler": "gc",
    "platform": "linux/amd64",
}

EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list.")


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    query: Mapping[str, str]
    status: int
    user_agent: str = ""


@dataclass
class _Fault:
    resource: str  # plural, or group/plural
    kind: str  # forbid | expire | fail | drop | delay | garble
    statuses: list[int] = field(default_factory=list)
    after_pages: int = 0
    times: int = 1
    retry_after: int = 0
    seconds: float = 0.0
    namespace: str | None = None
    pages: int = 0
    body: bytes = b""

    def matches(self, r: Resource, namespace: str | None) -> bool:
        name = self.resource
        hit = name == r.plural or name == f"{r.group}/{r.plural}"
        return hit and (self.namespace is None or self.namespace == namespace)


class Faults:
    """What goes wrong, per resource (``"nodes"`` or ``"apps/deployments"``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[_Fault] = []

    def forbid(self, resource: str, namespace: str | None = None) -> None:
        """Every request on the resource (in that namespace, or anywhere) gets 403."""
        with self.lock:
            self.items.append(_Fault(resource, "forbid", namespace=namespace, times=-1))

    def expire(self, resource: str, after_pages: int = 1, times: int = 1) -> None:
        """The continue request for page ``after_pages + 1`` of a list gets 410 Gone."""
        with self.lock:
            self.items.append(_Fault(resource, "expire", after_pages=after_pages, times=times))

    def fail(self, resource: str, statuses: Iterable[int], retry_after: int = 0) -> None:
        """The next requests on the resource get these statuses (429, 500, 503...), in order."""
        with self.lock:
            self.items.append(_Fault(resource, "fail", statuses=list(statuses),
                                     retry_after=retry_after, times=-1))

    def drop(self, resource: str, times: int = 1) -> None:
        """The next ``times`` requests on the resource are cut off without an answer."""
        with self.lock:
            self.items.append(_Fault(resource, "drop", times=times))

    def garble(self, resource: str, body: bytes, times: int = 1) -> None:
        """The next ``times`` requests on the resource get 200 with ``body`` (a proxy's error
        page, a cut answer) in place of the JSON asked for."""
        with self.lock:
            self.items.append(_Fault(resource, "garble", times=times, body=body))

    def delay(self, resource: str, seconds: float, times: int = 1) -> None:
        """The next ``times`` requests on the resource are answered after ``seconds``."""
        with self.lock:
            self.items.append(_Fault(resource, "delay", seconds=seconds, times=times))

    def clear(self) -> None:
        with self.lock:
            self.items.clear()

    def take(self, r: Resource, namespace: str | None, continuing: bool) -> _Fault | None:
        """The fault that applies to this request, used up by it."""
        with self.lock:
            for f in self.items:
                if not f.matches(r, namespace) or f.times == 0:
                    continue
                if f.kind == "forbid":
                    return f
                if f.kind == "fail":
                    if not f.statuses:
                        continue
                    return _Fault(f.resource, "fail", statuses=[f.statuses.pop(0)],
                                  retry_after=f.retry_after)
                if f.kind == "expire":
                    if not continuing:
                        f.pages = 0
                        continue
                    f.pages += 1
                    if f.pages < f.after_pages:
                        continue
                    f.times -= 1
                    f.pages = 0
                    return f
                f.times -= 1
                return f
        return None


def status_body(code: int, reason: str, message: str, details: Mapping[str, Any] | None = None
                ) -> bytes:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Failure", "message": message, "reason": reason,
                            "code": code}
    if details:
        body["details"] = dict(details)
    return dumps(body)


class _HttpError(Exception):
    def __init__(self, code: int, reason: str, message: str,
                 details: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details = details
        self.headers = dict(headers or {})


_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
            405: "MethodNotAllowed", 410: "Expired", 429: "TooManyRequests",
            500: "InternalError", 502: "BadGateway", 503: "ServiceUnavailable",
            504: "Timeout"}


def _continue_token(start: int, rv: int, signature: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start, "sig": signature})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _read_token(token: str, signature: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        start = int(data["start"])
    except (ValueError, KeyError, TypeError) as e:
        raise _HttpError(400, "BadRequest", f"continue key is not valid: {e}") from None
    if data.get("sig") != signature:
        raise _HttpError(400, "BadRequest", "continue key is not valid: the list parameters "
                         "differ from those of the first request")
    return start


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # every method goes through one place, so the request log sees writes too
    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        api = self.server.api
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status = 200
        try:
            if url.path not in ("/version", "/healthz", "/livez", "/readyz"):
                # the scheme is case-insensitive, as on the real server: the client's
                # in-cluster loader sends "bearer <token>"
                scheme, _, value = self.headers.get("Authorization", "").partition(" ")
                if scheme.lower() != "bearer" or value.strip() != api.token:
                    raise _HttpError(401, "Unauthorized", "Unauthorized")
            if method == "GET":
                payload, content_type = api.get(url.path, query)
            else:
                payload, content_type, status = api.write(method, url.path, query, body)
        except _Garbled as e:
            payload, content_type = e.body, "application/json"
        except _Dropped:
            api.record(Request(method, url.path, query, 0, self.headers.get("User-Agent", "")))
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        except _HttpError as e:
            status = e.code
            details = e.details
            # recorded before the answer goes out: a client that stops at this answer may
            # have the test read the log at once (recorded after, a 401 was missed under load)
            api.record(Request(method, url.path, query, status,
                               self.headers.get("User-Agent", "")))
            self._send(e.code, status_body(e.code, e.reason, e.message, details),
                       "application/json", e.headers)
            return
        api.record(Request(method, url.path, query, status, self.headers.get("User-Agent", "")))
        self._send(status, payload, content_type)

    def _send(self, code: int, payload: bytes, content_type: str,
              headers: Mapping[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        # headers and body in one write: two small TLS writes would wait on delayed ACKs
        self._headers_buffer.append(b"\r\n")
        self.wfile.write(b"".join(self._headers_buffer) + payload)
        self._headers_buffer = []


class _Dropped(Exception):
    pass


class _Garbled(Exception):
    def __init__(self, body: bytes) -> None:
        super().__init__("garbled")
        self.body = body


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, api: ApiServer, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api
        self.context = context

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # the TLS handshake runs in the request's thread, on its first read
        return self.context.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False), addr


class ApiServer:
    """The server; use as a context manager (``with ApiServer(objects) as server:``).

    Args:
        objects: Kubernetes objects (with kind and apiVersion) to serve.
        installed: custom resource groups to serve even with no objects of theirs (an
            installed CRD with no custom resources); a group with objects is always served.
        token: the bearer token requests must carry.
    """

    def __init__(self, objects: Iterable[Obj] = (), *, installed: Iterable[str] = (),
                 token: str = TOKEN) -> None:
        self.store = Store(objects, installed=installed)
        self.token = token
        self.faults = Faults()
        self.requests: list[Request] = []
        self._log_lock = threading.Lock()
        self._server: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.cert: Certificate | None = None
        self.page_sizes: list[int] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> ApiServer:
        self.cert = self_signed()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert.cert_file, self.cert.key_file)
        self._server = _HttpServer(self, context)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name="test-apiserver")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not started"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def kubeconfig(self, path: Path | str, *, context: str = "test-cluster",
                   namespace: str = "default", token: str | None = None) -> Path:
        """Write a kubeconfig (JSON, which kubectl and client libraries read as YAML) whose
        current context points at this server with the bearer token."""
        assert self.cert is not None, "the server is not started"
        config = {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": context, "cluster": {
                "server": self.url,
                "certificate-authority-data": base64.b64encode(self.cert.pem).decode()}}],
            "users": [{"name": f"{context}-reader", "user": {"token": token or self.token}}],
            "contexts": [{"name": context, "context": {
                "cluster": context, "user": f"{context}-reader", "namespace": namespace}}],
            "current-context": context,
        }
        out = Path(path)
        out.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return out

    # ------------------------------------------------------------------ request log
    def record(self, request: Request) -> None:
        with self._log_lock:
            self.requests.append(request)

    def clear_requests(self) -> None:
        with self._log_lock:
            self.requests.clear()

    # ------------------------------------------------------------------ routing
    def get(self, path: str, query: Mapping[str, str]) -> tuple[bytes, str]:
        parts = [p for p in path.split("/") if p]
        path = "/" + "/".join(parts)  # /version/ is /version, as on the real server
        if path == "/version":
            return dumps(dict(VERSION_INFO)), "application/json"
        if path in ("/healthz", "/livez", "/readyz"):
            return b"ok", "text/plain; charset=utf-8"
        if parts == ["api"]:
            return dumps({"kind": "APIVersions", "versions": ["v1"],
                          "serverAddressByClientCIDRs": [
                              {"clientCIDR": "0.0.0.0/0",
                               "serverAddress": self.url.removeprefix("https://")}]}), \
                "application/json"
        if parts == ["apis"]:
            return dumps(self._group_list()), "application/json"
        if len(parts) >= 2 and parts[0] == "api" and parts[1] == "v1":
            return self._resource_path("", "v1", parts[2:], query)
        if len(parts) == 2 and parts[0] == "apis":
            group = self._group(parts[1])
            if group is None:
                raise self._not_found()
            return dumps({"kind": "APIGroup", "apiVersion": "v1", **group}), "application/json"
        if len(parts) >= 3 and parts[0] == "apis":
            return self._resource_path(parts[1], parts[2], parts[3:], query)
        raise self._not_found()

    def write(self, method: str, path: str, query: Mapping[str, str], body: bytes
              ) -> tuple[bytes, str, int]:
        """Answer a non-GET request: (body, content type, status). The base server is
        read-only; a probe-writing test server overrides this."""
        raise _HttpError(405, "MethodNotAllowed",
                         f"the server does not allow this method on the requested resource "
                         f"({method} {path})")

    @staticmethod
    def _not_found() -> _HttpError:
        return _HttpError(404, "NotFound", "the server could not find the requested resource")

    def _served(self) -> list[Resource]:
        return [r for r in RESOURCES if self.store.serves(r)]

    def _group(self, name: str) -> dict[str, Any] | None:
        versions: list[str] = []
        for r in self._served():
            if r.group == name:
                versions += [v for v in r.versions if v not in versions]
        if not versions:
            return None
        entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        return {"name": name, "versions": entries, "preferredVersion": entries[0]}

    def _group_list(self) -> dict[str, Any]:
        names: list[str] = []
        for r in self._served():
            if r.group and r.group not in names:
                names.append(r.group)
        groups = [self._group(n) for n in names]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def _resource_list(self, group: str, version: str) -> dict[str, Any]:
        resources = []
        for r in self._served():
            if r.group != group or version not in r.versions:
                continue
            entry: dict[str, Any] = {"name": r.plural, "singularName": r.kind.lower(),
                                     "namespaced": r.namespaced, "kind": r.kind,
                                     "verbs": list(r.verbs)}
            if r.short_names:
                entry["shortNames"] = list(r.short_names)
            if not r.builtin:
                entry["storageVersionHash"] = base64.b64encode(
                    f"{r.group}/{r.plural}".encode())[:11].decode()
            resources.append(entry)
            if r.plural == "pods":
                resources.append({"name": "pods/log", "singularName": "", "namespaced": True,
                                  "kind": "Pod", "verbs": ["get"]})
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": f"{group}/{version}" if group else version,
                "resources": resources}

    def _resource_path(self, group: str, version: str, rest: list[str],
                       query: Mapping[str, str]) -> tuple[bytes, str]:
        if not rest:
            if self._group(group) is None and group:
                raise self._not_found()
            listing = self._resource_list(group, version)
            if not listing["resources"]:
                raise self._not_found()
            return dumps(listing), "application/json"
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural, name, sub = rest[0], (rest[1] if len(rest) > 1 else None), rest[2:]
        resource = by_path(group, version, plural)
        if resource is None or not self.store.serves(resource) or len(sub) > 1:
            raise self._not_found()
        if namespace is not None and not resource.namespaced:
            raise self._not_found()
        verb = "list" if name is None else "get"
        if name is not None and resource.namespaced and namespace is None:
            raise self._not_found()
        continuing = bool(query.get("continue"))
        fault = self.faults.take(resource, namespace, continuing and verb == "list")
        if fault is not None:
            self._apply(fault, resource, verb, namespace, name)
        if query.get("watch") in ("true", "1"):
            raise _HttpError(405, "MethodNotAllowed", "watch is not served by the test server")
        if sub == ["log"] and resource.plural == "pods" and name is not None:
            assert namespace is not None
            return self._log(namespace, name, query), "text/plain"
        if sub:
            raise self._not_found()
        if name is not None:
            obj = self.store.get(resource, namespace or "", name)
            if obj is None:
                raise _HttpError(404, "NotFound", f'{resource.plural} "{name}" not found',
                                 {"name": name, "group": group, "kind": resource.plural})
            out = obj
            if obj.get("apiVersion") != resource.group_version(version):
                out = {**obj, "apiVersion": resource.group_version(version)}
            return dumps(out), "application/json"
        return self._list(resource, version, namespace, query), "application/json"

    def _apply(self, fault: _Fault, r: Resource, verb: str, namespace: str | None,
               name: str | None) -> None:
        if fault.kind == "forbid":
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            details: dict[str, Any] = {"group": r.group, "kind": r.plural}
            if name:
                details["name"] = name
            raise _HttpError(403, "Forbidden",
                             f'{r.plural}{"." + r.group if r.group else ""}'
                             f'{" " + repr(name).replace(chr(39), chr(34)) if name else ""} is '
                             f'forbidden: User "{USER}" cannot {verb} resource "{r.plural}" '
                             f'in API group "{r.group}" {scope}', details)
        if fault.kind == "expire":
            raise _HttpError(410, "Expired", EXPIRED_MESSAGE)
        if fault.kind == "fail":
            code = fault.statuses[0]
            headers = {"Retry-After": str(fault.retry_after)} if code == 429 else {}
            details = {"retryAfterSeconds": fault.retry_after} if code == 429 else {}
            message = ("Too many requests, please try again later." if code == 429
                       else f"the test server was told to fail this request with {code}")
            raise _HttpError(code, _REASONS.get(code, "InternalError"), message, details,
                             headers)
        if fault.kind == "drop":
            raise _Dropped()
        if fault.kind == "garble":
            raise _Garbled(fault.body)
        if fault.kind == "delay":
            time.sleep(fault.seconds)

    def _list(self, r: Resource, version: str, namespace: str | None,
              query: Mapping[str, str]) -> bytes:
        labels, fields = query.get("labelSelector", ""), query.get("fieldSelector", "")
        try:
            items = self.store.select(r, version, namespace, labels, fields)
        except BadRequest as e:
            raise _HttpError(400, "BadRequest", str(e)) from None
        rv = self.store.resource_version
        signature = f"{r.group}/{r.plural}/{namespace}/{labels}/{fields}"
        start = _read_token(query["continue"], signature) if query.get("continue") else 0
        try:
            limit = int(query.get("limit") or 0)
        except ValueError:
            raise _HttpError(400, "BadRequest", "limit must be an integer") from None
        end = len(items) if limit <= 0 else min(len(items), start + limit)
        self.page_sizes.append(end - start)
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if end < len(items):
            meta["continue"] = _continue_token(end, rv, signature)
            if not labels and not fields:
                meta["remainingItemCount"] = len(items) - end
        head = dumps({"kind": f"{r.kind}List", "apiVersion": r.group_version(version),
                      "metadata": meta})
        return b"".join((head[:-1], b',"items":[', items.page(start, end), b"]}"))

    def _log(self, namespace: str, name: str, query: Mapping[str, str]) -> bytes:
        pods = next(r for r in RESOURCES if r.plural == "pods")
        pod = self.store.get(pods, namespace, name)
        if pod is None:
            raise _HttpError(404, "NotFound", f'pods "{name}" not found',
                             {"name": name, "kind": "pods"})
        containers = [c["name"] for c in pod.get("spec", {}).get("containers", [])]
        container = query.get("container")
        if not container:
            if len(containers) != 1:
                raise _HttpError(400, "BadRequest",
                                 f"a container name must be specified for pod {name}, choose "
                                 f"one of: [{' '.join(containers)}]")
            container = containers[0]
        elif container not in containers:
            raise _HttpError(400, "BadRequest", f"container {container} is not valid for pod "
                             f"{name}")
        lines = self.store.logs.get((namespace, name, container), [])
        if query.get("sinceSeconds"):
            since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=int(query["sinceSeconds"]))
            lines = [(t, text) for t, text in lines if t >= since]
        if query.get("tailLines"):
            tail = int(query["tailLines"])
            lines = lines[-tail:] if tail > 0 else []
        stamp = query.get("timestamps") in ("true", "1")
        text = "".join(
            (t.strftime("%Y-%m-%dT%H:%M:%S.%fZ") + " " if stamp else "") + line + "\n"
            for t, line in lines)
        return text.encode()
