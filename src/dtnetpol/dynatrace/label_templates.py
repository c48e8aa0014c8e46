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
            elif comp.label_family is LabelFamily.OPERAND_V2:   # kubemon: k8slabel.New
                out.append(DynatracePod(comp, "operand", operand_labels(
                    comp.id, WILDCARD, operator_version=WILDCARD)))
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


#: Labels seen in published guides that name a component wrongly (no Dynatrace pod carries
#: them), by value.
KNOWN_WRONG_NAMES: Mapping[str, ComponentId] = {
    "dynatrace-webhook": ComponentId.WEBHOOK,
    "dynatrace-oneagent-csi-node": ComponentId.CSI_DRIVER,
    "dynatrace-oneagent-csi-driver": ComponentId.CSI_DRIVER,
    "dynatrace-csi-driver": ComponentId.CSI_DRIVER,
    "dynatrace-activegate": ComponentId.ACTIVEGATE,
    "dynatrace-oneagent": ComponentId.ONEAGENT,
}
_GENERIC_TOKENS = frozenset({"dynatrace", "operator", "app", "k8s", "io", "com", "internal"})


def _tokens(text: str) -> set[str]:
    out: set[str] = set()
    for part in text.replace("/", "-").replace(".", "-").replace("_", "-").split("-"):
        if part and part not in _GENERIC_TOKENS:
            out.add(part)
    return out


def _hint_score(selector: LabelSelector, pod: DynatracePod) -> int:
    values = [v for _, v in selector.match_labels] + [v for r in selector.match_expressions
                                                      for v in r.values]
    if any(KNOWN_WRONG_NAMES.get(v) is pod.component.id for v in values):
        return 100
    comp = pod.component
    words: set[str] = set()
    for w in (comp.id.value, comp.component_label or "", comp.app_label or ""):
        words |= _tokens(w)
    return max((len(words & _tokens(v)) for v in values), default=0)


def closest_pod(selector: LabelSelector) -> tuple[DynatracePod, list[str], bool]:
    """The Dynatrace pod a selector most likely meant, what differs, and whether a label
    value names that component (``dynatrace-webhook`` names the webhook)."""
    ranked = []
    for order, dp in enumerate(dynatrace_pods()):
        miss = mismatches(selector, dp)
        score = _hint_score(selector, dp)
        ranked.append(((-score, len(miss), order), dp, miss, score > 0))
    ranked.sort(key=lambda r: r[0])
    best = ranked[0]
    return best[1], best[2], best[3]


def looks_dynatrace(selector: LabelSelector) -> bool:
    """Does the selector use Dynatrace labels (a key or value with ``dynatrace``, or an
    operand's ``app.kubernetes.io/name``)?"""
    operand_apps = {c.app_label for c in COMPONENTS.values()
                    if c.app_label and c.label_family is not LabelFamily.INSTALL}
    for key, value in selector.match_labels:
        if "dynatrace" in key or "dynatrace" in value:
            return True
        if key == APP_NAME and value in operand_apps:
            return True
    return any("dynatrace" in r.key or any("dynatrace" in v for v in r.values)
               for r in selector.match_expressions)


def impossible(selector: LabelSelector | None) -> tuple[DynatracePod, list[str]] | None:
    """For a selector on Dynatrace labels that no Dynatrace pod can satisfy: the closest pod
    and what differs; None otherwise."""
    if selector is None or selector.is_empty or not looks_dynatrace(selector):
        return None
    if not any(is_own_key(k) for k, _ in selector.match_labels) and \
            not any(is_own_key(r.key) for r in selector.match_expressions):
        return None
    if any(not mismatches(selector, dp) for dp in dynatrace_pods()):
        return None
    dp, miss, _ = closest_pod(selector)
    return dp, miss


def intended_component(selector: LabelSelector | None) -> Component | None:
    """The Dynatrace component an impossible selector names (``app.kubernetes.io/name:
    dynatrace-webhook`` → the webhook), when a label value names one; else None."""
    if impossible(selector) is None:
        return None
    assert selector is not None
    dp, _, hinted = closest_pod(selector)
    return dp.component if hinted else None


def pods_for(selector: LabelSelector) -> tuple[list[DynatracePod], str]:
    """Dynatrace pods a selector can select; for an impossible selector that names a
    component, that component's pods and a note saying so."""
    if selector.is_empty:
        return [], ""
    found = [dp for dp in dynatrace_pods() if could_select(selector, dp)]
    if found:
        return found, ""
    comp = intended_component(selector)
    if comp is None:
        return [], ""
    return ([dp for dp in dynatrace_pods() if dp.component.id is comp.id],
            f" (the selector matches no Dynatrace pod; its labels name the "
            f"{comp.display_name}, so it is judged as if it selected those pods)")
