"""Plain-Kubernetes output: what each flow gets, and the trade-offs of each option."""

from __future__ import annotations

import ipaddress

import pytest

from dtnetpol.dynatrace import HostPort, InstallFacts, applicable_flows, platform_profile
from dtnetpol.errors import InputError
from dtnetpol.generate import Flavor, GeneratedDoc, GenerateOptions, generate
from dtnetpol.model import Direction, NetworkPolicy, Peer, Protocol

from .conftest import dynakube
from .proof import blocked, extra_connections, scenario

ENDPOINT = HostPort("172.18.0.2", 6443)


def _install(**kw: object) -> InstallFacts:
    base: dict[str, object] = {
        "platform": platform_profile("generic", apiserver_cidrs=["172.18.0.0/28"]),
        "apiserver_endpoints": (ENDPOINT,)}
    base.update(kw)
    return InstallFacts(**base)  # type: ignore[arg-type]


def _docs(dks: list, install: InstallFacts | None = None, **opts: object
          ) -> dict[str, GeneratedDoc]:
    install = install or _install()
    flows = applicable_flows(dks, install)
    result = generate(flows, GenerateOptions(install=install, dynakubes=tuple(dks),
                                             monitored={d.name: ("shop",) for d in dks},
                                             **opts))  # type: ignore[arg-type]
    return {f"{d.namespace}/{d.name}": d for d in result.documents}


def _policy(docs: dict[str, GeneratedDoc], ref: str) -> NetworkPolicy:
    pol = docs[ref].policy
    assert pol is not None
    return pol


def _peers(pol: NetworkPolicy, direction: Direction) -> list[Peer]:
    return [p for r in pol.rules(direction) for p in r.peers]


def test_names_are_stable_and_per_component_and_direction() -> None:
    docs = _docs([dynakube()])
    assert list(docs) == [
        "dynatrace/dynatrace-operator-egress", "dynatrace/dynatrace-webhook-ingress",
        "dynatrace/dynatrace-webhook-egress", "dynatrace/dynatrace-csi-driver-egress",
        "dynatrace/dynatrace-crd-storage-migration-egress",
        "dynatrace/dynatrace-dynakube-activegate-ingress",
        "dynatrace/dynatrace-dynakube-activegate-egress",
        "shop/dynatrace-dynakube-app-egress"]


def test_output_is_deterministic() -> None:
    a = _docs([dynakube(name="b"), dynakube(name="a")])
    b = _docs([dynakube(name="b"), dynakube(name="a")])
    assert [(k, v.body) for k, v in a.items()] == [(k, v.body) for k, v in b.items()]


def test_webhook_ingress_is_on_the_pod_port_from_the_platform_source() -> None:
    pol = _policy(_docs([dynakube()]), "dynatrace/dynatrace-webhook-ingress")
    (rule,) = pol.ingress
    assert [(p.protocol, p.port) for p in rule.ports] == [(Protocol.TCP, 8443)]
    assert [str(p.ip_block) for p in rule.peers] == ["172.18.0.0/28"]
    assert pol.pod_selector.match_labels == (("internal.dynatrace.com/app", "webhook"),
                                             ("internal.dynatrace.com/component", "webhook"))


def test_openshift_webhook_source_is_the_host_network_namespace_without_pod_selector() -> None:
    install = _install(platform=platform_profile("openshift"))
    pol = _policy(_docs([dynakube()], install), "dynatrace/dynatrace-webhook-ingress")
    (peer,) = _peers(pol, Direction.INGRESS)
    assert peer.pod_selector is None
    assert peer.namespace_selector is not None
    assert peer.namespace_selector.match_labels == (
        ("policy-group.network.openshift.io/host-network", ""),)


