"""The fast Pod reader of live pages gives what the generic reader gives, or leaves the pod to it.

Random pods, mostly as the API returns them, with the oddities inputs carry: names the API
server rejects, null label values, owners without kind, ports without numbers or as strings,
protocols in lowercase, init containers that are sidecars, fields of the wrong type. For each
pod: when the fast reader answers, the generic reader (``parse_header`` + ``parse_pod``) reads
the same header and pod without a note; when the generic reader reads it cleanly and the pod
has none of the quirks the fast reader leaves to it, the fast reader answers. Whole pages go
through ``load_live`` both ways (bodies kept, or read page by page) to the same cluster, the
same warnings and the same one-line errors.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import example, given, note, settings
from hypothesis import strategies as st

from dtnetpol.errors import InputError
from dtnetpol.manifest._fields import root
from dtnetpol.manifest.fast_pods import PodReader
from dtnetpol.manifest.objects import parse_header, parse_pod
from dtnetpol.model.location import SourceLocation
from dtnetpol.sources.cluster import (
    READS,
    Listed,
    LiveRead,
    _parsed_page,
    _pod_models,
    _pod_pages,
    _typed,
    load_live,
)

PODS = next(r for r in READS if r.kind == "Pod")
LOC = SourceLocation("cluster:test/shop/Pod/p")

#: Values of the wrong type for any field.
WRONG_TYPES = [1, True, 2.5, [], {}, ["x"], {"a": 1}]
WRONG_TYPE = st.sampled_from(WRONG_TYPES)


def mostly(good: st.SearchStrategy[Any], *odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` nine times in ten, else one of ``odd`` (or a value of the wrong type)."""
    return st.integers(0, 9).flatmap(
        lambda n: good if n else st.one_of(*odd, WRONG_TYPE))


names = mostly(st.sampled_from(["web-7d9c5f6b8d-x2k4p", "db-0", "a", "a.b-c", "x" * 253]),
               st.sampled_from(["", "My_Pod", "-x", "x" * 254, "a..b"]))
label_values = mostly(st.sampled_from(["web", "v1", "", "a.b_c"]), st.none())
labels = mostly(st.dictionaries(st.sampled_from(["app", "tier", "app.kubernetes.io/name",
                                                 "pod-template-hash"]),
                                label_values, max_size=4), st.none())
owner = st.fixed_dictionaries(
    {"kind": mostly(st.sampled_from(["ReplicaSet", "DaemonSet", "StatefulSet", "Node"]),
                    st.just(""), st.none()),
     "name": mostly(st.sampled_from(["web-7d9c5f6b8d", "db", "node-1"]), st.just(""),
                    st.none()),
     "apiVersion": st.just("apps/v1")},
    optional={"controller": mostly(st.booleans(), st.none())})
owners = mostly(st.lists(mostly(owner, st.none()), max_size=3), st.none())
port = st.fixed_dictionaries(
    {"containerPort": mostly(st.sampled_from([80, 8080, 1, 65535]), st.sampled_from(
        [0, 70000, "http", 80.0]), st.none())},
    optional={"protocol": mostly(st.sampled_from(["TCP", "UDP", "SCTP"]),
                                 st.sampled_from(["tcp", ""]), st.none()),
              "name": mostly(st.sampled_from(["http", "metrics"]), st.just(""), st.none())})
container = st.fixed_dictionaries(
    {"name": st.just("c")},
    optional={"ports": mostly(st.lists(mostly(port, st.none()), max_size=3), st.none()),
              "restartPolicy": mostly(st.sampled_from(["Always", "OnFailure"]), st.none())})
containers = mostly(st.lists(mostly(container, st.none()), max_size=3), st.none())
ip_entry = mostly(st.fixed_dictionaries({"ip": mostly(st.sampled_from(["10.0.0.1", "fd00::1"]),
                                                      st.just(""), st.none())}), st.none())
status = mostly(
    st.fixed_dictionaries({}, optional={
        "podIPs": mostly(st.lists(ip_entry, max_size=2), st.none()),
        "podIP": mostly(st.sampled_from(["10.0.0.9", ""]), st.none()),
        "phase": st.just("Running")}),
    st.none())
maybe_str = mostly(st.sampled_from(["default", "node-1", ""]), st.none())


