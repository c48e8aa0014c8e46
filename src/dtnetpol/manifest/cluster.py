"""Loaded documents -> one :class:`Cluster`.

Handles what real inputs contain: ``kind: List`` and typed lists (``kubectl get -o yaml``,
API responses whose items lack ``kind``), objects given twice, pods next to the workloads that
own them, namespaces referenced but not given, and kinds the model does not cover (kept as
:class:`RawObject`, so a DynaKube survives for the Dynatrace checks).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from dtnetpol.errors import InputError, raise_all
from dtnetpol.manifest._fields import Field, missing, opt_list, opt_str, root, type_name
from dtnetpol.manifest.kinds import ADMIN_KINDS, CALICO_GLOBAL_KINDS, CILIUM_KINDS, is_calico
from dtnetpol.manifest.marks import LinedMap
from dtnetpol.manifest.networkpolicy import (
    LINED_API_VERSION,
    parse_network_policy_with_notes,
    plain_network_policy,
)
from dtnetpol.manifest.objects import (
    CLUSTER_SCOPED_KINDS,
    KIND_GROUPS,
    POD_TEMPLATE_HASH_LABEL,
    WORKLOAD_KINDS,
    Header,
    is_modelled,
    parse_endpoint_slice,
    parse_endpoints,
    parse_header,
    parse_namespace,
    parse_node,
    parse_pod,
    parse_service,
    parse_workload,
    plain_header,
    unserved_version,
)
from dtnetpol.manifest.problems import Problem
from dtnetpol.model.calico_resources import CalicoResources
from dtnetpol.model.cluster import (
    NAME_LABEL,
    Cluster,
    EndpointAddresses,
    Namespace,
    Node,
    Pod,
    RawObject,
    Service,
)
from dtnetpol.model.location import SourceLocation
from dtnetpol.model.policy import NetworkPolicy

if TYPE_CHECKING:
    # The readers and models of Calico, Cilium and the admin policies are imported when a
    # document of their kinds is met (dtnetpol.manifest.kinds tells them apart).
    from dtnetpol.manifest.calico import CalicoModel
    from dtnetpol.model.admin import AdminPolicy
    from dtnetpol.model.cilium import CiliumPolicy

    Model: TypeAlias = (Namespace | Pod | NetworkPolicy | Service | Node | RawObject
                        | list[EndpointAddresses] | AdminPolicy | CiliumPolicy | CalicoModel)

_Key = tuple[str, str, str]  # (kind, or apiVersion/kind when not modelled; namespace; name)

CLIENT_SIDE_GROUPS = ("kustomize.config.k8s.io",)


class OnInvalid(StrEnum):
    """What an object that cannot be read (or that the API server would reject) does.

    ``STOP`` (``--strict``): the first one raises. ``REPORT`` (default): every one of every
    document is collected and all are raised together at the end, sorted by file and line;
    fields that are malformed but whose meaning is clear load with a warning instead.
    ``SKIP`` (``--skip-invalid``): each is left out with a warning and the run goes on.
    """

    STOP = "stop"
    REPORT = "report"
    SKIP = "skip"


@dataclass
class _Entry:
    """One object read: its header and the model built from it."""

    header: Header
    model: Model


def _skipped_label(raw: RawObject) -> str:
    """The kind, with its apiVersion when a modelled kind has a foreign group (Calico)."""
    return f"{raw.kind} ({raw.api_version})" if raw.kind in KIND_GROUPS else raw.kind


def _where(loc: SourceLocation | None) -> str:
    if loc is None:
        return "?"
    where = f"{loc.file}:{loc.line}" if loc.line is not None else loc.file
    return f"{where} (document {loc.document}{', ' + loc.path if loc.path else ''})"


class _Builder:
    def __init__(self, strict: bool, on_invalid: OnInvalid = OnInvalid.REPORT) -> None:
        self.strict = strict
        self.on_invalid = on_invalid
        self.entries: dict[_Key, _Entry] = {}
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.skipped: Counter[str] = Counter()
        self.errors: list[InputError] = []
        self.not_kubernetes: list[SourceLocation] = []
        # (kind, apiVersion) -> (the kind in entry keys, whether it is cluster-scoped)
        self._kinds: dict[tuple[str, str], tuple[str, bool]] = {}
        # Malformed-but-clear fields, read leniently (never under STOP): (where, what).
        self.lenient: list[tuple[SourceLocation, str]] | None = \
            None if on_invalid is OnInvalid.STOP else []

    # --- reading ----------------------------------------------------------------------

    def _warn(self, text: str) -> None:
        self.warnings.append(text)

    def add(self, body: Any, loc: SourceLocation, kind: str | None = None,
            api_version: str | None = None, *, item: bool = False) -> None:
        """Read one document (or ``item`` of a list); its errors per ``on_invalid``."""
        if self.lenient is None:
            self._add(body, loc, kind, api_version, item)
            return
        try:
            self._add(body, loc, kind, api_version, item)
        except InputError as e:
            self._invalid(e, loc)
        finally:
            for at, text in self.lenient:
                self._warn(f"{at}: {at.path}: {text}" if at.path else f"{at}: {text}")
            self.lenient.clear()

    def _invalid(self, error: InputError, loc: SourceLocation) -> None:
        if self.on_invalid is OnInvalid.SKIP:
            self._warn(f"object at {_where(loc)} skipped: {error}")
        else:
            self.errors.append(error)

    def _rejected(self, problems: list[Problem], what: str) -> bool:
        """A policy the API server (or Calico) would reject: True when it is an error
        (raised now under STOP, collected under REPORT), False when only a problem."""
        if not self.strict:
            return False
        if self.on_invalid is OnInvalid.STOP:
            first = problems[0]
            raise InputError(f"{first.code}: {first.message} ({what})", first.location)
        self.errors.extend(InputError(f"{p.code}: {p.message} ({what})", p.location)
                           for p in problems)
        return True

    def _add(self, body: Any, loc: SourceLocation, kind: str | None,
             api_version: str | None, item: bool) -> None:
        if type(body) is LinedMap:
            # A NetworkPolicy read without marks: built straight from its values when it is
            # valid and has nothing to report, else read again with marks, as usual.
            top = root(body, loc)
            header = plain_header(top, "NetworkPolicy", LINED_API_VERSION, self.lenient) if (
                body.get("kind") == "NetworkPolicy"
                and body.get("apiVersion") == LINED_API_VERSION) else None
            policy = plain_network_policy(body, loc) if header is not None else None
            if header is not None and policy is not None:
                self._store(header, policy)
                return
            body = body.remark()
        top = root(body, loc)
        if not isinstance(body, Mapping):
            raise InputError(f"a Kubernetes object must be a mapping, not {type_name(body)}",
                             loc)
        if not item and "kind" not in body and "apiVersion" not in body:
            # Helm values, package.json, compose files, CI workflows: not Kubernetes objects.
            self.not_kubernetes.append(loc)
            return
        kind = opt_str(top, "kind") or kind
        if not kind:
            raise missing(top, "kind")
        api_version = opt_str(top, "apiVersion") or api_version
        if kind == "List" or (kind.endswith("List") and "items" in body):
            item_kind = kind[: -len("List")] or None
            for entry in opt_list(top, "items"):
                self.add(entry.value, entry.loc, item_kind, api_version if item_kind else None,
                         item=True)
            return
        if (not is_modelled(kind, api_version) and api_version is not None
                and api_version.startswith(CLIENT_SIDE_GROUPS)):
            self.skipped[kind] += 1  # kustomization.yaml and friends: not cluster objects
            return
        served = unserved_version(kind, opt_str(top, "apiVersion"))
        if served is not None:
            # Never dropped as an unknown kind: a deny-all that vanishes changes every verdict.
            f = top.get("apiVersion")
            raise InputError(f"{kind} is not served under apiVersion {api_version!r}: the API "
                             f"server rejects it; use apiVersion: {served}",
                             f.loc if f is not None else loc)
        header = parse_header(top, kind, api_version or "", self.lenient)
        if is_calico(kind, api_version):
            calico = self._calico(header, top)
            if calico is not None:
                self._store(header, calico)
            return
        if not is_modelled(kind, api_version):
            self._raw(header, body)
            return
        model = self._model(header, top)
        if model is not None:
            self._store(header, model)

    def _model(self, h: Header, top: Field) -> Model | None:
        kind = h.kind
        if kind == "NetworkPolicy":
            return self._policy(h, top)
        if kind == "Namespace":
            return parse_namespace(h)
        if kind == "Pod":
            return parse_pod(h, top, self.lenient)
        if kind in WORKLOAD_KINDS:
            return parse_workload(h, top, self.lenient)
        if kind == "Service":
            return parse_service(h, top)
        if kind == "Endpoints":
            return parse_endpoints(h, top)
        if kind == "EndpointSlice":
            slice_ = parse_endpoint_slice(h, top)
            if slice_ is None:
                self._warn(
                    f"EndpointSlice {h.namespace or 'default'}/{h.name} at {_where(h.loc)} has "
                    "no kubernetes.io/service-name label; ignored")
                return None
            return [slice_]
        if kind == "Node":
            return parse_node(h, top)
        if kind in ADMIN_KINDS or kind in CILIUM_KINDS:
            return self._layer_policy(h, top)
        raise AssertionError(f"kind {kind} is in KIND_GROUPS but not handled")

    def _policy(self, h: Header, top: Field) -> NetworkPolicy | None:
        policy, problems, notes = parse_network_policy_with_notes(
            top.value, top.loc, lenient_names=self.lenient is not None)
        for loc, note in notes:
            self._warn(f"{_where(loc)}: {note}")
        if not problems:
            return policy
        if self.lenient is not None and policy is not None and all(
                p.code == "invalid-name" for p in problems):
            # A name the API server rejects (``allow_dns``) but whose meaning is clear: the
            # policy is read as written, with a warning (the linter still reports it).
            for p in problems:
                self._warn(f"{_where(p.location)}: {p.message} (the API server would reject "
                           "it); read as given")
            if not self.strict:
                self.problems.extend(problems)
            return policy
        first = problems[0]
        if self._rejected(problems, "the API server would reject this NetworkPolicy"):
            return None
        self.problems.extend(problems)
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        self._warn(
            f"NetworkPolicy {h.namespace or 'default'}/{h.name} at {_where(h.loc)} ignored: "
            f"the API server would reject it ({count}; first: {first.location.path}: "
            f"{first.message})")
        return None

    def _layer_policy(self, h: Header, top: Field) -> AdminPolicy | CiliumPolicy | None:
        """A policy of a layer beyond NetworkPolicy, checked as its CRD would be."""
        from dtnetpol.manifest.crd_schemas import schema_problems

        policy: AdminPolicy | CiliumPolicy | None
        if h.kind in CILIUM_KINDS:
            from dtnetpol.manifest.cilium import parse_cilium_policy
            policy, problems, notes = parse_cilium_policy(top.value, top.loc, h.kind)
        else:
            from dtnetpol.manifest.admin import parse_admin_policy
            policy, problems, notes = parse_admin_policy(top.value, top.loc, h.kind)
        if not problems:
            problems = schema_problems(top.value, top.loc, h.kind)
        for loc, note in notes:
            self._warn(f"{_where(loc)}: {note}")
        if not problems:
            return policy
        first = problems[0]
        if self._rejected(problems, f"the API server would reject this {h.kind}"):
            return None
        self.problems.extend(problems)
        self._warn(f"{h.kind} {h.name} at {_where(h.loc)} ignored: the API server would reject "
                   f"it (first: {first.location.path}: {first.message})")
        return None

    def _calico(self, h: Header, top: Field) -> CalicoModel | None:
        from dtnetpol.manifest.calico import parse_calico_object

        model, problems, notes = parse_calico_object(top.value, top.loc, h.kind, h.api_version)
        for loc, note in notes:
            self._warn(f"{_where(loc)}: {note}")
        if not problems:
            return model
        first = problems[0]
        if self._rejected(problems, f"Calico would reject this {h.kind}"):
            return None
        self.problems.extend(problems)
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        ref = f"{h.namespace or 'default'}/{h.name}" if h.kind not in CALICO_GLOBAL_KINDS \
            else h.name
        self._warn(f"Calico {h.kind} {ref} at {_where(h.loc)} ignored: Calico would reject it "
                   f"({count}; first: {first.location.path}: {first.message})")
        return None

    def _raw(self, h: Header, body: Mapping[str, Any]) -> None:
        self._store(h, RawObject(api_version=h.api_version, kind=h.kind, namespace=h.namespace,
                                 name=h.name, body=body, location=h.loc))

    def _store(self, h: Header, model: Model) -> None:
        kinds = self._kinds.get((h.kind, h.api_version))
        if kinds is None:  # the same few kinds again and again: worked out once each
            calico = is_calico(h.kind, h.api_version)
            kinds = self._kinds[(h.kind, h.api_version)] = (
                h.kind if is_modelled(h.kind, h.api_version)
                else f"{h.api_version.split('/')[0]}/{h.kind}" if calico
                else f"{h.api_version}/{h.kind}",
                h.kind in CLUSTER_SCOPED_KINDS or (calico and h.kind in CALICO_GLOBAL_KINDS))
        kind, cluster_scoped = kinds
        if isinstance(model, RawObject):
            namespace = h.namespace or ""
        else:
            namespace = "" if cluster_scoped else (h.namespace or "default")
        key = (kind, namespace, h.name)
        previous = self.entries.pop(key, None)
        if previous is not None:
            ref = f"{namespace}/{h.name}" if namespace else h.name
            self._warn(
                f"{h.kind} {ref} is given twice, at {_where(previous.header.loc)} and at "
                f"{_where(h.loc)}; the later one is used")
        self.entries[key] = _Entry(h, model)

    # --- assembling -------------------------------------------------------------------

    def finish(self) -> tuple[Cluster, list[Problem]]:
        raise_all(self.errors)
        namespaces: dict[str, Namespace] = {}
        policies: list[NetworkPolicy] = []
        services: list[Service] = []
        endpoints: list[EndpointAddresses] = []
        nodes: list[Node] = []
        others: list[RawObject] = []
        admin: list[AdminPolicy] = []
        cilium: list[CiliumPolicy] = []
        calico: list[CalicoModel] = []
        for entry in self.entries.values():
            model = entry.model
            if isinstance(model, Namespace):
                namespaces[model.name] = model
            elif isinstance(model, NetworkPolicy):
                policies.append(model)
            elif isinstance(model, Service):
                services.append(model)
            elif isinstance(model, Node):
                nodes.append(model)
            elif isinstance(model, RawObject):
                others.append(model)
                self.skipped[_skipped_label(model)] += 1
            elif isinstance(model, list):
                endpoints.extend(model)
            elif isinstance(model, Pod):
                continue   # pods and workloads: see _pods
            # the other layers, told by kind (no kind is in two families): their model
            # classes are not imported for an input without them
            elif entry.header.kind in ADMIN_KINDS:
                admin.append(cast("AdminPolicy", model))
            elif entry.header.kind in CILIUM_KINDS:
                cilium.append(cast("CiliumPolicy", model))
            else:
                calico.append(cast("CalicoModel", model))
        pods = self._pods()
        resources = CalicoResources()
        if calico:
            from dtnetpol.manifest.calico import calico_resources
            resources = calico_resources(calico)
        used = ({p.namespace for p in pods} | {p.namespace for p in policies}
                | {p.namespace for p in resources.policies if p.namespace is not None}
                | {p.namespace for p in cilium if p.namespace is not None}
                | {s.namespace for s in services} | {e.namespace for e in endpoints})
        for kind in sorted({p.kind for p in admin} | {p.kind for p in cilium}):
            from dtnetpol.manifest.crd_schemas import unchecked_rules
            rules = unchecked_rules(kind)
            if rules:
                paths = ", ".join(dict.fromkeys(path for path, _, _ in rules))
                self._warn(f"{kind}: the CRD's {len(rules)} CEL validation rules "
                           f"(x-kubernetes-validations) are not checked, at {paths}")
        for name in sorted(used - namespaces.keys()):
            namespaces[name] = Namespace(name=name, labels={NAME_LABEL: name}, assumed=True)
            self._warn(
                f'namespace "{name}" not given; assumed with only its {NAME_LABEL} label')
        if resources:
            from dtnetpol.manifest.calico import calico_warnings
            self.warnings.extend(calico_warnings(resources))
        cluster = Cluster(
            namespaces=dict(sorted(namespaces.items())),
            pods=tuple(pods),
            policies=tuple(policies),
            services=tuple(services),
            endpoints=tuple(endpoints),
            nodes=tuple(nodes),
            others=tuple(others),
            admin_policies=tuple(admin),
            cilium_policies=tuple(cilium),
            calico=resources,
            skipped_kinds=dict(sorted(self.skipped.items())),
            not_kubernetes=tuple(self.not_kubernetes),
            warnings=tuple(self.warnings),
        )
        return cluster, list(self.problems)

    def _pods(self) -> list[Pod]:
        """Workload templates and pods; a pod or ReplicaSet/Job whose owner is given is folded
        into the owner's template (its IPs are kept there)."""
        workloads: dict[tuple[str, str, str], _Entry] = {}
        for entry in self.entries.values():
            if isinstance(entry.model, Pod) and entry.header.kind in WORKLOAD_KINDS:
                pod = entry.model
                workloads[(pod.namespace, entry.header.kind, pod.name)] = entry

        def stand_in(ns: str, kind: str, name: str) -> tuple[str, str, str] | None:
            key = (ns, kind, name)
            seen = set()
            if key not in workloads:
                return None
            while key not in seen:
                seen.add(key)
                owner = workloads[key].header.owner
                if owner is None or (ns, owner.kind, owner.name) not in workloads:
                    break
                key = (ns, owner.kind, owner.name)
            return key

        ips: dict[tuple[str, str, str], list[str]] = {}
        kept: list[tuple[str, str, str] | Pod] = []
        # the pods of one owner (ten replicas, a DaemonSet's pod on every node) fold alike:
        # the owner's stand-in is looked up once per owner (and pod-template-hash)
        targets: dict[tuple[str, str, str, str | None], tuple[str, str, str] | None] = {}
        for entry in self.entries.values():
            model = entry.model
            if not isinstance(model, Pod):
                continue
            h = entry.header
            if h.kind in WORKLOAD_KINDS:
                key = (model.namespace, h.kind, model.name)
                if stand_in(*key) == key:
                    kept.append(key)
                continue
            target = None
            owner = h.owner
            if owner is not None:
                by = (model.namespace, owner.kind, owner.name, model.labels.get(
                    POD_TEMPLATE_HASH_LABEL) if owner.kind == "ReplicaSet" else None)
                if by in targets:
                    target = targets[by]
                else:
                    target = stand_in(model.namespace, owner.kind, owner.name)
                    if target is None and owner.kind == "ReplicaSet":
                        target = self._deployment_of(model, owner.name, stand_in)
                    targets[by] = target
            if target is None:
                kept.append(model)
            else:
                ips.setdefault(target, []).extend(model.ips)
        out: list[Pod] = []
        for item in kept:
            if isinstance(item, Pod):
                out.append(item)
                continue
            template = workloads[item].model
            assert isinstance(template, Pod)
            extra = tuple(dict.fromkeys(ips.get(item, ())))
            out.append(replace(template, ips=extra) if extra else template)
        return out

    @staticmethod
    def _deployment_of(pod: Pod, replica_set: str, stand_in: Any) -> tuple[str, str, str] | None:
        """The given Deployment of a pod whose ReplicaSet is not given, by the name rule
        ``<deployment>-<pod-template-hash>``."""
        suffix = pod.labels.get(POD_TEMPLATE_HASH_LABEL)
        if not suffix or not replica_set.endswith(f"-{suffix}"):
            return None
        result: tuple[str, str, str] | None = stand_in(
            pod.namespace, "Deployment", replica_set[: -len(suffix) - 1])
        return result


