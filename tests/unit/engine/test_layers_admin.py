"""AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy in the engine."""

from __future__ import annotations

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
metadata: {name: shop, labels: {kubernetes.io/metadata.name: shop, env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: monitoring, labels: {kubernetes.io/metadata.name: monitoring}}
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
metadata: {name: prom, namespace: monitoring}
spec:
  selector: {matchLabels: {app: prom}}
  template:
    metadata: {labels: {app: prom}}
    spec:
      containers: [{name: c, image: x}]
"""

DENY_SHOP = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""

ANP = """
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: %(name)s}
spec:
  priority: %(priority)d
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - name: r
    action: %(action)s
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
    ports: [{namedPort: http}]
"""

BANP = """
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress:
  - {action: %(action)s, from: [{namespaces: {}}]}
"""


def load(text: str) -> Cluster:
    return build_cluster((d.body, d.location) for d in read_text(text, "t.yaml"))[0]


def anp(name: str, priority: int, action: str) -> str:
    return ANP % {"name": name, "priority": priority, "action": action}


def verdict(text: str, port: int = 8080) -> tuple[Outcome, str]:
    an = Analyzer(load(text))
    v = an.can_reach(an.find("monitoring/prom"), an.find("shop/web"), port, Protocol.TCP)
    return v.outcome, v.ingress.chain


def test_no_layer_kind_keeps_the_fast_path() -> None:
    assert Analyzer(load(BASE + DENY_SHOP)).layers is None


def test_pass_goes_on_to_network_policy() -> None:
    outcome, chain = verdict(BASE + DENY_SHOP + anp("a", 10, "Pass"))
    assert outcome is Outcome.BLOCKED
    assert chain == "[ANP a] Pass -> [NetworkPolicy shop/default-deny] Deny"


def test_admin_allow_overrides_network_policy_deny() -> None:
    outcome, chain = verdict(BASE + DENY_SHOP + anp("a", 10, "Allow"))
    assert outcome is Outcome.ALLOWED
    assert chain == "[ANP a] Allow"


def test_lower_priority_value_wins() -> None:
    text = BASE + anp("late", 20, "Allow") + anp("early", 5, "Deny")
    assert verdict(text) == (Outcome.BLOCKED, "[ANP early] Deny")


def test_admin_rule_on_other_ports_leaves_the_port_undecided() -> None:
    outcome, chain = verdict(BASE + anp("a", 1, "Deny"), port=9090)
    assert outcome is Outcome.ALLOWED and chain == "[default] Allow"


def test_baseline_applies_only_where_no_network_policy_isolates() -> None:
    assert verdict(BASE + BANP % {"action": "Deny"}) == (Outcome.BLOCKED, "[BANP default] Deny")
    allow = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all, namespace: shop}
spec: {podSelector: {}, ingress: [{}]}
"""
    outcome, chain = verdict(BASE + allow + BANP % {"action": "Deny"})
    assert outcome is Outcome.ALLOWED
    assert chain == "[NetworkPolicy shop/allow-all] Allow"


def test_pass_then_baseline() -> None:
    text = BASE + anp("a", 1, "Pass") + BANP % {"action": "Deny"}
    assert verdict(text) == (Outcome.BLOCKED, "[ANP a] Pass -> [BANP default] Deny")


def test_cluster_network_policy_tiers_and_protocols() -> None:
    cnp = """
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: c}
spec:
  tier: %s
  priority: 3
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}
  ingress:
  - action: %s
    from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: prom}}}}]
    protocols: [{tcp: {destinationPort: {range: {start: 8000, end: 8100}}}}]
"""
    assert verdict(BASE + DENY_SHOP + cnp % ("Admin", "Accept")) == (
        Outcome.ALLOWED, "[CNP:Admin c] Allow")
    assert verdict(BASE + cnp % ("Baseline", "Deny")) == (Outcome.BLOCKED, "[CNP:Baseline c] Deny")
    assert verdict(BASE + cnp % ("Baseline", "Deny"), port=9000)[0] is Outcome.ALLOWED


