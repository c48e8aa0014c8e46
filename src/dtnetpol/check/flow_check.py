"""Every Dynatrace flow that applies, judged by the engine on the user's policies.

For each flow and each of its ports, the engine answers "can the source reach the
destination?" for every pod class that stands for the source and the destination. The flow's
verdict is the worst of those answers: *blocked* when some pods are blocked on some port,
*conditional* when the policies allow only part of an address range the input cannot pin down
(a host name, an API server whose endpoint is unknown), *not-governed* when NetworkPolicy can
act on neither side (host-network pods, kubelet probes, traffic between hosts), else
*allowed*. For the API server as a source the platform profile lists alternative origins of
its calls: all allowed is allowed, none blocked, some conditional.

A blocked or conditional flow carries what explains it: the side that blocks, the policies
that isolate it, the nearest miss, the symptom from the flow table, and the smallest policy
that fixes it (from :func:`dtnetpol.generate.fix`), as YAML. The fix is worked out when an
output first asks for it (:attr:`FlowResult.fix`): the table shows none unless asked, and
writing them took a tenth of a check on a small cluster.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property, partial
from typing import TYPE_CHECKING

from dtnetpol.check.endpoints import Addresses, End, FlowEnds
from dtnetpol.check.nearest import (
    NamespaceIndex,
    NearMiss,
    deciding_denies,
    layer_misses,
    nearest_misses,
)
from dtnetpol.dynatrace.flows import Flow, FlowPort, InstallFacts, SourceKind, Symptom
from dtnetpol.engine.analysis import Analyzer, Endpoint, ExternalEndpoint, PodClass
from dtnetpol.engine.explain import Action, Outcome, RuleRef, SideStatus, SideVerdict, Verdict
from dtnetpol.errors import InputError
from dtnetpol.model import Direction, SourceLocation

if TYPE_CHECKING:
    from dtnetpol.generate import GeneratedDoc, GenerateOptions


class FlowVerdict(StrEnum):
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    CONDITIONAL = "conditional"
    NOT_GOVERNED = "not-governed"


#: Blocked workloads whose near misses are worked out one by one per flow (the others are
#: counted): a flow from every monitored namespace may be blocked for thousands.
_EXPLAINED_SUBJECTS = 5
#: Namespaces a fix for application pods covers at most (the rest: ``dtnetpol fix``).
_FIX_NAMESPACES = 20

_FAILING = frozenset({FlowVerdict.BLOCKED, FlowVerdict.CONDITIONAL})
_RANK = {FlowVerdict.ALLOWED: 0, FlowVerdict.NOT_GOVERNED: 0, FlowVerdict.CONDITIONAL: 1,
         FlowVerdict.BLOCKED: 2}


@dataclass(frozen=True)
class PortResult:
    """One port of a flow, between one source and one destination stand-in."""

    port: FlowPort | None
    source: str
    destination: str
    verdict: FlowVerdict
    engine: Verdict | None = None
    source_endpoint: Endpoint | None = field(default=None, compare=False, repr=False)
    destination_endpoint: Endpoint | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Miss:
    """What explains one blocked side: the rule that almost allows it (``near``), or why
    none comes close. ``cause`` is the explanation without the side, so flows blocked for
    the same reason can be told together."""

    direction: Direction | None
    subject: str
    cause: str
    near: NearMiss | None = None

    @property
    def location(self) -> SourceLocation | None:
        """Where the almost-allowing rule is written."""
        return self.near.rule.location if self.near is not None else None

    def __str__(self) -> str:
        if self.direction is None:
            return self.cause
        return f"{self.direction.word} of {self.subject}: {self.cause}"


@dataclass(frozen=True)
class FlowResult:
    """One flow's verdict with everything that explains it."""

    flow: Flow
    verdict: FlowVerdict
    source: str
    destination: str
    blocked_by: str | None = None
    policies: tuple[str, ...] = ()
    ports: tuple[PortResult, ...] = ()
    misses: tuple[Miss, ...] = ()
    condition: str = ""
    reason: str = ""
    inferred: tuple[str, ...] = ()
    fixer: Callable[[], str | None] | None = field(default=None, compare=False, repr=False)
    allowed_by: tuple[str, ...] = ()

    @cached_property
    def fix(self) -> str | None:
        """The YAML of the smallest policies that let the flow through (None: no fix, or
        fixes not asked for), worked out by ``fixer`` the first time it is read."""
        return self.fixer() if self.fixer is not None else None

    @property
    def id(self) -> str:
        return self.flow.id

    @property
    def required(self) -> bool:
        return self.flow.required

    @property
    def symptoms(self) -> tuple[Symptom, ...]:
        return self.flow.symptoms

    @property
    def blocked_ports(self) -> tuple[FlowPort, ...]:
        return tuple(dict.fromkeys(p.port for p in self.ports if p.port is not None
                                   and p.verdict is FlowVerdict.BLOCKED))

    @property
    def port_text(self) -> str:
        return ports_text(self.flow.ports)

    @property
    def nearest_misses(self) -> tuple[str, ...]:
        """Each miss as one sentence."""
        return tuple(str(m) for m in self.misses)


