"""Flows of the operator, the webhook and the CSI driver, and the code-module download.

Install-wide rows (operator, webhook, CSI driver) first, then each DynaKube's tenant and
registry traffic of the operator and the CSI driver, and the init container's download when
there is no CSI driver. The three components share one module because their rows
interleave in table order (API server, DNS, probes).
"""

from __future__ import annotations

from dtnetpol.dynatrace.components import Scope
from dtnetpol.dynatrace.flows._shared import (
    CRD,
    CSI,
    CSI_WAIT,
    OP,
    TENANT_SYMPTOMS,
    WEBHOOK_SYMPTOMS,
    WH,
    apiserver_row,
    csi,
    dns_row,
    injection,
    probe_row,
    silent,
)
from dtnetpol.dynatrace.flows._types import (
    DestKind,
    FlowPort,
    FlowSpec,
    SourceKind,
    Symptom,
    Where,
    always,
)
from dtnetpol.model import Protocol

__all__ = ["ROWS"]

_T = Protocol.TCP
_I = Scope.INSTALL
_D = Scope.DYNAKUBE

ROWS: tuple[FlowSpec, ...] = (
    # ---- install-wide: operator, webhook, CSI driver ----------------------------------
    FlowSpec(
        id="apiserver-to-webhook", scope=_I,
        source_kind=SourceKind.APISERVER, source="apiserver",
        dest_kind=DestKind.COMPONENT, dest=WH.value,
        ports=(FlowPort(8443, _T, "server-port"),),
        required=True, condition="always (pod injection, namespace labelling, DynaKube/"
                                 "EdgeConnect validation, CRD conversion)",
        symptoms=WEBHOOK_SYMPTOMS,
        description="kube-apiserver calls the webhook: /inject, /label-ns, validation, /convert",
        notes=("The API server is not a pod: no podSelector/namespaceSelector matches it; "
               "admit its source as the platform profile says.",
               "Port 8443 is the pod port; the Service port 443 is never what a policy sees.",),
    ),
    apiserver_row(WH, _I, always, "always", Where.WEBHOOK_LOG),
    apiserver_row(OP, _I, always, "always", Where.OPERATOR_LOG),
    apiserver_row(CSI, _I, csi, "the CSI driver is installed", Where.CSI_PROVISIONER_LOG,
               ident="csi"),
    FlowSpec(
        id="crd-migration-to-apiserver", scope=_I,
        source_kind=SourceKind.COMPONENT, source=CRD.value,
        dest_kind=DestKind.APISERVER, dest="apiserver", ports=(),
        required=True, condition="Helm crdStorageMigrationJob (default true)",
        applies=lambda ctx: ctx.install.crd_storage_migration,
        symptoms=silent("helm upgrade fails: the pre-upgrade hook job "
                         "dynatrace-operator-crd-storage-migration does not complete",
                         Where.HELM),
        description="CRD storage-migration job (Helm pre-upgrade hook) → kube-apiserver",
        notes=("Found in the operator's Helm chart "
               "(templates/Common/crd/job-crd-storage-migration.yaml).",),
    ),
    dns_row(OP, _I, always, "always", "operator"),
    dns_row(WH, _I, always, "always", "webhook"),
    dns_row(CSI, _I, csi, "the CSI driver is installed", "csi"),
    probe_row(OP, _I, (FlowPort(10080, _T, "livez"),), always, "always", "operator"),
    probe_row(WH, _I, (FlowPort(10080, _T, "livez"),), always, "always", "webhook"),
    probe_row(CSI, _I, (FlowPort(10090, _T, "livez"), FlowPort(9808, _T)), csi,
           "the CSI driver is installed", "csi"),

    # ---- per DynaKube: operator and CSI driver to the tenant ---------------------------
    FlowSpec(
        id="operator-to-tenant", scope=_D,
        source_kind=SourceKind.COMPONENT, source=OP.value,
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True, condition="always (token check, connection info, versions)",
        symptoms=TENANT_SYMPTOMS, tenant_traffic=True,
        description="operator → spec.apiUrl (Dynatrace API)",
        notes=("The webhook never talks to the tenant.",),
    ),
    FlowSpec(
        id="csi-to-tenant", scope=_D,
        source_kind=SourceKind.COMPONENT, source=CSI.value,
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True,
        condition="CSI driver installed, mode injects code modules (cloudNativeFullStack, "
                  "applicationMonitoring), no codeModulesImage and no public registry",
        applies=lambda ctx: (csi(ctx) and injection(ctx)
                             and not ctx.dk.code_modules_from_image),
        symptoms=(Symptom("failed to install agent", Where.CSI_PROVISIONER_LOG),
                  Symptom("failed to download specific OneAgent package",
                          Where.CSI_PROVISIONER_LOG),
                  Symptom("failed to get available versions", Where.CSI_PROVISIONER_LOG),
                  *CSI_WAIT),
        tenant_traffic=True,
        description="CSI provisioner downloads the code modules from the tenant",
        notes=("hostMonitoring: the CSI driver only provides storage, no download; "
               "classicFullStack: the CSI driver is unused.",),
    ),
    FlowSpec(
        id="csi-to-registry", scope=_D,
        source_kind=SourceKind.COMPONENT, source=CSI.value,
        dest_kind=DestKind.REGISTRY, dest="registry", ports=(),
        required=True,
        condition="CSI driver installed, mode injects, codeModulesImage (or public registry) "
                  "set, no node-image-pull feature flag",
        applies=lambda ctx: (csi(ctx) and injection(ctx) and ctx.dk.code_modules_from_image
                             and not ctx.dk.node_image_pull),
        symptoms=(Symptom("failed to install agent from image", Where.CSI_PROVISIONER_LOG),
                  *CSI_WAIT),
        tenant_traffic=True,
        description="CSI provisioner pulls the code-modules image from its registry",
        notes=("With feature.dynatrace.com/node-image-pull a Job on the node runs the image "
               "instead: the kubelet pulls it, outside NetworkPolicy (operator source, "
               "pkg/controllers/csi/provisioner/install.go).",),
    ),
    FlowSpec(
        id="init-to-tenant", scope=_D,
        source_kind=SourceKind.APP_PODS, source="app-pods",
        dest_kind=DestKind.TENANT, dest="tenant", ports=(),
        required=True,
        condition="mode injects, no CSI driver and no codeModulesImage (the init container "
                  "downloads the code modules itself)",
        applies=lambda ctx: (injection(ctx) and not csi(ctx)
                             and not ctx.dk.code_modules_from_image),
        symptoms=(Symptom("error during download, the error was suppressed",
                          Where.INIT_CONTAINER_LOG),
                  Symptom("pod starts unmonitored (default failure policy silent); with "
                          "failure policy fail it stays in Init", Where.POD_STATUS,
                          exact=False)),
        tenant_traffic=True,
        description="injected init container in every monitored pod → tenant",
    ),
)
