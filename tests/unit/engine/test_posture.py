"""workload_posture: selecting policies, isolation per direction, rules in words."""

from __future__ import annotations

from dtnetpol.engine.analysis import HOST_NETWORK_NOTE, Analyzer, PodClass
from dtnetpol.engine.explain import RuleRef
from dtnetpol.engine.posture import WorkloadPosture, workload_posture
from dtnetpol.model import Cluster

from .builders import EGRESS, INGRESS, UDP, cluster, peer, pod, policy, port, rule, sel


def posture(c: Cluster, name: str) -> WorkloadPosture:
    an = Analyzer(c)
    cls = an.find(name)
    assert isinstance(cls, PodClass)
    found = [p for p in workload_posture(an, cls) if p.workload.startswith(name)]
    assert len(found) == 1
    return found[0]


POLICIES = [
    policy("a", "in", sel(), ingress=[
        rule(),
        rule([peer(pods={"app": "y"}), peer(namespaces={}), peer(pods={}, namespaces={"t": "1"}),
              peer(cidr="10.0.0.0/8", excepts=["10.1.0.0/16"])],
             [port(80), port("http", UDP), port(1000, "TCP", 2000), port(None, "SCTP")])]),
    policy("a", "eg-other", {"app": "other"}, types=[EGRESS]),
    policy("a", "eg-empty", {"app": "x"}, egress=[]),          # no types, egress []: Ingress only
    policy("b", "elsewhere", sel(), types=[INGRESS, EGRESS]),
]


def test_posture_of_an_ingress_isolated_workload() -> None:
    c = cluster([pod("a", "x", {"app": "x"})], POLICIES)
    p = posture(c, "a/x")
    assert p.workload == "a/x[Deployment]"
    assert p.namespace == "a"
    assert p.labels == (("app", "x"),)
    assert p.host_network is False
    assert p.selected_by == ("a/in", "a/eg-empty")
    assert p.ingress.isolated is True
    assert p.ingress.policies == ("a/in", "a/eg-empty")
    assert [r.ref for r in p.ingress.rules] == [RuleRef("a/in", INGRESS, 0),
                                                RuleRef("a/in", INGRESS, 1)]
    assert p.ingress.rules[0].peers == ("everyone (pods and all addresses)",)
    assert p.ingress.rules[0].ports == ("all ports",)
    assert p.ingress.rules[1].peers == (
        "pods [app=y] in namespace a", "all pods in all namespaces",
        "pods [{}] in namespaces [t=1]", "ipBlock 10.0.0.0/8 except 10.1.0.0/16")
    assert p.ingress.rules[1].ports == ("80/TCP", "http/UDP", "1000-2000/TCP", "all/SCTP")
    assert p.egress.isolated is False
    assert p.egress.policies == () and p.egress.rules == ()
    assert p.notes == ()


def test_posture_of_an_egress_isolated_workload_without_rules() -> None:
    c = cluster([pod("a", "o", {"app": "other"})], POLICIES)
    p = posture(c, "a/o")
    assert p.selected_by == ("a/in", "a/eg-other")
    assert p.egress.isolated is True
    assert p.egress.policies == ("a/eg-other",)
    assert p.egress.rules == ()


def test_posture_of_an_unselected_workload() -> None:
    c = cluster([pod("c", "free")], POLICIES)
    p = posture(c, "c/free")
    assert p.selected_by == ()
    assert not p.ingress.isolated and not p.egress.isolated


def test_posture_of_a_host_network_workload() -> None:
    c = cluster([pod("a", "h", {"app": "x"}, host_network=True, ips=["192.168.0.1"])], POLICIES)
    p = posture(c, "a/h")
    assert p.host_network is True
    assert p.selected_by == ("a/in", "a/eg-empty")
    assert p.ingress.isolated is False                 # selected, but not governed
    assert p.ingress.policies == ("a/in", "a/eg-empty")
    assert p.notes == (HOST_NETWORK_NOTE,)


def test_workloads_sharing_a_class_get_one_posture_each() -> None:
    c = cluster([pod("a", "x-1", {"app": "x"}, owner="x"), pod("a", "x-2", {"app": "x"}, owner="x"),
                 pod("a", "z", {"app": "x"})], POLICIES)
    an = Analyzer(c)
    assert len(an.classes) == 1
    got = workload_posture(an, an.classes[0])
    assert [p.workload for p in got] == ["a/x[Deployment]", "a/z[Deployment]"]
    assert got[0].ingress == got[1].ingress
