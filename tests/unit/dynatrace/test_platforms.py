"""Platform profiles: API-server sources, API-server port, cluster DNS, overrides."""

from __future__ import annotations

import ipaddress

import pytest

from dtnetpol.dynatrace.platforms import (
    PLATFORMS,
    ApiServerSourceKind,
    Platform,
    platform_profile,
)
from dtnetpol.errors import InputError
from dtnetpol.model import LabelSelector, Protocol


def test_every_platform_has_evidence() -> None:
    assert set(PLATFORMS) == set(Platform)
    for profile in PLATFORMS.values():
        assert profile.webhook_sources
        assert profile.apiserver_port.source
        assert profile.dns.source
        for source in profile.webhook_sources:
            assert source.source and source.description


@pytest.mark.parametrize(("name", "port", "verified"), [
    ("generic", 6443, True), ("k3s", 6443, True), ("openshift", 6443, True),
    ("kind", 6443, False), ("eks", 443, False), ("aks", 443, False), ("gke", 443, False),
])
def test_apiserver_port(name: str, port: int, verified: bool) -> None:
    fact = platform_profile(name).apiserver_port
    assert (fact.value, fact.verified) == (port, verified)


def test_openshift_host_network_namespace_without_pod_selector() -> None:
    profile = platform_profile(Platform.OPENSHIFT)
    (source,) = profile.webhook_sources
    assert source.kind is ApiServerSourceKind.HOST_NETWORK_NAMESPACE and source.verified
    (peer,) = source.peers()
    assert peer.pod_selector is None
    assert peer.namespace_selector == LabelSelector(
        (("policy-group.network.openshift.io/host-network", ""),))
    assert profile.dns.namespace == "openshift-dns"
    assert (5353, Protocol.UDP) in profile.dns.ports


def test_konnectivity_label_options_on_managed_platforms() -> None:
    for name in ("gke", "aks"):
        pods = [s for s in platform_profile(name).webhook_sources
                if s.kind is ApiServerSourceKind.POD_PEER]
        labels = {s.pod_selector.match_labels for s in pods if s.pod_selector is not None}
        assert labels == {(("app", "konnectivity-agent"),), (("k8s-app", "konnectivity-agent"),)}
        assert all(not s.verified for s in pods)
        assert all(s.namespace_selector == LabelSelector(
            (("kubernetes.io/metadata.name", "kube-system"),)) for s in pods)


def test_eks_needs_cidrs_until_given() -> None:
    eks = platform_profile("eks")
    assert eks.needs_user_input
    assert eks.webhook_sources[0].peers() == ()
    given = platform_profile("eks", apiserver_cidrs=["10.0.0.0/19", "10.0.32.0/19"])
    assert not given.needs_user_input
    peers = given.webhook_sources[0].peers()
    assert [p.ip_block.cidr for p in peers if p.ip_block] == [
        ipaddress.ip_network("10.0.0.0/19"), ipaddress.ip_network("10.0.32.0/19")]


def test_gke_private_needs_vpc_firewall_step() -> None:
    gke = platform_profile("gke")
    ip_block = next(s for s in gke.webhook_sources if s.kind is ApiServerSourceKind.IP_BLOCK)
    assert any("8443" in step for step in ip_block.extra_steps)


def test_overrides() -> None:
    custom = platform_profile("aks", apiserver_port=6443,
                              konnectivity_labels={"component": "tunnel"})
    assert custom.apiserver_port.value == 6443 and custom.apiserver_port.verified
    pods = [s for s in custom.webhook_sources if s.kind is ApiServerSourceKind.POD_PEER]
    assert len(pods) == 1 and pods[0].pod_selector == LabelSelector((("component", "tunnel"),))
    openshift = platform_profile("openshift", apiserver_cidrs=["192.168.1.0/24"])
    assert any(s.cidrs == ("192.168.1.0/24",) for s in openshift.webhook_sources)
    with pytest.raises(InputError):
        platform_profile("nomad")
    with pytest.raises(InputError):
        platform_profile("eks", apiserver_cidrs=["10.0.0.0/33"])
    with pytest.raises(InputError):
        platform_profile("eks", apiserver_port=0)
