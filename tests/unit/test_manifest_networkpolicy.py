"""NetworkPolicy API validation: one failing and one near-identical passing case per code."""

from __future__ import annotations

import ipaddress
from textwrap import dedent, indent

import pytest

from dtnetpol.manifest import PROBLEM_CODES, Problem, parse_network_policy
from dtnetpol.manifest.networkpolicy import parse_cidr, parse_network_policy_with_notes
from dtnetpol.model import Direction, LabelSelector, NetworkPolicy, Protocol, Requirement
from dtnetpol.model.location import SourceLocation
from dtnetpol.sources import read_text

# Six lines, so the first line of a spec body below is line 7.
HEAD = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
  namespace: shop
spec:
"""


def parse(text: str) -> tuple[NetworkPolicy | None, list[Problem]]:
    (doc,) = read_text(dedent(text), "np.yaml")
    return parse_network_policy(doc.body, doc.location)


def spec(body: str) -> str:
    """HEAD plus ``body`` indented under ``spec:`` (whatever its own indentation)."""
    return HEAD + indent(dedent(body), "  ")


def summary(problems: list[Problem]) -> list[tuple[str, str, int | None]]:
    return [(p.code, p.location.path, p.location.line) for p in problems]


# (id, code, path, line, bad spec, good spec). Spec bodies start at line 7.
CASES = [
    ("peer-ports", "unknown-field", "spec.egress[0].to[0].ports", 10, """\
  egress:
  - to:
    - ipBlock: {cidr: 0.0.0.0/0}
      ports:
      - {port: 443, protocol: TCP}
""", """\
  egress:
  - to:
    - ipBlock: {cidr: 0.0.0.0/0}
    ports:
    - {port: 443, protocol: TCP}
"""),
    ("ingress-to", "unknown-field", "spec.ingress[0].to", 8, """\
  ingress:
  - to:
    - podSelector: {}
""", """\
  ingress:
  - from:
    - podSelector: {}
"""),
    ("spec-typo", "unknown-field", "spec.podSelect", 7, """\
  podSelect: {}
""", """\
  podSelector: {}
"""),
    ("missing-cidr", "missing-field", "spec.egress[0].to[0].ipBlock.cidr", 9, """\
  egress:
  - to:
    - ipBlock:
        except: [10.0.0.0/8]
""", """\
  egress:
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
        except: [10.0.0.0/8]
"""),
    ("empty-cidr", "missing-field", "spec.egress[0].to[0].ipBlock.cidr", 10, """\
  egress:
  - to:
    - ipBlock:
        cidr: ""
""", """\
  egress:
  - to:
    - ipBlock:
        cidr: "0.0.0.0/0"
"""),
    ("missing-operator", "missing-field", "spec.podSelector.matchExpressions[0].operator", 9,
     """\
  podSelector:
    matchExpressions:
    - key: app
""", """\
  podSelector:
    matchExpressions:
    - key: app
      operator: Exists
"""),
    ("label-number", "wrong-type", "spec.podSelector.matchLabels[version]", 9, """\
  podSelector:
    matchLabels:
      version: 1
""", """\
  podSelector:
    matchLabels:
      version: "1"
"""),
    ("ingress-mapping", "wrong-type", "spec.ingress", 7, """\
  ingress:
    from: []
""", """\
  ingress:
  - from: []
"""),
    ("port-bool", "wrong-type", "spec.ingress[0].ports[0].port", 9, """\
  ingress:
  - ports:
    - port: true
""", """\
  ingress:
  - ports:
    - port: 1
"""),
    ("cidr-prefix", "invalid-cidr", "spec.egress[0].to[0].ipBlock.cidr", 10, """\
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/33
""", """\
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/32
"""),
    ("cidr-no-prefix", "invalid-cidr", "spec.egress[0].to[0].ipBlock.cidr", 10, """\
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.1
""", """\
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.1/32
"""),
    ("except-bad", "invalid-cidr", "spec.egress[0].to[0].ipBlock.except[1]", 13, """\
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/8
        except:
        - 10.1.0.0/16
        - 10.2.0.0/116
""", """\
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/8
        except:
        - 10.1.0.0/16
        - 10.2.0.0/16
"""),
    ("except-outside", "except-outside-cidr", "spec.egress[0].to[0].ipBlock.except[0]", 12, """\
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/8
        except:
        - 192.168.0.0/16
""", """\
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/8
        except:
        - 10.168.0.0/16
