"""Analyzer plumbing: pod classes, endpoint lookup, verdict texts."""

from __future__ import annotations

import pytest

from dtnetpol.engine.analysis import Analyzer, ExternalEndpoint, PodClass
from dtnetpol.engine.explain import Outcome, SideStatus

from .builders import INGRESS, cluster, peer, pod, policy, port, rule, sel


def test_pods_that_no_policy_can_tell_apart_share_a_class() -> None:
    c = cluster([pod("a", "w-1", {"app": "w"}, owner="w"), pod("a", "w-2", {"app": "w"}, owner="w"),
                 pod("a", "v", {"app": "w"}), pod("b", "w", {"app": "w"}),
                 pod("a", "u", {"app": "w"}, ports=[]),
                 pod("a", "h", {"app": "w"}, host_network=True)])
    an = Analyzer(c)
    assert len(an.classes) == 4
    assert an.class_of(c.pods[0]) is an.class_of(c.pods[1]) is an.class_of(c.pods[2])
    cls = an.class_of(c.pods[0])
    assert [str(w) for w in cls.workloads] == ["a/w[Deployment]", "a/v[Deployment]"]
    assert cls.name == "a/w[Deployment]"
    assert len({an.class_of(p).index for p in c.pods[2:]}) == 4


def test_find_by_workload_pod_kind_and_address() -> None:
    c = cluster([pod("a", "web-abc", {"app": "web"}, owner="web", ips=["10.244.0.5"]),
                 pod("a", "db-0", {"app": "db"}, owner="db", kind="StatefulSet"),
                 pod("a", "node-agent", host_network=True, ips=["192.168.0.4"])])
    an = Analyzer(c)
    web = an.find("a/web")
    assert isinstance(web, PodClass) and web.pods[0].name == "web-abc"
    assert an.find("a/web-abc") is web
    assert an.find("a/web[Deployment]") is web
    assert an.find("10.244.0.5") is web
    assert an.find("a/db[StatefulSet]") is an.find("a/db-0")
    ext = an.find("192.168.0.4")            # a host-network pod's IP is the node's
    assert isinstance(ext, ExternalEndpoint) and ext.name == "192.168.0.4"
    ext = an.find("10.0.0.0/8")
    assert isinstance(ext, ExternalEndpoint) and ext.addresses is not None
    assert ext.addresses.ranges() == ["10.0.0.0-10.255.255.255"]
    assert isinstance(an.find("2001:db8::1"), ExternalEndpoint)


@pytest.mark.parametrize(("text", "message"), [
    ("web", "expected namespace/name"),
    ("/web", "expected namespace/name"),
    ("a/", "expected namespace/name"),
    ("a/nope", "workloads there: db, web"),
    ("zz/web", "no workload in namespace 'zz'"),
])
def test_find_errors_name_what_was_searched(text: str, message: str) -> None:
    an = Analyzer(cluster([pod("a", "web"), pod("a", "db-0", owner="db")]))
    with pytest.raises(LookupError, match=message.replace("[", r"\[")):
        an.find(text)


def test_find_with_a_kind_that_does_not_exist_fails() -> None:
    an = Analyzer(cluster([pod("a", "web", owner="web", kind="Deployment")]))
    with pytest.raises(LookupError, match="no workload or pod"):
        an.find("a/web[StatefulSet]")


def test_verdict_describes_each_side() -> None:
    c = cluster([pod("a", "x", {"app": "x"}), pod("a", "y", {"app": "y"})],
                [policy("a", "y-in", {"app": "y"}, ingress=[rule([peer(pods={"app": "x"})])]),
                 policy("a", "x-in", {"app": "x"}, types=[INGRESS])])
    an = Analyzer(c)
    v = an.can_reach(an.find("a/x"), an.find("a/y"), 80)
    assert v.outcome is Outcome.ALLOWED and v.allowed and v.blocked_by is None
    assert v.egress.describe() == ("egress of a/x[Deployment]: not isolated (no policy selects it "
                                   "for Egress): allowed")
    assert v.ingress.describe() == "ingress of a/y[Deployment]: isolated by a/y-in; allowed by " \
                                   "a/y-in ingress[0]"
    v = an.can_reach(an.find("a/y"), an.find("a/x"), 80)
    assert v.ingress.describe() == "ingress of a/x[Deployment]: isolated by a/x-in; no rule " \
                                   "allows it"


def test_external_endpoint_side_is_not_a_pod() -> None:
    an = Analyzer(cluster([pod("a", "x")], [policy("a", "deny", sel(), types=[INGRESS])]))
    v = an.can_reach(an.find("a/x"), an.find("198.51.100.1"), 443)
    assert v.ingress.status is SideStatus.NOT_A_POD
    assert v.outcome is Outcome.ALLOWED
    assert v.ingress.describe().endswith("not a pod, no NetworkPolicy applies")


def test_namespace_address_set_endpoint_matches_only_namespace_only_peers() -> None:
    # OpenShift OVN-K: host-network traffic (the API server) is matched by a
    # namespaceSelector peer without podSelector, never by one with a podSelector.
    from dtnetpol.model.cluster import Namespace
    hostnet = Namespace("openshift-host-network",
                        {"kubernetes.io/metadata.name": "openshift-host-network",
                         "policy-group.network.openshift.io/host-network": ""})
    label = {"policy-group.network.openshift.io/host-network": ""}
    for peer_kwargs, expected in (({"namespaces": label}, True),
                                  ({"namespaces": label, "pods": {}}, False)):
        c = cluster([pod("dynatrace", "webhook", {"app": "webhook"})],
                    [policy("dynatrace", "in", {"app": "webhook"},
                            ingress=[rule([peer(**peer_kwargs)], [port(8443)])])],
                    namespaces=[hostnet])
        an = Analyzer(c)
        api = ExternalEndpoint("kube-apiserver", None, as_namespace="openshift-host-network")
        assert an.can_reach(api, an.find("dynatrace/webhook"), 8443).allowed is expected


def test_stand_in_classes_with_the_same_index_get_their_own_answers() -> None:
    """Callers make up classes for pods that do not exist yet (check's and fix's stand-ins),
    numbering them -1, -2, ... each; two with one index must not share cached answers."""
    c = cluster([pod("a", "w", {"app": "w"})], [policy("a", "deny-ingress", types=["Ingress"])])
    an = Analyzer(c)
    src = an.classes[0]

    def stand_in(ns: str) -> PodClass:
        p = pod(ns, "future", {"x": "1"})
        return PodClass(-1, ns, p.labels, p.ports, False, (p,))

    fenced, free = stand_in("a"), stand_in("b")
    assert an.can_reach(src, fenced, 8080).outcome is Outcome.BLOCKED
    assert an.can_reach(src, free, 8080).outcome is Outcome.ALLOWED
    assert [p.name for p in an.isolating_policies(fenced, INGRESS)] == ["deny-ingress"]
    assert an.isolating_policies(free, INGRESS) == ()
