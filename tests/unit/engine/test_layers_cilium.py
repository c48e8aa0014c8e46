"""CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy in the engine."""

from __future__ import annotations

import ipaddress

import pytest

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.analysis import Analyzer, ExternalEndpoint
from dtnetpol.engine.explain import Outcome, SideStatus
from dtnetpol.errors import InputError
from dtnetpol.manifest.cluster import build_cluster
from dtnetpol.model import Cluster, Protocol
from dtnetpol.sources.yaml_load import read_text

BASE = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {kubernetes.io/metadata.name: shop, team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: dynatrace, labels: {kubernetes.io/metadata.name: dynatrace}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: x, ports: [{containerPort: 8080, name: http}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ag, namespace: dynatrace}
spec:
  selector: {matchLabels: {app: ag}}
  template:
    metadata: {labels: {app: ag}}
    spec:
      containers: [{name: c, image: x, ports: [{containerPort: 9999}]}]
"""

CCNP_DENY = """
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: deny}
spec: {endpointSelector: {}, ingress: [{}], egress: [{}]}
"""


def cnp(ns: str, name: str, spec: str) -> str:
    return (f"\n---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
            f"metadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}")


def load(text: str) -> Cluster:
    return build_cluster((d.body, d.location) for d in read_text(text, "t.yaml"))[0]


def reach(text: str, src: str, dst: str, port: int = 9999) -> tuple[Outcome, str, str]:
    an = Analyzer(load(text))
    v = an.can_reach(an.find(src), an.find(dst), port, Protocol.TCP)
    return v.outcome, v.egress.chain, v.ingress.chain


def test_empty_rule_allows_nothing() -> None:
    outcome, eg, ing = reach(BASE + CCNP_DENY, "shop/web", "dynatrace/ag")
    assert outcome is Outcome.BLOCKED
    assert eg == "[CiliumClusterwideNetworkPolicy deny] Deny"
    assert ing == "[CiliumClusterwideNetworkPolicy deny] Deny"


def test_to_ports_alone_matches_every_peer() -> None:
    text = BASE + cnp("shop", "p", """  endpointSelector: {}
  egress: [{toPorts: [{ports: [{port: "9999"}]}]}]
""")
    assert reach(text, "shop/web", "dynatrace/ag")[0] is Outcome.ALLOWED
    assert reach(text, "shop/web", "dynatrace/ag", 80)[0] is Outcome.BLOCKED


def test_peer_selectors_stay_in_the_policy_namespace_unless_they_name_one() -> None:
    ingress = """  endpointSelector: {matchLabels: {app: ag}}
  ingress: [{fromEndpoints: [%s]}]
"""
    same_ns = BASE + cnp("dynatrace", "p", ingress % "{matchLabels: {app: web}}")
    assert reach(same_ns, "shop/web", "dynatrace/ag")[0] is Outcome.BLOCKED
    named = BASE + cnp("dynatrace", "p", ingress % (
        "{matchLabels: {k8s:io.kubernetes.pod.namespace: shop, k8s:app: web}}"))
    assert reach(named, "shop/web", "dynatrace/ag")[0] is Outcome.ALLOWED
    by_labels = BASE + cnp("dynatrace", "p", ingress % (
        "{matchLabels: {io.cilium.k8s.namespace.labels.team: a}}"))
    assert reach(by_labels, "shop/web", "dynatrace/ag")[0] is Outcome.ALLOWED


def test_deny_wins_over_network_policy_allow_and_allows_add_up() -> None:
    allow_np = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow, namespace: dynatrace}
spec: {podSelector: {}, ingress: [{ports: [{port: 9999}]}]}
"""
    deny = cnp("dynatrace", "d", """  endpointSelector: {}
  ingressDeny: [{fromEntities: [cluster], toPorts: [{ports: [{port: "9999"}]}]}]
""")
    outcome, _, ing = reach(BASE + allow_np + deny, "shop/web", "dynatrace/ag")
    assert outcome is Outcome.BLOCKED and ing == "[CiliumNetworkPolicy dynatrace/d] Deny"
    allow_cilium = cnp("dynatrace", "a", """  endpointSelector: {}
  ingress: [{fromEntities: [cluster], toPorts: [{ports: [{port: "8000", endPort: 8100}]}]}]
""")
    an = Analyzer(load(BASE + allow_np + allow_cilium))
    ports = an.allowed_ports(an.find("shop/web"), an.find("dynatrace/ag"))
    assert str(ports) == "TCP 8000-8100,9999; UDP 8000-8100; SCTP 8000-8100"  # no protocol: ANY


