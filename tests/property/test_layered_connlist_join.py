"""The layered connection list through the NetworkPolicy join
(:class:`~dtnetpol.engine.layered_connlist._Join`) lists exactly what the pair-by-pair
evaluation lists, on random clusters that mix every layer: NetworkPolicies, admin and
baseline policies, Cilium policies and Calico tiers, host-network pods included."""

from __future__ import annotations

from dataclasses import replace
from unittest.mock import patch

from hypothesis import given, note
from hypothesis import strategies as st

from dtnetpol.engine import layered_connlist
from dtnetpol.engine.analysis import Analyzer
from dtnetpol.engine.connlist import connection_list
from dtnetpol.engine.layered_connlist import _Join
from dtnetpol.model import Cluster
from dtnetpol.model.calico import CalicoResources

from . import test_calico_properties as calico
from .test_layered_connlist_sharing import pairwise_connection_list
from .test_layers_properties import layered_clusters


@st.composite
def mixed_clusters(draw: st.DrawFn) -> Cluster:
    """Admin, Cilium and NetworkPolicies (as the layers' property tests draw them), with
    Calico tiers on top half of the time; pods get service accounts Calico rules name."""
    c = draw(layered_clusters())
    if draw(st.booleans()):
        res = draw(calico.resources())
        pods = tuple(replace(p, service_account=draw(st.sampled_from((None, "robot"))))
                     for p in c.pods)
        c = replace(c, pods=pods, calico=res)
    elif not c.admin_policies and not c.cilium_policies:
        c = replace(c, calico=CalicoResources(policies=(draw(calico.policies("only")),)))
    return c


def _check(c: Cluster) -> None:
    an = Analyzer(c)
    if an.layers is None:
        return
    assert _Join.build(an) is not None   # every tier gives keys: the join is taken
    # The reference shares nothing: not the pairs, nor the external ranges by subject.
    with patch.object(layered_connlist, "_full_key", lambda *_: None):
        expected = pairwise_connection_list(Analyzer(c))
    assert connection_list(an) == expected


@given(mixed_clusters())
def test_join_lists_what_pair_by_pair_lists(c: Cluster) -> None:
    note(repr(c))
    _check(c)


@given(mixed_clusters().map(lambda c: replace(c, calico=CalicoResources())))
def test_join_without_calico(c: Cluster) -> None:
    """Admin and Cilium over NetworkPolicies only: the tiers of the NetworkPolicy stage."""
    note(repr(c))
    _check(c)


@given(layered_clusters().map(lambda c: replace(c, cilium_policies=(), admin_policies=())),
       st.data())
def test_join_with_calico_only(c: Cluster, data: st.DataObject) -> None:
    """Calico tiers alone, whose default tier runs the NetworkPolicies among its own."""
    res = data.draw(calico.resources())
    if not res.policies:
        res = replace(res, policies=(data.draw(calico.policies("only")),))
    c = replace(c, calico=res)
    note(repr(c))
    _check(c)


def test_a_cilium_default_deny_keeps_what_a_network_policy_allows() -> None:
    """Cilium's default deny with a NetworkPolicy that admits every source: the allows of
    the two kinds add up, so the NetworkPolicies' given share must count as an allow
    (found by the property test above: the join lost the class's pair with itself)."""
    from dtnetpol.model import Direction, LabelSelector, NetworkPolicy, Pod, Rule, WorkloadRef
    from dtnetpol.model.cilium import CNP, CiliumPolicy, CiliumSpec
    pods = tuple(Pod("ns0", f"p{i}", WorkloadRef("ns0", f"w{i}", "Deployment"))
                 for i in range(2))
    allow_all = NetworkPolicy("ns0", "all", LabelSelector(), frozenset({Direction.INGRESS}),
                              (Rule(Direction.INGRESS, 0, (), ()),))
    deny = CiliumPolicy(CNP, "ns0", "c0", (CiliumSpec(None, LabelSelector(),
                                                      default_deny_ingress=True),))
    c = Cluster(pods=pods, policies=(allow_all,), cilium_policies=(deny,))
    _check(c)
    got = {(x.src, x.dst) for x in connection_list(Analyzer(c))}
    assert ("ns0/w0[Deployment]", "ns0/w1[Deployment]") in got


def test_a_calico_pass_at_the_last_tier_allows_past_a_default_deny() -> None:
    """A Calico policy of the default tier whose rule passes, after a NetworkPolicy default
    deny that decides nothing: no later tier, so the profile allows. The tier may allow, and
    the join must not drop the pair (found by the index property test: ``may_allow`` looked
    at Allow rules only)."""
    from dtnetpol.model import Direction, LabelSelector, NetworkPolicy, Pod, WorkloadRef
    from dtnetpol.model.calico import Action, CalicoKind, CalicoPolicy, CalicoRule

    pods = tuple(Pod(f"ns{i}", f"p{i}", WorkloadRef(f"ns{i}", "w0", "Deployment"))
                 for i in range(2))
    deny = NetworkPolicy("ns1", "default-deny", LabelSelector(),
                         frozenset({Direction.INGRESS, Direction.EGRESS}))
    passing = CalicoPolicy(CalicoKind.NETWORK_POLICY, "ns1", "only", "default", None,
                           calico.sel(""), frozenset({Direction.INGRESS}),
                           ingress=(CalicoRule(Direction.INGRESS, 0, Action.PASS),))
    c = Cluster(pods=pods, policies=(deny,), calico=CalicoResources(policies=(passing,)))
    _check(c)
    got = {(x.src, x.dst) for x in connection_list(Analyzer(c))}
    assert ("ns0/w0[Deployment]", "ns1/w0[Deployment]") in got
