"""The pods the Dynatrace Operator runs, as data, and how to recognise them by their labels.

Two label families exist (the operator's Helm chart and its operand builders):

* **install pods** (operator, webhook, CSI driver, CRD storage-migration job) come from the
  Helm chart or the release manifests. They all carry ``app.kubernetes.io/name:
  dynatrace-operator`` (before v1.0.0: the Helm release name) and differ by
  ``app.kubernetes.io/component``. Each also carries selector labels of its own.
* **operands** are created at run time by the operator for a DynaKube (or an EdgeConnect):
  ``app.kubernetes.io/name: <app>``, ``app.kubernetes.io/created-by: <CR name>``,
  ``app.kubernetes.io/managed-by: dynatrace-operator``, ``app.kubernetes.io/component`` and
  ``app.kubernetes.io/version``. The experimental kubemon operand uses
  ``app.kubernetes.io/instance`` instead of ``created-by``, has no component label, and
  carries ``internal.dynatrace.com/operator-version`` (k8slabel.New).

Everything here is pure data; nothing reads a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from dtnetpol.model import Protocol

__all__ = [
    "APP_COMPONENT",
    "APP_CREATED_BY",
    "APP_INSTANCE",
    "APP_MANAGED_BY",
    "APP_NAME",
    "APP_VERSION",
    "COMPONENTS",
    "CSI_SELECTOR_LABELS",
    "DEFAULT_RELEASE_NAME",
    "INSTALL_APP_NAME",
    "INSTANCE_NAMESPACE_LABEL",
    "OPERATOR_MANAGED_BY",
    "OPERATOR_SELECTOR_KEY",
    "OPERATOR_VERSION",
    "OTEL_PORTS",
    "TELEMETRY_PROTOCOL_PORTS",
    "WEBHOOK_SELECTOR_LABELS",
    "Component",
    "ComponentId",
    "HostNetwork",
    "LabelFamily",
    "PortSpec",
    "Scope",
    "ServicePortSpec",
    "ServiceSpec",
    "WorkloadKind",
    "component",
    "install_labels",
    "oneagent_component_label",
    "operand_labels",
    "operand_selector",
    "recognise",
]

APP_NAME = "app.kubernetes.io/name"
APP_COMPONENT = "app.kubernetes.io/component"
APP_CREATED_BY = "app.kubernetes.io/created-by"
APP_INSTANCE = "app.kubernetes.io/instance"
APP_MANAGED_BY = "app.kubernetes.io/managed-by"
APP_VERSION = "app.kubernetes.io/version"
OPERATOR_VERSION = "internal.dynatrace.com/operator-version"

#: ``app.kubernetes.io/name`` of every install pod since v1.0.0.
INSTALL_APP_NAME = "dynatrace-operator"
#: ``app.kubernetes.io/managed-by`` of every operand.
OPERATOR_MANAGED_BY = "dynatrace-operator"
DEFAULT_RELEASE_NAME = "dynatrace-operator"
#: The label the webhook puts on each monitored namespace (value: DynaKube name).
INSTANCE_NAMESPACE_LABEL = "dynakube.internal.dynatrace.com/instance"

WEBHOOK_SELECTOR_LABELS: Mapping[str, str] = {
    "internal.dynatrace.com/app": "webhook",
    "internal.dynatrace.com/component": "webhook",
}
CSI_SELECTOR_LABELS: Mapping[str, str] = {
    "internal.oneagent.dynatrace.com/app": "csi-driver",
    "internal.oneagent.dynatrace.com/component": "csi-driver",
}
#: The operator Deployment's selector label is ``name: <helm release name>``.
OPERATOR_SELECTOR_KEY = "name"


class ComponentId(StrEnum):
    OPERATOR = "operator"
    WEBHOOK = "webhook"
    CSI_DRIVER = "csi-driver"
    CRD_STORAGE_MIGRATION = "crd-storage-migration"
    ACTIVEGATE = "activegate"
    ONEAGENT = "oneagent"
    EXTENSION_CONTROLLER = "extension-controller"
    OTEL_COLLECTOR = "otel-collector"
    KSPM = "kspm"
    LOG_MONITORING = "logmonitoring"
    SQL_EXECUTOR = "sql-executor"
    EDGECONNECT = "edgeconnect"
    CODE_MODULES = "code-modules"
    CODEMODULE_JOB = "codemodule-job"
    KUBEMON = "kubemon"


class WorkloadKind(StrEnum):
    DEPLOYMENT = "Deployment"
    DAEMONSET = "DaemonSet"
    STATEFULSET = "StatefulSet"
    JOB = "Job"
    #: Not a workload of its own: code injected into application pods.
    APP_PODS = "application pods"


class Scope(StrEnum):
    """How many of the component exist."""

    INSTALL = "install"          # one per operator installation
    DYNAKUBE = "dynakube"        # one per DynaKube that enables it
    EDGECONNECT = "edgeconnect"  # one per EdgeConnect CR
    APP_PODS = "app-pods"        # inside monitored application pods


class LabelFamily(StrEnum):
    INSTALL = "install"    # Helm chart / release manifests
    OPERAND = "operand"    # k8slabel.NewAppLabels
    OPERAND_V2 = "operand-v2"  # k8slabel.New (name/instance/managed-by), kubemon only
    NONE = "none"          # the application's own labels


class HostNetwork(StrEnum):
    NEVER = "never"
    ALWAYS = "always"
    OPTIONAL = "optional"  # webhook: Helm value webhook.hostNetwork, default off


@dataclass(frozen=True)
class PortSpec:
    """A port a pod listens on (the pod port: what NetworkPolicy ports match)."""

    number: int
    protocol: Protocol = Protocol.TCP
    name: str | None = None
    purpose: str = ""
    configurable: bool = False

    def __str__(self) -> str:
        label = f" ({self.name})" if self.name else ""
        return f"{self.number}/{self.protocol.value}{label}"


@dataclass(frozen=True)
class ServicePortSpec:
    """One port of a component's Service and the pod port it forwards to."""

    port: int
    target_port: int
    protocol: Protocol = Protocol.TCP
    name: str | None = None


