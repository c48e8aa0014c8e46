"""The published CRD schemas of the policy kinds, shipped as package data, checked against.

``data/crds/network-policy-api/`` holds kubernetes-sigs/network-policy-api's CRDs
(AdminNetworkPolicy and BaselineAdminNetworkPolicy v1alpha1 of bundle v0.1.7, the experimental
channel, from commit 8c1c5fa; ClusterNetworkPolicy v1alpha2 of bundle v0.2.0 from commit
0eec1b0) with the project's LICENSE (Apache-2.0). ``data/crds/cilium/`` holds cilium/cilium's
CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy CRDs (``cilium.io/v2``) of release
v1.16.5 with its LICENSE (Apache-2.0); each directory's SOURCE names the commits.

A policy that passes its reader is also validated against its CRD schema with
:class:`~dtnetpol.dynatrace._crd.CrdValidator`; the CRD's CEL rules
(``x-kubernetes-validations``) are not evaluated, and :func:`unchecked_rules` lists them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from dtnetpol.manifest.marks import item_line, key_line
from dtnetpol.manifest.problems import Problem
from dtnetpol.model.location import SourceLocation

if TYPE_CHECKING:
    from dtnetpol.dynatrace._crd import CrdValidator

CRD_FILES = {
    "AdminNetworkPolicy": "network-policy-api/adminnetworkpolicies.yaml",
    "BaselineAdminNetworkPolicy": "network-policy-api/baselineadminnetworkpolicies.yaml",
    "ClusterNetworkPolicy": "network-policy-api/clusternetworkpolicies.yaml",
    "CiliumNetworkPolicy": "cilium/ciliumnetworkpolicies.yaml",
    "CiliumClusterwideNetworkPolicy": "cilium/ciliumclusterwidenetworkpolicies.yaml",
}


@cache
def validator(kind: str) -> CrdValidator | None:
    """The shipped CRD of ``kind``, compiled once; None when none is shipped."""
    name = CRD_FILES.get(kind)
    if name is None:
        return None
    import yaml

    from dtnetpol.dynatrace._crd import CrdValidator  # imports dtnetpol.manifest itself
    text = resources.files("dtnetpol").joinpath("data", "crds", *name.split("/")).read_text(
        encoding="utf-8")
    # libyaml when present: a Cilium CRD is 400 kB, 1.4 s with the pure-Python loader, 0.1 s
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return CrdValidator(yaml.load(text, Loader=loader))


def unchecked_rules(kind: str) -> list[tuple[str, str, str]]:
    """(field path, CEL rule, message) of the CRD's rules that are not evaluated."""
    v = validator(kind)
    if v is None:
        return []
    return [r for version in v.served for r in v.unchecked_rules(version)]


def _line(body: Any, path: str, default: int | None) -> int | None:
    """The line of a field path such as ``spec.egress[0].to[1].networks``."""
    import re
    node, line = body, default
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        if index:
            i = int(index)
            if not isinstance(node, list) or i >= len(node):
                break
            line = item_line(node, i) or line
            node = node[i]
        else:
            if not isinstance(node, dict) or name not in node:
                break
            line = key_line(node, name) or line
            node = node[name]
    return line


def schema_problems(body: Any, loc: SourceLocation, kind: str) -> list[Problem]:
    """Every way ``body`` violates its shipped CRD schema, as problems at their lines."""
    v = validator(kind)
    if v is None:
        return []
    prefix = f"{loc.path}." if loc.path else ""
    return [Problem(loc.at(prefix + path, _line(body, path, loc.line)), "invalid-value",
                    f"{message} (the CRD schema)")
            for path, message in v.validate(body)]
