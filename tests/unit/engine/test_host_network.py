"""``--host-network node|pod``: what policies do to host-network pods under each mode.

One small cluster of our own: namespace ``mon`` runs a host-network agent (a DaemonSet on
node ``n1``, address 192.168.0.4, no pod IP of its own) and a gateway that only admits the
agent by label; namespace ``mon`` also has a deny-all-egress policy for every pod.
"""

from __future__ import annotations

from dataclasses import replace

from dtnetpol.engine.analysis import Analyzer
from dtnetpol.engine.explain import Outcome, SideStatus
from dtnetpol.model import Cluster, HostNetwork, Node

from .builders import EGRESS, INGRESS, cluster, peer, pod, policy, port, rule

AGENT = replace(pod("mon", "agent-x1", {"app": "agent"}, ports=(), host_network=True,
                    owner="agent", kind="DaemonSet"), node="n1")
GATEWAY = pod("mon", "gateway-0", {"app": "gateway"}, ports=(("https", 9999, "TCP"),),
              owner="gateway", kind="StatefulSet")


def _cluster(*ingress_peers: object) -> Cluster:
    gate = policy("mon", "gateway-in", {"app": "gateway"},
                  ingress=[rule(ingress_peers, [port(9999)])])  # type: ignore[arg-type]
    deny_egress = policy("mon", "deny-egress", None, types=[EGRESS])
    base = cluster([AGENT, GATEWAY], [gate, deny_egress])
    return replace(base, nodes=(Node("n1", addresses=("192.168.0.4",)),))


def test_node_mode_agent_is_node_traffic_selector_peer_does_not_match() -> None:
    an = Analyzer(_cluster(peer(pods={"app": "agent"})))
    agent, gateway = an.class_of(AGENT), an.class_of(GATEWAY)
    assert agent.host_network and not an.is_isolated(agent, EGRESS)
    v = an.can_reach(agent, gateway, 9999)
    assert v.egress.status is SideStatus.NOT_GOVERNED     # deny-egress does not select it
    assert v.ingress.status is SideStatus.BLOCKED         # the label peer never matches it
    assert v.outcome is Outcome.BLOCKED


def test_node_mode_an_ipblock_of_the_nodes_address_admits_the_agent() -> None:
    """No pod IP: the address is its Node's (192.168.0.4)."""
    an = Analyzer(_cluster(peer(cidr="192.168.0.0/24")))
    agent, gateway = an.class_of(AGENT), an.class_of(GATEWAY)
    assert str(agent.addresses) == "192.168.0.4-192.168.0.4"
    assert an.can_reach(agent, gateway, 9999).outcome is Outcome.ALLOWED
    an = Analyzer(_cluster(peer(cidr="10.0.0.0/8")))
    assert an.can_reach(an.class_of(AGENT), an.class_of(GATEWAY), 9999).outcome \
        is Outcome.BLOCKED


def test_node_mode_without_the_nodes_address_the_verdict_is_conditional() -> None:
    c = replace(_cluster(peer(cidr="192.168.0.0/24")), nodes=())
    an = Analyzer(c)
    v = an.can_reach(an.class_of(AGENT), an.class_of(GATEWAY), 9999)
    assert v.outcome is Outcome.CONDITIONAL
    assert v.condition == ("allowed only if mon/agent[DaemonSet] resolves into "
                           "192.168.0.0-192.168.0.255")


def test_pod_mode_agent_is_selected_and_matched_like_any_pod() -> None:
    an = Analyzer(_cluster(peer(pods={"app": "agent"})), HostNetwork.POD)
    agent, gateway = an.class_of(AGENT), an.class_of(GATEWAY)
    assert not agent.host_network and an.is_isolated(agent, EGRESS)
    v = an.can_reach(agent, gateway, 9999)
    assert v.egress.status is SideStatus.BLOCKED          # deny-egress selects it now
    assert v.ingress.status is SideStatus.ALLOWED         # the label peer matches it
    assert [p.ref for p in an.isolating_policies(agent, EGRESS)] == ["mon/deny-egress"]
    # An ipBlock of the node's address no longer matches it: it is a pod.
    an = Analyzer(_cluster(peer(cidr="192.168.0.0/24")), HostNetwork.POD)
    v = an.can_reach(an.class_of(AGENT), an.class_of(GATEWAY), 9999)
    assert v.ingress.status is SideStatus.BLOCKED


def test_pod_mode_groups_host_network_pods_with_their_look_alikes() -> None:
    twin = pod("mon", "agent-y2", {"app": "agent"}, ports=(), owner="agent", kind="DaemonSet")
    c = replace(_cluster(), pods=(AGENT, twin, GATEWAY))
    node = Analyzer(c)
    assert node.class_of(AGENT) is not node.class_of(twin)
    as_pod = Analyzer(c, HostNetwork.POD)
    assert as_pod.class_of(AGENT) is as_pod.class_of(twin)
    assert as_pod.node_traffic(True) is False and node.node_traffic(True) is True
    assert as_pod.is_isolated(as_pod.class_of(GATEWAY), INGRESS)
