"""Calico tier semantics, one rule per test, on manifests read by the real reader."""

from __future__ import annotations

import ipaddress
import textwrap

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.calico_eval import (
    CalicoEnd,
    Context,
    ServiceTarget,
    evaluate_side,
)
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.ports import PortSet
from dtnetpol.manifest import build_cluster
from dtnetpol.model import ContainerPort, Direction, Protocol
from dtnetpol.model.calico import Action, CalicoResources
from dtnetpol.sources.yaml_load import read_text

INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS
WEB = CalicoEnd("shop", {"app": "web"}, {"team": "red"}, "web-sa", None,
                (ContainerPort(8080, Protocol.TCP, "http"),))
CLIENT = CalicoEnd("shop", {"app": "client"}, {"team": "red"})
OTHER_NS = CalicoEnd("lab", {"app": "client"}, {"team": "blue"})
TCP = PortSet.of(Protocol.TCP, IntervalSet.single(1, 65535))


def tcp(*ports: int) -> PortSet:
    out = PortSet.none()
    for p in ports:
        out = out.union(PortSet.of(Protocol.TCP, IntervalSet.single(p)))
    return out


def res(text: str) -> CalicoResources:
    docs = read_text(textwrap.dedent(text), "c.yaml")
    cluster, _ = build_cluster((d.body, d.location) for d in docs)
    return cluster.calico


def allowed(r: CalicoResources, subject: CalicoEnd, direction: Direction, other: CalicoEnd,
            query: PortSet = TCP, ctx: Context | None = None, kube=None) -> PortSet:  # type: ignore[no-untyped-def]
    ctx = ctx or Context(r.network_sets)
    return evaluate_side(ctx, r, subject, direction, other, query, kube).allowed


NP = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: {name}, namespace: shop}}
spec:
  {spec}
"""


def np(name: str, spec: str) -> str:
    return NP.format(name=name, spec=textwrap.indent(textwrap.dedent(spec), "  ").strip())


def test_no_policy_allows_everything() -> None:
    assert allowed(CalicoResources(), WEB, INGRESS, CLIENT) == TCP


def test_a_selecting_policy_without_matching_rule_drops_at_the_end_of_its_tier() -> None:
    r = res(np("deny", "selector: app == 'web'\ntypes: [Ingress]"))
    assert not allowed(r, WEB, INGRESS, CLIENT)
    assert allowed(r, CLIENT, INGRESS, WEB) == TCP   # not selected
    assert allowed(r, WEB, EGRESS, CLIENT) == TCP    # not this direction


def test_first_matching_rule_decides_and_log_goes_on() -> None:
    r = res(np("p", """
        selector: app == 'web'
        ingress:
          - action: Log
          - action: Deny
            protocol: TCP
            destination: {ports: [22]}
          - action: Allow
            protocol: TCP
    """))
    assert allowed(r, WEB, INGRESS, CLIENT) == TCP.difference(tcp(22))


def test_lower_order_policy_runs_first_and_no_order_runs_last() -> None:
    r = res(np("a-allow", "selector: all()\norder: 200\ningress: [{action: Allow}]")
            + "---\n" + np("b-deny", "selector: all()\norder: 100\ningress: [{action: Deny}]")
            + "---\n" + np("c-allow", "selector: all()\ningress: [{action: Allow}]"))
    assert not allowed(r, WEB, INGRESS, CLIENT)


def tier(name: str, spec: str) -> str:
    return (f"apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {{name: {name}}}\n"
            f"spec: {spec}\n---\n")


def test_pass_skips_the_rest_of_the_tier_and_the_next_tier_decides() -> None:
    r = res(tier("security", "{order: 100}") + np("pass", """
        tier: security
        selector: all()
        ingress:
          - action: Pass
            source: {selector: app == 'client'}
    """) + "---\n" + np("allow", """
        selector: all()
        ingress: [{action: Allow, protocol: TCP, destination: {ports: [8080]}}]
    """))
    assert allowed(r, WEB, INGRESS, CLIENT) == tcp(8080)
    assert not allowed(r, WEB, INGRESS, CalicoEnd("shop", {"app": "x"}, {}))


def test_tier_default_action_pass() -> None:
    r = res(tier("platform", "{order: 1, defaultAction: Pass}")
            + np("x", "tier: platform\nselector: all()\ntypes: [Ingress]"))
    assert allowed(r, WEB, INGRESS, CLIENT) == TCP
    r = res(tier("platform", "{order: 1}")
            + np("x", "tier: platform\nselector: all()\ntypes: [Ingress]"))
    assert not allowed(r, WEB, INGRESS, CLIENT)


def test_kubernetes_policies_sit_at_order_1000_of_the_default_tier() -> None:
    def kube(undecided: PortSet) -> tuple[bool, PortSet]:
        return True, tcp(80).intersection(undecided)

    before = res(np("deny", "selector: all()\norder: 999\ningress: [{action: Deny}]"))
    after = res(np("deny", "selector: all()\norder: 1001\ningress: [{action: Deny}]"))
    assert not allowed(before, WEB, INGRESS, CLIENT, kube=kube)
    assert allowed(after, WEB, INGRESS, CLIENT, kube=kube) == tcp(80)
    # Kubernetes policies alone: what they allow, the rest dropped at the end of the tier.
    assert allowed(CalicoResources(), WEB, INGRESS, CLIENT, kube=kube) == tcp(80)


def test_selectors_stay_in_the_policy_namespace_unless_a_namespace_selector_is_given() -> None:
    r = res(np("p", """
        selector: app == 'web'
        ingress:
          - {action: Allow, source: {selector: app == 'client'}}
    """))
    assert allowed(r, WEB, INGRESS, CLIENT) == TCP
    assert not allowed(r, WEB, INGRESS, OTHER_NS)
    r = res(np("p", """
        selector: app == 'web'
        ingress:
          - {action: Allow, source: {namespaceSelector: team == 'blue'}}
    """))
    assert allowed(r, WEB, INGRESS, OTHER_NS) == TCP
    assert not allowed(r, WEB, INGRESS, CLIENT)


def test_not_selector_excludes_only_within_the_scope() -> None:
    r = res(np("p", """
        selector: app == 'web'
        ingress:
          - {action: Allow, source: {notSelector: app == 'client'}}
    """))
    assert not allowed(r, WEB, INGRESS, CLIENT)
    assert allowed(r, WEB, INGRESS, OTHER_NS) == TCP


def test_nets_notnets_and_network_sets() -> None:
    r = res(np("p", """
        selector: app == 'web'
        egress:
          - action: Allow
            destination: {nets: [203.0.113.0/24], notNets: [203.0.113.128/25]}
          - action: Allow
            destination: {selector: role == 'db'}
    """) + """---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: db, namespace: shop, labels: {role: db}}
