"""The indexes and keys that keep the layered connection list linear in the policies.

- Which policies select a class is found through indexes (an admin policy's subject
  namespaces through the namespace label index; a CiliumNetworkPolicy's or a namespaced
  Calico policy's own namespace): the same policies, in the same order, as the reference
  evaluators' own tests find by testing every policy against every pod.
- :meth:`~dtnetpol.engine.layers.Tier.join_key` (the rules of the subject's policies that
  match the peer) tells apart every two peers the tiers treat differently: subjects of one
  :meth:`~dtnetpol.engine.layers.Tier.subject_key` decide alike towards peers of one join key.
- :meth:`~dtnetpol.engine.layers.Tier.may_allow`: a side its NetworkPolicies isolate, where no
  tier may allow on its own, allows nothing when they allow nothing.
"""

from __future__ import annotations

from hypothesis import given, note

from dtnetpol.engine.admin_tier import AdminPolicyTier
from dtnetpol.engine.analysis import Analyzer
from dtnetpol.engine.calico_tier import CalicoLayer
from dtnetpol.engine.layered_connlist import _subject_key
from dtnetpol.engine.layers import Counterpart
from dtnetpol.engine.np_tier import NetworkPolicyTier
from dtnetpol.engine.ports import PortSet
from dtnetpol.model import Cluster, Direction

from . import calico_reference as calico_ref
from . import layers_reference as ref
from .reference import namespace_labels
from .test_layered_connlist_join import mixed_clusters


@given(mixed_clusters())
def test_indexed_selection_is_the_reference_selection(c: Cluster) -> None:
    note(repr(c))
    an = Analyzer(c)
    if an.layers is None:
        return
    for cls in an.classes:
        if cls.host_network:
            continue
        pod = cls.pods[0]
        for t in an.layers.tiers:
            if isinstance(t, AdminPolicyTier):
                assert [p.ref for p in t.selecting(an, cls)] == \
                    [p.ref for p in t.policies if ref.admin_selects(c, p, pod)]
            elif isinstance(t, NetworkPolicyTier) and t.cilium is not None:
                assert [id(s) for _, s in t.cilium.selecting(an, cls)] == \
                    [id(s) for p in c.cilium_policies for s in p.specs
                     if ref.cilium_selects(c, p, s, pod)]
            elif isinstance(t, CalicoLayer):
                me = calico_ref.Pod(pod.namespace, dict(pod.labels),
                                    dict(namespace_labels(c, pod.namespace)),
                                    pod.service_account or "default", pod.ports)
                for d in Direction:
                    assert list(t.applying(an, cls, d)) == \
                        [i for i, p in enumerate(t.policies)
                         if calico_ref.policy_applies(p, me, d)]


@given(mixed_clusters())
def test_join_keys_tell_apart_what_the_tiers_tell_apart(c: Cluster) -> None:
    note(repr(c))
    an = Analyzer(c)
    layers = an.layers
    if layers is None:
        return
    pods = [x for x in an.classes if not x.host_network]
    nothing, everything = PortSet.none(), PortSet.all()
    seen: dict[tuple[object, ...], tuple[PortSet, PortSet]] = {}
    for d in Direction:
        for s in pods:
            key = _subject_key(an, s, d)
            assert key is not None
            alone = layers.touches(an, s, d) and an.is_isolated(s, d) and \
                any(t.may_allow(an, s, d) for t in layers.tiers)
            for o in pods:
                dst = o.ports if d is Direction.EGRESS else s.ports
                got = tuple(layers.evaluate(an, s, d, Counterpart(o, None, dst, x),
                                            everything).allowed for x in (nothing, everything))
                if an.is_isolated(s, d) and not alone:
                    assert not got[0], (s.name, d, o.name)
                if not layers.touches(an, s, d):   # the NetworkPolicies alone: X itself
                    assert got == (nothing if an.is_isolated(s, d) else everything,
                                   everything), (s.name, d, o.name)
                    continue
                joined = tuple(t.join_key(an, s, d, o) for t in layers.tiers)
                if any(k is None for k in joined):
                    continue
                k = (d, key, joined, dst)
                assert seen.setdefault(k, got) == got, (s.name, d, o.name)
