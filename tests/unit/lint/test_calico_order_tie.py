"""NPL018 calico-order-tie."""

from __future__ import annotations

from pathlib import Path

from .helpers import lint_text, where

TIE = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  order: 100
  selector: app == 'web'
  ingress: [{action: Allow}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  order: 100
  selector: all()
  ingress: [{action: Deny}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i}]}
"""


def test_flags_equal_orders_that_disagree_on_a_common_pod(tmp_path: Path) -> None:
    found = lint_text(tmp_path, TIE, "NPL018")
    assert where(found) == [("NPL018", 13, "spec.order")]
    assert found[0].message == (
        "Calico policies shop/allow-web and shop/deny-all of tier default have the same order "
        "100 and disagree on ingress of shop/web[Deployment]: Calico runs them by name, so "
        "shop/allow-web decides first; renaming either one can turn an allow into a deny")


def test_distinct_orders_or_no_common_pod_are_fine(tmp_path: Path) -> None:
    assert lint_text(tmp_path, TIE.replace("order: 100\n  selector: all()",
                                           "order: 200\n  selector: all()"), "NPL018") == []
    assert lint_text(tmp_path, TIE.replace("selector: all()", "selector: app == 'db'"),
                     "NPL018") == []
    # Both without order tie too (both run last, by name).
    both = TIE.replace("  order: 100\n", "")
    assert where(lint_text(tmp_path, both, "NPL018")) == [("NPL018", 11, "spec")]


def test_flags_a_deny_at_order_1000_next_to_kubernetes_policies(tmp_path: Path) -> None:
    text = TIE.replace("order: 100\n  selector: all()", "order: 1000\n  selector: all()") + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{}]
"""
    found = lint_text(tmp_path, text, "NPL018")
    assert [f.message.split(":")[0] for f in found] == [
        "Calico policy shop/deny-all has order 1000 in tier default, the order of every "
        "Kubernetes NetworkPolicy, and denies or passes ingress of shop/web[Deployment]"]
