"""The published CRD schemas of the policy kinds, shipped as package data, checked against.

``data/crds/network-policy-api/`` holds kubernetes-sigs/network-policy-api's CRDs
(AdminNetworkPolicy and BaselineAdminNetworkPolicy v1alpha1 of bundle v0.1.7, the experimental
channel, from commit 8c1c5fa; ClusterNetworkPolicy v1alpha2 of bundle v0.2.0 from commit
0eec1b0) with the project's LICENSE (Apache-2.0). ``data/crds/cilium/`` holds cilium/cilium's
CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy CRDs (``cilium.io/v2``) of release
v1.16.5 with its LICENSE (Apache-2.0). ``data/crds/calico/`` holds projectcalico/calico's
``crd.projectcalico.org/v1`` CRDs of release v3.30.7 (NetworkPolicy, GlobalNetworkPolicy, the
three Staged kinds, Tier, NetworkSet, GlobalNetworkSet) with its LICENSE.md (Apache-2.0); a
``projectcalico.org/v3`` object (the Calico API server's form, the same Go types) is checked
against the v1 schema of its kind. Each directory's SOURCE names the commits and blobs.

Objects are validated against their CRD schema with
:class:`~dtnetpol.manifest.crd_validator.CrdValidator`; the CRD's CEL rules
(``x-kubernetes-validations``) are not evaluated, and :func:`unchecked_rules` lists them (the
Calico CRDs have none).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from dtnetpol.manifest.crd_validator import CrdValidator
from dtnetpol.manifest.marks import item_line, key_line
from dtnetpol.manifest.problems import Problem
from dtnetpol.model.location import SourceLocation

CALICO_GROUP = "crd.projectcalico.org"
CALICO_V3_GROUP = "projectcalico.org"
CALICO_PLURALS = {
    "NetworkPolicy": "networkpolicies",
    "GlobalNetworkPolicy": "globalnetworkpolicies",
    "StagedNetworkPolicy": "stagednetworkpolicies",
    "StagedGlobalNetworkPolicy": "stagedglobalnetworkpolicies",
    "StagedKubernetesNetworkPolicy": "stagedkubernetesnetworkpolicies",
    "Tier": "tiers",
    "NetworkSet": "networksets",
    "GlobalNetworkSet": "globalnetworksets",
}

CRD_FILES = {
    "AdminNetworkPolicy": "network-policy-api/adminnetworkpolicies.yaml",
    "BaselineAdminNetworkPolicy": "network-policy-api/baselineadminnetworkpolicies.yaml",
    "ClusterNetworkPolicy": "network-policy-api/clusternetworkpolicies.yaml",
    "CiliumNetworkPolicy": "cilium/ciliumnetworkpolicies.yaml",
    "CiliumClusterwideNetworkPolicy": "cilium/ciliumclusterwidenetworkpolicies.yaml",
}


def crd_file(kind: str, api_version: str | None = None) -> str | None:
    """The shipped CRD (path under ``data/crds``) of ``kind`` in ``api_version``'s group."""
    group = (api_version or "").rpartition("/")[0]
    if group in (CALICO_GROUP, CALICO_V3_GROUP):
        plural = CALICO_PLURALS.get(kind)
        return None if plural is None else f"calico/{CALICO_GROUP}_{plural}.yaml"
    return CRD_FILES.get(kind)


@cache
def _validator_of(name: str) -> CrdValidator:
    import yaml

    text = resources.files("dtnetpol").joinpath("data", "crds", *name.split("/")).read_text(
        encoding="utf-8")
    # libyaml when present: a Cilium CRD is 400 kB, 1.4 s with the pure-Python loader, 0.1 s
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return CrdValidator(yaml.load(text, Loader=loader))


def validator(kind: str, api_version: str | None = None) -> CrdValidator | None:
    """The shipped CRD of ``kind`` (in ``api_version``'s group), compiled once; None when
    none is shipped."""
    name = crd_file(kind, api_version)
    return None if name is None else _validator_of(name)


def unchecked_rules(kind: str, api_version: str | None = None) -> list[tuple[str, str, str]]:
    """(field path, CEL rule, message) of the CRD's rules that are not evaluated."""
    v = validator(kind, api_version)
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


def schema_problems(body: Any, loc: SourceLocation, kind: str,
                    api_version: str | None = None) -> list[Problem]:
    """Every way ``body`` violates its shipped CRD schema, as problems at their lines.

    An unknown field is an ``unknown-field`` problem, anything else ``invalid-value``.
    """
    v = validator(kind, api_version)
    if v is None:
        return []
    checked = body
    if (isinstance(body, Mapping) and isinstance(api_version, str)
            and api_version.startswith(CALICO_V3_GROUP + "/")):
        # the v3 API's objects have the fields of the v1 CRD (the same Go types)
        checked = {**body, "apiVersion": f"{CALICO_GROUP}/v1"}
    prefix = f"{loc.path}." if loc.path else ""
    return [Problem(loc.at(prefix + path, _line(body, path, loc.line)), _code(message),
                    f"{message} (the CRD schema)")
            for path, message in v.validate(checked)]


def _code(message: str) -> str:
    """The problem code of one of :class:`CrdValidator`'s messages."""
    if message.startswith("unknown field"):
        return "unknown-field"
    if message.startswith("must be ") and not message.startswith("must be one of"):
        return "wrong-type"
    if message == "required field is missing":
        return "missing-field"
    return "invalid-value"
