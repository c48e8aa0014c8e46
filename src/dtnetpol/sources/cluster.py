"""Live cluster edge: read what the analysis needs from a running cluster, read-only.

The only module that imports the official ``kubernetes`` client, and only when a live read is
asked for (importing it costs about 0.15 s). Responses are taken as raw JSON
(``_preload_content=False``), never as the client's model classes, and go into the same build
path manifest files take (:func:`dtnetpol.manifest.build_cluster`), each object located as
``cluster:<context>/<namespace>/<kind>/<name>``.

Read-only by construction: the client is only ever asked to ``get`` and ``list``, the
resources are the fixed table :data:`READS` (Secrets are not in it, not even their names), and
:func:`rbac_rules` derives the ClusterRole from the same table.

Reading is robust: lists are paged (``limit``/``continue``; a 410 Gone restarts the list),
429/5xx and connection errors are retried with backoff (``Retry-After`` honoured), a 403 on a
resource becomes a :class:`Forbidden` entry (the analysis goes on without it), an API group
that is not installed is skipped quietly (discovery says which are), and an unreachable server
or rejected credentials become one :class:`ClusterError` line.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from dtnetpol import __version__
from dtnetpol.errors import DtnetpolError
from dtnetpol.manifest import Problem, build_cluster
from dtnetpol.manifest.cluster import PartialCluster, build_partial, merge_partials
from dtnetpol.manifest.fast_pods import POD_PAGE, PodReader, located
from dtnetpol.manifest.objects import Header
from dtnetpol.model.cluster import Cluster, Pod
from dtnetpol.model.location import SourceLocation
from dtnetpol.sources import FREEZE_MIN_DOCUMENTS

try:  # a faster parser when it is installed; the standard one gives the same values
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads

Json = dict[str, Any]
Progress = Callable[[str], None]
#: A Pod read by the fast reader while its page was read (the page's JSON is gone).
Built = tuple[Header, Pod]

#: The status codes that are retried: the server is busy or briefly unavailable.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Pods that ended hold no address any more (it may belong to a new pod already).
RUNNING_PODS = "status.phase!=Succeeded,status.phase!=Failed"


class ClusterError(DtnetpolError):
    """The cluster cannot be read at all: unreachable, credentials rejected, no kubeconfig."""

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Read:
    """One resource live mode reads: where it is served and what it is needed for.

    ``versions`` are the versions dtnetpol understands, best first; the first one the server
    serves is read (none served: the server's preferred one). ``optional``: a custom
    resource whose group may not be installed; then it is skipped quietly. ``needed_for`` says,
    after "without it", which verdicts become less certain when it cannot be read.
    """

    group: str
    versions: tuple[str, ...]
    plural: str
    kind: str
    namespaced: bool
    needed_for: str
    optional: bool = False
    field_selector: str = ""
    #: the group read instead (version v1) when ``group`` is not served: Calico's CRDs are
    #: ``crd.projectcalico.org/v1`` when its API server (``projectcalico.org/v3``) is absent
    alternative: str = ""

    def instead(self) -> Read:
        """This read from the alternative group."""
        return replace(self, group=self.alternative, versions=("v1",), alternative="")

    @property
    def resource(self) -> str:
        """``pods``, ``deployments.apps``: the name kubectl and RBAC messages use."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


READS: tuple[Read, ...] = (
    Read("", ("v1",), "namespaces", "Namespace", False,
         "namespaceSelector peers are matched on the namespace name label only"),
    Read("", ("v1",), "nodes", "Node", False,
         "host-network pods (OneAgent) and the API server's node address are not known; "
         "verdicts on them and on ipBlock peers covering nodes are less certain"),
    Read("", ("v1",), "pods", "Pod", True,
         "workloads are known from their templates only, without pod IPs; ipBlock verdicts "
         "are less certain", field_selector=RUNNING_PODS),
    Read("", ("v1",), "services", "Service", True,
         "Service ports (named targetPorts, the webhook's Service) are not known"),
    Read("", ("v1",), "replicationcontrollers", "ReplicationController", True,
         "pods of ReplicationControllers are named after themselves"),
    Read("apps", ("v1",), "deployments", "Deployment", True,
         "pods of Deployments are named after their ReplicaSets"),
    Read("apps", ("v1",), "replicasets", "ReplicaSet", True,
         "pods of Deployments are named after themselves"),
    Read("apps", ("v1",), "statefulsets", "StatefulSet", True,
         "pods of StatefulSets are named after themselves"),
    Read("apps", ("v1",), "daemonsets", "DaemonSet", True,
         "pods of DaemonSets are named after themselves"),
    Read("batch", ("v1",), "jobs", "Job", True, "pods of Jobs are named after themselves"),
    Read("batch", ("v1",), "cronjobs", "CronJob", True,
         "pods of CronJobs are named after their Jobs"),
    Read("discovery.k8s.io", ("v1",), "endpointslices", "EndpointSlice", True,
         "the API server's real endpoint (behind default/kubernetes) is not known; flows to "
         "the Kubernetes API are less certain"),
    Read("networking.k8s.io", ("v1",), "networkpolicies", "NetworkPolicy", True,
         "no NetworkPolicy is known: every verdict assumes there are none"),
    Read("policy.networking.k8s.io", ("v1alpha1",), "adminnetworkpolicies",
         "AdminNetworkPolicy", False,
         "AdminNetworkPolicies are not known: verdicts may miss their allow, deny and pass "
         "rules", optional=True),
    Read("policy.networking.k8s.io", ("v1alpha1",), "baselineadminnetworkpolicies",
         "BaselineAdminNetworkPolicy", False,
         "the BaselineAdminNetworkPolicy is not known: verdicts of unselected pods may be "
         "wrong", optional=True),
    Read("policy.networking.k8s.io", ("v1alpha2",), "clusternetworkpolicies",
         "ClusterNetworkPolicy", False,
         "ClusterNetworkPolicies are not known: verdicts may miss their rules", optional=True),
    # read so that reports can say they exist; the engine does not evaluate them
    Read("cilium.io", ("v2",), "ciliumnetworkpolicies", "CiliumNetworkPolicy", True,
         "CiliumNetworkPolicies are not known", optional=True),
    Read("cilium.io", ("v2",), "ciliumclusterwidenetworkpolicies",
         "CiliumClusterwideNetworkPolicy", False,
         "CiliumClusterwideNetworkPolicies are not known", optional=True),
    Read("projectcalico.org", ("v3",), "tiers",
         "Tier", False,
         "Calico tiers are not known: policies are ordered as in the default tier", optional=True,
         alternative="crd.projectcalico.org"),
    Read("projectcalico.org", ("v3",), "networkpolicies",
         "NetworkPolicy", True,
         "Calico NetworkPolicies are not known", optional=True,
         alternative="crd.projectcalico.org"),
    Read("projectcalico.org", ("v3",), "globalnetworkpolicies",
         "GlobalNetworkPolicy", False,
         "Calico GlobalNetworkPolicies are not known", optional=True,
         alternative="crd.projectcalico.org"),
    Read("projectcalico.org", ("v3",), "stagednetworkpolicies",
         "StagedNetworkPolicy", True,
         "Calico staged policies are not known", optional=True,
         alternative="crd.projectcalico.org"),
    Read("projectcalico.org", ("v3",), "stagedglobalnetworkpolicies",
         "StagedGlobalNetworkPolicy", False,
         "Calico staged policies are not known", optional=True,
         alternative="crd.projectcalico.org"),
    Read("projectcalico.org", ("v3",), "stagedkubernetesnetworkpolicies",
         "StagedKubernetesNetworkPolicy", True,
         "Calico staged policies are not known", optional=True,
         alternative="crd.projectcalico.org"),
    Read("projectcalico.org", ("v3",), "networksets",
         "NetworkSet", True,
         "Calico NetworkSets are not known: selectors on them match nothing", optional=True,
         alternative="crd.projectcalico.org"),
    Read("projectcalico.org", ("v3",), "globalnetworksets",
         "GlobalNetworkSet", False,
         "Calico GlobalNetworkSets are not known: selectors on them match nothing", optional=True,
         alternative="crd.projectcalico.org"),
    Read("dynatrace.com", ("v1beta6", "v1beta5", "v1beta4", "v1beta3"), "dynakubes",
         "DynaKube", True, "no DynaKube is known: the Dynatrace flows cannot be worked out",
         optional=True),
    Read("dynatrace.com", ("v1alpha2", "v1alpha1"), "edgeconnects", "EdgeConnect", True,
         "EdgeConnects are not known: their flows are missing", optional=True),
    Read("admissionregistration.k8s.io", ("v1",), "mutatingwebhookconfigurations",
         "MutatingWebhookConfiguration", False,
         "the webhooks' real Service, port, failurePolicy and timeout are not known"),
    Read("admissionregistration.k8s.io", ("v1",), "validatingwebhookconfigurations",
         "ValidatingWebhookConfiguration", False,
         "the webhooks' real Service, port, failurePolicy and timeout are not known"),
)


def rbac_rules(reads: Sequence[Read] = READS) -> list[Json]:
    """The ClusterRole rules that allow exactly these reads (get and list), one per group."""
    by_group: dict[str, list[str]] = {}
    for r in [*reads, *(r.instead() for r in reads if r.alternative)]:
        plurals = by_group.setdefault(r.group, [])
        if r.plural not in plurals:
            plurals.append(r.plural)
    return [{"apiGroups": [group], "resources": plurals, "verbs": ["get", "list"]}
            for group, plurals in by_group.items()]


@dataclass(frozen=True)
class ClusterSpec:
    """Where and how to read: kubectl's ``--kubeconfig`` and ``--context``, and limits."""

    kubeconfig: str | None = None
    context: str | None = None
    request_timeout: float = 30.0
    page_size: int = 500
    retries: int = 5  # for 429 and 5xx answers
    connect_retries: int = 2  # for connection errors: an unreachable server fails fast
    backoff: float = 0.5  # first wait before a retry, doubled each time
    max_wait: float = 10.0  # longest single wait (Retry-After included)


@dataclass(frozen=True)
class Forbidden:
    """A resource the credentials may not list (403), and what that costs."""

    read: Read
    message: str

    @property
    def rule(self) -> Json:
        return {"apiGroups": [self.read.group], "resources": [self.read.plural],
                "verbs": ["get", "list"]}

    def warning(self) -> str:
        rule = json.dumps(self.rule, separators=(", ", ": "))
        return (f"cannot list {self.read.resource} (403 Forbidden); add the rule {rule} to "
                f"the reader's ClusterRole (dtnetpol rbac prints the whole role). Without it "
                f"{self.read.needed_for}")


@dataclass
class Listed:
    """The items of one resource as read (each with kind and apiVersion filled in).

    Read without bodies (``read_cluster(..., bodies=False)``), a resource with a fast reader
    (pods) has no ``items``: ``models`` holds, in list order, what the fast reader made of
    each item, or the item itself when it left it to the generic reader; :func:`load_live`
    consumes them.
    """

    read: Read
    api_version: str
    items: list[Json]
    models: list[Json | Built] | None = None
    #: how many objects were read
    size: int = 0

    def __post_init__(self) -> None:
        self.size = self.size or len(self.items if self.models is None else self.models)


@dataclass
class LiveRead:
    """Everything one live read got: the objects, and what the report needs to say."""

    context: str
    server: str
    version: Mapping[str, Any]
    started: dt.datetime
    lists: list[Listed] = field(default_factory=list)
    forbidden: list[Forbidden] = field(default_factory=list)
    absent: list[Read] = field(default_factory=list)  # groups not installed: skipped
    requests: int = 0
    seconds: float = 0.0

    def location(self, obj: Mapping[str, Any], kind: str) -> SourceLocation:
        meta = obj.get("metadata")
        if not isinstance(meta, Mapping):
            meta = {}  # (the build path says what is wrong with it)
        name, ns = meta.get("name", "?"), meta.get("namespace")
        where = f"{ns}/{kind}/{name}" if ns else f"{kind}/{name}"
        return SourceLocation(f"cluster:{self.context}/{where}")

    def documents(self) -> Iterator[tuple[Json, SourceLocation]]:
        """(body, location) of every object read, in the build path's input shape.

        Raises:
            RuntimeError: the read kept no bodies (``bodies=False``).
        """
        if any(x.models is not None for x in self.lists):
            raise RuntimeError("this live read kept no bodies (read_cluster(bodies=False))")
        for listed in self.lists:
            for item in listed.items:
                yield item, self.location(item, listed.read.kind)

    def count(self) -> int:
        return sum(x.size for x in self.lists)


# ------------------------------------------------------------------------------ connecting
def kubeconfig_paths(spec: ClusterSpec) -> str | None:
    """The kubeconfig as kubectl finds it: ``--kubeconfig``, else ``$KUBECONFIG`` (a list,
    merged), else ``~/.kube/config``; None when none of them exists."""
    if spec.kubeconfig:
        if not Path(spec.kubeconfig).is_file():
            raise ClusterError(f"--kubeconfig {spec.kubeconfig}: no such file")
        return spec.kubeconfig
    env = os.environ.get("KUBECONFIG")
    if env:
        existing = [p for p in env.split(os.pathsep) if p and Path(p).is_file()]
        if existing:
            return os.pathsep.join(existing)
        return None
    default = Path.home() / ".kube" / "config"
    return str(default) if default.is_file() else None


def _current_context(paths: str) -> str | None:
    """kubectl's current context of a kubeconfig list: the first file that sets one wins
    (the client library's merge would take the last)."""
    import yaml

    for p in paths.split(os.pathsep):
        try:
            with open(p, encoding="utf-8") as f:
                data = yaml.safe_load(f)
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and data.get("current-context"):
            return str(data["current-context"])
    return None


#: Where Kubernetes mounts a pod's service-account token and the cluster's CA (the client
#: library's own default); a module constant so tests can point it at a folder of theirs and
#: run the real in-cluster loader against the local test server.
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


def _in_cluster() -> bool:
    """Run inside a pod: the service's host in the environment and the token mounted."""
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and \
        (SERVICE_ACCOUNT_DIR / "token").is_file()


def _service_account() -> tuple[str, str] | None:
    """(namespace, name) of the mounted token's ServiceAccount, from the token's own claim
    (``sub``: ``system:serviceaccount:NS:NAME``; read, not verified: only to name it in a
    message); None when the token is not such a JWT."""
    import base64

    try:
        token = (SERVICE_ACCOUNT_DIR / "token").read_text(encoding="utf-8").strip()
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        kind, _, namespace, name = str(claims["sub"]).split(":")
    except (OSError, ValueError, IndexError, KeyError, TypeError, UnicodeDecodeError):
        return None
    return (namespace, name) if kind == "system" and namespace and name else None


class _Client:
    """The official client, configured as kubectl would be, asked only for raw JSON GETs."""

    def __init__(self, spec: ClusterSpec) -> None:
        # lazy: the configuration loader costs about 0.15-0.3 s to import. The generated API
        # classes (CoreV1Api...) are not used: importing them alone costs seconds, and the
        # requests here are plain GETs of paths discovery names.
        from kubernetes import config
        from kubernetes.client.api_client import ApiClient
        from kubernetes.client.configuration import Configuration
        from kubernetes.config.config_exception import ConfigException

        self.spec = spec
        self.configuration = Configuration()
        self.in_cluster = False
        path = kubeconfig_paths(spec)
        try:
            if path is not None:
                contexts, current = config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
                    config_file=path)
                names = [c["name"] for c in contexts or []]
                name = spec.context or _current_context(path) or (current or {}).get("name")
                if not name:
                    raise ClusterError(f"{path}: no current context; give --context "
                                       f"({', '.join(names) or 'the file has none'})")
                if name not in names:
                    raise ClusterError(f'context "{name}" is not in {path} (contexts: '
                                       f'{", ".join(names) or "none"})')
                config.load_kube_config(  # type: ignore[no-untyped-call]
                    config_file=path, context=name,
                    client_configuration=self.configuration, persist_config=False)
                self.context = name
            elif spec.context:
                raise ClusterError(f"--context {spec.context}: no kubeconfig found "
                                   "(--kubeconfig, $KUBECONFIG, ~/.kube/config)")
            elif _in_cluster():
                # the loader of load_incluster_config, with the token and CA paths spelled
                # out (it re-reads the token file as kubelet rotates it)
                from kubernetes.config.incluster_config import InClusterConfigLoader

                InClusterConfigLoader(  # type: ignore[no-untyped-call]
                    token_filename=str(SERVICE_ACCOUNT_DIR / "token"),
                    cert_filename=str(SERVICE_ACCOUNT_DIR / "ca.crt"),
                ).load_and_set(self.configuration)
                self.context = "in-cluster"
                self.in_cluster = True
            else:
                raise ClusterError("no kubeconfig found (--kubeconfig, $KUBECONFIG, "
                                   "~/.kube/config) and not running in a pod; give PATHs "
                                   "to read manifests instead")
        except ConfigException as e:
            what = "the kubeconfig" if path is not None else \
                f"the in-cluster service account ({SERVICE_ACCOUNT_DIR})"
            raise ClusterError(f"cannot use {what}: {_one_line(str(e))}") from None
        except (OSError, ValueError, TypeError, KeyError) as e:
            raise ClusterError(f"cannot use the kubeconfig {path}: "
                               f"{_one_line(str(e))}") from None
        # our own retries (with backoff and Retry-After): none inside urllib3
        self.configuration.retries = False
        self.api = ApiClient(self.configuration)
        self.server = str(self.configuration.host).rstrip("/")
        self.user_agent = f"dtnetpol/{__version__} (read-only)"

    def unauthorized(self) -> str:
        """The message for a 401: what was rejected and how to fix it, for a kubeconfig or
        for the service account token of the pod dtnetpol runs in (which kubelet renews by
        itself: there, a 401 means the account or the pod is gone, or renewal failed)."""
        if not self.in_cluster:
            return (f"the API server at {self.server} rejected the credentials of context "
                    f'"{self.context}" (401 Unauthorized): the token has expired or is not '
                    "valid; log in again or renew the kubeconfig")
        account = _service_account()
        who = check = ""
        if account is not None:
            who = f" of ServiceAccount {account[0]}/{account[1]}"
            check = f" (kubectl -n {account[0]} get serviceaccount {account[1]})"
        return (f"the API server at {self.server} rejected the service account token{who} "
                f"mounted in this pod ({SERVICE_ACCOUNT_DIR / 'token'}), in-cluster (401 "
                "Unauthorized): it has expired, or its ServiceAccount or the pod was deleted "
                f"since it was issued; check that the ServiceAccount exists{check}, then "
                "restart the pod so that the kubelet mounts a fresh token")

    def headers(self) -> dict[str, str]:
        """Accept, User-Agent and the credentials (asking the configuration each time, so an
        exec plugin or token file can renew the token)."""
        out = {"Accept": "application/json", "User-Agent": self.user_agent}
        settings: Any = self.configuration.auth_settings()
        for auth in settings.values():
            if auth.get("in") == "header" and auth.get("value"):
                out[str(auth["key"])] = str(auth["value"])
        return out

    def get(self, path: str, query: Mapping[str, str | int], timeout: float
            ) -> tuple[int, bytes, Mapping[str, str]]:
        """One GET: (status, body, headers); the client library raises for some statuses in
        some versions, so both ways end here. Connection errors are raised."""
        from kubernetes.client.exceptions import ApiException

        url = self.server + path + (f"?{urlencode(query)}" if query else "")
        try:
            response = self.api.rest_client.request(  # type: ignore[no-untyped-call]
                "GET", url, headers=self.headers(), _request_timeout=timeout)
        except ApiException as e:
            if not e.status:  # TLS failures come back as status 0
                raise _ConnectionProblem(str(e.reason or e)) from None
            return int(e.status), _bytes(e.body), dict(e.headers or {})
        data = getattr(response, "data", None)
        if data is None:
            data = response.read()
        return int(response.status), _bytes(data), dict(response.getheaders() or {})

    @property
    def core_v1(self) -> Any:
        """The generated core/v1 API, for the probe writer only (importing it costs seconds;
        reads never need it)."""
        api = getattr(self, "_core_v1", None)
        if api is None:
            from kubernetes.client.api.core_v1_api import CoreV1Api

            api = self._core_v1 = CoreV1Api(self.api)
        return api

    def close(self) -> None:
        self.api.close()  # type: ignore[no-untyped-call]


