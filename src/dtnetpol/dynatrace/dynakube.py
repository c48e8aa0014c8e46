"""DynaKube and EdgeConnect custom resources, parsed into frozen dataclasses.

Only the fields that decide which pods exist and where they connect are kept. Secrets are
never read: a proxy given through ``spec.proxy.valueFrom`` is flagged, not resolved.

Served: ``dynatrace.com/v1beta5`` (deprecated) and ``v1beta6`` DynaKubes, ``v1alpha1`` and
``v1alpha2`` EdgeConnects: what a current operator's CRDs serve. ``v1beta3`` and ``v1beta4``
DynaKubes are no longer served, so a current API server rejects them: they are an error
naming the version to convert to, unless ``accept_unserved`` (``--accept-unserved``) reads
them anyway (the fields used here have the same shape, except ``spec.extensions``: before
v1beta6 any ``extensions`` object enables the Prometheus extension).

Parsing raises :class:`~dtnetpol.errors.InputError` with the field path
(``spec.oneAgent.cloudNativeFullStack``) for input the operator could not use. Schema
validation against the CRD is separate: :func:`validate_dynakube`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import SplitResult, urlsplit

from dtnetpol.errors import InputError
from dtnetpol.manifest._fields import (
    Field,
    fail,
    missing,
    opt_bool,
    opt_int,
    opt_list,
    opt_map,
    opt_str,
    root,
    string_map,
    wrong_type,
)
from dtnetpol.manifest.crd_validator import CrdValidator, validate_against
from dtnetpol.manifest.selectors import read_selector
from dtnetpol.model import LabelSelector, SourceLocation

__all__ = [
    "DYNAKUBE_VERSIONS",
    "EDGECONNECT_VERSIONS",
    "EXAMPLE_API_URL",
    "FEATURE_FLAG_PREFIX",
    "ActiveGateSpec",
    "ApiUrl",
    "ApiUrlKind",
    "CrdValidator",
    "CsiRole",
    "DynaKube",
    "EdgeConnect",
    "Extensions",
    "HostPort",
    "Mode",
    "OtlpExporter",
    "Proxy",
    "TelemetryIngest",
    "TemplateSpec",
    "parse_dynakube",
    "parse_edgeconnect",
    "parse_endpoints",
    "parse_label_selector",
    "parse_proxy_url",
    "validate_dynakube",
]

GROUP = "dynatrace.com"
DYNAKUBE_VERSIONS = ("v1beta5", "v1beta6")
#: Read only with ``accept_unserved``: the operator's CRDs no longer serve them.
DYNAKUBE_UNSERVED_VERSIONS = ("v1beta3", "v1beta4")
DYNAKUBE_STORAGE_VERSION = "v1beta6"
EDGECONNECT_VERSIONS = ("v1alpha1", "v1alpha2")
EXAMPLE_API_URL = "https://ENVIRONMENTID.live.dynatrace.com/api"
FEATURE_FLAG_PREFIX = "feature.dynatrace.com/"
FF_PUBLIC_REGISTRY = FEATURE_FLAG_PREFIX + "use-public-registry"
FF_NODE_IMAGE_PULL = FEATURE_FLAG_PREFIX + "node-image-pull"
FF_NO_PROXY = FEATURE_FLAG_PREFIX + "no-proxy"
FF_AG_IGNORE_PROXY = FEATURE_FLAG_PREFIX + "activegate-ignore-proxy"
FF_OA_IGNORE_PROXY = FEATURE_FLAG_PREFIX + "oneagent-ignore-proxy"

ACTIVEGATE_CAPABILITIES = (
    "routing", "kubernetes-monitoring", "dynatrace-api", "metrics-ingest", "debugging",
)
TELEMETRY_PROTOCOLS = ("otlp", "zipkin", "jaeger", "statsd")
TEMPLATE_KEYS = (
    "logMonitoring", "kspmNodeConfigurationCollector", "otelCollector",
    "extensionExecutionController", "sqlExtensionExecutor",
)
_DEFAULT_PORTS = {"https": 443, "http": 80, "socks5": 1080}
_SAAS_HOST = re.compile(
    r"^(?P<env>[a-z0-9-]+)\.(?:live|sprint|dev)\.(?:dynatrace\.com|dynatracelabs\.com)$")
_ENV_PATH = re.compile(r"^/e/(?P<env>[^/]+)/api$")


def _labels() -> Any:
    return field(default_factory=dict, hash=False)


@dataclass(frozen=True, order=True)
class HostPort:
    """A network destination named by host (DNS name or IP) and TCP port."""

    host: str
    port: int
    scheme: str = "https"

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


class Mode(StrEnum):
    """The DynaKube's OneAgent mode: which key of ``spec.oneAgent`` is set."""

    CLOUD_NATIVE_FULLSTACK = "cloudNativeFullStack"
    APPLICATION_MONITORING = "applicationMonitoring"
    HOST_MONITORING = "hostMonitoring"
    CLASSIC_FULLSTACK = "classicFullStack"
    NONE = "none"

    @property
    def has_oneagent_daemonset(self) -> bool:
        """A OneAgent DaemonSet runs in every mode but applicationMonitoring."""
        return self in (Mode.CLOUD_NATIVE_FULLSTACK, Mode.HOST_MONITORING,
                        Mode.CLASSIC_FULLSTACK)

    @property
    def injects(self) -> bool:
        """Whether the webhook injects code modules into application pods."""
        return self in (Mode.CLOUD_NATIVE_FULLSTACK, Mode.APPLICATION_MONITORING)

    @property
    def csi_role(self) -> CsiRole:
        """What the CSI driver does for this mode, if it is installed."""
        if self.injects:
            return CsiRole.DOWNLOAD_AND_SERVE
        if self is Mode.HOST_MONITORING:
            return CsiRole.STORAGE_ONLY
        return CsiRole.UNUSED