def test_gke_admits_konnectivity_pods_and_the_control_plane_range() -> None:
    install = _install(platform=platform_profile("gke", apiserver_cidrs=["172.16.0.0/28"]))
    pol = _policy(_docs([dynakube()], install), "dynatrace/dynatrace-webhook-ingress")
    peers = _peers(pol, Direction.INGRESS)
    assert [str(p.ip_block) for p in peers if p.ip_block] == ["172.16.0.0/28"]
    pods = [p for p in peers if p.pod_selector is not None]
    assert {str(p.pod_selector) for p in pods} == {"app=konnectivity-agent",
                                                   "k8s-app=konnectivity-agent"}
    assert all(str(p.namespace_selector) == "kubernetes.io/metadata.name=kube-system"
               for p in pods)


def test_eks_without_the_subnet_cidrs_is_an_input_error() -> None:
    install = _install(platform=platform_profile("eks"))
    with pytest.raises(InputError, match="--apiserver-cidr"):
        _docs([dynakube()], install)


def test_self_hosted_falls_back_to_the_endpoint_address_for_the_webhook_source() -> None:
    install = _install(platform=platform_profile("generic"))
    pol = _policy(_docs([dynakube()], install), "dynatrace/dynatrace-webhook-ingress")
    assert [str(p.ip_block) for p in _peers(pol, Direction.INGRESS)] == ["172.18.0.2/32"]


def test_dns_is_one_peer_with_both_selectors_udp_and_tcp() -> None:
    pol = _policy(_docs([dynakube()]), "dynatrace/dynatrace-operator-egress")
    dns = [r for r in pol.egress if any(p.pod_selector for p in r.peers)]
    (rule,) = dns
    (peer,) = rule.peers
    assert str(peer.namespace_selector) == "kubernetes.io/metadata.name=kube-system"
    assert str(peer.pod_selector) == "k8s-app=kube-dns"
    assert {(p.protocol, p.port) for p in rule.ports} == {(Protocol.UDP, 53), (Protocol.TCP, 53)}


def test_openshift_dns_uses_its_pod_port() -> None:
    install = _install(platform=platform_profile("openshift"))
    pol = _policy(_docs([dynakube()], install), "dynatrace/dynatrace-operator-egress")
    ports = {(p.protocol, p.port) for r in pol.egress for p in r.ports
             if any(x.pod_selector for x in r.peers)}
    assert ports == {(Protocol.UDP, 5353), (Protocol.TCP, 5353)}


def test_apiserver_egress_goes_to_the_endpoint_address_and_port() -> None:
    pol = _policy(_docs([dynakube()]), "dynatrace/dynatrace-webhook-egress")
    rule = next(r for r in pol.egress if any(p.ip_block for p in r.peers))
    assert [str(p.ip_block) for p in rule.peers] == ["172.18.0.2/32"]
    assert [p.port for p in rule.ports] == [6443]


def test_unknown_apiserver_address_is_flagged_not_silently_wrong() -> None:
    install = _install(apiserver_endpoints=())
    docs = _docs([dynakube()], install)
    doc = docs["dynatrace/dynatrace-operator-egress"]
    pol = _policy(docs, "dynatrace/dynatrace-operator-egress")
    rule = next(r for r in pol.egress if any(p.port == 6443 for p in r.ports))
    assert [str(p.ip_block) for p in rule.peers] == ["0.0.0.0/0"]
    comment = " ".join(c for cs in doc.comments.values() for c in cs)
    assert "FILL IN" in comment and "kubernetes" in comment


def test_default_tenant_range_is_public_only_on_the_api_url_port() -> None:
    spec = {"apiUrl": "https://tenant.example.com:8443/e/abc/api"}
    pol = _policy(_docs([dynakube(spec)]), "dynatrace/dynatrace-operator-egress")
    rule = next(r for r in pol.egress if any(p.port == 8443 for p in r.ports))
    (peer,) = rule.peers
    assert peer.ip_block is not None
    assert str(peer.ip_block) == "0.0.0.0/0 except 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16"
    assert [p.port for p in rule.ports] == [8443]


