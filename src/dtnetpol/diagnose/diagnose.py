"""From what the cluster shows to the flow, the policy and the fix.

:func:`diagnose` reads :class:`~dtnetpol.diagnose.observations.Observations` (logs, events,
pods, DynaKube conditions) against the symptom catalogue of the flow table and generic
network errors, resolves each to a flow of ``check``'s report, and joins the engine's verdict:
blocked or conditional flows get the policies and the fix; flows the policies allow get a
cause outside NetworkPolicy and concrete next commands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from dtnetpol.check import CheckReport, FlowResult, FlowVerdict
from dtnetpol.diagnose.addresses import EXTERNAL_KINDS, AddressBook, Party, labels_party, name_guess
from dtnetpol.diagnose.causes import cause_text, next_commands
from dtnetpol.diagnose.matching import (
    GENERIC_TEXTS,
    CataloguePattern,
    ErrorClass,
    NetworkError,
    catalogue_matches,
    network_error,
)
from dtnetpol.diagnose.observations import (
    ConditionObs,
    EventObs,
    EvidenceKind,
    LogObs,
    Observations,
    PodObs,
    log_line,
)
from dtnetpol.dynatrace.components import ComponentId
from dtnetpol.dynatrace.flows import DestKind, Flow, SourceKind, Where

__all__ = ["Diagnosis", "Evidence", "Finding", "Note", "diagnose"]

#: The init container the webhook injects (older operators: install-oneagent).
INIT_CONTAINERS = ("dynatrace-operator", "install-oneagent")
#: Annotation prefixes the webhook writes on every pod it handles.
DYNATRACE_ANNOTATIONS = ("oneagent.dynatrace.com/", "dynatrace.com/",
                         "metadata-enrichment.dynatrace.com/", "metadata.dynatrace.com/")
INJECTED = "oneagent.dynatrace.com/injected"
INJECT_OPT_OUT = "oneagent.dynatrace.com/inject"
_TEXT_LIMIT = 400
_IN_CLUSTER = frozenset({DestKind.DNS, DestKind.APISERVER, DestKind.COMPONENT,
                         DestKind.KUBELET})
_RESTART_WATCH = (ComponentId.OPERATOR, ComponentId.WEBHOOK, ComponentId.CSI_DRIVER)


@dataclass(frozen=True)
class Evidence:
    """One thing seen: ``object`` is ``namespace/name``; ``container`` for logs."""

    kind: EvidenceKind
    object: str
    text: str
    time: str | None = None
    container: str | None = None
    error: ErrorClass | None = None
    weak: bool = False  # also shows for causes other than the network (a bad token)


@dataclass(frozen=True)
class Finding:
    flow: str
    verdict: FlowVerdict
    required: bool
    evidence: tuple[Evidence, ...]
    policies: tuple[str, ...] = ()
    fix: str | None = None
    cause: str = ""
    next: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    """Evidence that is not a failure of a flow: the webhook was reached, a restart with no
    network error, a network error no flow of the input explains."""

    text: str
    evidence: tuple[Evidence, ...] = ()
    flow: str | None = None


@dataclass(frozen=True)
class Diagnosis:
    findings: tuple[Finding, ...]
    notes: tuple[Note, ...] = ()
    read: Mapping[str, int] = field(default_factory=dict, hash=False)

    @property
    def failing(self) -> bool:
        """True when a finding names a required flow (exit 1)."""
        return any(f.required for f in self.findings)


@dataclass(frozen=True)
class _Source:
    kind: SourceKind
    component: ComponentId | None = None
    owner: str | None = None
    dynakubes: tuple[str, ...] = ()
    init: bool = False  # the injected init container of an application pod


@dataclass
class _Hit:
    evidence: list[Evidence] = field(default_factory=list)
    errors: list[NetworkError] = field(default_factory=list)
    pods: list[tuple[str, str, str | None]] = field(default_factory=list)


def _clip(text: str) -> str:
    return text if len(text) <= _TEXT_LIMIT else text[:_TEXT_LIMIT - 1] + "…"


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class _Diagnoser:
    def __init__(self, obs: Observations, report: CheckReport, book: AddressBook,
                 monitored: Mapping[str, tuple[str, ...]], owners: Sequence[str],
                 other_policy_kinds: Sequence[str], mesh: bool) -> None:
        self.obs = obs
        self.book = book
        self.results = {r.id: r for r in report.results}
        self.flows = [r.flow for r in report.results]
        self.monitored = monitored
        self.owners = tuple(owners)
        self.other_kinds = tuple(other_policy_kinds)
        self.mesh = mesh
        self.pods = {(p.namespace, p.name): p for p in obs.pods}
        self.hits: dict[str, _Hit] = {}
        self.notes: list[Note] = []
        self.release = book.install.release_name
        self._restarts: list[tuple[_Source, Evidence]] = []

    # --- who wrote it ---------------------------------------------------------------------

    def source(self, namespace: str, pod_name: str, container: str | None = None) -> _Source:
        pod = self.pods.get((namespace, pod_name))
        cid, owner = labels_party(pod.labels, self.release) if pod else (None, None)
        if cid is None:
            cid, owner = name_guess(pod_name, self.owners)
        if cid is not None:
            return _Source(SourceKind.COMPONENT, cid, owner)
        dks = tuple(dk for dk, nss in self.monitored.items() if namespace in nss)
        return _Source(SourceKind.APP_PODS, ComponentId.CODE_MODULES, dynakubes=dks,
                       init=container in INIT_CONTAINERS)

    def _from(self, flow: Flow, src: _Source) -> bool:
        kind = SourceKind(flow.source.kind)
        if kind is SourceKind.ONEAGENT_NODES and src.component is ComponentId.ONEAGENT:
            kind = SourceKind.COMPONENT  # the OneAgent pod speaks for its node
        if kind is not src.kind:
            return False
        if src.kind is SourceKind.APP_PODS:
            return not src.dynakubes or flow.dynakube in src.dynakubes or flow.dynakube is None
        if flow.source.component is not src.component:
            return False
        owner = flow.edgeconnect or flow.dynakube
        return src.owner is None or owner is None or owner == src.owner

    # --- where it went --------------------------------------------------------------------

    def target(self, err: NetworkError) -> Party | None:
        if err.ip is not None:
            found = self.book.ip(err.ip, err.port)
            if found is not None:
                return found
        if err.host is not None:
            found = self.book.host(err.host)
            if found is not None:
                return found
            return Party(DestKind.EXTERNAL, label=err.host)
        if err.ip is not None:
            return Party(DestKind.EXTERNAL, label=err.ip)
        return None

    def flows_for_error(self, src: _Source, err: NetworkError) -> list[Flow]:
        mine = [f for f in self.flows if self._from(f, src)]
        party = self.target(err)
        if party is None:
            # No address in the line: the flows whose catalogue lists this error for
            # this source (the operator's Go errors mean operator → tenant).
            return [f for f in mine if any(
                s.text in GENERIC_TEXTS and (g := network_error(s.text)) is not None
                and g.cls is err.cls for s in f.spec.symptoms)][:1]
        if src.kind is SourceKind.APP_PODS:
            # The injected init container downloads; the application's own containers send.
            mine = [f for f in mine if (f.spec.id == "init-to-tenant") == src.init]
        exact = [f for f in mine if DestKind(f.destination.kind) is party.kind
                 and (party.component is None or f.destination.component is party.component)
                 and (party.owner is None
                      or (f.edgeconnect or f.dynakube) in (None, party.owner))]
        if exact and party.kind is DestKind.COMPONENT and err.ip and err.port:
            # A Service port is translated to the pod port the flow table names.
            pod_port = self.book.pod_port(err.ip, err.port)
            exact = [f for f in exact if any(p.number == pod_port for p in f.ports)] or exact
        if exact:
            return exact[:1] if party.kind in EXTERNAL_KINDS else exact
        if party.kind in EXTERNAL_KINDS:
            ext = [f for f in mine if DestKind(f.destination.kind) in EXTERNAL_KINDS]
            port = err.port or err.host_port
            by_port = [f for f in ext if any(p.number == port for p in f.ports)]
            # A bare address nobody names counts only on a port the flow uses.
            chosen = by_port if err.host is None else (by_port or ext)
            # The tenant before endpoints and registries: the operator's usual partner.
            chosen.sort(key=lambda f: DestKind(f.destination.kind) is not DestKind.TENANT)
            return chosen[:1]
        return []

    def flows_for_pattern(self, pat: CataloguePattern, src: _Source | None,
                          owner: str | None = None) -> list[Flow]:
        ids = set(pat.flows)
        cands = [f for f in self.flows if f.spec.id in ids]
        if owner is not None:
            cands = [f for f in cands if (f.edgeconnect or f.dynakube) in (None, owner)]
        if src is not None and pat.where not in (Where.DYNAKUBE_CONDITION,
                                                 Where.DYNAKUBE_STATUS,
                                                 Where.APISERVER_ERROR):
            narrowed = [f for f in cands if self._from(f, src)]
            if narrowed:
                cands = narrowed
        return cands

    # --- recording --------------------------------------------------------------------------

    def add(self, flow: Flow, ev: Evidence, err: NetworkError | None,
            pod: tuple[str, str, str | None] | None) -> None:
        hit = self.hits.setdefault(flow.id, _Hit())
        if ev not in hit.evidence:
            hit.evidence.append(ev)
        if err is not None:
            hit.errors.append(err)
        # Commands run in the flow's source: a pod that only shows the symptom (an
        # application pod waiting for the CSI driver) is not one.
        if pod is not None and pod not in hit.pods and (
                SourceKind(flow.source.kind) in (SourceKind.APISERVER, SourceKind.KUBELET)
                or self._from(flow, self.source(pod[0], pod[1], pod[2]))):
            hit.pods.append(pod)

    def text(self, text: str, kind: EvidenceKind, ref: str, time: str | None,
             src: _Source | None, owner: str | None = None,
             pod: tuple[str, str, str | None] | None = None,
             container: str | None = None) -> bool:
        """Match one text; True when it was attributed to a flow."""
        err = network_error(text)
        ev = Evidence(kind, ref, _clip(text), time, container, err.cls if err else None)
        done = False
        if err is not None and src is not None:
            party = self.target(err)
            if party is not None and party.kind in _IN_CLUSTER:
                # The address says which connection failed (a name lookup that timed out,
                # the API server, a Dynatrace pod): more precise than the message around it.
                for flow in self.flows_for_error(src, err):
                    self.add(flow, ev, err, pod)
                    done = True
                if done:
                    return True
        for pat in catalogue_matches(text):
            weak = pat.where in (Where.DYNAKUBE_STATUS, Where.DYNAKUBE_CONDITION) and err is None
            for flow in self.flows_for_pattern(pat, src, owner):
                self.add(flow, Evidence(ev.kind, ev.object, ev.text, ev.time, container,
                                        ev.error, weak), err, pod)
                done = True
        if not done and err is not None and src is not None:
            for flow in self.flows_for_error(src, err):
                self.add(flow, ev, err, pod)
                done = True
            if not done:
                self.notes.append(Note("a network error no flow of the input explains "
                                       "(not a Dynatrace flow, or an address the input does "
                                       "not name)", (ev,)))
                return True
        return done

    # --- the observations -------------------------------------------------------------------

    def logs(self, log: LogObs) -> None:
        src = self.source(log.namespace, log.pod, log.container)
        pod = (log.namespace, log.pod, log.container)
        for raw in log.lines:
            text, time = log_line(raw)
            if text:
                self.text(text, EvidenceKind.LOG, log.ref, time, src, src.owner, pod,
                          log.container)

    def event(self, ev: EventObs) -> None:
        src = self.source(ev.namespace, ev.object_name) if ev.object_kind == "Pod" else None
        text = f"{ev.reason}: {ev.message}"
        pod = (ev.namespace, ev.object_name, None) if ev.object_kind == "Pod" else None
        owner = src.owner if src else None
        probe_failed = ev.reason == "Unhealthy"
        if probe_failed and any(self.flows_for_pattern(p, src, owner)
                                for p in catalogue_matches(text)):
            probe_failed = False  # e.g. the startup probe's DNS check: a DNS flow
        if not probe_failed and self.text(text, EvidenceKind.EVENT, ev.ref, ev.time, src,
                                          owner, pod):
            return
        if probe_failed and src is not None and src.component is not None \
                and src.kind is SourceKind.COMPONENT:
            # A probe the kubelet could not complete: the kubelet → pod flow, if the table
            # has one for this component.
            probe = [f for f in self.flows if SourceKind(f.source.kind) is SourceKind.KUBELET
                     and f.destination.component is src.component
                     and (f.dynakube or f.edgeconnect) in (None, src.owner)]
            err = network_error(ev.message)
            for f in probe:
                self.add(f, Evidence(EvidenceKind.EVENT, ev.ref, _clip(text), ev.time,
                                     error=err.cls if err else None), err, pod)
        elif ev.reason == "BackOff" and src is not None and src.component in _RESTART_WATCH:
            self.restart(src, Evidence(EvidenceKind.EVENT, ev.ref, _clip(text),
                                               ev.time))

    def condition(self, c: ConditionObs) -> None:
        if c.type == "phase" and c.status != "Error":
            return
        if c.type != "phase" and c.status == "True" and not c.reason.endswith("Error"):
            return
        src = _Source(SourceKind.COMPONENT, ComponentId.OPERATOR, c.name)
        self.text(c.text, EvidenceKind.CONDITION, c.ref, c.time, src, c.name)

    def restart(self, src: _Source, ev: Evidence) -> None:
        self._restarts.append((src, ev))

    def pod(self, pod: PodObs) -> None:
        src = self.source(pod.namespace, pod.name)
        if src.kind is SourceKind.COMPONENT and src.component in _RESTART_WATCH:
            for st in pod.states:
                if st.restarts:
                    text = (f"container {st.name} restarted {st.restarts} times"
                            + (f" (last exit code {st.last_exit_code})"
                               if st.last_exit_code is not None else "")
                            + (f", now {st.waiting}" if st.waiting else ""))
                    self.restart(src, Evidence(EvidenceKind.POD, pod.ref, text,
                                                        pod.created))
            return
        if src.kind is not SourceKind.APP_PODS:
            return
        self.injection(pod, src)
        for st in pod.states:
            failed = st.init and st.name in INIT_CONTAINERS and (
                (st.exit_code not in (None, 0)) or (st.last_exit_code not in (None, 0))
                or st.waiting == "CrashLoopBackOff")
            if failed:
                flows = [f for f in self.flows if f.spec.id == "init-to-tenant"
                         and self._from(f, src)]
                code = st.exit_code if st.exit_code is not None else st.last_exit_code
                text = (f"init container {st.name} failed (exit code {code}"
                        f"{', ' + st.waiting if st.waiting else ''}); pod phase {pod.phase}")
                for f in flows:
                    self.add(f, Evidence(EvidenceKind.POD, pod.ref, text, pod.created),
                             None, (pod.namespace, pod.name, st.name))

    def injection(self, pod: PodObs, src: _Source) -> None:
        ann = pod.annotations
        if ann.get(INJECTED) == "false" and any(k.endswith("/reason") for k in ann):
            reason = next(v for k, v in ann.items() if k.endswith("/reason"))
            self.notes.append(Note(
                f"the webhook was reached: it annotated {pod.ref} {INJECTED}: \"false\" "
                f"(reason {reason}) and chose not to inject; not a network problem of "
                "apiserver-to-webhook",
                (Evidence(EvidenceKind.POD, pod.ref, f'{INJECTED}: "false", reason: {reason}',
                          pod.created),), "apiserver-to-webhook"))
            return
        if ann.get(INJECT_OPT_OUT) == "false":
            return
        if any(c in INIT_CONTAINERS for c in pod.init_containers) or any(
                k.startswith(DYNATRACE_ANNOTATIONS) for k in ann):
            return
        created = _time(pod.created)
        for flow in self.flows:
            if flow.spec.id != "apiserver-to-webhook":
                continue
            for dk in src.dynakubes:
                dk_time = self.dynakube_time(dk)
                if created is None or dk_time is None or created <= dk_time:
                    continue
                text = (f"created {pod.created}, after DynaKube {dk} ({dk_time.isoformat()}), "
                        "with no dynatrace-operator init container and no Dynatrace "
                        "annotation: the injection webhook was not reached (failurePolicy "
                        "Ignore let the pod through after 10 s)")
                self.add(flow, Evidence(EvidenceKind.POD, pod.ref, text, pod.created), None,
                         None)
                break

    def dynakube_time(self, dk: str) -> datetime | None:
        """When the DynaKube was created; without its creationTimestamp, when its first
        operand pod was (those exist only once the DynaKube does)."""
        ref = next((k for k in self.obs.dynakube_created if k.endswith("/" + dk)), None)
        if ref is not None:
            return _time(self.obs.dynakube_created[ref])
        times = [t for p in self.obs.pods
                 if labels_party(p.labels, self.release)[1] == dk
                 and (t := _time(p.created)) is not None]
        return min(times) if times else None

    def run(self) -> Diagnosis:
        for pod in self.obs.pods:
            self.pod(pod)
        for ev in self.obs.events:
            self.event(ev)
        for c in self.obs.conditions:
            self.condition(c)
        for log in self.obs.logs:
            self.logs(log)
        for src, restart in self._restarts:
            attached = False
            for fid, hit in self.hits.items():
                if self._from(self.results[fid].flow, src):
                    hit.evidence.append(restart)
                    attached = True
            if not attached:
                self.notes.append(Note(f"{src.component} restarts, with no network error "
                                       "read that explains it", (restart,)))
        findings = [self.finding(self.results[fid], hit) for fid, hit in self.hits.items()]
        findings = [self.dns_first(f, findings) for f in findings]
        order = {r.id: i for i, r in enumerate(self.results.values())}
        findings.sort(key=lambda f: (not f.required, f.verdict is not FlowVerdict.BLOCKED,
                                     f.verdict is not FlowVerdict.CONDITIONAL, order[f.flow]))
        read = {"pods": len(self.obs.pods), "events": len(self.obs.events),
                "conditions": len(self.obs.conditions), "logs": len(self.obs.logs),
                "log lines": sum(len(x.lines) for x in self.obs.logs)}
        return Diagnosis(tuple(findings), tuple(self.notes), read)

    def dns_first(self, f: Finding, findings: Sequence[Finding]) -> Finding:
        """A flow to a host whose source cannot resolve names: say so first."""
        flow = self.results[f.flow].flow
        if DestKind(flow.destination.kind) not in EXTERNAL_KINDS or \
                f.verdict is FlowVerdict.BLOCKED:
            return f
        for other in findings:
            o = self.results[other.flow].flow
            if DestKind(o.destination.kind) is DestKind.DNS and \
                    o.source.component is flow.source.component and \
                    o.source.kind == flow.source.kind:
                return replace(f, cause=f"its source cannot resolve host names ({other.flow} "
                               f"is {other.verdict.value} and shows symptoms): fix that "
                               f"first; then: {f.cause}")
        return f

    def finding(self, result: FlowResult, hit: _Hit) -> Finding:
        classes = list(dict.fromkeys(e.cls for e in hit.errors))
        weak = all(e.weak for e in hit.evidence)
        governed = result.verdict in (FlowVerdict.BLOCKED, FlowVerdict.CONDITIONAL)
        cause = cause_text(result, classes, weak, self.other_kinds, self.mesh)
        pods = hit.pods or [(p.namespace, p.name, None) for p in self.obs.pods
                            if self._from(result.flow, self.source(p.namespace, p.name))][:2]
        commands = next_commands(result, pods, hit.errors, self.other_kinds, self.mesh,
                                 self.book.install.operator_namespace)
        return Finding(result.id, result.verdict, result.required, tuple(hit.evidence),
                       result.policies if governed else (), result.fix if governed else None,
                       cause, commands)


def diagnose(observations: Observations, report: CheckReport, book: AddressBook, *,
             monitored: Mapping[str, tuple[str, ...]] | None = None,
             owners: Sequence[str] = (), other_policy_kinds: Sequence[str] = (),
             mesh: bool = False) -> Diagnosis:
    """Match what was observed to the flows of ``report``.

    Args:
        observations: pods, events, conditions and log lines read from the cluster.
        report: ``check``'s report for the same cluster (flow ids, verdicts, fixes).
        book: who is at which address (from the same cluster and DynaKubes).
        monitored: DynaKube name → its monitored namespaces.
        owners: DynaKube and EdgeConnect names (to tell their pods by name).
        other_policy_kinds: policy kinds besides NetworkPolicy the input holds
            (CiliumNetworkPolicy, GlobalNetworkPolicy, ...): named as causes.
        mesh: a service mesh injects sidecars into the pods read.

    Returns:
        Findings, required and blocked first, then notes.
    """
    return _Diagnoser(observations, report, book, monitored or {}, owners,
                      other_policy_kinds, mesh).run()