spec: {nets: [198.51.100.0/24]}
""")

    def at(ip: str) -> CalicoEnd:
        return CalicoEnd(addresses=AddressSet.of_networks([ipaddress.ip_network(ip)]))

    assert allowed(r, WEB, EGRESS, at("203.0.113.9")) == TCP
    assert not allowed(r, WEB, EGRESS, at("203.0.113.200"))
    assert allowed(r, WEB, EGRESS, at("198.51.100.1")) == TCP
    assert not allowed(r, WEB, EGRESS, at("192.0.2.1"))
    assert not allowed(r, WEB, EGRESS, CLIENT)     # a pod is in no nets (unknown address)


def test_named_ports_ranges_and_protocols() -> None:
    r = res(np("p", """
        selector: all()
        ingress:
          - {action: Allow, protocol: TCP, destination: {ports: [http, "9000:9002"]}}
          - {action: Allow, protocol: 17, destination: {ports: [53]}}
          - {action: Allow, protocol: ICMP}
    """))
    udp53 = PortSet.of(Protocol.UDP, IntervalSet.single(53))
    assert allowed(r, WEB, INGRESS, CLIENT, TCP.union(udp53)) == tcp(
        8080, 9000, 9001, 9002).union(udp53)


def test_service_accounts_and_services() -> None:
    r = res(np("p", """
        selector: all()
        egress:
          - {action: Allow, destination: {serviceAccounts: {names: [web-sa]}}}
          - {action: Allow, destination: {services: {name: kubernetes, namespace: default}}}
    """))
    api = AddressSet.of_networks([ipaddress.ip_network("172.18.0.2/32")])
    ctx = Context(services={("default", "kubernetes"): ServiceTarget(
        "default", None, api, tcp(6443))})
    assert allowed(r, CLIENT, EGRESS, WEB, ctx=ctx) == TCP
    assert not allowed(r, WEB, EGRESS, CLIENT, ctx=ctx)
    assert allowed(r, WEB, EGRESS, CalicoEnd(addresses=api), ctx=ctx) == tcp(6443)


def test_steps_name_policy_rule_and_tier_end() -> None:
    r = res(np("p", "selector: all()\ningress: [{action: Allow, protocol: TCP, "
                    "destination: {ports: [80]}}]"))
    steps = evaluate_side(Context(), r, WEB, INGRESS, CLIENT, tcp(80, 81)).steps
    assert [(s.tier, s.policy.ref if s.policy else None, s.action, str(s.ports))
            for s in steps] == [("default", "shop/p", Action.ALLOW, "TCP 80"),
                                ("default", None, Action.DENY, "TCP 81")]