@dataclass(frozen=True)
class ServiceSpec:
    """The Service in front of a component (Service ports are NOT what policies match)."""

    name_pattern: str
    ports: tuple[ServicePortSpec, ...]
    note: str = ""


@dataclass(frozen=True)
class Component:
    """One kind of Dynatrace pod.

    ``name_pattern`` uses ``<dk>`` for the DynaKube name, ``<ec>`` for the EdgeConnect name,
    ``<id>`` for a database executor id. ``declared_ports`` are container ports (usable by
    name in a policy); ``undeclared_ports`` listen without a containerPort entry (use numbers).
    """

    id: ComponentId
    display_name: str
    scope: Scope
    workload_kind: WorkloadKind
    name_pattern: str
    label_family: LabelFamily
    app_label: str | None = None
    component_label: str | None = None
    declared_ports: tuple[PortSpec, ...] = ()
    undeclared_ports: tuple[PortSpec, ...] = ()
    host_network: HostNetwork = HostNetwork.NEVER
    host_pid: bool = False
    service: ServiceSpec | None = None
    user_label_fields: tuple[str, ...] = ()
    experimental: bool = False
    notes: tuple[str, ...] = ()
    source: str = ""

    @property
    def ports(self) -> tuple[PortSpec, ...]:
        return self.declared_ports + self.undeclared_ports

    def workload_name(self, owner: str = "", executor_id: str = "") -> str:
        """The workload's name for a DynaKube/EdgeConnect called ``owner``."""
        return (self.name_pattern.replace("<dk>", owner).replace("<ec>", owner)
                .replace("<id>", executor_id))

    def port(self, number: int, protocol: Protocol = Protocol.TCP) -> PortSpec | None:
        for p in self.ports:
            if p.number == number and p.protocol is protocol:
                return p
        return None


_T = Protocol.TCP
_U = Protocol.UDP