class _ConnectionProblem(Exception):
    """A request that got no HTTP answer (TLS failure reported by the client library)."""


def _bytes(data: Any) -> bytes:
    if data is None:
        return b""
    return data if isinstance(data, bytes) else str(data).encode()


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Gone(Exception):
    """410: the continue token expired; the list starts over."""


class _BadAnswer(ValueError):
    """A 200 answer that is not the JSON object asked for (a proxy's HTML page, a cut body):
    what is wrong with it, for one :class:`ClusterError` line naming the request."""


def _json_object(body: bytes) -> Json:
    try:
        data = _loads(body)
    except ValueError as e:
        raise _BadAnswer(f"is not JSON ({_one_line(str(e))})") from None
    if not isinstance(data, dict):
        raise _BadAnswer(f"is a JSON {type(data).__name__}, not an object")
    return data


class _Status(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Reader:
    """One read session: discovery, then the lists of :data:`READS`.

    Kept small and open so that other readers (events, pod logs for ``diagnose``) can be added
    as methods using :meth:`get_json` and :meth:`list_all`.
    """

    def __init__(self, spec: ClusterSpec, progress: Progress | None = None) -> None:
        self.spec = spec
        self.progress = progress or (lambda _text: None)
        self.client = _Client(spec)
        self.requests = 0

    # -------------------------------------------------------------- one request, retried
    def call(self, what: str, path: str, query: Mapping[str, str | int] | None = None
             ) -> bytes:
        """GET ``path``: the body of a 2xx answer, after retries of 429/5xx (``Retry-After``
        honoured) and of connection errors, with backoff.

        Raises:
            ClusterError: unreachable server, rejected credentials (401).
            _Gone: 410 (an expired continue token).
            _Status: any other error status (403, 404...).
        """
        from urllib3.exceptions import HTTPError

        attempt = 0
        while True:
            self.requests += 1
            try:
                status, body, headers = self.client.get(path, query or {},
                                                        self.spec.request_timeout)
            except (HTTPError, OSError, _ConnectionProblem) as e:
                if attempt < self.spec.connect_retries and not _hopeless(e):
                    self._wait(attempt, None, f"{what}: {_reason(e)}")
                    attempt += 1
                    continue
                raise ClusterError(
                    f"cannot reach the API server at {self.client.server} (context "
                    f'"{self.client.context}"): {_reason(e)}') from None
            if 200 <= status < 300:
                return body
            if status == 410:
                raise _Gone()
            if status == 401:
                raise ClusterError(self.client.unauthorized())
            if status in RETRY_STATUSES and attempt < self.spec.retries:
                self._wait(attempt, _retry_after(headers), f"{what}: {status}")
                attempt += 1
                continue
            raise _Status(status, _status_message(body) or f"HTTP {status}")

    def _wait(self, attempt: int, retry_after: float | None, why: str) -> None:
        wait = self.spec.backoff * (2 ** attempt)
        if retry_after is not None:
            wait = max(wait, retry_after)
        wait = min(wait, self.spec.max_wait)
        self.progress(f"{why}; retrying in {wait:.1f} s")
        time.sleep(wait)

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bytes:
        """A call of the client's generated API (the probe writer's writes), with the same
        retries and errors as :meth:`call`."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        attempt = 0
        while True:
            self.requests += 1
            try:
                response = fn(*args, _preload_content=False,
                              _request_timeout=self.spec.request_timeout, **kwargs)
                return _bytes(getattr(response, "data", None))
            except ApiException as e:
                status = int(e.status or 0)
                if status == 0:
                    raise ClusterError(
                        f"cannot reach the API server at {self.client.server} (context "
                        f'"{self.client.context}"): {_reason(e)}') from None
                if status == 401:
                    raise ClusterError(self.client.unauthorized()) from None
                if status in RETRY_STATUSES and attempt < self.spec.retries:
                    self._wait(attempt, _retry_after(dict(e.headers or {})),
                               f"{what}: {status}")
                    attempt += 1
                    continue
                raise _Status(status, _status_message(_bytes(e.body)) or f"HTTP {status}"
                              ) from None
            except (HTTPError, OSError) as e:
                if attempt < self.spec.connect_retries and not _hopeless(e):
                    self._wait(attempt, None, f"{what}: {_reason(e)}")
                    attempt += 1
                    continue
                raise ClusterError(
                    f"cannot reach the API server at {self.client.server} (context "
                    f'"{self.client.context}"): {_reason(e)}') from None

    def get_json(self, what: str, target: str | Callable[..., Any], *args: Any,
                 **kwargs: Any) -> Any:
        """The parsed answer of a GET of ``target`` (a path; ``args[0]``: the query), or of a
        call of the generated API (``target`` a method of it, for the probe writer)."""
        try:
            if isinstance(target, str):
                query: Mapping[str, str | int] | None = args[0] if args else kwargs.get("query")
                return _json_object(self.call(what, target, query))
            return _json_object(self._call(what, target, *args, **kwargs))
        except _BadAnswer as e:
            raise ClusterError(f"{what}: the API server's answer {e}") from None

    # -------------------------------------------------------------- discovery
    def version(self) -> Json:
        data: Json = self.get_json("/version", "/version")
        return data

    def served_versions(self) -> dict[str, tuple[list[str], str]]:
        """group -> (served versions, preferred version); "" is the core group."""
        core = self.get_json("/api", "/api")
        groups: dict[str, tuple[list[str], str]] = {
            "": (list(core.get("versions") or ["v1"]), "v1")}
        listing = self.get_json("/apis", "/apis")
        for g in listing.get("groups") or []:
            versions = [v["version"] for v in g.get("versions") or []]
            preferred = (g.get("preferredVersion") or {}).get("version") or \
                (versions[0] if versions else "")
            groups[g["name"]] = (versions, preferred)
        return groups

    def resources(self, group: str, version: str) -> set[str]:
        """The resource names a group version serves (discovery)."""
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            data = self.get_json(path, path)
        except _Status as e:
            if e.status in (403, 404):
                return set()
            raise
        return {r["name"] for r in data.get("resources") or []}

    # -------------------------------------------------------------- lists
    @staticmethod
    def list_path(read: Read, version: str, namespace: str | None = None) -> str:
        """``/api/v1/pods``, ``/apis/apps/v1/namespaces/shop/deployments``."""
        base = f"/apis/{read.group}/{version}" if read.group else f"/api/{version}"
        return f"{base}/namespaces/{namespace}/{read.plural}" if namespace else \
            f"{base}/{read.plural}"

    def _page(self, read: Read, version: str, token: str | None) -> bytes:
        query: dict[str, str | int] = {"limit": self.spec.page_size}
        if token:
            query["continue"] = token
        if read.field_selector:
            query["fieldSelector"] = read.field_selector
        return self.call(f"list {read.resource}", self.list_path(read, version), query)

    def list_all(self, read: Read, version: str,
                 convert: Callable[[Any], Any] | None = None,
                 pages: PageReader | None = None) -> list[Any]:
        """Every item, page by page; a 410 Gone (the continue token expired while paging)
        starts the list over, up to three times. With ``convert``, each item is replaced by
        what it returns while its page is at hand (the page is dropped before the next); with
        ``pages``, each page's bytes are read by it into (items, continue token)."""
        read_page = pages or _parsed_page(convert)
        restarts = 0
        while True:
            items: list[Any] = []
            token: str | None = None
            try:
                while True:
                    got, token = read_page(self._page(read, version, token))
                    items.extend(got)
                    del got
                    if len(items) > self.spec.page_size:
                        self.progress(f"reading {read.resource}: {len(items):,}")
                    if not token:
                        return items
            except _BadAnswer as e:
                raise ClusterError(f"list {read.resource}: the API server's answer {e}") \
                    from None
            except _Gone:
                if restarts >= 3:
                    raise ClusterError(
                        f"list {read.resource}: the list expired (410 Gone) four times while "
                        "paging; the cluster changes faster than it can be read. Try a "
                        "larger --page-size") from None
                restarts += 1
                self.progress(f"list {read.resource}: continue token expired (410 Gone); "
                              "reading it again from the start")

    def read(self, reads: Sequence[Read] = READS, *, bodies: bool = True) -> LiveRead:
        """Discovery, then every list of ``reads``; without ``bodies``, pods are read into
        the model page by page (see :class:`Listed`)."""
        start = time.perf_counter()
        started = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.progress(f"connecting to {self.client.server}")
        version = self.version()
        served = self.served_versions()
        result = LiveRead(self.client.context, self.client.server, version, started)
        known: dict[tuple[str, str], set[str]] = {}
        for read in reads:
            chosen = _choose_version(read, served)
            if chosen is None and read.alternative:
                read = read.instead()
                chosen = _choose_version(read, served)
            if chosen is None:
                result.absent.append(read)
                continue
            key = (read.group, chosen)
            if key not in known:
                known[key] = self.resources(read.group, chosen)
            if read.plural not in known[key]:
                result.absent.append(read)
                continue
            self.progress(f"reading {read.resource}")
            api_version = f"{read.group}/{chosen}" if read.group else chosen
            fast = not bodies and read.group == "" and read.kind == "Pod" and chosen == "v1"
            try:
                items = self.list_all(read, chosen, pages=_pod_pages(result, api_version)
                                      if fast else None)
            except _Status as e:
                if e.status == 403:
                    result.forbidden.append(Forbidden(read, e.message))
                    continue
                if e.status == 404:
                    result.absent.append(read)
                    continue
                raise ClusterError(f"list {read.resource}: {e.status} from the API server: "
                                   f"{_one_line(e.message)}") from None
            if fast:
                result.lists.append(Listed(read, api_version, [], items))
                continue
            result.lists.append(Listed(read, api_version, [
                _typed(item, api_version, read.kind) for item in items]))
        result.requests = self.requests
        result.seconds = time.perf_counter() - start
        return result


def _typed(item: Json, api_version: str, kind: str) -> Json:
    """A list item as an object of its own: with apiVersion and kind (lists leave them out)."""
    return {"apiVersion": api_version, "kind": kind,
            **{k: v for k, v in item.items() if k not in ("apiVersion", "kind")}}


def _pod_models(live: LiveRead, api_version: str, reader: PodReader | None = None
                ) -> Callable[[Any], Json | Built]:
    """The page-by-page conversion of Pod items: the fast reader's (header, pod), or the
    item itself (typed) when the generic reader must read it."""
    reader = reader or PodReader()
    context = live.context

    def convert(item: Any) -> Json | Built:
        meta = item.get("metadata") if type(item) is dict else None
        if type(meta) is dict:
            name, ns = meta.get("name"), meta.get("namespace")
            if type(name) is str and (ns is None or type(ns) is str):
                where = f"{ns}/Pod/{name}" if ns else f"Pod/{name}"
                built = reader.read(item, located(f"cluster:{context}/{where}"))
                if built is not None:
                    return built
        return _typed(item, api_version, "Pod") if isinstance(item, dict) else item

    return convert


#: Reads one list page (its bytes) into (items, continue token or None).
PageReader = Callable[[bytes], tuple[list[Any], Any]]


def _parsed_page(convert: Callable[[Any], Any] | None) -> PageReader:
    """Pages parsed whole; each item converted by ``convert`` when given."""
    def read_page(body: bytes) -> tuple[list[Any], Any]:
        page = _json_object(body)
        items = page.get("items") or []
        meta = page.get("metadata") or {}
        if not isinstance(items, list) or not isinstance(meta, dict):
            raise _BadAnswer("is not a list (its items or metadata have the wrong type)")
        token = meta.get("continue") or None
        if token is not None and not isinstance(token, str):
            raise _BadAnswer("is not a list (its continue token is not a string)")
        return (items if convert is None else list(map(convert, items)), token)

    return read_page


def _pod_pages(live: LiveRead, api_version: str) -> PageReader:
    """Pod pages into what :func:`_pod_models` makes of their items, decoding only the fields
    the fast reader reads (:data:`POD_PAGE`): most of a Pod's JSON (managedFields, status
    conditions, container specs) never becomes Python objects. A page that does not decode
    so is parsed whole, and an item the fast reader leaves to the generic reader is taken
    from the page parsed whole: what is read is what a full parse gives."""
    reader = PodReader()
    convert = _pod_models(live, api_version, reader)
    parsed = _parsed_page(convert)
    context = live.context

    def read_page(body: bytes) -> tuple[list[Any], Any]:
        try:
            page = POD_PAGE.decode(body)
        except ValueError:  # msgspec's DecodeError: not the shape declared (or not JSON)
            return parsed(body)
        out: list[Json | Built] = []
        whole: list[Any] | None = None
        for i, item in enumerate(page.items or ()):
            meta = item.metadata
            built: Json | Built | None = None
            if meta is not None:
                name, ns = meta.name, meta.namespace
                if type(name) is str and (ns is None or type(ns) is str):
                    where = f"{ns}/Pod/{name}" if ns else f"Pod/{name}"
                    built = reader.read_fields(item, located(f"cluster:{context}/{where}"))
            if built is None:
                if whole is None:
                    whole = _loads(body)["items"]
                built = convert(whole[i])
            out.append(built)
        return out, (page.metadata.token if page.metadata is not None else None) or None

    return read_page


def _choose_version(read: Read, served: Mapping[str, tuple[list[str], str]]) -> str | None:
    group = served.get(read.group)
    if group is None:
        return None
    versions, preferred = group
    return next((v for v in read.versions if v in versions), preferred or None)


def _status_message(body: bytes) -> str:
    """The ``message`` of a Status body (the body's first line when it is not one)."""
    if not body:
        return ""
    try:
        data = _loads(body)
    except ValueError:
        return _one_line(str(body))[:300]
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _hopeless(e: BaseException) -> bool:
    """A connection error that a retry cannot cure (an untrusted certificate)."""
    return "CERTIFICATE_VERIFY_FAILED" in str(e) or "certificate verify failed" in str(e)


def _reason(e: BaseException) -> str:
    """The root cause of a connection error, in words (not urllib3's nested repr)."""
    inner: BaseException | None = getattr(e, "reason", None)
    while inner is not None and getattr(inner, "reason", None) not in (None, inner):
        inner = getattr(inner, "reason", None)
    text = str(inner or e)
    if "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "timed out"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "the server's certificate is not trusted by the kubeconfig"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "the server's name does not resolve"
    return _one_line(text.split(": ", 1)[-1] if "object at 0x" in text else text)[:200]


def read_cluster(spec: ClusterSpec, progress: Progress | None = None,
                 reads: Sequence[Read] = READS, *, bodies: bool = True) -> LiveRead:
    """Read the cluster of ``spec`` (see the module docstring).

    ``bodies=False`` (commands that need only the model): pods are read into the model page
    by page and their bodies are not kept, so :meth:`LiveRead.documents` cannot be used.

    Raises:
        ClusterError: no usable kubeconfig, the server cannot be reached, the credentials
            are rejected, or a list fails for good.
    """
    reader = Reader(spec, progress)
    # as load_cluster: pages allocate millions of small acyclic objects, and with the cyclic
    # collector on its full collections walk the growing read again and again
    enabled = gc.isenabled()
    gc.disable()
    try:
        return reader.read(reads, bodies=bodies)
    finally:
        if enabled:
            gc.enable()
        reader.client.close()


def load_live(live: LiveRead, *, strict: bool = True) -> tuple[Cluster, list[Problem]]:
    """The cluster model of what was read: the same build path as files, with a warning per
    resource that could not be read (first, so it is not lost among the others).

    What a read without bodies made of its pods is consumed (it is in the model now).
    """
    enabled = gc.isenabled()
    gc.disable()  # (see read_cluster)
    try:
        if all(x.models is None for x in live.lists):
            cluster, problems = build_cluster(live.documents(), strict=strict)
        else:
            cluster, problems = merge_partials(_partials(live, strict), strict=strict)
    finally:
        if enabled:
            gc.enable()
    if live.count() >= FREEZE_MIN_DOCUMENTS:
        gc.freeze()  # the model lives until the process ends (as in load_cluster)
    forbidden = tuple(f.warning() for f in live.forbidden)
    if forbidden:
        cluster = replace(cluster, warnings=forbidden + cluster.warnings)
    return cluster, problems


def _partials(live: LiveRead, strict: bool) -> Iterator[PartialCluster]:
    """The objects read, in order, as runs the generic reader reads and runs the fast reader
    already read (consumed as they go)."""
    documents: list[tuple[Json, SourceLocation]] = []
    built: list[str | tuple[Header, Any]] = []
    for listed in live.lists:
        kind = listed.read.kind
        entries = listed.items if listed.models is None else listed.models
        for entry in entries:
            if isinstance(entry, tuple):
                if documents:
                    yield build_partial(documents, strict=strict)
                    documents = []
                built.append(entry)
            else:
                if built:
                    yield PartialCluster(built, Counter(), [])
                    built = []
                documents.append((entry, live.location(entry, kind)))
        if listed.models is not None:
            listed.models = []
    if documents:
        yield build_partial(documents, strict=strict)
    if built:
        yield PartialCluster(built, Counter(), [])


# ------------------------------------------------------------------------------ diagnose
#: Events are read by ``diagnose`` only (not by every live command).
EVENTS = Read("", ("v1",), "events", "Event", True,
              "events (FailedMount, Unhealthy probes, BackOff) are not known to diagnose",
              field_selector="type=Warning")
#: What ``diagnose`` reads on top of :data:`READS`: events, and pods/log (get only).
DIAGNOSE_RULES: tuple[Json, ...] = (
    {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
)


def read_events(reader: Reader) -> tuple[list[Json], Forbidden | None]:
    """Every Warning Event (core/v1), or the 403 that kept them from being read."""
    try:
        items = reader.list_all(EVENTS, "v1")
    except _Status as e:
        if e.status == 403:
            return [], Forbidden(EVENTS, e.message)
        raise ClusterError(f"list events: {e.status} from the API server: "
                           f"{_one_line(e.message)}") from None
    return [{"apiVersion": "v1", "kind": "Event", **{k: v for k, v in item.items()
                                                     if k not in ("apiVersion", "kind")}}
            for item in items], None


def read_pod_log(reader: Reader, namespace: str, pod: str, container: str, *,
                 tail_lines: int, since_seconds: int | None = None, previous: bool = False
                 ) -> list[str] | None:
    """The last lines of one container's log (pods/log, get), with timestamps; None when
    there is none (a container that never started, or no previous instance) or the
    credentials may not read it."""
    query: dict[str, str | int] = {"container": container, "tailLines": tail_lines,
                                   "timestamps": "true"}
    if since_seconds:
        query["sinceSeconds"] = since_seconds
    if previous:
        query["previous"] = "true"
    try:
        data = reader.call(f"log {namespace}/{pod}/{container}",
                           f"/api/v1/namespaces/{namespace}/pods/{pod}/log", query)
    except _Status as e:
        if e.status in (400, 403, 404):
            return None
        raise ClusterError(f"log of {namespace}/{pod}: {e.status} from the API server: "
                           f"{_one_line(e.message)}") from None
    return data.decode("utf-8", errors="replace").splitlines()


# ==============================================================================
# WRITER: the only code in dtnetpol that changes a cluster. Constructed only by
# ``dtnetpol probe --yes``; everything it creates carries the probe label and is deleted by
# the run that made it (or the next one).
# ==============================================================================
class ProbeWriter:
    """Creates and deletes probe pods and their owner ConfigMaps; reads their status and log.

    Only these calls exist: create/get/delete of pods and ConfigMaps in a namespace, list of
    both by the probe label, and the probe pods' logs. ``dtnetpol rbac --probe`` prints the
    Role they need (:data:`PROBE_RULES`).
    """

    def __init__(self, spec: ClusterSpec, label: str, progress: Progress | None = None
                 ) -> None:
        self.reader = Reader(spec, progress)
        self.label = label  # "key=value" of every object a probe run creates
        self.core = self.reader.client.core_v1

    def close(self) -> None:
        self.reader.client.close()

    def _json(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Json:
        try:
            data: Json = self.reader.get_json(what, fn, *args, **kwargs)
        except _Status as e:
            raise ClusterError(f"{what}: {e.status} from the API server: "
                               f"{_one_line(e.message)}") from None
        return data

    def create(self, body: Json) -> Json:
        """Create a Pod or ConfigMap; the stored object comes back (with its uid)."""
        meta = body["metadata"]
        if self.label.split("=", 1)[0] not in (meta.get("labels") or {}):
            raise ValueError("a probe object must carry the probe label")
        from kubernetes import client  # the client validates bodies as its own models

        fn: Callable[..., Any]
        model: Any
        if body["kind"] == "Pod":
            fn, model = self.core.create_namespaced_pod, client.V1Pod.from_dict(body)
        elif body["kind"] == "ConfigMap":
            fn = self.core.create_namespaced_config_map
            model = client.V1ConfigMap.from_dict(body)
        else:
            raise ValueError(f"a probe creates pods and ConfigMaps, not {body['kind']}")
        return self._json(f"create {body['kind']} {meta['namespace']}/{meta['name']}",
                          fn, meta["namespace"], model)

    def pod(self, namespace: str, name: str) -> Json | None:
        try:
            data: Json = self.reader.get_json(f"get pod {namespace}/{name}",
                                              self.core.read_namespaced_pod, name, namespace)
        except _Status as e:
            if e.status == 404:
                return None
            raise ClusterError(f"get pod {namespace}/{name}: {e.status}: "
                               f"{_one_line(e.message)}") from None
        return data

    def log(self, namespace: str, name: str, container: str) -> str:
        lines = read_pod_log(self.reader, namespace, name, container, tail_lines=20)
        return "\n".join(lines or [])

    def delete(self, kind: str, namespace: str, name: str) -> bool:
        """Delete one object (at once: grace period 0); False when it was already gone."""
        fn = {"Pod": self.core.delete_namespaced_pod,
              "ConfigMap": self.core.delete_namespaced_config_map}[kind]
        try:
            self.reader._call(f"delete {kind} {namespace}/{name}", fn, name, namespace,
                              grace_period_seconds=0)
        except _Status as e:
            if e.status == 404:
                return False
            raise ClusterError(f"delete {kind} {namespace}/{name}: {e.status}: "
                               f"{_one_line(e.message)}") from None
        return True

    def remove_leftovers(self, namespaces: Sequence[str]) -> list[str]:
        """Delete every pod and ConfigMap an earlier run left (by the probe label) in
        ``namespaces`` and wherever the reader's cluster-wide pod list finds probe pods.
        The lists are per namespace, as the probe's RoleBindings allow."""
        where = list(dict.fromkeys(namespaces))
        try:
            found = self.reader.get_json(f"list pods -l {self.label}",
                                         self.core.list_pod_for_all_namespaces,
                                         label_selector=self.label)
            where += [str((i.get("metadata") or {}).get("namespace"))
                      for i in found.get("items") or []
                      if (i.get("metadata") or {}).get("namespace") not in where]
        except _Status:
            pass  # without the reader's role: the namespaces of this run only
        removed: list[str] = []
        for ns in where:
            for kind, fn in (("Pod", self.core.list_namespaced_pod),
                             ("ConfigMap", self.core.list_namespaced_config_map)):
                listing = self._json(f"list {kind} -n {ns} -l {self.label}", fn, ns,
                                     label_selector=self.label)
                for item in listing.get("items") or []:
                    name = (item.get("metadata") or {}).get("name")
                    if name and self.delete(kind, ns, name):
                        removed.append(f"{kind} {ns}/{name}")
        return removed

    def add_ephemeral(self, namespace: str, pod: str, container: Json) -> None:
        """Add one ephemeral container to a running pod (pods/ephemeralcontainers, patch).
        It cannot be removed again: it stays, terminated, until the pod is replaced."""
        body = {"spec": {"ephemeralContainers": [container]}}
        self._json(f"add ephemeral container {container['name']} to {namespace}/{pod}",
                   self.core.patch_namespaced_pod_ephemeralcontainers, pod, namespace, body,
                   _content_type="application/strategic-merge-patch+json")


#: The rules ``dtnetpol probe --yes`` needs on top of the reader's ClusterRole, in the
#: namespaces it probes from (``dtnetpol rbac --probe`` binds them there).
PROBE_RULES: tuple[Json, ...] = (
    {"apiGroups": [""], "resources": ["pods", "configmaps"],
     "verbs": ["create", "get", "list", "delete"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["pods/ephemeralcontainers"], "verbs": ["patch"]},
)

