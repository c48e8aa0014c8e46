"""JSON output: orjson and streamed pieces write exactly what ``json.dumps(indent=2)`` does."""

from __future__ import annotations

import json

import pytest

from dtnetpol.engine.connlist import Connection
from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.engine.ports import PortSet
from dtnetpol.model.policy import Protocol
from dtnetpol.render import engine_json


def _reference(conns: list[Connection]) -> str:
    doc = {"apiVersion": engine_json.API_VERSION, "kind": "ConnectionList",
           "connections": [{"src": c.src, "dst": c.dst, "conns": engine_json.ports_json(c.ports)}
                           for c in conns]}
    return json.dumps(doc, indent=2) + "\n"


@pytest.mark.parametrize("doc", [
    {"a": [], "b": {}, "c": None, "d": True, "e": 1.5, "f": [1, [2, 3]]},
    {"escape": "\x1b[31m\u2028é"},          # non-ASCII: json escapes it, orjson would not
    {"big": 2**70},                          # wider than orjson's 64-bit integers
    [],
])
def test_dumps_is_json_dumps_indent_2(doc: object) -> None:
    assert engine_json.dumps(doc) == json.dumps(doc, indent=2) + "\n"


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 6, 7])
def test_streamed_connection_list_is_the_whole_document(count: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_json, "_CHUNK", 3)
    tcp = PortSet.of(Protocol.TCP, IntervalSet.of([(80, 80), (8000, 8099)]))
    conns = [Connection(f"ns/a{i}[Deployment]", "ns/b[Deployment]" if i != 4 else "ns/bé",
                        (PortSet.all(), tcp, PortSet.none())[i % 3]) for i in range(count)]
    pieces = list(engine_json.connlist_json_chunks(conns))
    assert "".join(pieces) == _reference(conns)
    assert len(pieces) == (1 if count == 0 else 2 + (count + 2) // 3)
