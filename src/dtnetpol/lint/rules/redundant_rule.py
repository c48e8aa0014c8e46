"""A rule, or a whole policy, that allows nothing the other policies do not already allow.

## What it does
For every rule of a direction its policy isolates, compares what the rule allows (peers ×
ports, for every pod the policy selects) with what the other rules that apply to the same
pods allow, using the engine on the workloads of the input. A rule whose every connection
is also allowed by others is reported with the rules that cover it. When all rules of a
policy are redundant and every pod it selects is isolated by other policies in each of its
directions too, the policy is reported once instead.

Of two identical rules the first is kept and the second reported. Without workloads in the
input the comparison is structural: a rule is redundant when one other rule of a policy
selecting the same pods (same or empty podSelector, same namespace) has every peer and port
it has, or more.

## Why is this bad?
A redundant rule is dead weight at best. More often it shows a mistake: a broad rule (all
namespaces, all ports, `0.0.0.0/0`) that swallows the narrow one you reviewed, so the
restriction you think is in force is not; or a copy left behind that will keep allowing
traffic after the original is tightened.

## Example
```yaml
ingress:
  - from:
      - namespaceSelector: {}
  - from:                          # already allowed by the rule above
      - podSelector:
          matchLabels: {app: web}
    ports:
      - port: 8080
```

## Use instead
```yaml
ingress:
  - from:
      - podSelector:
          matchLabels: {app: web}
    ports:
      - port: 8080
```

## Options
None.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dtnetpol.engine.addresses import AddressSet
from dtnetpol.engine.analysis import CompiledRule, PodClass
from dtnetpol.engine.explain import RuleRef
from dtnetpol.engine.ports import PortSet
from dtnetpol.lint.context import LintContext
from dtnetpol.lint.finding import Finding, Severity
from dtnetpol.lint.rules._common import policy_at, rule_at
from dtnetpol.model.cluster import ContainerPort
from dtnetpol.model.policy import Direction, NetworkPolicy, Peer

ID = "NPL010"
NAME = "redundant-rule"
SEVERITY = Severity.WARNING
OPTIONS: Mapping[str, str] = {}
DEFAULT: Mapping[str, Any] = {}

Verdict = tuple[bool, set[RuleRef]]


def _ref_text(ref: RuleRef) -> str:
    return f"{ref.policy} {ref.direction.word}[{ref.index}]"


def _addresses_covered(want_addrs: AddressSet, want: PortSet, others: Sequence[CompiledRule],
                       dst_ports: tuple[ContainerPort, ...] | None) -> Verdict:
    used: set[RuleRef] = set()
    for version in (4, 6):
        mine = want_addrs.v4 if version == 4 else want_addrs.v6
        if not mine:
            continue
        pieces = []
        for o in others:
            addrs = o.ip_addresses.v4 if version == 4 else o.ip_addresses.v6
            ports = o.ports.resolve(dst_ports)
            if addrs and ports:
                pieces.append((o, addrs, ports))
        cuts = sorted({b for lo, hi in mine for b in (lo, hi + 1)}
                      | {b for _, s, _ in pieces for lo, hi in s for b in (lo, hi + 1)})
        for lo, _ in itertools.pairwise(cuts):
            if lo not in mine:
                continue
            have = PortSet.none()
            for o, s, p in pieces:
                if lo in s:
                    have = have.union(p)
                    if p.intersection(want):
                        used.add(o.ref)
            if want.difference(have):
                return False, used
    return True, used


def _semantic(ctx: LintContext, policy: NetworkPolicy, mine: CompiledRule,
              subjects: Sequence[PodClass], dropped: set[int]) -> Verdict | None:
    an = ctx.analyzer
    direction = mine.rule.direction
    egress = direction is Direction.EGRESS
    if mine.all_peers:
        targets = [c for c in an.classes if not c.host_network]
    else:
        idx: set[int] = set()
        for peer in mine.selector_peers:
            idx |= an.peer_classes(peer, policy.namespace)
        targets = [an.classes[i] for i in sorted(idx)]
    if not targets and not mine.ip_addresses:
        return None
    used: set[RuleRef] = set()
    allows_something = False
    for c in subjects:
        others = [r for r in an.rules_for(c, direction) if r is not mine and id(r) not in dropped]
        for t in targets:
            dst_ports = t.ports if egress else c.ports
            want = mine.ports.resolve(dst_ports)
            if not want:
                continue
            allows_something = True
            have = PortSet.none()
            for o in others:
                if an.rule_matches_class(o, t):
                    got = o.ports.resolve(dst_ports)
                    if got.intersection(want):
                        used.add(o.ref)
                    have = have.union(got)
            if want.difference(have):
                return False, used
        if mine.ip_addresses:
            dst: tuple[ContainerPort, ...] | None = None if egress else c.ports
            want = mine.ports.resolve(dst)
            if want:
                allows_something = True
                ok, more = _addresses_covered(mine.ip_addresses, want, others, dst)
                used |= more
                if not ok:
                    return False, used
    if not allows_something:
        return None
    return True, used


def _peer_covers(o: Peer, m: Peer) -> bool:
    if o == m:
        return True
    if o.ip_block is not None or m.ip_block is not None:
        return False
    if o.namespace_selector is not None and o.namespace_selector.is_empty \
            and o.pod_selector is None:
        return True
    if o.namespace_selector == m.namespace_selector and o.pod_selector is None:
        return True
    return (o.namespace_selector is None and m.namespace_selector is None
            and o.pod_selector is not None and o.pod_selector.is_empty)


def _structural_covers(o: CompiledRule, m: CompiledRule) -> bool:
    if m.ports.numeric.difference(o.ports.numeric):
        return False
    if not o.ports.numeric.is_all and not set(m.ports.named) <= set(o.ports.named):
        return False
    if o.all_peers:
        return True
    if m.all_peers:
        return False
    if m.ip_addresses.difference(o.ip_addresses):
        return False
    return all(any(_peer_covers(op, mp) for op in o.selector_peers) for mp in m.selector_peers)


def _structural(ctx: LintContext, policy: NetworkPolicy, mine: CompiledRule,
                dropped: set[int]) -> Verdict:
    an = ctx.analyzer
    direction = mine.rule.direction
    for p in ctx.companions(policy, direction):
        for o in an.compiled_rules(p, direction):
            if o is not mine and id(o) not in dropped and _structural_covers(o, mine):
                return True, {o.ref}
    return False, set()


def check(ctx: LintContext) -> Iterator[Finding]:
    an = ctx.analyzer
    work: list[tuple[NetworkPolicy, list[PodClass], CompiledRule]] = []
    totals: dict[int, int] = {}
    for policy in ctx.cluster.policies:
        subjects = [c for c in ctx.selected_classes(policy) if not c.host_network]
        if ctx.has_pods and not subjects:
            continue
        for direction in Direction:
            if policy.isolates(direction):
                for mine in an.compiled_rules(policy, direction):
                    work.append((policy, subjects, mine))
                    totals[id(policy)] = totals.get(id(policy), 0) + 1
    # Last rule first, so that of two equal rules the later one is the redundant one.
    dropped: set[int] = set()
    found: dict[int, set[RuleRef]] = {}
    for policy, subjects, mine in reversed(work):
        verdict = (_semantic(ctx, policy, mine, subjects, dropped) if ctx.has_pods
                   else _structural(ctx, policy, mine, dropped))
        if verdict is not None and verdict[0]:
            dropped.add(id(mine))
            found[id(mine)] = verdict[1]
    # the redundant rules of each policy, in order (one pass: a scan of all rules per rule
    # took 70 s of 125 at 40 MB of input, and grows with the square of the rules)
    by_policy: dict[int, list[CompiledRule]] = {}
    for p, _, m in work:
        if id(m) in found:
            by_policy.setdefault(id(p), []).append(m)
    done: set[int] = set()
    for policy, _, mine in work:
        redundant = by_policy.get(id(policy), [])
        if id(policy) in done:
            continue
        if len(redundant) == totals[id(policy)] and _isolation_elsewhere(ctx, policy):
            done.add(id(policy))
            by = sorted({r.policy for m in redundant for r in found[id(m)]} - {policy.ref})
            yield Finding(
                ID, SEVERITY,
                f"policy {policy.ref} is redundant: every pod it selects is isolated by other "
                f"policies and everything it allows is also allowed by "
                f"{', '.join(by) or 'them'}",
                policy_at(ctx, policy, "metadata.name"),
                "delete the policy, or narrow the policies that cover it")
            continue
        if id(mine) not in found:
            continue
        rule = mine.rule
        covering = ", ".join(sorted(_ref_text(r) for r in found[id(mine)])) or "other rules"
        yield Finding(
            ID, SEVERITY,
            f"{rule.direction.word}[{rule.index}] of policy {policy.ref} is redundant: "
            f"everything it allows is also allowed by {covering}",
            rule_at(ctx, policy, rule),
            "delete the rule, or narrow the broader rule that covers it")


def _isolation_elsewhere(ctx: LintContext, policy: NetworkPolicy) -> bool:
    """Is every pod of ``policy`` isolated by another policy in each of its directions?"""
    an = ctx.analyzer
    for direction in policy.policy_types:
        if ctx.has_pods:
            for c in ctx.selected_classes(policy):
                if c.host_network:
                    continue
                if not any(p is not policy for p in an.isolating_policies(c, direction)):
                    return False
        elif not any(p is not policy for p in ctx.companions(policy, direction)):
            return False
    return True