OTEL_PORTS: tuple[PortSpec, ...] = (
    PortSpec(4317, _T, "otlp-grpc", "OTLP gRPC"),
    PortSpec(4318, _T, "otlp-http", "OTLP HTTP"),
    PortSpec(9411, _T, "zipkin", "Zipkin"),
    PortSpec(14250, _T, "jaeger-grpc", "Jaeger gRPC"),
    PortSpec(14268, _T, "jaeger-thrift-http", "Jaeger Thrift HTTP"),
    PortSpec(6831, _U, "jaeger-thrift-compact", "Jaeger Thrift compact"),
    PortSpec(6832, _U, "jaeger-thrift-binary", "Jaeger Thrift binary"),
    PortSpec(8125, _U, "statsd", "StatsD"),
    PortSpec(13133, _T, None, "health check extension (kubelet probes)"),
)

#: Telemetry-ingest protocol (``spec.telemetryIngest.protocols``) → OTel collector ports.
TELEMETRY_PROTOCOL_PORTS: Mapping[str, tuple[int, ...]] = {
    "otlp": (4317, 4318),
    "zipkin": (9411,),
    "jaeger": (14250, 14268, 6831, 6832),
    "statsd": (8125,),
}

_AG_PORTS = (
    PortSpec(9999, _T, "https", "communication, OTLP, REST API; readiness/liveness probes"),
    PortSpec(9998, _T, "http", "metric ingest over plain http"),
)
_AG_SERVICE_PORTS = (
    ServicePortSpec(443, 9999, _T, "https"),
    ServicePortSpec(80, 9998, _T, "http"),
)

