"""The NetworkPolicy fast reader builds exactly what the full validator builds, or defers.

``_fast_policy`` reads policies without problems or notes cheaply and raises ``_Slow`` for
anything else; then ``_validate_fully`` produces the problems. Here every field of a rich
policy is replaced by odd values, and each result is compared with the full validator's,
source locations of rules, peers and ports included.
"""

from __future__ import annotations

import copy
from textwrap import dedent
from typing import Any

import pytest
from tests.mutations import document_paths, replaced
from tests.unit.test_manifest_networkpolicy import CASES, spec

from dtnetpol.manifest.networkpolicy import _fast_policy, _Slow, _validate_fully
from dtnetpol.model import NetworkPolicy
from dtnetpol.model.location import SourceLocation
from dtnetpol.sources import read_text

RICH = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: rich
  namespace: shop
  labels: {team: a, empty: ~}
  annotations: {example.com/owner: "me", note: ~}
spec:
  podSelector:
    matchLabels: {app: web}
    matchExpressions:
    - {key: tier, operator: In, values: [front, back]}
    - {key: legacy, operator: DoesNotExist}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: lb}}
      namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: edge}}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    ports:
    - {port: http}
    - {port: 8000, endPort: 8100, protocol: TCP}
    - ~
  - ~
  egress:
  - to:
    - namespaceSelector: {}
    ports:
    - {port: 53, protocol: UDP}
  - ports:
    - protocol: SCTP
"""

ODD: list[Any] = [None, 0, 70000, True, 1.5, "", "x", "In", "Egress", "10.0.0.1/24",
                  "2001:db8::/64", "--x", [], [None], {}, {"k": None}, {"app": 1}]


def _deep(value: Any) -> Any:
    """A policy as plain data with every location (``compare=False`` fields) included."""
    if isinstance(value, SourceLocation):
        return ("loc", value.file, value.document, value.line, value.path)
    if hasattr(value, "__dataclass_fields__"):
        return (type(value).__name__,
                tuple((k, _deep(getattr(value, k))) for k in value.__dataclass_fields__))
    if isinstance(value, tuple | list):
        return tuple(_deep(v) for v in value)
    if isinstance(value, frozenset):
        return tuple(sorted(str(v) for v in value))
    return value


def _same(body: Any, loc: SourceLocation) -> bool:
    """True when the fast reader took it; asserts it matches the full validator."""
    full, v = _validate_fully(body, loc)
    try:
        fast = _fast_policy(body, loc)
    except _Slow:
        return False
    assert isinstance(fast, NetworkPolicy)
    assert not v.problems and not v.notes, (v.problems, v.notes)
    assert _deep(fast) == _deep(full)
    return True


def test_rich_policy_takes_the_fast_path_with_identical_locations() -> None:
    (doc,) = read_text(RICH, "np.yaml")
    assert _same(doc.body, doc.location)
    assert _same(doc.body, doc.location.at("items[3]", 4))


def test_every_field_replaced_by_odd_values_agrees() -> None:
    (doc,) = read_text(RICH, "np.yaml")
    fast = slow = 0
    for path in document_paths(doc.body)[1:]:
        for new in ODD:
            body = replaced(doc.body, path, new)
            if _same(body, doc.location):
                fast += 1
            else:
                slow += 1
        body = replaced(doc.body, path[:-1], {}) if len(path) > 1 else None
        if body is not None:
            _same(body, doc.location)
    assert fast > 100 and slow > 100


def test_unknown_keys_defer() -> None:
    (doc,) = read_text(RICH, "np.yaml")
    for path in document_paths(doc.body)[1:]:
        parent = doc.body
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict):
            body = copy.deepcopy(doc.body)
            target = body
            for step in path[:-1]:
                target = target[step]
            target["bogus"] = {}
            assert not _same(body, doc.location)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_problem_cases_defer_and_twins_agree(case: tuple[Any, ...]) -> None:
    _, _, _, _, bad, good = case
    (doc,) = read_text(dedent(spec(bad)), "np.yaml")
    assert not _same(doc.body, doc.location)
    (doc,) = read_text(dedent(spec(good)), "np.yaml")
    _same(doc.body, doc.location)


def test_plain_dicts_without_marks_agree() -> None:
    (doc,) = read_text(RICH, "np.yaml")
    plain = copy.deepcopy(doc.body)

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    assert _same(strip(plain), doc.location)
