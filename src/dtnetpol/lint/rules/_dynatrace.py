"""The label sets Dynatrace pods carry, as templates a selector can be checked against.

Built from :mod:`dtnetpol.dynatrace.components`. Values the operator derives from names the
user chooses (DynaKube name, versions) are wildcards. Used when the input holds no pods (so
a selector can still be judged against what the operator deploys) and by the rule that
flags selectors no Dynatrace pod can satisfy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from dtnetpol.dynatrace.components import (
    APP_COMPONENT,
    APP_CREATED_BY,
    APP_INSTANCE,
    APP_MANAGED_BY,
    APP_NAME,
    APP_VERSION,
    COMPONENTS,
    Component,
    ComponentId,
    LabelFamily,
    install_labels,
    operand_labels,
)
from dtnetpol.model.cluster import ContainerPort
from dtnetpol.model.policy import LabelSelector, Requirement

WILDCARD = "\x00*"
#: Keys the operator or chart sets itself: a pod lacking one of these cannot gain it.
OWN_KEYS = frozenset({APP_NAME, APP_COMPONENT, APP_MANAGED_BY, APP_CREATED_BY, APP_INSTANCE,
                      APP_VERSION})
_ONEAGENT_MODES = ("cloudNativeFullStack", "hostMonitoring", "classicFullStack")


@dataclass(frozen=True)
class DynatracePod:
    """One way a Dynatrace pod is labelled (a component in one install variant)."""

    component: Component
    variant: str
    labels: Mapping[str, str] = field(hash=False)

    @property
    def title(self) -> str:
        return f"{self.component.display_name} ({self.variant})"

    @property
    def ports(self) -> tuple[ContainerPort, ...]:
        return tuple(ContainerPort(p.number, p.protocol, p.name)
                     for p in self.component.declared_ports)

    def concrete_labels(self) -> dict[str, str]:
        return {k: ("dynakube" if v == WILDCARD else v) for k, v in self.labels.items()}

    def stable_selector(self) -> dict[str, str]:
        """Labels to select this component by (no version, no DynaKube name)."""
        keep = (APP_NAME, APP_COMPONENT) if self.component.label_family is LabelFamily.INSTALL \
            else (APP_NAME, APP_MANAGED_BY)
        return {k: self.labels[k] for k in keep if k in self.labels
                and self.labels[k] != WILDCARD}


def is_own_key(key: str) -> bool:
    return key in OWN_KEYS or "dynatrace.com/" in key


@lru_cache(maxsize=1)
def dynatrace_pods() -> tuple[DynatracePod, ...]:
    out: list[DynatracePod] = []
    for comp in COMPONENTS.values():
        if comp.label_family is LabelFamily.INSTALL:
            for helm, variant in ((True, "Helm install"), (False, "release manifests")):
                labels = install_labels(comp.id, helm=helm)
                if helm:
                    labels[APP_VERSION] = WILDCARD
                out.append(DynatracePod(comp, variant, labels))
        elif comp.label_family in (LabelFamily.OPERAND, LabelFamily.OPERAND_V2):
            if comp.id is ComponentId.ONEAGENT:
                for mode in _ONEAGENT_MODES:
                    out.append(DynatracePod(comp, f"operand, {mode}", operand_labels(
                        comp.id, WILDCARD, WILDCARD, mode=mode)))
            else:
                out.append(DynatracePod(comp, "operand",
                                        operand_labels(comp.id, WILDCARD, WILDCARD)))
    return tuple(out)


def _requirement_ok(req: Requirement, labels: Mapping[str, str]) -> bool:
    value = labels.get(req.key)
    if req.operator == "Exists":
        return value is not None
    if req.operator == "DoesNotExist":
        return value is None
    if req.operator == "In":
        return value is not None and (value == WILDCARD or value in req.values)
    return value is None or value == WILDCARD or value not in req.values


def mismatches(selector: LabelSelector, pod: DynatracePod,
               judge: frozenset[str] | None = None) -> list[str]:
    """Terms of ``selector`` the pod's labels cannot satisfy, in words.

    Only keys the operator owns are judged (users may add other labels to operands);
    ``judge`` narrows that further.
    """
    out: list[str] = []
    for key, value in selector.match_labels:
        if not is_own_key(key) or (judge is not None and key not in judge):
            continue
        have = pod.labels.get(key)
        if have is None:
            out.append(f"{key}={value} (the pods carry no {key})")
        elif have != WILDCARD and have != value:
            out.append(f"{key}={value} (the pods carry {key}={have})")
    for req in selector.match_expressions:
        if not is_own_key(req.key) or (judge is not None and req.key not in judge):
            continue
        if not _requirement_ok(req, pod.labels):
            out.append(f"{req.key} {req.operator} {list(req.values) or ''}".rstrip())
    return out


def could_select(selector: LabelSelector, pod: DynatracePod) -> bool:
    """Could ``selector`` select this Dynatrace pod? Every term must be satisfiable by the
    pod's own labels (a term on a label the pod lacks fails)."""
    for key, value in selector.match_labels:
        have = pod.labels.get(key)
        if have is None or (have != WILDCARD and have != value):
            return False
    return all(_requirement_ok(r, pod.labels) for r in selector.match_expressions)
