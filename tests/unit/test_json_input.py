"""JSON manifests go through the JSON parser, never through YAML; what is reported keeps its
lines (found by a scan of the JSON text, ``sources/json_marks.py``)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.cli_run import run

from dtnetpol.errors import InputError
from dtnetpol.manifest.marks import MarkedList, MarkedMap
from dtnetpol.sources import load_cluster, yaml_fast, yaml_load
from dtnetpol.sources.yaml_load import iter_documents, read_documents

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cluster"


@pytest.fixture
def no_yaml(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every way input reaches PyYAML or yaml_rs, recorded: the marked loader's reader, the
    compiled parser, and the loader classes (any ``yaml.load``) given JSON or a stream."""
    used: list[str] = []
    orig_parse = yaml_load._parse

    def parse(text: str, *args: Any) -> Any:
        used.append(f"_parse {text[:40]!r}")
        return orig_parse(text, *args)

    def loader_init(name: str, orig: Any) -> Any:
        def init(self: Any, stream: Any) -> None:
            # a kubeconfig, a snapshot's snapshot.txt, the test server's examples are YAML
            if str(getattr(stream, "name", "")).endswith(".json") or (
                    isinstance(stream, str) and stream.lstrip()[:1] in ("{", "[")):
                used.append(f"{name} {getattr(stream, 'name', stream)!s:.80}")
            orig(self, stream)
        return init

    monkeypatch.setattr(yaml_load, "_parse", parse)
    for cls in {yaml.SafeLoader, yaml.Loader, yaml.FullLoader, yaml.BaseLoader,
                getattr(yaml, "CSafeLoader", yaml.SafeLoader),
                getattr(yaml, "CLoader", yaml.Loader)}:
        monkeypatch.setattr(cls, "__init__", loader_init(cls.__name__, cls.__init__))
    orig_run = yaml_fast.parse_run

    def parse_run(*args: Any) -> Any:
        used.append("yaml_rs")
        return orig_run(*args)

    monkeypatch.setattr(yaml_fast, "parse_run", parse_run)
    return used


def _as_json(tmp_path: Path) -> tuple[Path, Path]:
    """examples/cluster as JSON Lists, and the same bytes under *.yaml names."""
    js, ym = tmp_path / "json", tmp_path / "yaml"
    js.mkdir()
    ym.mkdir()
    for p in sorted(EXAMPLE.rglob("*.yaml")):
        if "invalid" in p.parts:
            continue
        docs = [d for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d is not None]
        text = json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}, indent=2)
        name = str(p.relative_to(EXAMPLE)).replace("/", "_").removesuffix(".yaml")
        (js / f"{name}.json").write_text(text, encoding="utf-8")
        (ym / f"{name}.yaml").write_text(text, encoding="utf-8")
    return js, ym


def test_json_workloads_skip_yaml_and_build_the_same_cluster(tmp_path: Path) -> None:
    js, ym = _as_json(tmp_path)
    fast = {d.file: type(d.body) for d in iter_documents([str(js)], fast_json=True)}
    assert dict in fast.values()                   # pods and workloads: the JSON parser
    assert any(t is not dict for t in fast.values())   # policies: YAML, with their lines
    a, _ = load_cluster([str(js)])
    b, _ = load_cluster([str(ym)])
    assert a.pods == b.pods
    assert [p.ref for p in a.policies] == [p.ref for p in b.policies]
    lines = [(r.location.line, r.location.path) for p in a.policies for r in p.ingress
             if r.location is not None]
    assert lines and lines == [(r.location.line, r.location.path) for p in b.policies
                               for r in p.ingress if r.location is not None]


def _deployment(replicas: object) -> str:
    return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": "web", "namespace": "shop"},
                       "spec": {"replicas": replicas,
                                "selector": {"matchLabels": {"app": "web"}},
                                "template": {"metadata": {"labels": {"app": "web"}},
                                             "spec": {"containers": [{"name": "c"}]}}}},
                      indent=2)