@st.composite
def pods(draw: st.DrawFn) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key, values in (("name", names), ("namespace", mostly(
            st.sampled_from(["shop", "kube-system"]), st.just(""), st.none())),
            ("labels", labels),
            ("annotations", labels), ("ownerReferences", owners)):
        if draw(st.booleans()) or key == "name":
            meta[key] = draw(values)
    spec: dict[str, Any] = {}
    for key, values in (("containers", containers), ("initContainers", containers),
                        ("hostNetwork", mostly(st.booleans(), st.none())),
                        ("nodeName", maybe_str), ("serviceAccountName", maybe_str),
                        ("serviceAccount", maybe_str)):
        if draw(st.booleans()):
            spec[key] = draw(values)
    pod: dict[str, Any] = {"metadata": draw(mostly(st.just(meta), st.none())),
                           "spec": draw(mostly(st.just(spec), st.none()))}
    if draw(st.booleans()):
        pod["status"] = draw(status)
    return pod


@st.composite
def plain_pods(draw: st.DrawFn) -> dict[str, Any]:
    """A pod as the API returns it, without oddities (the fast reader reads every one)."""
    ports = st.lists(st.fixed_dictionaries(
        {"containerPort": st.sampled_from([53, 80, 8080])},
        optional={"protocol": st.sampled_from(["TCP", "UDP"]),
                  "name": st.sampled_from(["http", "dns"])}), max_size=2)
    container = st.fixed_dictionaries({"name": st.just("c")}, optional={"ports": ports})
    init = st.fixed_dictionaries({"name": st.just("i")}, optional={
        "ports": ports, "restartPolicy": st.sampled_from(["Always", "OnFailure"])})
    owner = st.fixed_dictionaries({"kind": st.sampled_from(["ReplicaSet", "DaemonSet", "Node"]),
                                   "name": st.sampled_from(["web-5d8f", "node-1"])},
                                  optional={"controller": st.booleans()})
    return {
        "metadata": draw(st.fixed_dictionaries(
            {"name": st.sampled_from(["web-5d8f-x2k4p", "db-0"])},
            optional={"namespace": st.sampled_from(["shop", ""]),
                      "labels": st.dictionaries(st.sampled_from(["app", "tier"]),
                                                st.sampled_from(["web", ""]), max_size=2),
                      "annotations": st.dictionaries(st.just("a"), st.just("b")),
                      "ownerReferences": st.lists(owner, max_size=2)})),
        "spec": draw(st.fixed_dictionaries({}, optional={
            "containers": st.lists(container, max_size=2),
            "initContainers": st.lists(init, max_size=2),
            "hostNetwork": st.booleans(), "nodeName": st.just("node-1"),
            "serviceAccountName": st.sampled_from(["", "app"]),
            "serviceAccount": st.just("old")})),
        "status": draw(st.fixed_dictionaries({"phase": st.just("Running")}, optional={
            "podIPs": st.lists(st.fixed_dictionaries({"ip": st.just("10.0.0.1")}), max_size=2),
            "podIP": st.sampled_from(["10.0.0.9", ""])})),
    }