_COMPONENT_LIST: tuple[Component, ...] = (
    Component(
        id=ComponentId.OPERATOR,
        display_name="Dynatrace Operator",
        scope=Scope.INSTALL,
        workload_kind=WorkloadKind.DEPLOYMENT,
        name_pattern="dynatrace-operator",
        label_family=LabelFamily.INSTALL,
        component_label="operator",
        declared_ports=(
            PortSpec(10080, _T, "livez", "liveness probe"),
            PortSpec(8080, _T, "metrics", "Prometheus metrics"),
        ),
        notes=("Selector label `name: <helm release name>`.",),
        source="config/helm/chart/default/templates/Common/operator/deployment-operator.yaml",
    ),
    Component(
        id=ComponentId.WEBHOOK,
        display_name="Dynatrace webhook",
        scope=Scope.INSTALL,
        workload_kind=WorkloadKind.DEPLOYMENT,
        name_pattern="dynatrace-webhook",
        label_family=LabelFamily.INSTALL,
        component_label="webhook",
        declared_ports=(
            PortSpec(8443, _T, "server-port", "admission/conversion server", configurable=True),
            PortSpec(10080, _T, "livez", "liveness/readiness probe", configurable=True),
            PortSpec(8383, _T, "metrics", "Prometheus metrics", configurable=True),
        ),
        host_network=HostNetwork.OPTIONAL,
        service=ServiceSpec("dynatrace-webhook", (ServicePortSpec(443, 8443, _T),),
                            "targetPort is the named port server-port"),
        notes=(
            "Replicas: 2 with the chart default webhook.highAvailability=true, else 1.",
            "Never talks to the Dynatrace tenant.",
        ),
        source="config/helm/chart/default/templates/Common/webhook/deployment-webhook.yaml",
    ),
    Component(
        id=ComponentId.CSI_DRIVER,
        display_name="Dynatrace CSI driver",
        scope=Scope.INSTALL,
        workload_kind=WorkloadKind.DAEMONSET,
        name_pattern="dynatrace-oneagent-csi-driver",
        label_family=LabelFamily.INSTALL,
        component_label="csi-driver",
        declared_ports=(
            PortSpec(8080, _T, "server-metrics", "CSI server metrics"),
            PortSpec(10090, _T, "livez", "provisioner liveness probe"),
            PortSpec(8090, _T, "prov-metrics", "provisioner metrics"),
        ),
        undeclared_ports=(PortSpec(9808, _T, None, "CSI livenessprobe sidecar health"),),
        notes=("Installed when Helm csidriver.enabled (default true).",),
        source="config/helm/chart/default/templates/Common/csi/daemonset.yaml",
    ),
    Component(
        id=ComponentId.CRD_STORAGE_MIGRATION,
        display_name="CRD storage-migration job",
        scope=Scope.INSTALL,
        workload_kind=WorkloadKind.JOB,
        name_pattern="dynatrace-operator-crd-storage-migration",
        label_family=LabelFamily.INSTALL,
        component_label="crd-storage-migration",
        notes=("Helm pre-upgrade hook (crdStorageMigrationJob, default true).",),
        source="config/helm/chart/default/templates/Common/crd/job-crd-storage-migration.yaml",
    ),
    Component(
        id=ComponentId.ACTIVEGATE,
        display_name="ActiveGate",
        scope=Scope.DYNAKUBE,
        workload_kind=WorkloadKind.STATEFULSET,
        name_pattern="<dk>-activegate",
        label_family=LabelFamily.OPERAND,
        app_label="activegate",
        component_label="activegate",
        declared_ports=_AG_PORTS,
        service=ServiceSpec("<dk>-activegate", _AG_SERVICE_PORTS),
        user_label_fields=("spec.activeGate.labels",),
        notes=("ServiceAccount dynatrace-activegate (not a pod label).",),
        source="pkg/controllers/dynakube/activegate/internal/statefulset/statefulset.go",
    ),
    Component(
        id=ComponentId.ONEAGENT,
        display_name="OneAgent",
        scope=Scope.DYNAKUBE,
        workload_kind=WorkloadKind.DAEMONSET,
        name_pattern="<dk>-oneagent",
        label_family=LabelFamily.OPERAND,
        app_label="oneagent",
        component_label=None,  # the mode: cloudnativefullstack / hostmonitoring / ...
        host_network=HostNetwork.ALWAYS,
        host_pid=True,
        user_label_fields=(
            "spec.oneAgent.cloudNativeFullStack.labels",
            "spec.oneAgent.hostMonitoring.labels",
            "spec.oneAgent.classicFullStack.labels",
        ),
        notes=(
            "Host network: pod NetworkPolicies do not govern it; its traffic comes from node IPs.",
            "User labels override the operator's labels on this DaemonSet only.",
        ),
        source="pkg/controllers/dynakube/oneagent/daemonset/daemonset.go",
    ),
    Component(
        id=ComponentId.EXTENSION_CONTROLLER,
        display_name="Extension Execution Controller (EEC)",
        scope=Scope.DYNAKUBE,
        workload_kind=WorkloadKind.STATEFULSET,
        name_pattern="<dk>-extension-controller",
        label_family=LabelFamily.OPERAND,
        app_label="dynatrace-extension-controller",
        component_label="dynatrace-extension-controller",
        declared_ports=(
            PortSpec(14599, _T, "collector-com", "datasource communication; readiness probe"),
        ),
        service=ServiceSpec("<dk>-extension-controller", (ServicePortSpec(14599, 14599, _T),)),
        user_label_fields=("spec.templates.extensionExecutionController.labels",),
        source="pkg/controllers/dynakube/extension/eec/statefulset.go",
    ),
    Component(
        id=ComponentId.OTEL_COLLECTOR,
        display_name="OpenTelemetry collector",
        scope=Scope.DYNAKUBE,
        workload_kind=WorkloadKind.STATEFULSET,
        name_pattern="<dk>-otel-collector",
        label_family=LabelFamily.OPERAND,
        app_label="dynatrace-otel-collector",
        component_label="dynatrace-otel-collector",
        undeclared_ports=OTEL_PORTS,
        service=ServiceSpec(
            "<dk>-telemetry-ingest",
            tuple(ServicePortSpec(p.number, p.number, p.protocol, p.name)
                  for p in OTEL_PORTS if p.number != 13133),
            "named by spec.telemetryIngest.serviceName when set; ports follow the protocols",
        ),
        user_label_fields=("spec.templates.otelCollector.labels",),
        notes=("No containerPort entries: policies must use port numbers, not names.",
               "Deployed for spec.telemetryIngest or spec.extensions.prometheus."),
        source="pkg/controllers/dynakube/otelc/",
    ),
    Component(
        id=ComponentId.KSPM,
        display_name="KSPM node configuration collector",
        scope=Scope.DYNAKUBE,
        workload_kind=WorkloadKind.DAEMONSET,
        name_pattern="<dk>-node-config-collector",
        label_family=LabelFamily.OPERAND,
        app_label="kspm",
        component_label="kspm",
        host_pid=True,
        user_label_fields=("spec.templates.kspmNodeConfigurationCollector.labels",),
        source="pkg/controllers/dynakube/kspm/daemonset/reconciler.go",
    ),
    Component(
        id=ComponentId.LOG_MONITORING,
        display_name="Log monitoring (standalone)",
        scope=Scope.DYNAKUBE,
        workload_kind=WorkloadKind.DAEMONSET,
        name_pattern="<dk>-logmonitoring",
        label_family=LabelFamily.OPERAND,
        app_label="logmonitoring",
        component_label="logmonitoring",
        user_label_fields=("spec.templates.logMonitoring.labels",),
        notes=("Only standalone, i.e. when the DynaKube runs no OneAgent DaemonSet; otherwise "
               "the OneAgent collects the logs.",),
        source="pkg/controllers/dynakube/logmonitoring/daemonset/reconciler.go",
    ),
    Component(
        id=ComponentId.SQL_EXECUTOR,
        display_name="SQL extension executor",
        scope=Scope.DYNAKUBE,
        workload_kind=WorkloadKind.DEPLOYMENT,
        name_pattern="<dk>-sql-ext-exec-<id>",
        label_family=LabelFamily.OPERAND,
        app_label="dynatrace-sql-extension-executor",
        component_label="dynatrace-sql-extension-executor",
        undeclared_ports=(PortSpec(8080, _T, None, "liveness/readiness probes"),),
        user_label_fields=("spec.extensions.databases[].labels",),
        notes=("Pods also carry extensions.dynatrace.com/executor.id: <id> and "
               "extensions.dynatrace.com/datasource: sql.",),
        source="pkg/controllers/dynakube/extension/databases/deployment.go",
    ),
    Component(
        id=ComponentId.EDGECONNECT,
        display_name="EdgeConnect",
        scope=Scope.EDGECONNECT,
        workload_kind=WorkloadKind.DEPLOYMENT,
        name_pattern="<ec>",
        label_family=LabelFamily.OPERAND,
        app_label="edgeconnect",
        component_label="user-provisioned",
        user_label_fields=("spec.labels",),
        notes=("created-by is the EdgeConnect name; runs in the EdgeConnect's namespace.",),
        source="pkg/controllers/edgeconnect/deployment/deployment.go",
    ),
    Component(
        id=ComponentId.CODE_MODULES,
        display_name="Injected init container and code modules",
        scope=Scope.APP_PODS,
        workload_kind=WorkloadKind.APP_PODS,
        name_pattern="<application pods in monitored namespaces>",
        label_family=LabelFamily.NONE,
        notes=("Live in the application's pods: recognise them by namespace (label "
               "dynakube.internal.dynatrace.com/instance) and the annotation "
               "oneagent.dynatrace.com/injected, not by pod labels.",),
        source="pkg/webhook/mutation/pod/",
    ),
    Component(
        id=ComponentId.CODEMODULE_JOB,
        display_name="Code-module node image pull job",
        scope=Scope.DYNAKUBE,
        workload_kind=WorkloadKind.JOB,
        name_pattern="<per node and image>",
        label_family=LabelFamily.OPERAND,
        app_label="codemodule",
        component_label="",
        notes=("Started by the CSI provisioner with feature.dynatrace.com/node-image-pull; the "
               "kubelet pulls the image, the pod itself makes no network calls.",),
        source="pkg/injection/codemodule/installer/job/bootstrapper.go",
    ),
    Component(
        id=ComponentId.KUBEMON,
        display_name="Kubernetes monitoring operand (kubemon, experimental)",
        scope=Scope.DYNAKUBE,
        workload_kind=WorkloadKind.STATEFULSET,
        name_pattern="<dk>-kubemon",
        label_family=LabelFamily.OPERAND_V2,
        app_label="kubemon",
        declared_ports=_AG_PORTS,
        service=ServiceSpec("<dk>-kubemon", _AG_SERVICE_PORTS),
        user_label_fields=("spec.kubernetesMonitoring.labels",),
        experimental=True,
        notes=("Only with Helm experimental.enableKubemonOperand=true and "
               "spec.kubernetesMonitoring set.",),
        source="pkg/controllers/dynakube/kubemon/statefulset/reconciler.go",
    ),
)