def test_ipv6_default_leaves_out_unique_local_addresses() -> None:
    pol = _policy(_docs([dynakube()], ipv6=True), "dynatrace/dynatrace-operator-egress")
    blocks = [str(p.ip_block) for r in pol.egress for p in r.peers
              if p.ip_block and p.ip_block.excepts]
    assert "::/0 except fc00::/7" in blocks


def test_tenant_cidr_is_exact() -> None:
    pol = _policy(_docs([dynakube()], tenant_cidrs=("198.51.100.0/24",)),
                  "dynatrace/dynatrace-operator-egress")
    assert "198.51.100.0/24" in [str(p.ip_block) for r in pol.egress for p in r.peers]
    assert "0.0.0.0/0" not in " ".join(str(p.ip_block) for r in pol.egress for p in r.peers)


def test_ip_proxy_is_the_only_tenant_destination() -> None:
    spec = {"apiUrl": "https://abc.live.dynatrace.com/api", "proxy": {"value":
            "http://10.9.8.7:3128"}, "oneAgent": {"applicationMonitoring": {}}}
    docs = _docs([dynakube(spec)])
    for ref in ("dynatrace/dynatrace-operator-egress", "dynatrace/dynatrace-csi-driver-egress"):
        blocks = [str(p.ip_block) for r in _policy(docs, ref).egress for p in r.peers
                  if p.ip_block]
        assert "10.9.8.7/32" in blocks
        assert not any(b.startswith("0.0.0.0/0") for b in blocks)


def test_hostname_proxy_needs_proxy_cidr() -> None:
    spec = {"apiUrl": "https://abc.live.dynatrace.com/api",
            "proxy": {"value": "http://proxy.corp:3128"}}
    with pytest.raises(InputError, match="--proxy-cidr"):
        _docs([dynakube(spec)])
    docs = _docs([dynakube(spec)], proxy_cidrs=("10.1.0.0/24",))
    blocks = [str(p.ip_block) for r in _policy(docs, "dynatrace/dynatrace-operator-egress")
              .egress for p in r.peers if p.ip_block]
    assert "10.1.0.0/24" in blocks


def test_hostname_proxy_is_named_on_cilium() -> None:
    spec = {"apiUrl": "https://abc.live.dynatrace.com/api",
            "proxy": {"value": "http://proxy.corp:3128"}}
    docs = _docs([dynakube(spec)], flavor=Flavor.CILIUM)
    egress = docs["dynatrace/dynatrace-operator-egress"].body["spec"]["egress"]
    assert {"toFQDNs": [{"matchName": "proxy.corp"}],
            "toPorts": [{"ports": [{"port": "3128", "protocol": "TCP"}]}]} in egress


def test_init_container_download_only_without_csi_driver() -> None:
    spec = {"apiUrl": "https://abc.live.dynatrace.com/api",
            "oneAgent": {"applicationMonitoring": {}}}
    with_csi = _docs([dynakube(spec)])["shop/dynatrace-dynakube-app-egress"]
    without = _docs([dynakube(spec)], _install(csi_driver=False))[
        "shop/dynatrace-dynakube-app-egress"]
    assert "init-to-tenant" not in with_csi.flows
    assert "init-to-tenant" in without.flows
    assert "dynatrace/dynatrace-csi-driver-egress" not in _docs([dynakube(spec)],
                                                               _install(csi_driver=False))


def test_every_component_of_a_full_dynakube_gets_its_flows() -> None:
    spec = {
        "apiUrl": "https://abc.live.dynatrace.com/api",
        "oneAgent": {"cloudNativeFullStack": {}},
        "activeGate": {"capabilities": ["routing", "kubernetes-monitoring"]},
        "extensions": {"prometheus": {}, "databases": [{"id": "db1"}]},
        "telemetryIngest": {"protocols": ["otlp", "statsd"]},
        "kspm": {}, "logMonitoring": {},
        "templates": {"kspmNodeConfigurationCollector": {"imageRef": {
            "repository": "r", "tag": "t"}}},
    }
    docs = _docs([dynakube(spec)])
    flows = {f for d in docs.values() for f in d.flows}
    for wanted in ("eec-to-activegate", "sql-executor-to-eec", "otel-to-activegate",
                   "app-to-otel-collector", "kspm-to-activegate", "dns-from-kspm",
                   "otel-to-eec"):
        assert wanted in flows, wanted


