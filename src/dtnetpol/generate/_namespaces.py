"""Which namespaces a DynaKube instruments, matched the way the operator matches them.

The operator's namespace mapper (pkg/injection/namespace/mapper/mapper.go, ``match``) labels
a namespace ``dynakube.internal.dynatrace.com/instance: <dynakube>`` when it is not ignored
and matches the OneAgent namespaceSelector (injecting modes), the metadata-enrichment
selector or the OTLP exporter selector. Only the OneAgent and OTLP selectors bring network
flows (metadata enrichment writes files), so only they count here. Ignored namespaces come
from ``feature.dynatrace.com/ignored-namespaces`` (a JSON list of regular expressions) or
default to ``^<dynakube namespace>$``, ``^kube-.*``, ``^openshift(-.*)?``, ``^gke-.*`` and
``^gmp-.*`` (pkg/api/exp/injection.go, ``getDefaultIgnoredNamespaces``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from dtnetpol.dynatrace.components import INSTANCE_NAMESPACE_LABEL
from dtnetpol.dynatrace.dynakube import FEATURE_FLAG_PREFIX, DynaKube
from dtnetpol.engine.selectors import compile_selector
from dtnetpol.model import LabelSelector, Namespace

IGNORED_NAMESPACES_FLAG = FEATURE_FLAG_PREFIX + "ignored-namespaces"


def ignored_namespace_patterns(dk: DynaKube) -> tuple[str, ...]:
    """The regular expressions (Go ``regexp.MatchString``: unanchored) of ignored namespaces.

    An unparsable flag value falls back to the defaults, as in the operator.
    """
    raw = dk.feature_flags.get(IGNORED_NAMESPACES_FLAG, "")
    if raw:
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
    return (f"^{dk.namespace}$", "^kube-.*", "^openshift(-.*)?", "^gke-.*", "^gmp-.*")


def _is_ignored(name: str, patterns: Iterable[str]) -> bool:
    for p in patterns:
        try:
            if re.search(p, name):
                return True
        except re.error:
            continue
    return False


def _selectors(dk: DynaKube) -> list[LabelSelector]:
    out: list[LabelSelector] = []
    if dk.injection and dk.namespace_selector is not None:
        out.append(dk.namespace_selector)
    if dk.otlp_exporter is not None:
        out.append(dk.otlp_exporter.namespace_selector)
    return out


def monitored_namespaces(dk: DynaKube, namespaces: Iterable[Namespace]) -> tuple[str, ...]:
    """Names of the given namespaces whose pods ``dk`` instruments, sorted.

    A namespace already labelled ``dynakube.internal.dynatrace.com/instance: <dk>`` counts
    too (the operator labelled it), unless it is ignored.
    """
    selectors = [compile_selector(s) for s in _selectors(dk)]
    if not selectors:
        return ()
    patterns = ignored_namespace_patterns(dk)
    out = []
    for ns in namespaces:
        if _is_ignored(ns.name, patterns):
            continue
        if ns.labels.get(INSTANCE_NAMESPACE_LABEL) == dk.name or \
                any(m(ns.labels) for m in selectors):
            out.append(ns.name)
    return tuple(sorted(out))
