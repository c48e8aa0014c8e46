"""JSON manifests go through the JSON parser; what is reported keeps its lines (YAML again)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dtnetpol.errors import InputError
from dtnetpol.sources import load_cluster
from dtnetpol.sources.yaml_load import iter_documents

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cluster"


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
def test_json_errors_are_the_yaml_readers_with_their_lines(tmp_path: Path, text: str) -> None:
    json_file = tmp_path / "in.json"
    json_file.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as fast:
        load_cluster([str(json_file)])
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
