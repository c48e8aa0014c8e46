"""Nearest misses on small clusters: what counts as near, and how each difference is said."""

from __future__ import annotations

import ipaddress

from engine.builders import cluster, peer, pod, policy, port, rule

from dtnetpol.check import nearest_misses
from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.analysis import Analyzer, ExternalEndpoint
from dtnetpol.model import Direction, Protocol

WEB = pod("app", "web", {"app": "web"}, ports=(("http", 8080, "TCP"),))
API = pod("app", "api", {"app": "api"}, ports=(("https", 8443, "TCP"),))
DENY = policy("app", "deny", types=["Ingress", "Egress"])


def misses(*policies: object, port_number: int = 8443) -> list[str]:
    an = Analyzer(cluster([WEB, API], [DENY, *policies]))  # type: ignore[list-item]
    web, api = an.class_of(WEB), an.class_of(API)
    return [str(m) for m in nearest_misses(an, api, Direction.INGRESS, web, api, port_number,
                                           Protocol.TCP)]


def test_one_difference_is_near_and_names_the_port() -> None:
    wrong_port = policy("app", "api-in", {"app": "api"},
                        ingress=[rule([peer(pods={"app": "web"})], [port(9000)])])
    assert misses(wrong_port) == [
        "app/api-in ingress[0] almost allows it: it allows TCP 9000, not 8443/TCP"]


def test_wrong_label_in_the_peer_is_said_with_what_the_pod_carries() -> None:
    wrong_peer = policy("app", "api-in", {"app": "api"},
                        ingress=[rule([peer(pods={"app": "frontend"})], [port(8443)])])
    (text,) = misses(wrong_peer)
    assert "label app=frontend required, found app=web" in text


def test_two_full_differences_are_not_near() -> None:
    far = policy("app", "api-in", {"app": "api"},
                 ingress=[rule([peer(pods={"app": "frontend"})], [port(9000)])])
    assert misses(far) == []


def test_selector_of_a_policy_that_selects_someone_else() -> None:
    other = policy("app", "web-in", {"app": "web"},
                   ingress=[rule([peer(pods={"app": "web"})], [port(8443)])])
    (text,) = misses(other)
    assert "its podSelector {app=web} does not select app/api[Deployment]" in text


def test_policy_types_that_leave_the_direction_out() -> None:
    egress_only = policy("app", "api-in", {"app": "api"}, types=["Egress"],
                         ingress=[rule([peer(pods={"app": "web"})], [port(8443)])])
    (text,) = misses(egress_only)
    assert "its policyTypes leave out Ingress, so its ingress rules are ignored" in text


def test_selector_peer_never_matches_a_non_pod_source() -> None:
    ns_all = policy("app", "api-in", {"app": "api"},
                    ingress=[rule([peer(namespaces={})], [port(8443)])])
    an = Analyzer(cluster([WEB, API], [DENY, ns_all]))
    apiserver = ExternalEndpoint("kube-apiserver", AddressSet.of_networks(
        [ipaddress.ip_network("172.18.0.2/32")]))
    api = an.class_of(API)
    (m,) = nearest_misses(an, api, Direction.INGRESS, apiserver, api, 8443, Protocol.TCP)
    assert "kube-apiserver is not a pod" in str(m)


def test_ipblock_for_a_pod_is_a_peer_of_the_wrong_kind() -> None:
    by_ip = policy("app", "api-in", {"app": "api"},
                   ingress=[rule([peer(cidr="10.0.0.0/8")], [port(8443)])])
    assert misses(by_ip) == []


def test_a_selector_that_misses_says_what_the_pod_has_once() -> None:
    # The selector is shown whole; the gap is what the pod carries, not the term repeated.
    other = policy("app", "web-in", {"app": "web"},
                   ingress=[rule([peer(pods={"app": "web"})], [port(8443)])])
    (text,) = misses(other)
    assert "its podSelector {app=web} does not select app/api[Deployment] (it has app=api)" \
        in text
    assert "required" not in text
    absent = policy("app", "tier-in", {"tier": "backend"},
                    ingress=[rule([peer(pods={"app": "web"})], [port(8443)])])
    (text,) = misses(absent)
    assert "(it has no label tier); it selects no pod" in text


def test_a_host_network_source_is_said_to_run_on_the_host_network() -> None:
    agent = pod("app", "agent", {"app": "agent"}, host_network=True, ips=("10.0.0.5",))
    ns_all = policy("app", "api-in", {"app": "api"},
                    ingress=[rule([peer(namespaces={})], [port(8443)])])
    an = Analyzer(cluster([agent, API], [DENY, ns_all]))
    api = an.class_of(API)
    (m,) = nearest_misses(an, api, Direction.INGRESS, an.class_of(agent), api, 8443,
                          Protocol.TCP)
    assert "app/agent[Deployment] runs on the host network, so no selector matches it" \
        in str(m)