COMPONENTS: Mapping[ComponentId, Component] = {c.id: c for c in _COMPONENT_LIST}

_INSTALL_COMPONENT_LABELS: Mapping[str, ComponentId] = {
    c.component_label: c.id for c in _COMPONENT_LIST
    if c.label_family is LabelFamily.INSTALL and c.component_label
}
_OPERAND_APPS: Mapping[str, ComponentId] = {
    c.app_label: c.id for c in _COMPONENT_LIST
    if c.label_family in (LabelFamily.OPERAND, LabelFamily.OPERAND_V2) and c.app_label
}

#: OneAgent DaemonSet ``app.kubernetes.io/component`` per mode (underscores removed).
_ONEAGENT_MODE_LABELS: Mapping[str, str] = {
    "cloudNativeFullStack": "cloudnativefullstack",
    "hostMonitoring": "hostmonitoring",
    "classicFullStack": "classicfullstack",
}


def component(component_id: ComponentId | str) -> Component:
    """The component description; raises KeyError for an unknown id."""
    return COMPONENTS[ComponentId(component_id)]


def _has_all(labels: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in wanted.items())


def recognise(labels: Mapping[str, str], *,
              release_name: str = DEFAULT_RELEASE_NAME) -> ComponentId | None:
    """Which Dynatrace component a pod with these labels is, or None.

    Install pods match on ``app.kubernetes.io/name`` equal to ``dynatrace-operator`` or to
    ``release_name`` (pre-1.0 charts used the release name) together with the component
    label, or on their selector labels alone (webhook, CSI driver; the operator by
    ``name: <release_name>`` together with ``component: operator``). Operands match on a
    known ``app.kubernetes.io/name`` with ``managed-by: dynatrace-operator`` and an owner
    label (``created-by``, or ``instance`` for kubemon).

    Labels seen on RBAC objects, Secrets or ConfigMaps (``name: dynatrace-operator`` with an
    operand component such as ``activegate``) are never on pods and give None. Application
    pods with injected code modules are not recognised here: they carry no Dynatrace label.
    """
    name = labels.get(APP_NAME)
    comp = labels.get(APP_COMPONENT)
    if name is not None and name in (INSTALL_APP_NAME, release_name):
        if comp is not None:
            return _INSTALL_COMPONENT_LABELS.get(comp)
        if _has_all(labels, WEBHOOK_SELECTOR_LABELS):
            return ComponentId.WEBHOOK
        if _has_all(labels, CSI_SELECTOR_LABELS):
            return ComponentId.CSI_DRIVER
        if labels.get(OPERATOR_SELECTOR_KEY) == release_name:
            return ComponentId.OPERATOR
        return None
    if _has_all(labels, WEBHOOK_SELECTOR_LABELS):
        return ComponentId.WEBHOOK
    if _has_all(labels, CSI_SELECTOR_LABELS):
        return ComponentId.CSI_DRIVER
    if (name is None and comp == "operator"
            and labels.get(OPERATOR_SELECTOR_KEY) == release_name):
        return ComponentId.OPERATOR
    if name is None or labels.get(APP_MANAGED_BY) != OPERATOR_MANAGED_BY:
        return None
    found = _OPERAND_APPS.get(name)
    if found is None:
        return None
    owner_key = APP_INSTANCE if found is ComponentId.KUBEMON else APP_CREATED_BY
    if not labels.get(owner_key):
        return None
    return found