class CsiRole(StrEnum):
    DOWNLOAD_AND_SERVE = "downloads code modules, serves volumes"
    STORAGE_ONLY = "storage only, no download"
    UNUSED = "unused"


class ApiUrlKind(StrEnum):
    SAAS = "saas"              # <env>.live.dynatrace.com/api (or 3rd gen <env>.apps...)
    MANAGED = "managed"        # <domain>/e/<env>/api
    ACTIVEGATE = "activegate"  # <activegate>:9999/e/<env>/api
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ApiUrl:
    """``spec.apiUrl``, split. ``api_host`` is what the operator's API client dials.

    A third-generation URL (``<env>.apps.dynatrace.com``) is mapped by the operator to the
    second-generation host (``<env>.live.dynatrace.com``) for API calls
    (pkg/util/dtapiurl), so that is the host egress rules must allow.
    """

    raw: str
    scheme: str
    host: str
    port: int
    port_defaulted: bool
    path: str
    kind: ApiUrlKind
    environment_id: str | None = None
    third_gen: bool = False

    @property
    def api_host(self) -> str:
        if not self.third_gen:
            return self.host
        prefix, _, suffix = self.host.partition(".apps.")
        return f"{prefix}.{suffix}" if "." in prefix else f"{prefix}.live.{suffix}"

    @property
    def endpoint(self) -> HostPort:
        """Host and port of the tenant API as the operator reaches it."""
        return HostPort(self.api_host, self.port, self.scheme)

    @property
    def is_example(self) -> bool:
        """The sample placeholder, which the operator's validating webhook rejects."""
        return self.raw == EXAMPLE_API_URL


@dataclass(frozen=True)
class Proxy:
    """``spec.proxy``: an inline URL (host/port known) or a Secret (unknown here)."""

    value: str | None = None
    endpoint: HostPort | None = None
    from_secret: str | None = None

    @property
    def known(self) -> bool:
        return self.endpoint is not None

    def __str__(self) -> str:
        if self.endpoint is not None:
            return str(self.endpoint)
        return f"from secret {self.from_secret}"


@dataclass(frozen=True)
class ActiveGateSpec:
    """``spec.activeGate``: its capabilities, replicas and pod labels."""

    capabilities: tuple[str, ...] = ()
    replicas: int = 1
    labels: Mapping[str, str] = _labels()
    group: str | None = None
    tls_secret: str | None = None

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def routing(self) -> bool:
        return self.has("routing")

    @property
    def kubernetes_monitoring(self) -> bool:
        return self.has("kubernetes-monitoring")


@dataclass(frozen=True)
class Extensions:
    """``spec.extensions``: the Prometheus extension and the database executors."""

    prometheus: bool = False
    databases: tuple[str, ...] = ()  # executor ids

    @property
    def any(self) -> bool:
        return self.prometheus or bool(self.databases)


@dataclass(frozen=True)
class TelemetryIngest:
    """``spec.telemetryIngest``; ``protocols`` is effective (empty in the CR means all)."""

    protocols: tuple[str, ...] = TELEMETRY_PROTOCOLS
    service_name: str = ""
    tls_secret: str | None = None