def build_cluster(documents: Iterable[tuple[Any, SourceLocation]], *, strict: bool = True,
                  on_invalid: OnInvalid = OnInvalid.REPORT) -> tuple[Cluster, list[Problem]]:
    """Build the cluster model from loaded objects.

    Args:
        documents: (body, location) pairs, e.g. from ``read_documents``; the location's
            ``path`` prefixes field paths (empty for a whole document).
        strict: True: a NetworkPolicy the API server would reject is an error (each of its
            problems). False (the linter, ``--skip-invalid``): it is left out, a warning says
            so, and all its problems are returned.
        on_invalid: STOP raises the first error; REPORT (default) reads every document and
            raises all errors together, sorted by file and line (malformed-but-clear fields
            load with a warning); SKIP leaves each object with an error out, with a warning.
            Documents without apiVersion and kind are skipped and listed in
            ``Cluster.not_kubernetes``.

    Returns:
        The cluster and the NetworkPolicy problems (always empty when ``strict``).

    Raises:
        InputError: an object without meaning: not a mapping, no kind, no metadata.name,
            fields of the wrong type (labels not a mapping, containerPort not an integer);
            :class:`~dtnetpol.errors.InputErrors` when there are several.
    """
    builder = _Builder(strict, on_invalid)
    for body, loc in documents:
        builder.add(body, loc)
    return builder.finish()