def oneagent_component_label(mode: str) -> str:
    """``app.kubernetes.io/component`` of the OneAgent DaemonSet for a DynaKube mode."""
    try:
        return _ONEAGENT_MODE_LABELS[mode]
    except KeyError:
        raise ValueError(f"mode {mode!r} runs no OneAgent DaemonSet") from None


def _operand(component_id: ComponentId | str) -> Component:
    comp = component(component_id)
    if comp.label_family not in (LabelFamily.OPERAND, LabelFamily.OPERAND_V2):
        raise ValueError(f"{comp.id} is not an operand; use install_labels() for install pods")
    return comp


def operand_selector(component_id: ComponentId | str, owner_name: str) -> dict[str, str]:
    """The stable labels the operator selects its operand's pods with.

    These survive upgrades (no version, no mode); prefer them in generated policies.
    ``owner_name`` is the DynaKube name (the EdgeConnect name for EdgeConnect).
    """
    comp = _operand(component_id)
    assert comp.app_label is not None
    owner_key = APP_INSTANCE if comp.label_family is LabelFamily.OPERAND_V2 else APP_CREATED_BY
    return {APP_NAME: comp.app_label, owner_key: owner_name,
            APP_MANAGED_BY: OPERATOR_MANAGED_BY}


def operand_labels(component_id: ComponentId | str, dynakube_name: str, version: str = "", *,
                   mode: str | None = None, operator_version: str = "",
                   user_labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """The labels the operator puts on an operand's pods, so pods can be inferred.

    Args:
        component_id: an operand (ActiveGate, OneAgent, EEC, OTel collector, KSPM, log
            monitoring, SQL executor, EdgeConnect, code-module job, kubemon).
        dynakube_name: the owning DynaKube (or EdgeConnect) name.
        version: the ``app.kubernetes.io/version`` value (component version or image tag);
            truncated to 63 characters like the operator does. Kubemon omits it when empty.
        mode: the DynaKube's OneAgent mode; required for the OneAgent.
        operator_version: kubemon pods also carry ``internal.dynatrace.com/operator-version``
            (the operator's version, truncated to 63 characters).
        user_labels: labels from the DynaKube (``spec.activeGate.labels`` ...). The operator's
            own labels win over them, except on the OneAgent DaemonSet where the user's win.

    Raises:
        ValueError: for install pods, code modules, or a OneAgent without a DaemonSet mode.
    """
    comp = _operand(component_id)
    ver = version[:63]
    own = operand_selector(comp.id, dynakube_name)
    if comp.label_family is LabelFamily.OPERAND_V2:
        # k8slabel.New: the app version only when given; always the operator's version.
        if ver:
            own[APP_VERSION] = ver
        if operator_version:
            own[OPERATOR_VERSION] = operator_version[:63]
    else:
        if comp.id is ComponentId.ONEAGENT:
            if mode is None:
                raise ValueError("the OneAgent's component label depends on mode=")
            own[APP_COMPONENT] = oneagent_component_label(mode)
        else:
            own[APP_COMPONENT] = comp.component_label or ""
        own[APP_VERSION] = ver
    user = dict(user_labels or {})
    if comp.id is ComponentId.ONEAGENT:
        return {**own, **user}
    return {**user, **own}


def install_labels(component_id: ComponentId | str, *,
                   release_name: str = DEFAULT_RELEASE_NAME, helm: bool = True,
                   chart_version: str = "", pre_1_0: bool = False) -> dict[str, str]:
    """The pod labels of an install pod (operator, webhook, CSI driver, CRD migration job).

    ``helm=False`` stands for the plain release manifests (no ``managed-by: Helm``).
    ``pre_1_0`` gives the labels of charts before v1.0.0 (name label = release name).
    """
    comp = component(component_id)
    if comp.label_family is not LabelFamily.INSTALL:
        raise ValueError(f"{comp.id} is not an install pod; use operand_labels()")
    labels = {APP_NAME: release_name if pre_1_0 else INSTALL_APP_NAME,
              APP_COMPONENT: comp.component_label or ""}
    if helm:
        labels[APP_MANAGED_BY] = "Helm"
    if chart_version:
        labels[APP_VERSION] = chart_version
    if comp.id is ComponentId.OPERATOR:
        labels[OPERATOR_SELECTOR_KEY] = release_name
    elif comp.id is ComponentId.WEBHOOK:
        labels.update(WEBHOOK_SELECTOR_LABELS)
    elif comp.id is ComponentId.CSI_DRIVER:
        labels.update(CSI_SELECTOR_LABELS)
    return labels