def ports_text(ports: Sequence[FlowPort]) -> str:
    """``8443/TCP``, ``53/UDP+TCP``, ``9998,9999/TCP``; ``any`` when the flow names none."""
    if not ports:
        return "any"
    by_proto: dict[str, list[int]] = {}
    for p in ports:
        by_proto.setdefault(p.protocol.value, []).append(p.number)
    numbers = {tuple(sorted(set(v))) for v in by_proto.values()}
    if len(numbers) == 1:
        nums = ",".join(str(n) for n in next(iter(numbers)))
        return f"{nums}/{'+'.join(by_proto)}"
    return " ".join(f"{','.join(str(n) for n in sorted(set(v)))}/{k}"
                    for k, v in by_proto.items())


@dataclass(frozen=True)
class CheckReport:
    """All flows of the installation, checked."""

    results: tuple[FlowResult, ...]
    warnings: tuple[str, ...] = ()

    def summary(self) -> dict[str, int]:
        c = Counter(r.verdict.value for r in self.results)
        out = {v.value: c.get(v.value, 0) for v in FlowVerdict}
        out["required_blocked"] = sum(1 for r in self.results
                                      if r.required and r.verdict is FlowVerdict.BLOCKED)
        out["total"] = len(self.results)
        return out

    def failing(self, fail_on: str = "required") -> list[FlowResult]:
        """Flows that fail the check: ``required`` (blocked required flows), ``optional``
        (any blocked flow) or ``conditional`` (any blocked or conditional flow)."""
        if fail_on == "conditional":
            return [r for r in self.results
                    if r.verdict in (FlowVerdict.BLOCKED, FlowVerdict.CONDITIONAL)]
        return [r for r in self.results if r.verdict is FlowVerdict.BLOCKED
                and (r.required or fail_on == "optional")]


@dataclass(frozen=True)
class CheckOptions:
    """What the check needs beyond the cluster and the flows.

    ``generate`` (when given) is used to write each fix; ``addresses`` are the flags that pin
    hosts and sources the manifests cannot name.
    """

    install: InstallFacts = field(default_factory=InstallFacts)
    addresses: Addresses = field(default_factory=Addresses)
    generate: GenerateOptions | None = None
    monitored: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    oneagent_modes: Mapping[str, str] = field(default_factory=dict)


_GOVERNED = frozenset({SideStatus.ALLOWED, SideStatus.NOT_ISOLATED, SideStatus.PARTIAL})


def _verdict_of(v: Verdict) -> FlowVerdict:
    if v.outcome is Outcome.BLOCKED:
        return FlowVerdict.BLOCKED
    if v.outcome is Outcome.CONDITIONAL:
        return FlowVerdict.CONDITIONAL
    if v.egress.status not in _GOVERNED and v.ingress.status not in _GOVERNED:
        return FlowVerdict.NOT_GOVERNED
    return FlowVerdict.ALLOWED


