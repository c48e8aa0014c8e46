"""Fuzz: ``rbac``, ``snapshot`` and ``probe``, the commands that read no manifest file.

``rbac`` takes flags only: random values for each (names, namespaces, flags without their
value). ``snapshot`` and ``probe`` read the test API server (:mod:`tests.apiserver`) through the
real client: random flags, and for ``snapshot`` objects with malformed or hostile names added
to the server (a Namespace, a copy of the operator's pod under another pod or container name
with a log, a DynaKube in another namespace), so ``--with-logs`` makes file names of them.
``probe`` runs without ``--yes`` (it reads, plans and prints); one test runs ``--yes``
against the server that plays the kubelet.

Each run: no exception escapes ``main``, exit 0, 1 or 2, an error is one line of dtnetpol's,
nothing printed holds a raw control character, and the sandbox (kubeconfig, a file a link
points at, the working directory, the output folder) is hashed before and after with the
property suite's :func:`~tests.property.test_no_stray_writes.snapshot`: only ``snapshot``
changes anything, only under the folder asked for, only DNS-1123 names, never through a link.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests.apiserver import ApiServer, NoOpenSSL, by_kind, by_path, running_example
from tests.apiserver._probes import ProbeApiServer
from tests.apiserver.fixture import example_server
from tests.fuzz.test_fuzz_cli import HANG_SECONDS, time_limit
from tests.property.test_no_stray_writes import snapshot as digest

from dtnetpol.cli import main
from dtnetpol.probe import PROBE_LABEL
from dtnetpol.safe_text import _UNSAFE

OPERATOR = "dynatrace-operator-w7lpr7pntl-z8lzt"
PODS = by_path("", "v1", "pods")
NAMESPACES = by_path("", "v1", "namespaces")
_ERROR = re.compile(r"dtnetpol( [a-z-]+)?: error: ")
_WRITTEN = re.compile(r"out/[a-z0-9][a-z0-9.-]*(/[a-z0-9][a-z0-9.-]*)*")

# Names a server or a user may give: valid, too long, upper case, paths, controls, unicode.
hostile = st.one_of(
    st.sampled_from(["dynatrace", "shop", "../../../escape", "..", ".", "a/b", "UPPER",
                     "a b", "x" * 300, "\x1b]0;owned\x07", "\x1b[2J", "é", "-x", "a.b",
                     "a..b", ".hidden", "ns-", "logs", "x.log"]),
    st.text(min_size=1, max_size=30),
    st.from_regex(r"[a-z0-9][a-z0-9.-]{0,70}", fullmatch=True),
)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with time_limit(HANG_SECONDS):
        code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def promises(code: int, out: str, err: str) -> None:
    """What every run keeps, whatever it was given."""
    assert code in (0, 1, 2), code
    assert not _UNSAFE.search(out) and not _UNSAFE.search(err), (out, err)
    if code == 2:
        last = err.strip().splitlines()[-1]
        assert _ERROR.match(last), err


def flag(name: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """``name VALUE``, or now and then the flag without its value."""
    return st.one_of(st.tuples(st.just(name), values).map(list),
                     st.just([name]))


def flags(*choices: st.SearchStrategy[list[str]], max_size: int = 6
          ) -> st.SearchStrategy[list[str]]:
    return st.lists(st.one_of(*choices), max_size=max_size).map(
        lambda parts: [a for part in parts for a in part])


# ---------------------------------------------------------------------------------- rbac
RBAC_FLAGS = flags(flag("--name", hostile), flag("--namespace", hostile),
                   flag("--probe-namespace", hostile), st.just(["--diagnose"]),
                   st.just(["--probe"]), st.just(["--bogus"]), st.just(["-o", "json"]))


@settings(suppress_health_check=list(HealthCheck), deadline=None)
@given(argv=RBAC_FLAGS)
def test_fuzz_rbac(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        before = digest(Path(tmp))
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            code, out, err = run(["rbac", *argv])
        finally:
            os.chdir(cwd)
        assert digest(Path(tmp)) == before
    promises(code, out, err)
    event(f"rbac exit {code}")
    if code == 0:
        assert "kind: ClusterRole" in out


# ------------------------------------------------------------------------------ live ones
@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    with example_server() as srv:
        srv.store.logs[("dynatrace", OPERATOR, "operator")] = [
            (dt.datetime.now(dt.UTC), "operator line")]
        yield srv


CLUSTER_FLAGS = (
    flag("--context", st.sampled_from(["test-cluster", "nope", "", "\x1b[2J"])),
    flag("--request-timeout", st.sampled_from(["5s", "1m", "0", "-1s", "banana", "1e9h"])),
    flag("--chunk-size", st.sampled_from(["1", "7", "500", "0", "-3", "x", "99999999999"])),
)
SNAPSHOT_FLAGS = flags(
    st.just(["--with-logs"]), st.just(["--with-logs"]), st.just(["--force"]), st.just(["-q"]),
    flag("--log-lines", st.sampled_from(["1", "5", "0", "-1", "x", "10000000000"])),
    flag("--since", st.sampled_from(["30m", "2h", "0s", "-1h", "banana", "9999999h", ""])),
    *CLUSTER_FLAGS)


@st.composite
def hostile_objects(draw: st.DrawFn, server: ApiServer) -> list[dict[str, Any]]:
    """Objects to add to the server: names and namespaces from :data:`hostile`."""
    found: list[dict[str, Any]] = []
    operator = server.store.get(PODS, "dynatrace", OPERATOR)
    assert operator is not None
    for what in draw(st.lists(st.sampled_from(["namespace", "pod", "container", "dynakube"]),
                              max_size=3, unique=True)):
        if what == "namespace":
            found.append({"apiVersion": "v1", "kind": "Namespace",
                          "metadata": {"name": draw(hostile)}})
        elif what in ("pod", "container"):
            pod = copy.deepcopy(operator)
            for key in ("uid", "resourceVersion"):
                pod["metadata"].pop(key, None)
            if what == "pod":
                pod["metadata"]["name"] = draw(hostile)
            else:
                pod["metadata"]["name"] = OPERATOR + "-x"
                pod["spec"]["containers"].append({"name": draw(hostile), "image": "x:1"})
            found.append(pod)
        else:
            found.append({"apiVersion": "dynatrace.com/v1beta5", "kind": "DynaKube",
                          "metadata": {"name": draw(hostile), "namespace": draw(hostile)},
                          "spec": {"apiUrl": "https://abc12345.live.dynatrace.com/api"}})
    return found


def _remove(server: ApiServer, obj: dict[str, Any]) -> None:
    meta = obj["metadata"]
    server.store.remove(by_kind(obj["apiVersion"], obj["kind"]), meta.get("namespace", ""),
                        meta["name"])


def sandbox(root: Path, prepared: str) -> Path:
    """``root/outside.txt``, ``root/cwd`` and ``root/out``: missing, empty, holding a file,
    or holding links (to ``outside.txt``, dangling, and ``logs`` to ``root/cwd``)."""
    (root / "outside.txt").write_text("not dtnetpol's\n", encoding="utf-8")
    (root / "cwd").mkdir()
    out = root / "out"
    if prepared != "missing":
        out.mkdir()
    if prepared == "file":
        (out / "01-namespaces.json").write_text("mine\n", encoding="utf-8")
    elif prepared == "links":
        (out / "03-pods.json").symlink_to(root / "outside.txt")
        (out / "snapshot.txt").symlink_to(root / "nowhere.txt")
        (out / "logs").symlink_to(root / "cwd")
    return out


@settings(max_examples=12, suppress_health_check=list(HealthCheck), deadline=None)
@given(data=st.data(), argv=SNAPSHOT_FLAGS,
       prepared=st.sampled_from(["missing", "empty", "file", "links"]))
def test_fuzz_snapshot(server: ApiServer, data: st.DataObject, argv: list[str],
                       prepared: str) -> None:
    added = data.draw(hostile_objects(server))
    stored: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out = sandbox(root, prepared)
        kubeconfig = server.kubeconfig(root / "kubeconfig")
        try:
            for obj in added:
                stored.append(server.store.add(copy.deepcopy(obj)))
                if obj["kind"] == "Pod":
                    meta = obj["metadata"]
                    for c in obj["spec"]["containers"]:
                        server.store.logs[(meta["namespace"], meta["name"], c["name"])] = [
                            (dt.datetime.now(dt.UTC), "a line")]
            before = digest(root)
            cwd = os.getcwd()
            os.chdir(root / "cwd")
            try:
                code, stdout, err = run(["snapshot", "--kubeconfig", str(kubeconfig),
                                         "--out", str(out), *argv])
            finally:
                os.chdir(cwd)
            after = digest(root)
        finally:
            for obj in stored:
                _remove(server, obj)
    promises(code, stdout, err)
    event(f"snapshot exit {code}, {prepared}")
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    if code != 0:
        assert changed == set(), changed    # everything is checked before the first write
        return
    for entry in changed:
        assert entry == "out" or _WRITTEN.fullmatch(entry), entry
        assert not before.get(entry, "").startswith("link:"), entry
        if entry in before and entry != "out" and not before[entry].startswith("dir"):
            assert "--force" in argv, f"{entry} replaced without --force"
    assert after["outside.txt"] == before["outside.txt"]
    assert after["kubeconfig"] == before["kubeconfig"]


PROBE_FLAGS = flags(
    flag("--flow", st.sampled_from(["operator-to-tenant", "dns-from-operator",
                                    "webhook-to-apiserver", "nope", "", "\x1b[2J"]) | hostile),
    st.just(["--dry-run"]), st.just(["--ephemeral"]), st.just(["-q"]), st.just(["-v"]),
    flag("--image", st.sampled_from(["busybox:1.36", "", "a b", "\x1b[2J"]) | hostile),
    flag("--timeout", st.sampled_from(["1", "75", "0", "-5", "x", "1e999"])),
    flag("-o", st.sampled_from(["table", "json", "yaml"])),
    flag("--platform", st.sampled_from(["kind", "eks", "openshift", "x"])),
    flag("--operator-namespace", hostile), flag("--apiserver", st.sampled_from(
        ["10.0.0.1:6443", ":443", "banana", "10.0.0.1:99999"])),
    st.just(["--skip-invalid"]), *CLUSTER_FLAGS)


@settings(max_examples=12, suppress_health_check=list(HealthCheck), deadline=None)
@given(argv=PROBE_FLAGS, plan=st.sampled_from([["--dry-run", "--skip-invalid"]] * 3 + [[]]))
def test_fuzz_probe_without_yes(server: ApiServer, argv: list[str], plan: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kubeconfig = server.kubeconfig(root / "kubeconfig")
        requests = len(server.requests)
        before = digest(root)
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            code, out, err = run(["probe", "--kubeconfig", str(kubeconfig), *plan, *argv])
        finally:
            os.chdir(cwd)
        assert digest(root) == before
    promises(code, out, err)
    event(f"probe exit {code}")
    # without --yes nothing is written to the cluster
    assert {r.method for r in server.requests[requests:]} <= {"GET"}


@settings(max_examples=2, suppress_health_check=list(HealthCheck), deadline=None)
@given(image=st.sampled_from(["busybox:1.36", "a b", "\x1b[2J"]) | hostile,
       flow=st.sampled_from(["operator-to-tenant", "dns-from-operator", "nope"]))
def test_fuzz_probe_with_yes(tmp_path_factory: pytest.TempPathFactory, image: str,
                             flow: str) -> None:
    objects, groups = running_example()
    try:
        srv = ProbeApiServer(objects, installed=groups,
                             kubelet=lambda pod: "connected").start()
    except NoOpenSSL as e:
        pytest.skip(f"no test API server: {e}")
    try:
        kubeconfig = srv.kubeconfig(tmp_path_factory.mktemp("probe") / "kubeconfig")
        code, out, err = run(["probe", "--yes", "--kubeconfig", str(kubeconfig),
                              "--skip-invalid", "--timeout", "20", "--flow", flow,
                              "--image", image])
        promises(code, out, err)
        # whatever happened, nothing the probe created is left behind
        assert not [p for p in srv.live("Pod")
                    if PROBE_LABEL in (p["metadata"].get("labels") or {})]
    finally:
        srv.stop()