@dataclass
class PartialCluster:
    """What :func:`build_partial` made of a run of documents, for :func:`merge_partials`.

    ``events`` are, in input order, the objects to store (header, model) and the warnings
    found while reading them; storing (which drops objects given twice) and assembling need
    the whole input, so they wait for the merge. Picklable, so a worker process can build one.
    """

    events: list[str | tuple[Header, Model]]
    skipped: Counter[str]
    problems: list[Problem]
    errors: list[InputError] = field(default_factory=list)
    not_kubernetes: list[SourceLocation] = field(default_factory=list)


class _Recorder(_Builder):
    """A builder that records what it would store and warn instead of doing it."""

    def __init__(self, strict: bool, on_invalid: OnInvalid = OnInvalid.REPORT) -> None:
        super().__init__(strict, on_invalid)
        self.events: list[str | tuple[Header, Model]] = []

    def _warn(self, text: str) -> None:
        self.events.append(text)

    def _store(self, h: Header, model: Model) -> None:
        self.events.append((h, model))


def build_partial(documents: Iterable[tuple[Any, SourceLocation]], *, strict: bool = True,
                  on_invalid: OnInvalid = OnInvalid.REPORT) -> PartialCluster:
    """The per-document part of :func:`build_cluster` for a run of consecutive documents.

    ``merge_partials`` of the partials of consecutive runs, in order, gives what
    ``build_cluster`` gives for all their documents. Raises what ``build_cluster`` raises
    while reading a document.
    """
    recorder = _Recorder(strict, on_invalid)
    for body, loc in documents:
        recorder.add(body, loc)
    return PartialCluster(recorder.events, recorder.skipped, recorder.problems,
                          recorder.errors, recorder.not_kubernetes)


def merge_partials(parts: Iterable[PartialCluster], *, strict: bool = True,
                   on_invalid: OnInvalid = OnInvalid.REPORT) -> tuple[Cluster, list[Problem]]:
    """The cluster of the documents of ``parts`` (in input order): see :func:`build_partial`."""
    builder = _Builder(strict, on_invalid)
    for part in parts:
        for event in part.events:
            if isinstance(event, str):
                builder._warn(event)
            else:
                builder._store(*event)
        builder.skipped.update(part.skipped)
        builder.problems.extend(part.problems)
        builder.errors.extend(part.errors)
        builder.not_kubernetes.extend(part.not_kubernetes)
    return builder.finish()