def _blocking_sides(v: Verdict) -> list[SideVerdict]:
    return [s for s in (v.egress, v.ingress) if not s.allows]


def _names(ends: Sequence[End], fallback: str) -> str:
    names = list(dict.fromkeys(e.endpoint.name for e in ends))
    if not names:
        return fallback
    if len(names) > 3:
        return f"{', '.join(names[:3])} (+{len(names) - 3})"
    return ", ".join(names)


class _Checker:
    def __init__(self, an: Analyzer, options: CheckOptions) -> None:
        self.an = an
        self.options = options
        self.ends = FlowEnds(an, options.install, options.addresses, options.oneagent_modes,
                             options.monitored)
        self._index: NamespaceIndex | None = None

    def flow(self, flow: Flow) -> FlowResult:
        srcs = self.ends.sources(flow)
        dsts = self.ends.destinations(flow)
        if not srcs or not dsts:
            return FlowResult(flow, FlowVerdict.NOT_GOVERNED, _names(srcs, "-"),
                              _names(dsts, "-"), reason="no pod of the input is at one end: "
                              f"{flow.dynakube or 'the DynaKube'} monitors no namespace given")
        src_name = _names(srcs, flow.source.description)
        dst_name = _names(dsts, flow.destination.description)
        inferred = tuple(dict.fromkeys(e.endpoint.name for e in (*srcs, *dsts) if e.inferred))
        base = FlowResult(flow, FlowVerdict.NOT_GOVERNED, src_name, dst_name, inferred=inferred)
        if SourceKind(flow.source.kind) is SourceKind.KUBELET:
            return replace(base, reason="kubelet probes come from the pod's own node; most "
                           "CNIs always admit node-local traffic, whatever the policies say")
        if not flow.egress_governed and not flow.ingress_governed:
            return replace(base, reason="NetworkPolicy governs neither side: "
                           + " ".join(flow.notes[-1:]) if flow.notes else
                           "NetworkPolicy governs neither side")
        ports: list[FlowPort | None] = list(flow.ports) or [None]
        alternatives = SourceKind(flow.source.kind) is SourceKind.APISERVER and len(srcs) > 1
        results: list[PortResult] = []
        per_source: dict[int, list[FlowVerdict]] = {}
        # Sides by identity, in order: thousands of verdicts share their destination's side.
        sides: dict[int, SideVerdict] = {}
        blocking: dict[int, SideVerdict] = {}
        for i, s in enumerate(srcs):
            for d in dsts:
                for p in ports:
                    v = self.an.can_reach(s.endpoint, d.endpoint,
                                          p.number if p else None, p.protocol if p else None)
                    fv = _verdict_of(v)
                    results.append(PortResult(p, v.source, v.destination, fv, v,
                                              s.endpoint, d.endpoint))
                    per_source.setdefault(i, []).append(fv)
                    for side in (v.egress, v.ingress):
                        sides[id(side)] = side
                        if fv in _FAILING and not side.allows:
                            blocking[id(side)] = side
        verdict, condition = self._combine(results, per_source, alternatives)
        blocked_by = None
        directions = {s.direction for s in blocking.values()}
        if directions == {Direction.EGRESS, Direction.INGRESS}:
            blocked_by = "both"
        elif directions:
            blocked_by = next(iter(directions)).word
        policies = tuple(sorted({p for s in blocking.values() for p in s.isolating_policies}))
        allowed_by = tuple(dict.fromkeys(str(rule) for rule in dict.fromkeys(
            rule for side in sides.values() for rule in side.allowing_rules)))
        result = replace(base, verdict=verdict, blocked_by=blocked_by, policies=policies,
                         ports=tuple(results), condition=condition, allowed_by=allowed_by)
        if verdict is FlowVerdict.BLOCKED:
            result = replace(result, misses=self._misses(results))
        if verdict in (FlowVerdict.BLOCKED, FlowVerdict.CONDITIONAL) and \
                self.options.generate is not None:
            result = replace(result, fixer=partial(self._fix, result))
        return result

    @staticmethod
    def _combine(results: list[PortResult], per_source: dict[int, list[FlowVerdict]],
                 alternatives: bool) -> tuple[FlowVerdict, str]:
        conditions = list(dict.fromkeys(r.engine.condition for r in results
                                        if r.engine is not None and r.engine.condition))
        if alternatives:
            worst = {k: max(v, key=_RANK.__getitem__) for k, v in per_source.items()}
            if all(w is FlowVerdict.BLOCKED for w in worst.values()):
                return FlowVerdict.BLOCKED, ""
            if any(w is FlowVerdict.BLOCKED for w in worst.values()):
                return FlowVerdict.CONDITIONAL, (
                    "allowed only if the API server's calls come from an origin the policies "
                    "admit; the platform lists several and some are blocked")
        worst_all = max((r.verdict for r in results), key=_RANK.__getitem__)
        if worst_all is FlowVerdict.NOT_GOVERNED and any(
                r.verdict is FlowVerdict.ALLOWED for r in results):
            worst_all = FlowVerdict.ALLOWED
        return worst_all, "; ".join(conditions)

    def _misses(self, results: Sequence[PortResult]) -> tuple[Miss, ...]:
        out: list[Miss] = []
        none_close: Miss | None = None
        seen: set[tuple[Direction, str, RuleRef]] = set()
        explained: set[str] = set()
        skipped: set[str] = set()
        for r in results:
            src, dst = r.source_endpoint, r.destination_endpoint
            if r.verdict is not FlowVerdict.BLOCKED or r.engine is None or src is None or \
                    dst is None:
                continue
            port = r.port.number if r.port else None
            proto = r.port.protocol if r.port else None
            for side in _blocking_sides(r.engine):
                answered = False
                subject, other = (src, dst) if side.direction is Direction.EGRESS else (dst, src)
                if not isinstance(subject, PodClass):
                    continue
                if len(explained) >= _EXPLAINED_SUBJECTS and subject.name not in explained:
                    skipped.add(subject.name)
                    continue
                explained.add(subject.name)
                layered = layer_misses(self.an, side, subject, other, dst, port, proto)
                if layered is not None:
                    causes, near = layered
                    out.extend(Miss(side.direction, subject.name, c) for c in causes)
                    out.extend(Miss(side.direction, subject.name, str(m), m) for m in near
                               if (side.direction, subject.name, m.rule) not in seen)
                    seen.update((side.direction, subject.name, m.rule) for m in near)
                    if causes or near:
                        answered = True
                    if not any(s.layer == "NetworkPolicy"
                               for s in deciding_denies(side, port, proto)):
                        continue
                if self._index is None:
                    self._index = NamespaceIndex(self.an)
                found = nearest_misses(self.an, subject, side.direction, other, dst, port,
                                       proto, index=self._index)
                fresh = [m for m in found if (side.direction, subject.name, m.rule) not in seen]
                seen.update((side.direction, subject.name, m.rule) for m in found)
                if found:
                    out.extend(Miss(side.direction, subject.name, str(m), m) for m in fresh)
                elif not none_close and not answered:
                    none_close = self._no_miss(side, other)
        if skipped:
            out.append(Miss(None, "", f"(not explained one by one: {len(skipped)} more "
                            "blocked workloads)"))
        return tuple(dict.fromkeys(out)) or ((none_close,) if none_close else ())

    def _no_miss(self, side: SideVerdict, other: PodClass | ExternalEndpoint) -> Miss:
        dns = self.options.install.platform.dns
        if isinstance(other, PodClass) and other.namespace == dns.namespace and all(
                other.labels.get(k) == v for k, v in dns.pod_labels.items()):
            return Miss(side.direction, side.subject,
                        f"missing DNS: no rule allows {dns.ports[0][0]}/UDP+TCP to the DNS "
                        f"pods in {dns.namespace}")
        return Miss(side.direction, side.subject, f"no rule names {other.name}")

    def _fix(self, result: FlowResult) -> str | None:
        from dtnetpol.generate import fix
        from dtnetpol.generate.yaml_out import stream_yaml

        gen = self.options.generate
        if gen is None:
            return None
        flow = replace(result.flow, required=True)
        preamble: tuple[str, ...] = ()
        if flow.dynakube is not None and flow.dynakube in gen.monitored:
            # Application pods: only the namespaces whose egress blocks, at most a few
            # dozen of them (a report is no place for thousands of policies).
            blocked = list(dict.fromkeys(
                r.source.split("/", 1)[0] for r in result.ports
                if r.engine is not None and not r.engine.egress.allows))
            if len(blocked) > _FIX_NAMESPACES:
                preamble = (f"Policies for {_FIX_NAMESPACES} of the {len(blocked)} namespaces "
                            "whose egress blocks this flow; `dtnetpol fix --write DIR` "
                            "writes them all.",)
            gen = replace(gen, monitored={**gen.monitored,
                                          flow.dynakube: tuple(blocked[:_FIX_NAMESPACES])})
        # A deny rule above NetworkPolicy (an admin Deny, a Cilium deny) wins over any allow
        # a fix adds: say which rule must change first.
        denies = sorted({str(step.rule) for r in result.ports if r.engine is not None
                         for side in (r.engine.egress, r.engine.ingress)
                         for step in side.steps
                         if step.action is Action.DENY and step.rule is not None
                         and step.layer not in ("BANP", "CNP:Baseline")})
        if denies and result.verdict is FlowVerdict.BLOCKED:
            preamble += (f"Denied by {', '.join(denies)}: a deny rule wins over every allow "
                         "here, so the policy below lets the flow through only once that rule "
                         "no longer matches it.",)
        try:
            if result.verdict is FlowVerdict.BLOCKED:
                docs = fix(self.an.cluster, [flow], gen, required_only=True,
                           analyzer=self.an).documents
            else:
                from dtnetpol.generate import generate  # conditional flows only

                docs = tuple(d for d in generate([flow], gen).documents)
                preamble += (f"Allowed today only if: {result.condition}.",
                            "To be sure, pin the addresses (--tenant-cidr, --apiserver, "
                            "--apiserver-cidr) or use a proxy or FQDN rules (--flavor "
                            "cilium); the policy dtnetpol writes for this flow:")
        except InputError as exc:
            return f"# no fix can be written: {exc}\n"
        if not docs:
            return None
        return stream_yaml([_named_for(d, result.flow) for d in docs], preamble)


def _named_for(doc: GeneratedDoc, flow: Flow) -> GeneratedDoc:
    """The document renamed after the flow, so that the fixes of several flows never share a
    name (applying one would replace the other)."""
    spec = doc.body.get("spec") or {}
    types = spec.get("policyTypes") or [k for k in ("ingress", "egress") if k in spec] or ["x"]
    direction = "-".join(str(t).lower() for t in types)
    name = f"{re.sub(r'[^a-z0-9-]+', '-', flow.id.lower()).strip('-')}-{direction}-fix"
    body = dict(doc.body)
    body["metadata"] = {**dict(body.get("metadata", {})), "name": name}
    header = tuple(line.replace(f"/{doc.name}:", f"/{name}:") for line in doc.header)
    return replace(doc, name=name, body=body, header=header)


def check_flows(an: Analyzer, flows: Sequence[Flow], options: CheckOptions) -> CheckReport:
    """Judge every flow on the compiled cluster ``an``."""
    checker = _Checker(an, options)
    return CheckReport(tuple(checker.flow(f) for f in flows))
