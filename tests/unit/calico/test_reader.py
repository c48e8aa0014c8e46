"""Reading Calico objects: defaulting, every field, and one-line errors at FILE:LINE."""

from __future__ import annotations

import ipaddress
import textwrap

import pytest

from dtnetpol.errors import InputError
from dtnetpol.manifest import build_cluster
from dtnetpol.manifest.calico import calico_types
from dtnetpol.model import Direction
from dtnetpol.model.calico import (
    Action,
    CalicoKind,
    PortRange,
    ProtocolMatch,
    ServiceAccountMatch,
    ServiceMatch,
)
from dtnetpol.sources.yaml_load import read_text

INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS


def load(text: str, strict: bool = True):  # type: ignore[no-untyped-def]
    docs = read_text(textwrap.dedent(text), "c.yaml")
    return build_cluster(((d.body, d.location) for d in docs), strict=strict)


def policy_doc(spec: str, kind: str = "NetworkPolicy", group: str = "projectcalico.org/v3",
               namespace: str = "shop") -> str:
    meta = f"  namespace: {namespace}\n" if namespace else ""
    body = textwrap.indent(textwrap.dedent(spec), "  ")
    return f"apiVersion: {group}\nkind: {kind}\nmetadata:\n  name: p\n{meta}spec:\n{body}"


@pytest.mark.parametrize(("ingress", "egress", "types"), [
    (False, False, {INGRESS}),
    (True, False, {INGRESS}),
    (False, True, {EGRESS}),
    (True, True, {INGRESS, EGRESS}),
])
def test_types_default_as_calico_does(ingress: bool, egress: bool,
                                      types: set[Direction]) -> None:
    assert calico_types([], ingress, egress) == frozenset(types)
    assert calico_types([EGRESS], ingress, egress) == frozenset({EGRESS})


def test_every_rule_field_is_read() -> None:
    cluster, _ = load(policy_doc("""
        tier: security
        order: 10.5
        selector: app == 'web'
        serviceAccountSelector: role == 'x'
        ingress:
          - action: Allow
            protocol: TCP
            source:
              selector: app == 'lb'
              notSelector: canary == 'true'
              namespaceSelector: projectcalico.org/name == 'ingress'
              nets: [10.0.0.0/8, 192.168.1.7]
              notNets: [10.1.0.0/16]
              serviceAccounts: {names: [lb], selector: team == 'net'}
            destination:
              ports: [80, "8000:8080", http]
              notPorts: ["8081"]
          - action: Log
          - action: Deny
            notProtocol: 17
        egress:
          - action: Pass
            destination:
              services: {name: kubernetes, namespace: default}
    """))
    (p,) = cluster.calico.policies
    assert (p.kind, p.namespace, p.name, p.tier, p.order) == (
        CalicoKind.NETWORK_POLICY, "shop", "p", "security", 10.5)
    assert str(p.selector) == "app == 'web'"
    assert p.types == frozenset({INGRESS, EGRESS}) and not p.types_declared
    allow, log, deny = p.ingress
    assert allow.action is Action.ALLOW and allow.protocol == ProtocolMatch(name="TCP")
    src = allow.source
    assert src.nets == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.168.1.7/32"))
    assert src.not_nets == (ipaddress.ip_network("10.1.0.0/16"),)
    assert str(src.not_selector) == "canary == 'true'"
    assert src.service_accounts is not None
    assert src.service_accounts.names == ("lb",)
    assert allow.destination.ports == (PortRange(80, 80), PortRange(8000, 8080),
                                       PortRange(name="http"))
    assert allow.destination.not_ports == (PortRange(8081, 8081),)
    assert log.action is Action.LOG and log.source.is_empty
    assert deny.not_protocol == ProtocolMatch(number=17)
    assert p.egress[0].destination.services == ServiceMatch("kubernetes", "default")
    assert p.service_account_selector is not None


def test_global_kinds_tiers_sets_and_staged() -> None:
    cluster, _ = load("\n---\n".join([
        policy_doc("namespaceSelector: has(monitored)\nselector: all()\n"
                   "egress: [{action: Deny}]", kind="GlobalNetworkPolicy",
                   group="crd.projectcalico.org/v1", namespace=""),
        "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\n"
        "spec: {order: 100, defaultAction: Pass}",
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n"
        "metadata: {name: tenant, labels: {role: tenant}}\nspec: {nets: [203.0.113.0/24]}",
        "apiVersion: projectcalico.org/v3\nkind: NetworkSet\n"
        "metadata: {name: db, namespace: shop}\nspec: {nets: ['2001:db8::/64']}",
        policy_doc("selector: all()\ntypes: [Egress]", kind="StagedNetworkPolicy"),
        "apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\n"
        "metadata: {name: sk, namespace: shop}\n"
        "spec: {stagedAction: Delete, podSelector: {}, policyTypes: [Ingress]}",
    ]))
    res = cluster.calico
    (gnp,) = res.policies
    assert gnp.kind.is_global and gnp.namespace is None and gnp.types == {EGRESS}
    assert gnp.api_version == "crd.projectcalico.org/v1"
    assert res.tier("security").default_action is Action.PASS
    assert res.tier("default").order == 1_000_000
    assert res.tier("nope").order is None
    assert [(s.namespace, s.name) for s in res.network_sets] == [(None, "tenant"), ("shop", "db")]
    assert [p.staged_action for p in res.staged] == ["Set"]
    assert res.staged_kubernetes[0].staged_action == "Delete"
    assert res.staged_kubernetes[0].policy.ref == "shop/sk"
    assert not cluster.policies   # staged policies are not enforced
    assert any("is staged: not enforced" in w for w in cluster.warnings)