@pytest.mark.parametrize("text", [
    _deployment(1).replace('"name": "web"', '"name": 5'),        # a field error
    _deployment(1).replace('"name": "web"', '"name": "web", "name": "web2"'),   # duplicate
    _deployment(1)[:-3],                                         # syntax error
])
def test_json_errors_are_the_yaml_readers_with_their_lines(no_yaml: list[str], tmp_path: Path,
                                                           text: str) -> None:
    json_file = tmp_path / "in.json"
    json_file.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as fast:
        load_cluster([str(json_file)])
    try:
        json.loads(text)
    except ValueError:   # not JSON: the YAML reader tells where the error is
        assert no_yaml
    else:
        assert no_yaml == []
    no_yaml.clear()
    yaml_file = tmp_path / "in.yaml"
    yaml_file.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as slow:
        load_cluster([str(yaml_file)])
    assert str(fast.value).replace("in.json", "in.yaml") == str(slow.value)
    assert fast.value.location is not None and fast.value.location.line is not None


@pytest.mark.parametrize("text", [
    '{"apiVersion": "v1", "kind": ["List"], "items": []}',               # kind a list
    '{"apiVersion": "v1", "kind": 7, "metadata": {"name": "x"}}',         # kind a number
    '{"apiVersion": "v1", "kind": "List", "items": [{"kind": ["Pod"]}]}',  # an item's kind
])
def test_json_with_a_kind_that_is_not_a_string_is_an_input_error(tmp_path: Path,
                                                                 text: str) -> None:
    """A fuzz find: a non-string ``kind`` crashed the JSON reader (AttributeError,
    unhashable list); it is now read by YAML and reported like any other malformed kind."""
    json_file = tmp_path / "in.json"
    json_file.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_cluster([str(json_file)])
    assert "in.json" in str(error.value)


def _folder(tmp_path: Path, suffix: str) -> Path:
    """examples/cluster (its invalid policy too) as kubectl-style JSON Lists (``indent=4``),
    with one Deployment's port the API server rejects and a Namespace given twice; the files
    named ``*.json`` or (the same bytes) ``*.yaml``."""
    out = tmp_path / f"in-{suffix}"
    out.mkdir()
    broken = False
    for p in sorted(EXAMPLE.rglob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d is not None]
        for d in docs:
            if d.get("kind") == "Deployment" and not broken:
                d["spec"]["template"]["spec"]["containers"][0]["ports"] = [
                    {"containerPort": 0}]
                broken = True
        name = str(p.relative_to(EXAMPLE)).replace("/", "_").removesuffix(".yaml")
        text = json.dumps({"apiVersion": "v1", "items": docs, "kind": "List",
                           "metadata": {"resourceVersion": ""}}, indent=4)
        (out / f"{name}.{suffix}").write_text(text + "\n", encoding="utf-8")
    assert broken
    return out


@pytest.mark.parametrize("argv", [
    ("check", "DIR"),                          # errors: the port, the invalid policy
    ("check", "--skip-invalid", "DIR"),        # the same as warnings, and the findings
    ("lint", "DIR"),                           # the linter's path (bodies kept)
    ("lint", "-o", "json", "DIR"),
    ("connlist", "--skip-invalid", "DIR"),
])
def test_reported_json_never_reaches_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          no_yaml: list[str], argv: tuple[str, ...]) -> None:
    """JSON workloads, namespaces and policies with errors, warnings and findings: every
    message with its line, as the YAML reader gives them, and YAML never used."""
    monkeypatch.chdir(tmp_path)   # no settings file found upward
    js, ym = _folder(tmp_path, "json"), _folder(tmp_path, "yaml")
    no_yaml.clear()   # (the examples were read through YAML to be written as JSON)
    got = run(*(str(js.name) if a == "DIR" else a for a in argv))
    assert no_yaml == []
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    want = run(*(str(ym.name) if a == "DIR" else a for a in argv))
    assert "in-yaml/" in want[1] + want[2]   # something was reported, with its file
    assert (got[0], got[1].replace(".json", ".yaml").replace("in-json", "in-yaml"),
            got[2].replace(".json", ".yaml").replace("in-json", "in-yaml")) == want