def test_networks_peer_cuts_external_addresses() -> None:
    text = BASE + """
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: egress}
spec:
  priority: 1
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}
  egress:
  - {action: Allow, to: [{networks: [10.0.0.0/8]}]}
  - {action: Deny, to: [{networks: [0.0.0.0/0]}]}
"""
    an = Analyzer(load(text))
    prom = an.find("monitoring/prom")
    inside = an.can_reach(prom, ExternalEndpoint("x", AddressSet.of_networks(
        [__import__("ipaddress").ip_network("10.1.0.0/16")])), 443, Protocol.TCP)
    assert inside.outcome is Outcome.ALLOWED
    wide = an.find("10.0.0.0/7")
    v = an.can_reach(prom, wide, 443, Protocol.TCP)
    assert v.outcome is Outcome.CONDITIONAL and v.egress.status is SideStatus.PARTIAL
    assert str(v.egress.allowed_addresses) == "10.0.0.0-10.255.255.255"


@pytest.mark.parametrize(("body", "message"), [
    ("spec: {priority: 1001, subject: {namespaces: {}}}", "priority 1001 must be between"),
    ("spec: {priority: 1, subject: {}}", "subject must set exactly one of"),
    ("spec: {priority: 1, subject: {namespaces: {}}, ingress: [{action: Accept, "
     "from: [{namespaces: {}}]}]}", "action 'Accept' is not one of Allow, Deny, Pass"),
    ("spec: {priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, "
     "to: [{networks: [10.0.0.0/33]}]}]}", "invalid CIDR"),
    ("spec: {priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, "
     "from: [{namespaces: {}}], ports: [{portRange: {start: 9, end: 9}}]}]}",
     "start 9 must be less than end 9"),
])
def test_invalid_admin_policy_is_one_line_error(body: str, message: str) -> None:
    text = ("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
            "metadata: {name: a}\n" + body + "\n")
    with pytest.raises(InputError) as err:
        load(text)
    assert message in str(err.value)
    assert err.value.location is not None and err.value.location.line is not None


def test_baseline_must_be_named_default() -> None:
    text = ("apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\n"
            "metadata: {name: other}\nspec: {subject: {namespaces: {}}}\n")
    with pytest.raises(InputError, match="must be named 'default'"):
        load(text)


def test_nodes_peer_and_domain_names() -> None:
    text = BASE + """
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {role: infra}}
status: {addresses: [{type: InternalIP, address: 10.0.1.10}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: egress}
spec:
  priority: 1
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}
  egress:
  - {action: Allow, to: [{nodes: {matchLabels: {role: infra}}}]}
  - {action: Allow, to: [{domainNames: ["*.dynatrace.com"]}]}
  - {action: Deny, to: [{networks: [0.0.0.0/0]}]}
"""
    import ipaddress
    an = Analyzer(load(text))
    prom = an.find("monitoring/prom")
    node = ExternalEndpoint("kubelet (node IPs)", AddressSet.of_networks(
        [ipaddress.ip_network("10.0.1.10/32")]))
    assert an.can_reach(prom, node, 10250).outcome is Outcome.ALLOWED
    everywhere = AddressSet.of_networks([ipaddress.ip_network("0.0.0.0/0")])
    tenant = an.can_reach(prom, ExternalEndpoint("abc.live.dynatrace.com", everywhere), 443)
    assert tenant.outcome is Outcome.CONDITIONAL
    assert tenant.egress.chain == "[ANP egress] Allow"
    # Another host may resolve anywhere: only the node's address is allowed (by nodes).
    other = an.can_reach(prom, ExternalEndpoint("example.org", everywhere), 443)
    assert other.outcome is Outcome.CONDITIONAL
    assert str(other.egress.allowed_addresses) == "10.0.1.10-10.0.1.10"
    assert set(other.egress.chain.split(" -> ")) == {"[ANP egress] Allow", "[ANP egress] Deny"}