def test_host_endpoint_policies_are_said_to_be_not_modelled() -> None:
    cluster, _ = load(policy_doc("preDNAT: true\napplyOnForward: true\n"
                                 "ingress: [{action: Deny}]",
                                 kind="GlobalNetworkPolicy", namespace=""))
    assert any("host-endpoint policy: not modelled" in w for w in cluster.warnings)


def test_unknown_tier_is_said() -> None:
    cluster, _ = load(policy_doc("tier: platform\nselector: all()"))
    assert any("tier 'platform'" in w and "not in the input" in w for w in cluster.warnings)


@pytest.mark.parametrize(("spec", "where", "message"), [
    ("selector: app = 'web'", "c.yaml:7: document 1: spec.selector",
     "invalid-selector: \"app = 'web'\": column 5: unexpected character '=' (== is written "
     "doubled)"),
    ("selector: global()", "c.yaml:7: document 1: spec.selector",
     "invalid-selector: global() can only be used in a rule's namespaceSelector, not in "
     "spec.selector"),
    ("ingress:\n  - action: allow", "c.yaml:8: document 1: spec.ingress[0].action",
     "invalid-action: action 'allow' is not one of Allow, Deny, Log, Pass (actions are "
     "case-sensitive: Allow)"),
    ("ingress:\n  - action: Allow\n    destination: {ports: [80]}",
     "c.yaml:8: document 1: spec.ingress[0].protocol",
     "conflicting-fields: ports need protocol TCP, UDP or SCTP on the rule"),
    ("ingress:\n  - action: Allow\n    protocol: ICMP\n    destination: {ports: [80]}",
     "c.yaml:9: document 1: spec.ingress[0].protocol",
     "conflicting-fields: ports need protocol TCP, UDP or SCTP on the rule, not ICMP"),
    ("ingress:\n  - action: Allow\n    protocol: TCP\n    destination: {ports: ['80-90']}",
     "c.yaml:10: document 1: spec.ingress[0].destination.ports[0]",
     "invalid-port-name: '80-90' is read as a port name; a range is written with a colon: "
     "'80:90'"),
    ("ingress:\n  - action: Allow\n    protocol: TCP\n    destination: {ports: ['90:80']}",
     "c.yaml:10: document 1: spec.ingress[0].destination.ports[0]",
     "invalid-port: port range '90:80': the first port is above the last"),
    ("egress:\n  - action: Allow\n    destination:\n      nets: [10.0.0.0/33]",
     "c.yaml:10: document 1: spec.egress[0].destination.nets[0]",
     "invalid-cidr: invalid CIDR '10.0.0.0/33': prefix length must be at most 32"),
    ("egress:\n  - action: Allow\n    destination:\n      podSelector: {}",
     "c.yaml:10: document 1: spec.egress[0].destination.podSelector",
     "unknown-field: unknown field 'podSelector': Calico uses selector (an expression such "
     "as app == 'web') (the CRD schema)"),
    ("egress:\n  - action: Allow\n    destination:\n      services: {name: x}\n"
     "      selector: a == 'b'", "c.yaml:11: document 1: spec.egress[0].destination.selector",
     "conflicting-fields: cannot give selector and services in the same source or "
     "destination"),
    ("types: [Ingress, Sideways]", "c.yaml:7: document 1: spec.types[1]",
     "invalid-policy-type: type 'Sideways' is not Ingress or Egress"),
    ("ingress:\n  - action: Deny\n    ipVersion: 5",
     "c.yaml:9: document 1: spec.ingress[0].ipVersion", "invalid-value: ipVersion must be 4 or 6"),
    ("order: high", "c.yaml:7: document 1: spec.order",
     "wrong-type: must be a number, not string (the CRD schema)"),
    ("ingress:\n  - action: Deny\n    protocol: TCPP",
     "c.yaml:9: document 1: spec.ingress[0].protocol",
     "invalid-protocol: protocol 'TCPP' is not one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite "
     "or a number 1-255"),
])
def test_invalid_objects_give_one_line_errors(spec: str, where: str, message: str) -> None:
    """Every Calico problem code appears here (and test_every_code_is_exercised relies on it)."""
    with pytest.raises(InputError) as info:
        load(policy_doc(spec))
    assert str(info.value) == f"{where}: {message} (Calico would reject this NetworkPolicy)"


def test_skip_invalid_keeps_the_others_and_reports_every_problem() -> None:
    text = policy_doc("selector: a == \nordr: 1") + "\n---\n" + policy_doc(
        "selector: all()").replace("name: p", "name: q")
    cluster, problems = load(text, strict=False)
    assert [p.name for p in cluster.calico.policies] == ["q"]
    assert [p.code for p in problems] == ["unknown-field", "invalid-selector"]
    assert any("Calico NetworkPolicy shop/p" in w and "ignored" in w for w in cluster.warnings)


def test_service_account_match_and_pod_service_account() -> None:
    cluster, _ = load(policy_doc("""
        egress:
          - action: Allow
            destination:
              serviceAccounts: {selector: "app == 'x'"}
    """) + """
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: shop}
spec:
  template:
    metadata: {labels: {app: d}}
    spec: {serviceAccountName: robot, containers: [{name: c, image: i}]}
""")
    rule = cluster.calico.policies[0].egress[0]
    assert isinstance(rule.destination.service_accounts, ServiceAccountMatch)
    assert cluster.pods[0].service_account == "robot"
