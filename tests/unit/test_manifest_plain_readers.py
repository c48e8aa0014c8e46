"""The value readers of headers and workloads build what the Field readers build, or defer.

``plain_header``, ``_plain_workload`` and ``_plain_ports`` read ordinary objects straight from
their values (no :class:`Field` per key) and return None for anything else, which the Field
readers then read and report. Here every field of rich objects is replaced by odd values, with
and without line marks, leniently and not, and each answer is compared with the Field
readers' (the model, or the error message with its line).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.mutations import document_paths, replaced

from dtnetpol.errors import InputError
from dtnetpol.manifest._fields import Field, root
from dtnetpol.manifest.objects import (
    _field_header,
    _field_ports,
    _field_workload,
    _plain_ports,
    _plain_workload,
    plain_header,
)
from dtnetpol.sources import read_text

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web, empty: ~}
  annotations: {example.com/a: "1", b: ~}
  ownerReferences:
  - {kind: Thing, name: t1}
  - {kind: Other, name: o1, controller: true}
spec:
  template:
    metadata:
      labels: {app: web, tier: ~}
    spec:
      hostNetwork: false
      serviceAccountName: ""
      serviceAccount: legacy
      initContainers:
      - name: side
        restartPolicy: Always
        ports: [{containerPort: 9000, protocol: UDP, name: side}]
      - name: once
        ports: [{containerPort: 9001}]
      containers:
      - name: app
        ports:
        - {containerPort: 8080, name: http}
        - {containerPort: 53, protocol: SCTP, name: ""}
      - name: bare
"""
CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: c, ports: [{containerPort: 1}]}]
"""
ODD: list[Any] = [None, 0, 70000, True, 1.5, "", "x", "TCP", "tcp", "Always", [], [None],
                  {}, {"k": None}, {"app": 1}, ["a"], [{}], {"kind": "K"}]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _answer(read: Callable[[list[Any] | None], Any], notes: list[Any] | None) -> Any:
    try:
        return read(notes)
    except InputError as e:
        return f"error: {e} at {e.location}"


def _agree(body: Any, lenient: bool) -> tuple[int, int]:
    """(values read, deferred) over the three readers; asserts every answer agrees."""
    (doc,) = read_text("kind: X\n", "w.yaml")
    top = root(body, doc.location)
    pod_spec: Field | None = top
    for key in ("spec", "template", "spec"):
        pod_spec = pod_spec.get(key) if pod_spec is not None else None
    taken = deferred = 0
    for plain, field in (
            (lambda n: plain_header(top, "Deployment", "apps/v1", n),
             lambda n: _field_header(top, "Deployment", "apps/v1", n)),
            (lambda n: _plain_workload(_field_header(top, "Deployment", "apps/v1"), body),
             lambda n: _field_workload(_field_header(top, "Deployment", "apps/v1"), top, n)),
            (lambda n: _plain_ports(pod_spec.value) if pod_spec is not None else None,
             lambda n: _field_ports(pod_spec, n))):
        notes: list[Any] | None = [] if lenient else None
        fast = _answer(plain, notes)
        if fast is None or isinstance(fast, str):
            deferred += 1
            continue
        full = _answer(field, notes)
        assert fast == full
        assert not notes
        taken += 1
    return taken, deferred


@pytest.mark.parametrize("text", [DEPLOYMENT, CRONJOB], ids=["deployment", "cronjob"])
def test_every_field_replaced_by_odd_values_agrees(text: str) -> None:
    (doc,) = read_text(text, "w.yaml")
    taken = deferred = 0
    for body in (doc.body, _plain(doc.body)):
        for path in document_paths(body)[1:]:
            for new in ODD:
                for lenient in (False, True):
                    t, d = _agree(replaced(body, path, new), lenient)
                    taken, deferred = taken + t, deferred + d
    assert taken > 100 and deferred > 100


def test_the_rich_deployment_is_read_from_its_values() -> None:
    (doc,) = read_text(DEPLOYMENT, "w.yaml")
    header = plain_header(root(doc.body, doc.location), "Deployment", "apps/v1", None)
    assert header is not None and header.owner is not None
    assert header.owner.name == "o1" and header.labels == {"app": "web", "empty": ""}
    pod = _plain_workload(header, doc.body)
    assert pod is not None
    assert [(p.port, p.protocol.value, p.name) for p in pod.ports] == [
        (8080, "TCP", "http"), (53, "SCTP", None), (9000, "UDP", "side")]
    assert pod.service_account == "legacy" and pod.labels == {"app": "web", "tier": ""}
    assert pod == _field_workload(header, root(doc.body, doc.location))