@dataclass(frozen=True)
class OtlpExporter:
    """``spec.otlpExporterConfiguration``: OTLP env vars injected into application pods."""

    signals: tuple[str, ...] = ()
    namespace_selector: LabelSelector = field(default_factory=LabelSelector)


@dataclass(frozen=True)
class TemplateSpec:
    """One of ``spec.templates``: the labels and image of a component's pods."""

    labels: Mapping[str, str] = _labels()
    image_repository: str | None = None
    image_tag: str | None = None


@dataclass(frozen=True)
class DynaKube:
    """The parts of a DynaKube that decide pods and connections.

    ``namespace_selector`` selects the namespaces whose pods get code modules (None when the
    mode injects nothing; the empty selector means every namespace).
    ``oneagent_endpoints``/``activegate_endpoints`` come from the status, when the input has
    one (``kubectl get dynakube -o yaml``).
    """

    name: str
    namespace: str
    api_version: str
    api_url: ApiUrl
    mode: Mode = Mode.NONE
    namespace_selector: LabelSelector | None = None
    code_modules_image: str | None = None
    oneagent_labels: Mapping[str, str] = _labels()
    activegate: ActiveGateSpec | None = None
    extensions: Extensions = Extensions()
    telemetry_ingest: TelemetryIngest | None = None
    kspm: bool = False
    log_monitoring: bool = False
    metadata_enrichment: bool = False
    metadata_enrichment_selector: LabelSelector | None = None
    otlp_exporter: OtlpExporter | None = None
    kubernetes_monitoring: bool = False  # spec.kubernetesMonitoring (kubemon operand)
    proxy: Proxy | None = None
    network_zone: str | None = None
    public_registry_override: str | None = None
    templates: Mapping[str, TemplateSpec] = _labels()
    feature_flags: Mapping[str, str] = _labels()
    oneagent_endpoints: tuple[HostPort, ...] = ()
    activegate_endpoints: tuple[HostPort, ...] = ()
    warnings: tuple[str, ...] = ()
    location: SourceLocation | None = field(default=None, compare=False)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def oneagent_daemonset(self) -> bool:
        return self.mode.has_oneagent_daemonset

    @property
    def injection(self) -> bool:
        return self.mode.injects

    @property
    def activegate_deployed(self) -> bool:
        """Capabilities, or extensions (which need an ActiveGate: operands_props.go)."""
        caps = self.activegate is not None and bool(self.activegate.capabilities)
        return caps or self.extensions.any

    @property
    def activegate_capabilities(self) -> tuple[str, ...]:
        return self.activegate.capabilities if self.activegate is not None else ()

    @property
    def routing_activegate(self) -> bool:
        return self.activegate_deployed and "routing" in self.activegate_capabilities

    @property
    def eec_deployed(self) -> bool:
        return self.extensions.any

    @property
    def otel_collector_deployed(self) -> bool:
        return self.telemetry_ingest is not None or self.extensions.prometheus

    @property
    def log_monitoring_standalone(self) -> bool:
        """Log monitoring gets its own DaemonSet only without a OneAgent DaemonSet."""
        return self.log_monitoring and not self.oneagent_daemonset

    @property
    def public_registry(self) -> bool:
        """Images from the public registry (feature flag; a platform token, kept in a Secret
        and so invisible here, has the same effect)."""
        return _flag_true(self.feature_flags.get(FF_PUBLIC_REGISTRY))

    @property
    def node_image_pull(self) -> bool:
        return _flag_true(self.feature_flags.get(FF_NODE_IMAGE_PULL))

    @property
    def activegate_ignores_proxy(self) -> bool:
        return _flag_true(self.feature_flags.get(FF_AG_IGNORE_PROXY))

    @property
    def oneagent_ignores_proxy(self) -> bool:
        """OneAgent, code modules and log monitoring bypass spec.proxy (deprecated flag)."""
        return _flag_true(self.feature_flags.get(FF_OA_IGNORE_PROXY))

    @property
    def code_modules_from_image(self) -> bool:
        """Code modules come from an image (custom codeModulesImage or public registry)."""
        return bool(self.code_modules_image) or self.public_registry

    @property
    def otel_service_name(self) -> str:
        if self.telemetry_ingest is not None and self.telemetry_ingest.service_name:
            return self.telemetry_ingest.service_name
        return f"{self.name}-telemetry-ingest"

    def template_labels(self, key: str) -> Mapping[str, str]:
        tpl = self.templates.get(key)
        return tpl.labels if tpl is not None else {}