_PORT = {"name": "c", "ports": [{"containerPort": 80}]}
#: (field path, odd values): one of them put into a plain pod.
ODD_FIELDS: list[tuple[tuple[str, ...], list[Any]]] = [
    (("metadata",), [None]),
    (("spec",), [None]),
    (("status",), [None]),
    (("metadata", "name"), ["", "My_Pod", "-x", "x" * 254, "a..b", None]),
    (("metadata", "namespace"), [None]),
    (("metadata", "labels"), [None, {"app": None}, {"app": 1}, {"app": ["x"]}]),
    (("metadata", "annotations"), [None, {"a": None}, {"a": 1}]),
    (("metadata", "ownerReferences"), [
        None, [None], [{"kind": "", "name": "x"}], [{"kind": "ReplicaSet"}],
        [{"kind": "ReplicaSet", "name": "x", "controller": "yes"}],
        [{"kind": 1, "name": "x"}]]),
    (("spec", "containers"), [
        None, [None], [{**_PORT, "ports": None}], [{**_PORT, "ports": [None]}],
        [{**_PORT, "ports": [{}]}], [{**_PORT, "ports": [{"containerPort": 0}]}],
        [{**_PORT, "ports": [{"containerPort": 65536}]}],
        [{**_PORT, "ports": [{"containerPort": "80"}]}],
        [{**_PORT, "ports": [{"containerPort": True}]}],
        [{**_PORT, "ports": [{"containerPort": 80.0}]}],
        [{**_PORT, "ports": [{"containerPort": 80, "protocol": "tcp"}]}],
        [{**_PORT, "ports": [{"containerPort": 80, "protocol": ""}]}],
        [{**_PORT, "ports": [{"containerPort": 80, "protocol": ["TCP"]}]}],
        [{**_PORT, "ports": [{"containerPort": 80, "name": 5}]}],
        [{**_PORT, "ports": {"containerPort": 80}}]]),
    (("spec", "initContainers"), [
        None, [None], [{**_PORT, "restartPolicy": 5}],
        [{**_PORT, "restartPolicy": "Always", "ports": [{"containerPort": 0}]}],
        [{**_PORT, "restartPolicy": "OnFailure", "ports": [{"containerPort": 0}]}]]),
    (("spec", "hostNetwork"), [None, "true"]),
    (("spec", "nodeName"), [None, ""]),
    (("spec", "serviceAccountName"), [None, ""]),
    (("spec", "serviceAccount"), [None, ""]),
    (("status", "podIPs"), [None, [None], [{"ip": ""}], [{}], [{"ip": None}]]),
    (("status", "podIP"), [None, ""]),
]


def _with(pod: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    parent = pod
    for key in path[:-1]:
        if not isinstance(parent.get(key), dict):
            parent[key] = {}
        parent = parent[key]
    parent[path[-1]] = value
    return pod


def _quirks(pod: dict[str, Any]) -> bool:
    """Whether the pod has what the generic reader reads silently and the fast one leaves to
    it: a null label or annotation value, a null container."""
    meta, spec = pod.get("metadata"), pod.get("spec")
    maps = [meta.get(k) for k in ("labels", "annotations")] if isinstance(meta, dict) else []
    lists = [spec.get(k) for k in ("containers", "initContainers")] \
        if isinstance(spec, dict) else []
    return any(isinstance(m, dict) and None in m.values() for m in maps) or \
        any(isinstance(c, list) and None in c for c in lists)


def _generic(pod: dict[str, Any]) -> tuple[Any, list[Any]] | None:
    """(header, pod) and the notes of the generic reader in lenient mode; None on an error."""
    top = root({"apiVersion": "v1", "kind": "Pod", **pod}, LOC)
    notes: list[tuple[SourceLocation, str]] = []
    try:
        header = parse_header(top, "Pod", "v1", notes)
        return (header, parse_pod(header, top, notes)), notes
    except InputError:
        return None


@given(st.one_of(pods(), plain_pods()))
@example({"metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"},
                       "ownerReferences": [{"kind": "ReplicaSet", "name": "web-1a"},
                                           {"kind": "Node", "name": "n", "controller": True}]},
          "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80,
                                                           "name": "http"}]}],
                   "initContainers": [{"name": "s", "restartPolicy": "Always",
                                       "ports": [{"containerPort": 9090, "protocol": "UDP"}]}],
                   "serviceAccountName": "", "serviceAccount": "legacy"},
          "status": {"podIPs": [], "podIP": "10.0.0.9"}})
@example({"metadata": {"name": "p", "labels": {"app": None}}, "spec": {}})
@example({"metadata": {"name": "p"}, "spec": {"containers": [{"ports": [{}]}]}})
def test_fast_reader_reads_what_the_generic_reader_reads(pod: dict[str, Any]) -> None:
    _agree(pod)


def _agree(pod: dict[str, Any]) -> None:
    """The fast reader reads the pod as the generic reader does, or leaves it to it when it
    is odd."""
    fast = PodReader().read(pod, LOC)
    generic = _generic(pod)
    note(f"fast: {fast!r}")
    note(f"generic: {generic!r}")
    if fast is not None:
        assert generic is not None, "the fast reader read a pod the generic reader rejects"
        (header, model), notes = generic
        assert notes == [], "the fast reader read a pod the generic reader warns about"
        assert fast == (header, model)
        assert fast[1].location == model.location
        assert dict(fast[1].labels) == dict(model.labels)
    else:
        clean = generic is not None and not generic[1]
        assert not clean or _quirks(pod), "the fast reader left a plain pod to the generic one"


