"""Helpers shared by the rule modules: field locations, short descriptions, synthetic pods."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from dtnetpol.dynatrace.components import recognise
from dtnetpol.dynatrace.label_templates import intended_component
from dtnetpol.engine.analysis import CompiledRule, PodClass
from dtnetpol.lint.context import LintContext
from dtnetpol.model.cluster import ContainerPort
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import LabelSelector, NetworkPolicy, Peer, PolicyPort, Rule

#: Index base for pods the linter imagines (DNS pods, Dynatrace pods): never a real class.
SYNTHETIC_INDEX = 1_000_000


def join(prefix: str, rel: str) -> str:
    """``items[2]`` + ``spec.podSelector`` → ``items[2].spec.podSelector``."""
    if not prefix:
        return rel
    if not rel:
        return prefix
    return f"{prefix}{rel}" if rel.startswith("[") else f"{prefix}.{rel}"


def policy_at(ctx: LintContext, policy: NetworkPolicy, rel: str) -> SourceLocation:
    """The location of field ``rel`` (``spec.podSelector``) of ``policy``."""
    base = policy.location
    prefix = base.path if base is not None else ""
    return ctx.at(base, join(prefix, rel))


def rule_path(policy: NetworkPolicy, rule: Rule) -> str:
    if rule.location is not None and rule.location.path:
        return rule.location.path
    prefix = policy.location.path if policy.location is not None else ""
    return join(prefix, f"spec.{rule.direction.word}[{rule.index}]")


def rule_at(ctx: LintContext, policy: NetworkPolicy, rule: Rule,
            rel: str = "") -> SourceLocation:
    return ctx.at(rule.location or policy.location, join(rule_path(policy, rule), rel))


def peer_side(rule: Rule) -> str:
    return "from" if rule.direction.word == "ingress" else "to"


def peer_at(ctx: LintContext, policy: NetworkPolicy, rule: Rule, peer: Peer,
            rel: str = "") -> SourceLocation:
    if peer.location is not None and peer.location.path:
        path = peer.location.path
    else:
        index = next((i for i, p in enumerate(rule.peers) if p is peer), 0)
        path = join(rule_path(policy, rule), f"{peer_side(rule)}[{index}]")
    return ctx.at(peer.location or rule.location or policy.location, join(path, rel))


def port_at(ctx: LintContext, policy: NetworkPolicy, rule: Rule, port: PolicyPort,
            rel: str = "port") -> SourceLocation:
    if port.location is not None and port.location.path:
        path = port.location.path
    else:
        index = next((i for i, p in enumerate(rule.ports) if p is port), 0)
        path = join(rule_path(policy, rule), f"ports[{index}]")
    loc = ctx.at(port.location or rule.location or policy.location, join(path, rel))
    found = ctx.raw(loc, loc.path)[1]
    if not found and rel:
        # ``port`` absent (every port of the protocol): point at the item itself.
        return ctx.at(port.location or rule.location or policy.location, path)
    return loc


def selector_text(selector: LabelSelector | None) -> str:
    if selector is None:
        return "(none)"
    return "{}" if selector.is_empty else str(selector)


def workloads_text(classes: Iterable[PodClass], limit: int = 3) -> str:
    names = sorted({str(w) for c in classes for w in c.workloads})
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    return ", ".join(names)


def synthetic_class(index: int, namespace: str, labels: Mapping[str, str],
                    ports: Sequence[ContainerPort] = ()) -> PodClass:
    """A pod the input does not hold but the rule reasons about (DNS, Dynatrace pods)."""
    return PodClass(SYNTHETIC_INDEX + index, namespace, dict(labels), tuple(ports), False, ())


def policy_rules(policy: NetworkPolicy) -> Iterable[Rule]:
    yield from policy.ingress
    yield from policy.egress


def compiled(ctx: LintContext, policy: NetworkPolicy, rule: Rule) -> CompiledRule:
    """The engine's compiled form of ``rule`` (ports as a PortSpec, ipBlocks as addresses)."""
    for c in ctx.analyzer.compiled_rules(policy, rule.direction):
        if c.rule is rule:
            return c
    raise LookupError(f"rule {rule.direction.word}[{rule.index}] is not in {policy.ref}")


def intended_classes(ctx: LintContext, policy: NetworkPolicy) -> tuple[list[PodClass], str]:
    """The pods a policy selects; for a policy that selects none but whose labels name a
    Dynatrace component (``app.kubernetes.io/name: dynatrace-webhook``), that component's pods
    in its namespace, with a note saying so (so its rules can still be judged)."""
    selected = ctx.selected_classes(policy)
    if selected:
        return selected, ""
    comp = intended_component(policy.pod_selector)
    if comp is None:
        return [], ""
    classes = [c for c in ctx.analyzer.classes
               if c.namespace == policy.namespace and recognise(c.labels) is comp.id]
    if not classes:
        return [], ""
    return classes, (f" (the policy selects no pod; its labels name the {comp.display_name}, "
                     "so it is judged as if it selected those pods)")
