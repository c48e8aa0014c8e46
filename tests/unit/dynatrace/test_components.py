"""Component table and label recognition (reference §1, §2)."""

from __future__ import annotations

import pytest

from dtnetpol.dynatrace.components import (
    COMPONENTS,
    ComponentId,
    HostNetwork,
    component,
    install_labels,
    operand_labels,
    operand_selector,
    recognise,
)
from dtnetpol.model import Protocol

HELM_OPERATOR = {
    "app.kubernetes.io/name": "dynatrace-operator",
    "app.kubernetes.io/component": "operator",
    "app.kubernetes.io/managed-by": "Helm",
    "app.kubernetes.io/version": "1.10.2",
    "helm.sh/chart": "dynatrace-operator-1.10.2",
    "name": "dynatrace-operator",
}
HELM_WEBHOOK = {
    "app.kubernetes.io/name": "dynatrace-operator",
    "app.kubernetes.io/component": "webhook",
    "app.kubernetes.io/managed-by": "Helm",
    "internal.dynatrace.com/app": "webhook",
    "internal.dynatrace.com/component": "webhook",
}
MANIFEST_CSI = {  # plain release manifests: no managed-by
    "app.kubernetes.io/name": "dynatrace-operator",
    "app.kubernetes.io/component": "csi-driver",
    "internal.oneagent.dynatrace.com/app": "csi-driver",
    "internal.oneagent.dynatrace.com/component": "csi-driver",
}


def operand(app: str, component_label: str, dk: str = "dynakube") -> dict[str, str]:
    return {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/created-by": dk,
        "app.kubernetes.io/managed-by": "dynatrace-operator",
        "app.kubernetes.io/component": component_label,
        "app.kubernetes.io/version": "1.0",
    }


@pytest.mark.parametrize(("labels", "expected"), [
    (HELM_OPERATOR, ComponentId.OPERATOR),
    (HELM_WEBHOOK, ComponentId.WEBHOOK),
    (MANIFEST_CSI, ComponentId.CSI_DRIVER),
    ({"app.kubernetes.io/name": "dynatrace-operator",
      "app.kubernetes.io/component": "crd-storage-migration"},
     ComponentId.CRD_STORAGE_MIGRATION),
    (operand("activegate", "activegate"), ComponentId.ACTIVEGATE),
    (operand("oneagent", "cloudnativefullstack"), ComponentId.ONEAGENT),
    (operand("oneagent", "classicfullstack"), ComponentId.ONEAGENT),
    (operand("dynatrace-extension-controller", "dynatrace-extension-controller"),
     ComponentId.EXTENSION_CONTROLLER),
    (operand("dynatrace-otel-collector", "dynatrace-otel-collector"),
     ComponentId.OTEL_COLLECTOR),
    (operand("kspm", "kspm"), ComponentId.KSPM),
    (operand("logmonitoring", "logmonitoring"), ComponentId.LOG_MONITORING),
    (operand("dynatrace-sql-extension-executor", "dynatrace-sql-extension-executor"),
     ComponentId.SQL_EXECUTOR),
    (operand("edgeconnect", "user-provisioned", "my-ec"), ComponentId.EDGECONNECT),
    (operand("codemodule", ""), ComponentId.CODEMODULE_JOB),
    ({"app.kubernetes.io/name": "kubemon", "app.kubernetes.io/instance": "dynakube",
      "app.kubernetes.io/managed-by": "dynatrace-operator"}, ComponentId.KUBEMON),
])
def test_recognise_both_label_families(labels: dict[str, str], expected: ComponentId) -> None:
    assert recognise(labels) is expected


def test_recognise_selector_labels_alone() -> None:
    assert recognise({"internal.dynatrace.com/app": "webhook",
                      "internal.dynatrace.com/component": "webhook"}) is ComponentId.WEBHOOK
    assert recognise({"internal.oneagent.dynatrace.com/app": "csi-driver",
                      "internal.oneagent.dynatrace.com/component": "csi-driver"}) \
        is ComponentId.CSI_DRIVER


def test_recognise_custom_release_name() -> None:
    labels = dict(HELM_OPERATOR, name="dt")
    assert recognise(labels, release_name="dt") is ComponentId.OPERATOR
    # Since v1.0 the name label stays dynatrace-operator whatever the release is called.
    assert recognise(HELM_WEBHOOK, release_name="dt") is ComponentId.WEBHOOK


@pytest.mark.parametrize(("comp", "expected"), [
    ("operator", ComponentId.OPERATOR),
    ("webhook", ComponentId.WEBHOOK),
    ("csi-driver", ComponentId.CSI_DRIVER),
])
def test_recognise_pre_1_0_release_name_as_name_label(comp: str, expected: ComponentId) -> None:
    labels = {"app.kubernetes.io/name": "dt-prod", "app.kubernetes.io/component": comp,
              "app.kubernetes.io/managed-by": "Helm"}
    assert recognise(labels, release_name="dt-prod") is expected
    # With another release name configured, "dt-prod" is nobody.
    assert recognise(labels) is None