@pytest.mark.parametrize(("path", "value"), [
    (path, value) for path, odd in ODD_FIELDS for value in odd + WRONG_TYPES])
@settings(max_examples=15)
@given(pod=plain_pods())
def test_one_odd_field_is_read_as_the_generic_reader_reads_it(
        pod: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    _agree(_with(pod, path, value))


def test_pods_of_one_owner_share_labels_owner_and_ports() -> None:
    reader = PodReader()
    body = {"metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"},
                         "ownerReferences": [{"kind": "ReplicaSet", "name": "web-1a",
                                              "controller": True}]},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}}
    first = reader.read(body, LOC)
    second = reader.read({**body, "metadata": {**body["metadata"], "name": "web-2",
                                               "labels": {"app": "web"}}}, LOC)
    assert first is not None and second is not None
    assert first[1].labels is second[1].labels
    assert first[1].owner is second[1].owner and first[0].owner is second[0].owner
    assert first[1].ports is second[1].ports


def _live(items: list[Any], bodies: bool) -> LiveRead:
    live = LiveRead("test", "https://127.0.0.1", {}, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    if bodies:
        live.lists.append(Listed(PODS, "v1", [_typed(i, "v1", "Pod") for i in items]))
    else:
        live.lists.append(Listed(PODS, "v1", [], list(map(_pod_models(live, "v1"), items))))
    return live


def _outcome(items: list[Any], bodies: bool, strict: bool) -> Any:
    try:
        cluster, problems = load_live(_live(items, bodies), strict=strict)
    except InputError as e:
        return "error", str(e)
    return cluster, [str(p) for p in problems]


@given(st.lists(pods(), max_size=6), st.booleans())
def test_a_page_read_page_by_page_loads_as_its_bodies_load(items: list[dict[str, Any]],
                                                          strict: bool) -> None:
    """Same cluster (pods in order, owners folded, warnings for pods given twice and for
    names the API server rejects) and the same errors, with or without the bodies."""
    items = [{**i, "metadata": {**i["metadata"], "name": f"p{n % 3}"}}
             if isinstance(i.get("metadata"), dict) and n % 2 else i
             for n, i in enumerate(items)]  # some names repeat: "given twice"
    with_bodies = _outcome(items, True, strict)
    page_by_page = _outcome(items, False, strict)
    assert page_by_page == with_bodies
    if not isinstance(with_bodies[0], str):
        assert [p.location for p in page_by_page[0].pods] == \
            [p.location for p in with_bodies[0].pods]


def test_documents_of_a_read_without_bodies_is_refused() -> None:
    with pytest.raises(RuntimeError, match="no bodies"):
        list(_live([{"metadata": {"name": "p"}, "spec": {}}], False).documents())


# ------------------------------------------------------------------ pages decoded in part
def _page_bytes(items: Any, token: Any, extra: bool) -> bytes:
    """A list page as the API sends it; ``extra``: with the fields the fast reader never
    reads (managedFields, conditions, container specs), which are skipped, not built."""
    if extra and isinstance(items, list):
        items = [{**i, "metadata": {**i["metadata"], "managedFields": [
                     {"manager": "kubelet", "fieldsV1": {"f:status": {"f:podIP": {}}}}]},
                  "spec": {**i["spec"], "dnsPolicy": "ClusterFirst"},
                  "status": {**(i.get("status") or {}), "conditions": [{"type": "Ready"}]}}
                 if isinstance(i, dict) and isinstance(i.get("metadata"), dict)
                 and isinstance(i.get("spec"), dict)
                 and isinstance(i.get("status"), dict | None) else i for i in items]
    meta = {"resourceVersion": "7"} if token is None else {"continue": token}
    return json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": meta,
                       "items": items}).encode()


def _read_both(body: bytes) -> tuple[Any, Any]:
    live = _live([], False)
    return _pod_pages(live, "v1")(body), _parsed_page(_pod_models(live, "v1"))(body)


@given(st.lists(st.one_of(pods(), plain_pods()), max_size=6),
       st.one_of(st.none(), st.just(""), st.just("tok-1")), st.booleans())