"""),
    ("except-equal", "except-outside-cidr", "spec.egress[0].to[0].ipBlock.except[0]", 9, """\
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}
""", """\
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/9]}
"""),
    ("except-family", "except-outside-cidr", "spec.egress[0].to[0].ipBlock.except[0]", 9, """\
  egress:
  - to:
    - ipBlock: {cidr: "::/0", except: [10.0.0.0/8]}
""", """\
  egress:
  - to:
    - ipBlock: {cidr: "::/0", except: ["fd00::/8"]}
"""),
    ("port-range", "invalid-port", "spec.ingress[0].ports[0].port", 9, """\
  ingress:
  - ports:
    - port: 65536
""", """\
  ingress:
  - ports:
    - port: 65535
"""),
    ("port-zero", "invalid-port", "spec.ingress[0].ports[0].port", 9, """\
  ingress:
  - ports:
    - port: 0
""", """\
  ingress:
  - ports:
    - port: 1
"""),
    ("port-name-case", "invalid-port-name", "spec.ingress[0].ports[0].port", 9, """\
  ingress:
  - ports:
    - port: HTTP
""", """\
  ingress:
  - ports:
    - port: http
"""),
    ("port-name-quoted-number", "invalid-port-name", "spec.ingress[0].ports[0].port", 9, """\
  ingress:
  - ports:
    - port: "443"
""", """\
  ingress:
  - ports:
    - port: 443
"""),
    ("port-name-long", "invalid-port-name", "spec.ingress[0].ports[0].port", 9, """\
  ingress:
  - ports:
    - port: metrics-exporter1
""", """\
  ingress:
  - ports:
    - port: metrics-export1
"""),
    ("port-name-hyphens", "invalid-port-name", "spec.ingress[0].ports[0].port", 9, """\
  ingress:
  - ports:
    - port: my--port
""", """\
  ingress:
  - ports:
    - port: my-port
"""),
    ("end-below", "invalid-end-port", "spec.egress[0].ports[0].endPort", 10, """\
  egress:
  - ports:
    - port: 8443
      endPort: 443
""", """\
  egress:
  - ports:
    - port: 443
      endPort: 8443
"""),
    ("end-named", "invalid-end-port", "spec.egress[0].ports[0].endPort", 10, """\
  egress:
  - ports:
    - port: https
      endPort: 8443
""", """\
  egress:
  - ports:
    - port: 443
      endPort: 8443
"""),
    ("end-alone", "invalid-end-port", "spec.egress[0].ports[0].endPort", 10, """\
  egress:
  - ports:
    - protocol: TCP
      endPort: 8443
""", """\
  egress:
  - ports:
    - protocol: TCP
      port: 8443
"""),
    ("end-range", "invalid-end-port", "spec.egress[0].ports[0].endPort", 10, """\
  egress:
  - ports:
    - port: 1
      endPort: 65536
""", """\
  egress:
  - ports:
    - port: 1
      endPort: 65535
"""),
    ("protocol-case", "invalid-protocol", "spec.egress[0].ports[0].protocol", 9, """\
  egress:
  - ports:
    - protocol: udp
      port: 53
""", """\
  egress:
  - ports:
    - protocol: UDP
      port: 53
"""),
    ("protocol-icmp", "invalid-protocol", "spec.egress[0].ports[0].protocol", 9, """\
  egress:
  - ports:
    - protocol: ICMP
""", """\
  egress:
  - ports:
    - protocol: SCTP
"""),
    ("label-key", "invalid-label-key", "spec.podSelector.matchLabels[app name]", 9, """\
  podSelector:
    matchLabels:
      app name: web
""", """\
  podSelector:
    matchLabels:
      app-name: web
"""),
    ("label-key-prefix", "invalid-label-key",
     "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].key", 11, """\
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions:
        - key: Kubernetes.io/metadata.name
          operator: Exists
""", """\
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions:
        - key: kubernetes.io/metadata.name
          operator: Exists
"""),
    ("label-value", "invalid-label-value", "spec.podSelector.matchLabels[app]", 9, """\
  podSelector:
    matchLabels:
      app: my app
""", """\
  podSelector:
    matchLabels:
      app: my-app
"""),
    ("selector-value", "invalid-label-value", "spec.podSelector.matchExpressions[0].values[1]",
     13, """\
  podSelector:
    matchExpressions:
    - key: app
      operator: In
      values:
      - web
      - -api
""", """\
  podSelector:
    matchExpressions:
    - key: app
      operator: In
      values:
      - web
      - api
"""),
    ("operator", "invalid-selector-operator", "spec.podSelector.matchExpressions[0].operator",
     10, """\
  podSelector:
    matchExpressions:
    - key: app
      operator: Equals
      values: [web]