@pytest.mark.parametrize("labels", [
    # The seed's wrong labels (reference §7).
    {"app.kubernetes.io/name": "dynatrace-webhook"},
    {"app.kubernetes.io/name": "dynatrace-activegate"},
    {"app.kubernetes.io/name": "dynatrace-oneagent-csi-node"},
    {"app.kubernetes.io/name": "dynatrace-webhook", "app.kubernetes.io/component": "webhook"},
    # Operand app name without the operator's managed-by or owner label.
    {"app.kubernetes.io/name": "activegate"},
    {"app.kubernetes.io/name": "oneagent", "app.kubernetes.io/managed-by": "Helm",
     "app.kubernetes.io/created-by": "dk"},
    {"app.kubernetes.io/name": "activegate",
     "app.kubernetes.io/managed-by": "dynatrace-operator"},
    # Core labels of Secrets/ConfigMaps: never on pods.
    {"app.kubernetes.io/name": "dynatrace-operator", "app.kubernetes.io/component": "activegate",
     "app.kubernetes.io/created-by": "dynakube"},
    # Only half of the webhook's selector labels; unrelated pods.
    {"internal.dynatrace.com/app": "webhook"},
    {"app": "nginx"},
    {},
])
def test_recognise_rejects(labels: dict[str, str]) -> None:
    assert recognise(labels) is None


def test_inferred_operand_labels_are_recognised() -> None:
    for comp in COMPONENTS.values():
        if comp.app_label is None:
            continue
        labels = operand_labels(comp.id, "dk", "1.2.3", mode="hostMonitoring")
        assert recognise(labels) is comp.id, comp.id


def test_inferred_install_labels_are_recognised() -> None:
    for cid in (ComponentId.OPERATOR, ComponentId.WEBHOOK, ComponentId.CSI_DRIVER,
                ComponentId.CRD_STORAGE_MIGRATION):
        assert recognise(install_labels(cid)) is cid
        assert recognise(install_labels(cid, helm=False)) is cid
        old = install_labels(cid, release_name="dt", pre_1_0=True)
        assert old["app.kubernetes.io/name"] == "dt"
        assert recognise(old, release_name="dt") is cid


def test_operand_labels_activegate() -> None:
    labels = operand_labels(ComponentId.ACTIVEGATE, "dynakube", "1.321.0",
                            user_labels={"team": "a", "app.kubernetes.io/name": "x"})
    assert labels == {
        "app.kubernetes.io/name": "activegate",
        "app.kubernetes.io/created-by": "dynakube",
        "app.kubernetes.io/managed-by": "dynatrace-operator",
        "app.kubernetes.io/component": "activegate",
        "app.kubernetes.io/version": "1.321.0",
        "team": "a",
    }


def test_operand_labels_oneagent_mode_and_user_override() -> None:
    labels = operand_labels(ComponentId.ONEAGENT, "dk", mode="cloudNativeFullStack",
                            user_labels={"app.kubernetes.io/version": "mine"})
    assert labels["app.kubernetes.io/component"] == "cloudnativefullstack"
    assert labels["app.kubernetes.io/version"] == "mine"  # the user's labels win here
    with pytest.raises(ValueError, match="mode"):
        operand_labels(ComponentId.ONEAGENT, "dk")
    with pytest.raises(ValueError):
        operand_labels(ComponentId.ONEAGENT, "dk", mode="applicationMonitoring")


def test_operand_labels_reject_install_pods() -> None:
    with pytest.raises(ValueError):
        operand_labels(ComponentId.WEBHOOK, "dk")
    with pytest.raises(ValueError):
        install_labels(ComponentId.ACTIVEGATE)


def test_operand_selector_is_stable() -> None:
    assert operand_selector(ComponentId.OTEL_COLLECTOR, "dk") == {
        "app.kubernetes.io/name": "dynatrace-otel-collector",
        "app.kubernetes.io/created-by": "dk",
        "app.kubernetes.io/managed-by": "dynatrace-operator",
    }
    assert operand_selector(ComponentId.KUBEMON, "dk")["app.kubernetes.io/instance"] == "dk"


def test_component_table_facts() -> None:
    webhook = component("webhook")
    assert webhook.port(8443) is not None and webhook.port(443) is None
    assert webhook.host_network is HostNetwork.OPTIONAL
    assert webhook.service is not None
    assert webhook.service.ports[0].port == 443 and webhook.service.ports[0].target_port == 8443
    assert component(ComponentId.ONEAGENT).host_network is HostNetwork.ALWAYS
    ag = component(ComponentId.ACTIVEGATE)
    assert {p.number for p in ag.declared_ports} == {9999, 9998}
    assert ag.workload_name("dk") == "dk-activegate"
    otel = component(ComponentId.OTEL_COLLECTOR)
    assert not otel.declared_ports
    assert otel.port(6831, Protocol.UDP) is not None and otel.port(4317) is not None
    sql = component(ComponentId.SQL_EXECUTOR)
    assert sql.workload_name("dk", "mysql") == "dk-sql-ext-exec-mysql"
    assert component(ComponentId.EXTENSION_CONTROLLER).port(14599) is not None
    assert all(c.source for c in COMPONENTS.values())


def test_kubemon_pods_carry_the_operator_version_label() -> None:
    """k8slabel.New (pkg/util/kubernetes/fields/k8slabel/labels.go): name, instance,
    managed-by, and internal.dynatrace.com/operator-version."""
    labels = operand_labels(ComponentId.KUBEMON, "dk", operator_version="1.10.2")
    assert labels == {"app.kubernetes.io/name": "kubemon", "app.kubernetes.io/instance": "dk",
                      "app.kubernetes.io/managed-by": "dynatrace-operator",
                      "internal.dynatrace.com/operator-version": "1.10.2"}