def test_user_defined_database_addresses_are_a_warning_not_a_guess() -> None:
    spec = {"apiUrl": "https://abc.live.dynatrace.com/api",
            "activeGate": {"capabilities": ["kubernetes-monitoring"]},
            "extensions": {"databases": [{"id": "db1"}]}}
    install = _install()
    dk = dynakube(spec)
    result = generate(applicable_flows(dk, install),
                      GenerateOptions(install=install, dynakubes=(dk,)))
    assert any("sql-executor-to-databases" in w for w in result.warnings)


def test_observed_nodes_narrow_oneagent_ingress_to_activegate() -> None:
    install = _install()
    dk = dynakube()
    result = generate(applicable_flows(dk, install), GenerateOptions(
        install=install, dynakubes=(dk,), observed_node_addresses=("10.0.0.5", "10.0.0.6")))
    pol = next(d.policy for d in result.documents
               if d.name == "dynatrace-dynakube-activegate-ingress")
    assert pol is not None
    blocks = [str(p.ip_block) for r in pol.ingress for p in r.peers if p.ip_block]
    assert blocks == ["10.0.0.5/32", "10.0.0.6/32"]


def test_app_egress_warns_that_it_isolates_every_pod_of_the_namespace() -> None:
    doc = _docs([dynakube()])["shop/dynatrace-dynakube-app-egress"]
    assert doc.policy is not None and doc.policy.pod_selector.is_empty
    assert any("EVERY pod" in line for line in doc.header)


def test_no_monitored_namespace_known_is_a_warning() -> None:
    install = _install()
    dk = dynakube()
    result = generate(applicable_flows(dk, install), GenerateOptions(
        install=install, dynakubes=(dk,)))
    assert any("--monitored-namespaces" in w for w in result.warnings)


# --- the proof harness catches mistakes (so its silence means something) -------------------


def test_harness_flags_a_port_too_many() -> None:
    s = scenario([dynakube()])
    assert extra_connections(s) == [] and blocked(s) == []
    from dataclasses import replace

    from dtnetpol.engine.analysis import Analyzer
    from dtnetpol.model import PolicyPort

    pols = list(s.cluster.policies)
    i = next(i for i, p in enumerate(pols) if p.name == "dynatrace-operator-egress")
    rule = pols[i].egress[0]
    pols[i] = replace(pols[i], egress=(replace(rule, ports=(*rule.ports, PolicyPort(
        Protocol.TCP, 8080))), *pols[i].egress[1:]))
    s.cluster = replace(s.cluster, policies=tuple(pols))
    s.analyzer = Analyzer(s.cluster)
    assert any("8080" in x for x in extra_connections(s))


def test_harness_flags_a_missing_rule() -> None:
    s = scenario([dynakube()])
    from dataclasses import replace

    from dtnetpol.engine.analysis import Analyzer

    pols = [p for p in s.cluster.policies if p.name != "dynatrace-webhook-ingress"]
    s.cluster = replace(s.cluster, policies=tuple(pols))
    s.analyzer = Analyzer(s.cluster)
    assert any(b.startswith("apiserver-to-webhook") for b in blocked(s))


def test_no_cidr_in_output_is_host_bits_sloppy() -> None:
    for doc in _docs([dynakube()]).values():
        assert doc.policy is not None
        for rules in (doc.policy.ingress, doc.policy.egress):
            for r in rules:
                for p in r.peers:
                    if p.ip_block is not None:
                        assert ipaddress.ip_network(str(p.ip_block.cidr)) == p.ip_block.cidr