""", """\
  podSelector:
    matchExpressions:
    - key: app
      operator: In
      values: [web]
"""),
    ("values-missing", "invalid-selector-values", "spec.podSelector.matchExpressions[0].values",
     11, """\
  podSelector:
    matchExpressions:
    - key: app
      operator: NotIn
      values: []
""", """\
  podSelector:
    matchExpressions:
    - key: app
      operator: NotIn
      values: [web]
"""),
    ("values-exists", "invalid-selector-values", "spec.podSelector.matchExpressions[0].values",
     11, """\
  podSelector:
    matchExpressions:
    - key: app
      operator: DoesNotExist
      values: [web]
""", """\
  podSelector:
    matchExpressions:
    - key: app
      operator: DoesNotExist
      values: []
"""),
    ("empty-peer", "empty-peer", "spec.ingress[0].from[1]", 10, """\
  ingress:
  - from:
    - podSelector: {}
    - {}
""", """\
  ingress:
  - from:
    - podSelector: {}
    - namespaceSelector: {}
"""),
    ("null-peer", "empty-peer", "spec.ingress[0].from[0]", 9, """\
  ingress:
  - from:
    - podSelector:
""", """\
  ingress:
  - from:
    - podSelector: {}
"""),
    ("ipblock-selector", "ipblock-with-selector", "spec.egress[0].to[0]", 9, """\
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8}
      namespaceSelector: {}
""", """\
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8}
    - namespaceSelector: {}
"""),
    ("policy-type-case", "invalid-policy-type", "spec.policyTypes[1]", 9, """\
  policyTypes:
  - Ingress
  - egress
""", """\
  policyTypes:
  - Ingress
  - Egress
"""),
    ("policy-types-three", "invalid-policy-type", "spec.policyTypes", 7, """\
  policyTypes: [Ingress, Egress, Ingress]
""", """\
  policyTypes: [Ingress, Egress]
"""),
]


@pytest.mark.parametrize(("code", "path", "line", "bad", "good"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_problem_flagged_and_valid_twin_passes(code: str, path: str, line: int, bad: str,
                                               good: str) -> None:
    policy, problems = parse(spec(bad))
    assert policy is None
    assert summary(problems) == [(code, path, line)]
    assert problems[0].location.file == "np.yaml"
    assert problems[0].location.document == 1
    policy, problems = parse(spec(good))
    assert problems == []
    assert policy is not None


@pytest.mark.parametrize(("bad_name", "good_name", "field", "line"), [
    ("Allow_All", "allow-all", "name", 4),
    ("a" * 254, "a" * 253, "name", 4),
    ("shop.prod", "shop-prod", "namespace", 5),
])
def test_invalid_name(bad_name: str, good_name: str, field: str, line: int) -> None:
    template = """\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: {name}
          namespace: {namespace}
        spec: {{}}
        """
    names = {"name": "np", "namespace": "shop"}
    policy, problems = parse(template.format(**{**names, field: bad_name}))
    assert policy is None
    assert summary(problems) == [("invalid-name", f"metadata.{field}", line)]
    policy, problems = parse(template.format(**{**names, field: good_name}))
    assert problems == [] and policy is not None


def test_every_code_is_exercised() -> None:
    codes = {c[1] for c in CASES} | {"invalid-name"}
    # Calico's own codes are exercised by tests/unit/calico/test_reader.py (invalid-value
    # also by tests/unit/engine/test_layers_admin.py).
    calico = {"invalid-selector", "invalid-action", "invalid-value", "conflicting-fields"}
    assert codes | calico == set(PROBLEM_CODES)


def test_seed_activegate_sample_flags_ports_under_the_peer() -> None:
    # /work/shared/seed/networkpolicies-dynatrace.md §8, as written there.
    text = """\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: allow-activegate
          namespace: dynatrace
        spec:
          podSelector:
            matchLabels:
              app.kubernetes.io/name: dynatrace-activegate
          policyTypes:
          - Egress
          egress:
          - to:
            - ipBlock: { cidr: 0.0.0.0/0 }
              ports:
              - { port: 443, protocol: TCP }
        """
    policy, problems = parse(text)
    assert policy is None
    assert summary(problems) == [("unknown-field", "spec.egress[0].to[0].ports", 15)]
    assert "outdent it to line up with 'to'" in problems[0].message
    assert str(problems[0]).startswith("np.yaml:15: spec.egress[0].to[0].ports: unknown field")


def test_all_problems_are_reported_in_document_order() -> None:
    _, problems = parse(spec("""\
      podSelector:
        matchLabels: {app: "bad value"}
      ingress:
      - from:
        - {}
        ports:
        - port: 0
          protocol: tcp
    """))
    assert summary(problems) == [
        ("invalid-label-value", "spec.podSelector.matchLabels[app]", 8),
        ("empty-peer", "spec.ingress[0].from[0]", 11),
        ("invalid-protocol", "spec.ingress[0].ports[0].protocol", 14),
        ("invalid-port", "spec.ingress[0].ports[0].port", 13),
    ]


def test_unknown_fields_in_metadata_and_top_level() -> None:
    _, problems = parse("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: np
          labels: {app: x}
          label: {app: x}
        podSelector: {}
        """)
    assert summary(problems) == [
        ("unknown-field", "podSelector", 7),
        ("unknown-field", "metadata.label", 6),
    ]