@dataclass(frozen=True)
class EdgeConnect:
    """``dynatrace.com/v1alpha2`` EdgeConnect: one Deployment named after the CR."""

    name: str
    namespace: str
    api_server: HostPort
    oauth_endpoint: HostPort | None = None
    provisioner: bool = False
    kubernetes_automation: bool = False
    host_patterns: tuple[str, ...] = ()
    host_restrictions: tuple[str, ...] = ()
    proxy: HostPort | None = None
    custom_image: str | None = None
    auto_update: bool = True
    labels: Mapping[str, str] = _labels()
    location: SourceLocation | None = field(default=None, compare=False)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


def _flag_true(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "true"


# --- parsing helpers --------------------------------------------------------------------------


def _default_location(location: SourceLocation | None) -> SourceLocation:
    return location if location is not None else SourceLocation("<input>")


def _split_url(raw: str, f: Field, *, default_scheme: str | None = None) -> SplitResult:
    text = raw.strip()
    if default_scheme is not None and "://" not in text:
        text = f"{default_scheme}://{text}"
    try:
        parts = urlsplit(text)   # ValueError on an unbalanced '[' (IPv6 host)
    except ValueError as exc:
        raise fail(f, f"invalid URL {raw!r}: {exc}") from None
    try:
        _ = parts.port
    except ValueError:
        raise fail(f, f"invalid port in URL {raw!r}") from None
    if not parts.hostname:
        raise fail(f, f"URL {raw!r} has no host")
    return parts


def _parse_api_url(f: Field) -> ApiUrl:
    if not isinstance(f.value, str):
        raise wrong_type(f, "a string")
    raw = f.value
    if not raw.strip():
        raise fail(f, "must not be empty")
    parts = _split_url(raw, f)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise fail(f, f"URL {raw!r} must start with https:// (or http://)")
    host = (parts.hostname or "").lower()
    port = parts.port
    path = parts.path.rstrip("/")
    third_gen = ".apps." in host
    env: str | None = None
    kind = ApiUrlKind.UNKNOWN
    default_port = _DEFAULT_PORTS[scheme]
    if third_gen:
        kind = ApiUrlKind.SAAS
        env = host.split(".", 1)[0]
    elif (m := _SAAS_HOST.match(host)) is not None and path == "/api":
        kind = ApiUrlKind.SAAS
        env = m.group("env")
    elif (m := _ENV_PATH.match(path)) is not None:
        env = m.group("env")
        kind = ApiUrlKind.ACTIVEGATE if port == 9999 else ApiUrlKind.MANAGED
    return ApiUrl(raw=raw, scheme=scheme, host=host,
                  port=port if port is not None else default_port,
                  port_defaulted=port is None, path=path, kind=kind,
                  environment_id=env, third_gen=third_gen)


def parse_proxy_url(value: str, location: SourceLocation | None = None) -> HostPort:
    """Host and port of a proxy URL; ``proxy.example:3128`` reads as ``http://`` (port 80
    when none is given, as Go's HTTP client does).

    Raises:
        InputError: for a URL without host or with a bad port.
    """
    f = Field(value, _default_location(location))
    parts = _split_url(value, f, default_scheme="http")
    scheme = parts.scheme.lower()
    port = parts.port if parts.port is not None else _DEFAULT_PORTS.get(scheme, 80)
    return HostPort((parts.hostname or "").lower(), port, scheme)


def parse_endpoints(value: str, separator: str) -> tuple[HostPort, ...]:
    """Communication endpoints from a DynaKube status string (OneAgent: ``;``-separated,
    ActiveGate: ``,``-separated URLs); unparsable entries are skipped."""
    out: list[HostPort] = []
    for item in value.split(separator):
        text = item.strip()
        if not text:
            continue
        if "://" not in text:
            text = "https://" + text
        try:
            parts = urlsplit(text)   # ValueError on an unbalanced '[' (IPv6 host)
            port = parts.port
        except ValueError:
            continue
        if not parts.hostname:
            continue
        scheme = parts.scheme.lower()
        hp = HostPort(parts.hostname.lower(),
                      port if port is not None else _DEFAULT_PORTS.get(scheme, 443), scheme)
        if hp not in out:
            out.append(hp)
    return tuple(out)


def parse_label_selector(value: Any, location: SourceLocation | None = None) -> LabelSelector:
    """A metav1.LabelSelector (matchLabels, matchExpressions) into the model's selector.

    ``location`` (with its field path) is where the selector sits; null means ``{}``.

    Raises:
        InputError: for wrong types, an unknown operator or values that do not fit it.
    """
    return _label_selector(Field(value, _default_location(location)))


def _label_selector(f: Field) -> LabelSelector:
    """The selector at ``f``, read and validated like a NetworkPolicy's; null means ``{}``."""
    selector, problems = read_selector(f.value, f.loc)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(f"{first.code}: {first.message}{more}", first.location)
    return selector or LabelSelector()


def _str_list(parent: Field, key: str) -> tuple[str, ...]:
    out: list[str] = []
    for item in opt_list(parent, key):
        if not isinstance(item.value, str):
            raise wrong_type(item, "a string")
        out.append(item.value)
    return tuple(out)


def _enabled(parent: Field, key: str, warnings: list[str]) -> Field | None:
    """A pointer-to-struct field: present as a mapping means enabled.

    A null value is what the operator (Go) reads as unset; warn, since ``key:`` with nothing
    after it looks enabled to a human.
    """
    f = parent.get(key)
    if f is None:
        return None
    if f.value is None:
        warnings.append(f"{f.path} is null, which the operator treats as not set; "
                        "write {} to enable it")
        return None
    if not isinstance(f.value, Mapping):
        raise wrong_type(f, "a mapping")
    return f


def _api_group_version(body: Field, kind: str, versions: tuple[str, ...],
                       unserved: tuple[str, ...] = (), accept_unserved: bool = False,
                       warnings: list[str] | None = None) -> str:
    if not isinstance(body.value, Mapping):
        raise wrong_type(body, "a mapping")
    found_kind = opt_str(body, "kind")
    if found_kind != kind:
        raise fail(body.get("kind") or body, f"kind must be {kind}, not {found_kind!r}")
    api_version = opt_str(body, "apiVersion")
    if not api_version:
        raise missing(body, "apiVersion")
    group, _, version = api_version.partition("/")
    if group == GROUP and version in unserved:
        f = body.get("apiVersion") or body
        if not accept_unserved:
            raise fail(f, f"{kind} apiVersion {api_version!r} is no longer served: a current "
                       "API server rejects it; convert it to "
                       f"{GROUP}/{DYNAKUBE_STORAGE_VERSION} (or pass --accept-unserved to "
                       "analyse it anyway)")
        if warnings is not None:
            warnings.append(f"apiVersion {api_version} is no longer served (a current API "
                            f"server rejects it); analysed anyway as --accept-unserved asks: "
                            f"convert it to {GROUP}/{DYNAKUBE_STORAGE_VERSION}")
        return version
    if group != GROUP or version not in versions:
        raise fail(body.get("apiVersion") or body,
                   f"unsupported apiVersion {api_version!r} for {kind} "
                   f"(supported: {', '.join(GROUP + '/' + v for v in versions)})")
    return version


def _meta(body: Field) -> tuple[str, str, Mapping[str, str]]:
    meta = opt_map(body, "metadata")
    if meta is None:
        raise missing(body, "metadata")
    name = opt_str(meta, "name")
    if not name:
        raise missing(meta, "name")
    namespace = opt_str(meta, "namespace") or ""
    annotations = string_map(meta, "annotations")
    return name, namespace, annotations


# --- DynaKube ---------------------------------------------------------------------------------


def parse_dynakube(body: Mapping[str, Any], location: SourceLocation | None = None, *,
                   default_namespace: str = "dynatrace",
                   accept_unserved: bool = False) -> DynaKube:
    """Parse a DynaKube (v1beta5, v1beta6; v1beta3, v1beta4 only with ``accept_unserved``).

    Args:
        body: the object as loaded from YAML/JSON (line-marked containers give lines).
        location: where the object starts; field paths are added to it.
        default_namespace: used when ``metadata.namespace`` is absent.

    Raises:
        InputError: wrong kind/apiVersion, missing name or apiUrl, a field of the wrong type,
            several OneAgent modes at once, an unknown ActiveGate capability or telemetry
            protocol, or a malformed label selector.
    """
    doc = root(body, _default_location(location))
    warnings: list[str] = []
    version = _api_group_version(doc, "DynaKube", DYNAKUBE_VERSIONS,
                                 DYNAKUBE_UNSERVED_VERSIONS, accept_unserved, warnings)
    name, namespace, annotations = _meta(doc)
    spec = opt_map(doc, "spec")
    if spec is None:
        raise missing(doc, "spec")
    if opt_bool(spec, "enableIstio"):
        warnings.append(
            "spec.enableIstio: the operator creates Istio ServiceEntry and VirtualService "
            "objects for the tenant and communication hosts; in a mesh whose outbound policy "
            "is REGISTRY_ONLY, tenant egress also needs them (NetworkPolicy analysis does not "
            "see the mesh)")

    api_field = spec.get("apiUrl")
    if api_field is None or api_field.value is None:
        raise missing(spec, "apiUrl")
    api_url = _parse_api_url(api_field)
    if api_url.is_example:
        warnings.append(f"{api_field.path} is the sample placeholder {EXAMPLE_API_URL}; the "
                        "operator's validating webhook rejects it")

    mode, mode_field = _parse_mode(spec, warnings)
    namespace_selector: LabelSelector | None = None
    code_modules_image: str | None = None
    oneagent_labels: dict[str, str] = {}
    if mode_field is not None:
        if mode.injects:
            sel = mode_field.get("namespaceSelector")
            namespace_selector = (_label_selector(sel) if sel is not None
                                  else LabelSelector())
            code_modules_image = opt_str(mode_field, "codeModulesImage") or None
        if mode.has_oneagent_daemonset:
            oneagent_labels = string_map(mode_field, "labels")

    activegate = _parse_activegate(spec)
    extensions = _parse_extensions(spec, version, warnings)
    telemetry = _parse_telemetry(spec, warnings)
    kspm = _enabled(spec, "kspm", warnings) is not None
    log_monitoring = _enabled(spec, "logMonitoring", warnings) is not None
    me = opt_map(spec, "metadataEnrichment")
    me_enabled = opt_bool(me, "enabled") if me is not None else False
    me_selector: LabelSelector | None = None
    if me is not None and me_enabled:
        sel = me.get("namespaceSelector")
        me_selector = _label_selector(sel) if sel is not None else LabelSelector()
    otlp = _parse_otlp(spec, warnings)
    kubemon = _enabled(spec, "kubernetesMonitoring", warnings) is not None
    proxy = _parse_proxy(spec)
    network_zone = opt_str(spec, "networkZone") or None
    registry_override = opt_str(spec, "publicRegistryOverride") or None
    templates = _parse_templates(spec)
    flags = {k: v for k, v in annotations.items() if k.startswith(FEATURE_FLAG_PREFIX)}
    oa_eps, ag_eps = _parse_status(doc)

    if kspm and not (activegate is not None and activegate.kubernetes_monitoring) \
            and not kubemon:
        warnings.append("spec.kspm needs an ActiveGate with the kubernetes-monitoring "
                        "capability; the operator's validating webhook rejects it otherwise")

    return DynaKube(
        name=name,
        namespace=namespace or default_namespace,
        api_version=f"{GROUP}/{version}",
        api_url=api_url,
        mode=mode,
        namespace_selector=namespace_selector,
        code_modules_image=code_modules_image,
        oneagent_labels=oneagent_labels,
        activegate=activegate,
        extensions=extensions,
        telemetry_ingest=telemetry,
        kspm=kspm,
        log_monitoring=log_monitoring,
        metadata_enrichment=me_enabled,
        metadata_enrichment_selector=me_selector,
        otlp_exporter=otlp,
        kubernetes_monitoring=kubemon,
        proxy=proxy,
        network_zone=network_zone,
        public_registry_override=registry_override,
        templates=templates,
        feature_flags=flags,
        oneagent_endpoints=oa_eps,
        activegate_endpoints=ag_eps,
        warnings=tuple(warnings),
        location=doc.loc,
    )


def _parse_mode(spec: Field, warnings: list[str]) -> tuple[Mode, Field | None]:
    oa = opt_map(spec, "oneAgent")
    if oa is None:
        return Mode.NONE, None
    found: list[tuple[Mode, Field]] = []
    for mode in Mode:
        if mode is Mode.NONE:
            continue
        f = _enabled(oa, mode.value, warnings)
        if f is not None:
            found.append((mode, f))
    if len(found) > 1:
        names = ", ".join(m.value for m, _ in found)
        raise fail(oa, f"several OneAgent modes are set ({names}); the operator accepts one")
    if not found:
        return Mode.NONE, None
    return found[0]


def _parse_activegate(spec: Field) -> ActiveGateSpec | None:
    ag = opt_map(spec, "activeGate")
    if ag is None:
        return None
    caps: list[str] = []
    for item in opt_list(ag, "capabilities"):
        if not isinstance(item.value, str):
            raise wrong_type(item, "a string")
        if item.value not in ACTIVEGATE_CAPABILITIES:
            raise fail(item, f"unknown ActiveGate capability {item.value!r} (known: "
                             f"{', '.join(ACTIVEGATE_CAPABILITIES)})")
        if item.value not in caps:
            caps.append(item.value)
    replicas = opt_int(ag, "replicas")
    return ActiveGateSpec(
        capabilities=tuple(caps),
        replicas=1 if replicas is None else replicas,
        labels=string_map(ag, "labels"),
        group=opt_str(ag, "group") or None,
        tls_secret=opt_str(ag, "tlsSecretName") or None,
    )


def _parse_extensions(spec: Field, version: str, warnings: list[str]) -> Extensions:
    ext = _enabled(spec, "extensions", warnings)
    if ext is None:
        return Extensions()
    if version != "v1beta6":
        # Before v1beta6 the field was an empty struct: present means Prometheus (convert_to.go).
        return Extensions(prometheus=True)
    prometheus = _enabled(ext, "prometheus", warnings) is not None
    ids: list[str] = []
    for item in opt_list(ext, "databases"):
        if not isinstance(item.value, Mapping):
            raise wrong_type(item, "a mapping")
        db_id = opt_str(item, "id")
        if not db_id:
            raise missing(item, "id")
        ids.append(db_id)
    return Extensions(prometheus=prometheus, databases=tuple(ids))


def _parse_telemetry(spec: Field, warnings: list[str]) -> TelemetryIngest | None:
    ti = _enabled(spec, "telemetryIngest", warnings)
    if ti is None:
        return None
    protocols: list[str] = []
    for item in opt_list(ti, "protocols"):
        if not isinstance(item.value, str):
            raise wrong_type(item, "a string")
        if item.value not in TELEMETRY_PROTOCOLS:
            raise fail(item, f"unknown telemetry protocol {item.value!r} (known: "
                             f"{', '.join(TELEMETRY_PROTOCOLS)})")
        if item.value not in protocols:
            protocols.append(item.value)
    return TelemetryIngest(
        protocols=tuple(protocols) if protocols else TELEMETRY_PROTOCOLS,
        service_name=opt_str(ti, "serviceName") or "",
        tls_secret=opt_str(ti, "tlsRefName") or None,
    )


def _parse_otlp(spec: Field, warnings: list[str]) -> OtlpExporter | None:
    otlp = _enabled(spec, "otlpExporterConfiguration", warnings)
    if otlp is None:
        return None
    signals_f = opt_map(otlp, "signals")
    signals: list[str] = []
    if signals_f is not None:
        for sig in ("metrics", "traces", "logs"):
            if _enabled(signals_f, sig, warnings) is not None:
                signals.append(sig)
    if not signals:
        return None  # ExporterConfiguration.IsEnabled needs at least one signal
    sel = otlp.get("namespaceSelector")
    return OtlpExporter(tuple(signals),
                        _label_selector(sel) if sel is not None else LabelSelector())


def _parse_proxy(spec: Field) -> Proxy | None:
    p = opt_map(spec, "proxy")
    if p is None:
        return None
    value = opt_str(p, "value") or None
    secret = opt_str(p, "valueFrom") or None
    if value is None and secret is None:
        return None
    if value is not None:
        vf = p.get("value")
        assert vf is not None
        return Proxy(value=value, endpoint=parse_proxy_url(value, vf.loc), from_secret=secret)
    return Proxy(from_secret=secret)


def _parse_templates(spec: Field) -> dict[str, TemplateSpec]:
    tpl = opt_map(spec, "templates")
    out: dict[str, TemplateSpec] = {}
    if tpl is None:
        return out
    for key in TEMPLATE_KEYS:
        t = opt_map(tpl, key)
        if t is None:
            continue
        image = opt_map(t, "imageRef")
        out[key] = TemplateSpec(
            labels=string_map(t, "labels"),
            image_repository=(opt_str(image, "repository") or None) if image else None,
            image_tag=(opt_str(image, "tag") or None) if image else None,
        )
    return out


def _parse_status(doc: Field) -> tuple[tuple[HostPort, ...], tuple[HostPort, ...]]:
    status = doc.get("status")
    if status is None or not isinstance(status.value, Mapping):
        return (), ()

    def endpoints(section: str, info: str, sep: str) -> tuple[HostPort, ...]:
        s = status.value.get(section)
        ci = s.get(info) if isinstance(s, Mapping) else None
        text = ci.get("endpoints") if isinstance(ci, Mapping) else None
        return parse_endpoints(text, sep) if isinstance(text, str) else ()

    return (endpoints("oneAgent", "connectionInfoStatus", ";"),
            endpoints("activeGate", "connectionInfoStatus", ","))


# --- EdgeConnect ------------------------------------------------------------------------------


def parse_edgeconnect(body: Mapping[str, Any], location: SourceLocation | None = None, *,
                      default_namespace: str = "dynatrace") -> EdgeConnect:
    """Parse a ``dynatrace.com/v1alpha1`` or ``v1alpha2`` EdgeConnect.

    Raises:
        InputError: wrong kind/apiVersion, missing name or ``spec.apiServer``, wrong types.
    """
    doc = root(body, _default_location(location))
    _api_group_version(doc, "EdgeConnect", EDGECONNECT_VERSIONS)
    name, namespace, _ = _meta(doc)
    spec = opt_map(doc, "spec")
    if spec is None:
        raise missing(doc, "spec")
    api_f = spec.get("apiServer")
    if api_f is None or not api_f.value:
        raise missing(spec, "apiServer")
    if not isinstance(api_f.value, str):
        raise wrong_type(api_f, "a string")
    parts = _split_url(api_f.value, api_f, default_scheme="https")
    api_server = HostPort((parts.hostname or "").lower(), parts.port or 443, "https")

    oauth_ep: HostPort | None = None
    provisioner = False
    oauth = opt_map(spec, "oauth")
    if oauth is not None:
        provisioner = opt_bool(oauth, "provisioner")
        ep = oauth.get("endpoint")
        if ep is not None and ep.value:
            if not isinstance(ep.value, str):
                raise wrong_type(ep, "a string")
            p = _split_url(ep.value, ep, default_scheme="https")
            oauth_ep = HostPort((p.hostname or "").lower(),
                                p.port or _DEFAULT_PORTS.get(p.scheme.lower(), 443),
                                p.scheme.lower())
    ka = opt_map(spec, "kubernetesAutomation")
    automation = opt_bool(ka, "enabled") if ka is not None else False

    proxy: HostPort | None = None
    pf = opt_map(spec, "proxy")
    if pf is not None:
        host = opt_str(pf, "host")
        if host:
            port = opt_int(pf, "port")
            proxy = HostPort(host.lower(), port if port else 80, "http")

    image = opt_map(spec, "imageRef")
    repo = opt_str(image, "repository") if image is not None else None
    auto_update_f = spec.get("autoUpdate")
    auto_update = True
    if auto_update_f is not None and auto_update_f.value is not None:
        if not isinstance(auto_update_f.value, bool):
            raise wrong_type(auto_update_f, "a boolean")
        auto_update = auto_update_f.value

    return EdgeConnect(
        name=name,
        namespace=namespace or default_namespace,
        api_server=api_server,
        oauth_endpoint=oauth_ep,
        provisioner=provisioner,
        kubernetes_automation=automation,
        host_patterns=_str_list(spec, "hostPatterns"),
        host_restrictions=_str_list(spec, "hostRestrictions"),
        proxy=proxy,
        custom_image=repo or None,
        auto_update=auto_update,
        labels=string_map(spec, "labels"),
        location=doc.loc,
    )


# --- schema validation ------------------------------------------------------------------------


def validate_dynakube(body: Any, crd: Mapping[str, Any] | CrdValidator) -> list[tuple[str, str]]:
    """Check a DynaKube against the CRD's openAPIV3Schema for its apiVersion's version.

    Args:
        body: the object as loaded (a mapping).
        crd: the DynaKube CustomResourceDefinition as loaded by the caller, or a
            :class:`CrdValidator` built from it once (faster for many objects).

    Returns:
        (field path, message) pairs, sorted by path; empty when valid. Unknown fields are
        reported like any other invalid field (see :mod:`dtnetpol.manifest.crd_validator`: kubectl's
        default strict field validation rejects them; otherwise the API server drops them, so
        the setting never takes effect). A version the CRD does not serve gives one problem at
        ``apiVersion``.
    """
    return list(validate_against(crd, body))