def test_enable_default_deny_false_only_adds() -> None:
    text = BASE + cnp("dynatrace", "p", """  endpointSelector: {}
  enableDefaultDeny: {ingress: false}
  ingressDeny: [{fromEntities: [world]}]
""")
    assert reach(text, "shop/web", "dynatrace/ag")[0] is Outcome.ALLOWED


def test_fqdn_is_conditional_and_needs_the_dns_rule() -> None:
    fqdn = """  endpointSelector: {matchLabels: {app: web}}
  egress:
  - toFQDNs: [{matchPattern: "*.live.dynatrace.com"}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
"""
    dns = """  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system}}]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*"}]}}]
"""
    host = ExternalEndpoint("abc.live.dynatrace.com",
                            AddressSet.of_networks([ipaddress.ip_network("0.0.0.0/0")]))
    an = Analyzer(load(BASE + cnp("shop", "p", fqdn + dns)))
    v = an.can_reach(an.find("shop/web"), host, 443, Protocol.TCP)
    assert v.outcome is Outcome.CONDITIONAL and v.egress.status is SideStatus.PARTIAL
    assert "toFQDNs" in v.condition
    an = Analyzer(load(BASE + cnp("shop", "p", fqdn)))
    v = an.can_reach(an.find("shop/web"), host, 443, Protocol.TCP)
    assert v.outcome is Outcome.BLOCKED
    assert any("needs a DNS rule" in n for n in v.egress.notes)
    other = ExternalEndpoint("example.org", host.addresses)
    assert an.can_reach(an.find("shop/web"), other, 443, Protocol.TCP).outcome \
        is Outcome.BLOCKED


def test_a_dns_rule_on_another_port_than_53_is_valid_and_feeds_the_proxy() -> None:
    """OpenShift's DNS pods listen on 5353: the agent takes a DNS rule on any single port
    (cilium/cilium ``L7Rules.sanitize`` only requires a port), so the reader does too."""
    text = BASE + cnp("shop", "p", """  endpointSelector: {matchLabels: {app: web}}
  egress:
  - toFQDNs: [{matchName: abc.live.dynatrace.com}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: openshift-dns}}]
    toPorts: [{ports: [{port: "5353", protocol: ANY}], rules: {dns: [{matchPattern: "*"}]}}]
""")
    an = Analyzer(load(text))
    host = ExternalEndpoint("abc.live.dynatrace.com",
                            AddressSet.of_networks([ipaddress.ip_network("0.0.0.0/0")]))
    assert an.can_reach(an.find("shop/web"), host, 443, Protocol.TCP).outcome \
        is Outcome.CONDITIONAL


def test_cidr_with_except_never_matches_pods() -> None:
    text = BASE + cnp("shop", "p", """  endpointSelector: {}
  egress: [{toCIDRSet: [{cidr: 0.0.0.0/0, except: [10.0.0.0/8]}]}]
""")
    an = Analyzer(load(text))
    web = an.find("shop/web")
    assert an.can_reach(web, an.find("dynatrace/ag"), 9999).outcome is Outcome.BLOCKED
    assert an.can_reach(web, an.find("8.8.8.8"), 53).outcome is Outcome.ALLOWED
    assert an.can_reach(web, an.find("10.1.2.3"), 53).outcome is Outcome.BLOCKED
    v = an.can_reach(web, an.find("0.0.0.0/0"), 53)
    assert v.outcome is Outcome.CONDITIONAL
    assert "10.0.0.0" not in str(v.egress.allowed_addresses).split("-")[0]


def test_kube_apiserver_entity_and_cluster_entity() -> None:
    text = BASE + cnp("shop", "p", """  endpointSelector: {}
  egress: [{toEntities: [kube-apiserver], toPorts: [{ports: [{port: "6443"}]}]}]
""")
    an = Analyzer(load(text))
    api = ExternalEndpoint("kube-apiserver", AddressSet.of_networks(
        [ipaddress.ip_network("172.18.0.2/32")]))
    assert an.can_reach(an.find("shop/web"), api, 6443).outcome is Outcome.ALLOWED
    assert an.can_reach(an.find("shop/web"), an.find("172.18.0.2"), 6443).outcome \
        is Outcome.BLOCKED   # the same address, as a plain address, is world