def test_missing_name_is_a_problem() -> None:
    _, problems = parse("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          namespace: shop
        spec: {}
        """)
    assert summary(problems) == [("missing-field", "metadata.name", 3)]


def test_metadata_label_and_annotation_keys_are_validated() -> None:
    _, problems = parse("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: np
          labels:
            team/a/b: x
          annotations:
            "bad key": y
        """)
    assert summary(problems) == [
        ("invalid-label-key", "metadata.labels[team/a/b]", 6),
        ("invalid-label-key", "metadata.annotations[bad key]", 8),
    ]


def test_paths_of_list_items_carry_their_prefix() -> None:
    (doc,) = read_text(dedent(spec("""\
      ingress:
      - ports: [{port: 0}]
    """)), "list.yaml")
    loc = SourceLocation("list.yaml", 1, 30, "items[2]")
    _, problems = parse_network_policy(doc.body, loc)
    assert summary(problems) == [("invalid-port", "items[2].spec.ingress[0].ports[0].port", 8)]


def test_plain_dicts_without_line_marks_use_the_object_line() -> None:
    body = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "np"}, "spec": {"ingress": [{"ports": [{"port": 0}]}]}}
    _, problems = parse_network_policy(body, SourceLocation("live", 4, 12))
    assert summary(problems) == [("invalid-port", "spec.ingress[0].ports[0].port", 12)]


def test_not_a_mapping() -> None:
    _, problems = parse_network_policy(["x"], SourceLocation("f.yaml", 1, 1))
    assert summary(problems) == [("wrong-type", "", 1)]


# --- conversion to the model --------------------------------------------------------------


def test_full_conversion() -> None:
    policy, problems = parse("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: web
          namespace: shop
          annotations: {owner: team-a}
        spec:
          podSelector:
            matchLabels: {tier: web, app: shop}
            matchExpressions:
            - {key: env, operator: NotIn, values: [dev, test]}
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress}}
              podSelector: {matchLabels: {app: nginx}}
            - ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}
            ports:
            - port: 8080
            - {port: http, protocol: TCP}
            - {protocol: UDP, port: 5000, endPort: 5010}
        """)
    assert problems == []
    assert policy is not None
    assert (policy.namespace, policy.name) == ("shop", "web")
    assert policy.annotations == (("owner", "team-a"),)
    assert policy.pod_selector == LabelSelector(
        match_labels=(("app", "shop"), ("tier", "web")),
        match_expressions=(Requirement("env", "NotIn", ("dev", "test")),))
    assert policy.policy_types == frozenset({Direction.INGRESS})
    assert not policy.policy_types_declared
    (rule,) = policy.ingress
    assert rule.index == 0 and rule.direction is Direction.INGRESS
    assert rule.location is not None and rule.location.path == "spec.ingress[0]"
    both, block = rule.peers
    assert both.namespace_selector == LabelSelector(
        match_labels=(("kubernetes.io/metadata.name", "ingress"),))
    assert both.pod_selector == LabelSelector(match_labels=(("app", "nginx"),))
    assert block.ip_block is not None
    assert block.ip_block.cidr == ipaddress.ip_network("192.168.0.0/16")
    assert block.ip_block.excepts == (ipaddress.ip_network("192.168.1.0/24"),)
    assert block.location is not None and block.location.line == 16
    assert [(p.protocol, p.port, p.end_port) for p in rule.ports] == [
        (Protocol.TCP, 8080, None), (Protocol.TCP, "http", None), (Protocol.UDP, 5000, 5010)]
    assert rule.ports[2].location is not None
    assert rule.ports[2].location.path == "spec.ingress[0].ports[2]"


@pytest.mark.parametrize(("body", "types", "declared"), [
    ("ingress: [{}]", {Direction.INGRESS}, False),
    ("egress: []", {Direction.INGRESS}, False),
    ("egress: [{}]", {Direction.INGRESS, Direction.EGRESS}, False),
    ("egress:\n  - {}\n", {Direction.INGRESS, Direction.EGRESS}, False),
    ("policyTypes: [Egress]", {Direction.EGRESS}, True),
    ("policyTypes: []\negress: [{}]", {Direction.INGRESS, Direction.EGRESS}, False),
    ("policyTypes: [Egress]\negress: [{}]", {Direction.EGRESS}, True),
])
def test_policy_types_defaulting(body: str, types: set[Direction], declared: bool) -> None:
    policy, problems = parse(spec("podSelector: {}\n" + body + "\n"))
    assert problems == []
    assert policy is not None
    assert policy.policy_types == frozenset(types)
    assert policy.policy_types_declared is declared


def test_missing_namespace_is_default_and_missing_spec_selects_all() -> None:
    policy, problems = parse("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny}
        """)
    assert problems == []
    assert policy is not None
    assert policy.namespace == "default"
    assert policy.pod_selector.is_empty
    assert policy.ingress == () and policy.egress == ()
    assert policy.isolates(Direction.INGRESS) and not policy.isolates(Direction.EGRESS)