def test_json_on_stdin_never_reaches_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          no_yaml: list[str]) -> None:
    js = _folder(tmp_path, "json")
    no_yaml.clear()
    (broken,) = [p for p in js.iterdir() if '"containerPort": 0' in p.read_text("utf-8")]
    text = broken.read_text(encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    got = run("check", "--dynakube", str(js / "dynakube.json"), "-")
    assert no_yaml == []
    assert "<stdin>:" in got[2], got
    line = int(got[2].split("<stdin>:")[1].split(":")[0])
    assert '"containerPort": 0' in text.splitlines()[line - 1]


def test_read_documents_gives_json_every_mark_without_yaml(tmp_path: Path,
                                                           no_yaml: list[str]) -> None:
    js = _folder(tmp_path, "json")
    no_yaml.clear()
    (doc,) = read_documents([str(js / "shop.json")])
    assert no_yaml == []
    items = doc.body["items"]
    assert type(doc.body) is MarkedMap and type(items) is MarkedList
    text = (js / "shop.json").read_text(encoding="utf-8").splitlines()
    for item, line in zip(items, items.item_lines, strict=True):
        assert text[line - 1].strip() == "{"
        assert text[item.key_lines["kind"] - 1].strip() == f'"kind": "{item["kind"]}",'


@pytest.mark.parametrize(("text", "value", "lines"), [
    # YAML 1.1 reads 1e3 as a string; JSON as a number
    ('{"replicas": 1e3,\n "x": 1}', {"replicas": 1000.0, "x": 1}, {"replicas": 1, "x": 2}),
    # a surrogate pair is one character in JSON (two, or an error, in YAML)
    ('{"s": "\\ud83d\\ude00"}', {"s": "\U0001F600"}, {"s": 1}),
    # tabs and a line break between a key and its colon (libyaml refuses both)
    ('{\t"a"\n:\t1,\n\t"b": [\n\t2]}', {"a": 1, "b": [2]}, {"a": 1, "b": 3}),
    # a key over libyaml's 1,024 characters
    ('{"' + "k" * 2000 + '":\n 1}', {"k" * 2000: 1}, {"k" * 2000: 1}),
])
def test_json_is_read_as_json(no_yaml: list[str], text: str, value: Any,
                              lines: dict[str, int]) -> None:
    """What YAML reads otherwise is read as JSON means, with its lines."""
    (doc,) = yaml_load._documents(text, "in.json", False)
    assert doc.body == value and doc.body.key_lines == lines
    assert no_yaml == []
    (plain,) = yaml_load._documents(text, "in.json", True)
    assert plain.body == value


def test_live_pages_and_snapshot_folders_never_reach_yaml(tmp_path: Path,
                                                          no_yaml: list[str]) -> None:
    """API pages (orjson) and the snapshot folder written from them (the JSON reader)."""
    from tests.apiserver.fixture import example_server
    with example_server() as server:
        no_yaml.clear()   # (the test server reads the examples from YAML)
        config = server.kubeconfig(tmp_path / "kubeconfig")
        live = run("check", "-o", "json", "--kubeconfig", str(config))
        assert run("snapshot", "--kubeconfig", str(config), "--out",
                   str(tmp_path / "snap"))[0] == 0
    offline = run("check", "-o", "json", str(tmp_path / "snap"))
    assert no_yaml == [], [getattr(u, "name", u) for u in no_yaml]
    assert live[0] == offline[0] == 1
    flows = [(f["id"], f["verdict"]) for f in json.loads(live[1])["flows"]]
    assert flows and flows == [(f["id"], f["verdict"]) for f in json.loads(offline[1])["flows"]]


@pytest.mark.parametrize("opener", ["[", '{"a": '])
def test_json_nested_deeper_than_the_parser_goes_is_the_yaml_readers_error(
        tmp_path: Path, opener: str) -> None:
    """Deeper than the JSON parser goes (libyaml stops at 1,000): the error YAML gives."""
    closer = "]" if opener == "[" else "}"
    text = "\n" + opener * 5000 + "1" + closer * 5000
    errors = []
    for name in ("in.json", "in.yaml"):
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as e:
            load_cluster([str(tmp_path / name)])
        errors.append(str(e.value).replace(name, "IN"))
    assert errors[0] == errors[1] and "IN:2:" in errors[0]