@example([{"metadata": {"name": "p"}, "spec": {"containers": [None]}}], "t", False)
@example([{"metadata": {"name": "p", "namespace": 5}, "spec": {}}], None, True)
def test_a_page_decoded_in_part_reads_as_the_page_parsed_whole(
        items: list[dict[str, Any]], token: Any, extra: bool) -> None:
    """Decoding only the fields read (or falling back to the whole parse, for the page or for
    one item) gives the same items, locations and continue token as parsing the page whole."""
    body = _page_bytes(items, token, extra)
    (got, got_token), (want, want_token) = _read_both(body)
    assert got == want
    assert got_token == want_token
    assert [x[1].location if isinstance(x, tuple) else None for x in got] == \
        [x[1].location if isinstance(x, tuple) else None for x in want]


@pytest.mark.parametrize("body", [
    b'{"items": null, "metadata": {}}', b'{"items": {}, "metadata": null}',
    b'{"items": [], "metadata": {"continue": 5}}', b'{"items": [null]}',
    b'{"items": [{"metadata": "x", "spec": {}}]}',
    b'{"items": [{"metadata": {"name": "a"}, "spec": {"containers": {"a": 1}}}]}',
    b'{"items": [{"metadata": {"name": "a", "labels": {"x": 1e400}}, "spec": {}}]}',
    b'{"items": [{"metadata": {"name": "a"}, "spec": {"containers": [{"ports": '
    b'[{"containerPort": 123456789012345678901234567890}]}]}}]}',
])
def test_odd_pages_read_as_the_page_parsed_whole(body: bytes) -> None:
    try:
        want: Any = _parsed_page(_pod_models(_live([], False), "v1"))(body)
    except ValueError as e:  # what a whole parse refuses, the partial read refuses alike
        with pytest.raises(type(e)):
            _read_both(body)
        return
    got, _ = _read_both(body)
    assert got == want


def test_the_fast_makers_make_what_the_constructors_make() -> None:
    """Header, Pod and locations made by the fast reader's makers equal (and hash, order,
    pickle as) what their own constructors make, from every field of theirs."""
    import dataclasses
    import inspect
    import pickle

    from dtnetpol.manifest import fast_pods
    from dtnetpol.manifest.objects import Header
    from dtnetpol.model.cluster import Pod, WorkloadRef

    for maker, cls in ((fast_pods._make_pod, Pod), (fast_pods._make_header, Header)):
        assert list(inspect.signature(maker).parameters) == \
            [f.name for f in dataclasses.fields(cls)]
        assert not hasattr(cls, "__post_init__")
    assert [f.name for f in dataclasses.fields(SourceLocation)] == \
        ["file", "document", "line", "path"]
    loc = fast_pods.located("cluster:c/shop/Pod/p")
    assert loc == SourceLocation("cluster:c/shop/Pod/p") and \
        hash(loc) == hash(SourceLocation("cluster:c/shop/Pod/p"))
    assert not loc < SourceLocation("cluster:c/shop/Pod/p")
    values = {"namespace": "shop", "name": "p", "owner": WorkloadRef("shop", "w", "ReplicaSet"),
              "labels": {"app": "w"}, "ports": (), "host_network": False, "ips": ("10.0.0.1",),
              "node": "n", "location": loc, "service_account": None}
    made = fast_pods._make_pod(**values)
    assert made == Pod(**values) and hash(made) == hash(Pod(**values))
    assert pickle.loads(pickle.dumps(made)) == made
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.name = "q"  # type: ignore[misc]
    header = {"api_version": "v1", "kind": "Pod", "name": "p", "namespace": "shop",
              "labels": {}, "owner": None, "loc": loc}
    assert fast_pods._make_header(**header) == Header(**header)


def test_a_number_out_of_range_in_a_field_not_read_is_skipped() -> None:
    """By design (README, Live-shaped L): orjson refuses a page with ``1e400`` anywhere; the
    partial decoding skips it where live mode does not read, and reads the pod."""
    body = (b'{"items": [{"metadata": {"name": "p", "namespace": "shop", "resourceVersion": '
            b'1e400}, "spec": {}, "status": {"podIP": "10.0.0.1"}}]}')
    with pytest.raises(ValueError, match="infinity"):
        _parsed_page(_pod_models(_live([], False), "v1"))(body)
    want, _ = _parsed_page(_pod_models(_live([], False), "v1"))(body.replace(b"1e400", b"1"))
    got, token = _pod_pages(_live([], False), "v1")(body)
    assert got == want and token is None
    assert isinstance(got[0], tuple) and got[0][1].ips == ("10.0.0.1",)