def test_null_rule_allows_all_and_null_fields_are_absent() -> None:
    policy, problems = parse(spec("""\
      podSelector:
        matchLabels:
      ingress:
      -
      egress:
      - to:
        ports:
    """))
    assert problems == []
    assert policy is not None
    assert policy.pod_selector.is_empty
    assert len(policy.ingress) == 1 and policy.ingress[0].peers == ()
    assert policy.egress[0].peers == () and policy.egress[0].ports == ()
    assert policy.policy_types == frozenset({Direction.INGRESS, Direction.EGRESS})


def test_null_label_value_is_the_empty_value() -> None:
    policy, problems = parse(spec("""\
      podSelector:
        matchLabels:
          app:
    """))
    assert problems == []
    assert policy is not None
    assert policy.pod_selector.match_labels == (("app", ""),)


def test_ipv6_block() -> None:
    policy, problems = parse(spec("""\
      egress:
      - to:
        - ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8:1::/48"]}
    """))
    assert problems == []
    assert policy is not None
    block = policy.egress[0].peers[0].ip_block
    assert block is not None and str(block) == "2001:db8::/32 except 2001:db8:1::/48"


def test_cidr_with_host_bits_is_read_as_the_network_with_a_note() -> None:
    (doc,) = read_text(spec("""\
      egress:
      - to:
        - ipBlock: {cidr: 10.0.0.1/8}
    """), "np.yaml")
    policy, problems, notes = parse_network_policy_with_notes(doc.body, doc.location)
    assert problems == []
    assert policy is not None
    block = policy.egress[0].peers[0].ip_block
    assert block is not None and block.cidr == ipaddress.ip_network("10.0.0.0/8")
    ((loc, note),) = notes
    assert (loc.path, loc.line) == ("spec.egress[0].to[0].ipBlock.cidr", 9)
    assert "bits set beyond the prefix length; read as 10.0.0.0/8" in note


@pytest.mark.parametrize(("text", "network", "noted"), [
    ("10.0.0.0/8", "10.0.0.0/8", False),
    ("0.0.0.0/0", "0.0.0.0/0", False),
    ("10.1.2.3/16", "10.1.0.0/16", True),
    ("010.000.0.0/8", "10.0.0.0/8", True),
    ("10.0.0.0/08", "10.0.0.0/8", True),
    ("fd00::1/64", "fd00::/64", True),
    ("FD00:0:0::/64", "fd00::/64", False),
])
def test_parse_cidr_accepts_what_the_api_accepts(text: str, network: str, noted: bool) -> None:
    parsed, error, note = parse_cidr(text)
    assert error is None
    assert parsed == ipaddress.ip_network(network)
    assert (note is not None) is noted


@pytest.mark.parametrize("text", [
    "10.0.0.0", "10.0.0.0/", "10.0.0.0/255.0.0.0", "10.0.0/8", "256.0.0.0/8", "::/129",
    " 10.0.0.0/8", "fe80::1%eth0/64", "10.0.0.0/-1", "any",
])
def test_parse_cidr_rejects(text: str) -> None:
    parsed, error, _ = parse_cidr(text)
    assert parsed is None and error is not None