def test_host_policy_is_reported_not_modelled() -> None:
    text = BASE + CCNP_DENY + """
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: host}
spec: {nodeSelector: {}, ingress: [{fromEntities: [cluster]}]}
"""
    an = Analyzer(load(text))
    v = an.can_reach(an.find("shop/web"), an.find("dynatrace/ag"), 9999)
    assert any("host policies" in n and "host" in n for n in v.egress.notes)


@pytest.mark.parametrize(("spec", "message"), [
    ("  endpointSelector: {}\n  egress: [{toEndpoints: [{}], toCIDR: [10.0.0.0/8]}]\n",
     "toEndpoints and toCIDR in one rule"),
    ("  nodeSelector: {}\n  ingress: [{}]\n", "only allowed in a CiliumClusterwideNetworkPolicy"),
    ("  endpointSelector: {}\n  egress: [{toEntities: [internet]}]\n", "entity 'internet'"),
    ("  endpointSelector: {}\n  egress: [{toCIDRSet: [{cidr: 10.0.0.0/8, "
     "except: [11.0.0.0/8]}]}]\n",
     "is not inside 10.0.0.0/8"),
    ("  endpointSelector: {}\n  egress: [{toPorts: [{ports: [{port: '80', protocol: TCPX}]}]}]\n",
     "protocol 'TCPX'"),
    ("  endpointSelector: {}\n  egress: [{toPorts: [{rules: {dns: [{matchPattern: '*'}]}}]}]\n",
     "DNS rules need a port"),
    ("  endpointSelector: {}\n  egress: [{toPorts: [{ports: [{port: '53', endPort: 60}], "
     "rules: {dns: [{matchPattern: '*'}]}}]}]\n", "not ranges"),
    ("  endpointSelector: {}\n  egress: [{toPorts: [{ports: [{port: '0'}], "
     "rules: {dns: [{matchPattern: '*'}]}}]}]\n", "other than 0"),
])
def test_invalid_cilium_policy_is_one_line_error(spec: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        load(BASE + cnp("shop", "bad", spec))
    assert message in str(err.value)
    assert err.value.location is not None and err.value.location.line is not None


def test_only_network_policies_build_no_layers() -> None:
    assert Analyzer(load(BASE)).layers is None
    assert Analyzer(load(BASE + CCNP_DENY)).layers is not None


def test_to_services_selects_the_backends() -> None:
    svc = """
---
apiVersion: v1
kind: Service
metadata: {name: ag, namespace: dynatrace}
spec: {selector: {app: ag}, ports: [{port: 443, targetPort: 9999}]}
"""
    text = BASE + svc + cnp("shop", "p", """  endpointSelector: {}
  egress: [{toServices: [{k8sService: {serviceName: ag, namespace: dynatrace}}]}]
""")
    assert reach(text, "shop/web", "dynatrace/ag")[0] is Outcome.ALLOWED
    other = text.replace("serviceName: ag", "serviceName: nope")
    assert reach(other, "shop/web", "dynatrace/ag")[0] is Outcome.BLOCKED


def test_nodes_by_label_and_host_entities() -> None:
    nodes = """
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {role: infra}}
status: {addresses: [{type: InternalIP, address: 10.0.1.10}]}
"""
    rule = """  endpointSelector: {}
  egress: [{%s, toPorts: [{ports: [{port: "10250"}]}]}]
"""
    kubelet = ExternalEndpoint("kubelet (node IPs)", AddressSet.of_networks(
        [ipaddress.ip_network("10.0.1.10/32")]))
    for peer, expected in (("toNodes: [{matchLabels: {role: infra}}]", Outcome.ALLOWED),
                           ("toNodes: [{matchLabels: {role: db}}]", Outcome.BLOCKED),
                           ("toEntities: [host, remote-node]", Outcome.ALLOWED),
                           ("toEntities: [host]", Outcome.BLOCKED),
                           ("toCIDR: [10.0.1.10/32]", Outcome.BLOCKED)):
        an = Analyzer(load(BASE + nodes + cnp("shop", "p", rule % peer)))
        assert an.can_reach(an.find("shop/web"), kubelet, 10250).outcome is expected, peer
