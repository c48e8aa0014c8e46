"""Every JSON output validates against the schema shipped in the package."""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dtnetpol.cli import main

REPO = Path(__file__).resolve().parents[2]


def schema() -> dict[str, Any]:
    text = resources.files("dtnetpol").joinpath("data/dtnetpol-v1.schema.json").read_text()
    doc: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(doc)
    return doc


def output(*argv: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    main([*argv, "-o", "json"], out=out, err=err)
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


@pytest.mark.parametrize("argv", [
    ("connlist", "--skip-invalid", "examples/cluster"),
    ("can-reach", "--skip-invalid", "examples/cluster", "--from", "shop/cart", "--to",
     "payments/payments-api", "--port", "8443"),
    ("can-reach", "--skip-invalid", "examples/cluster", "--from", "shop/frontend", "--to",
     "8.8.8.8"),
    ("explain", "--skip-invalid", "examples/cluster"),
    ("explain", "examples/mixed"),
    ("explain", "examples/layers"),
    ("explain", "examples/calico"),
    ("can-reach", "examples/mixed", "--from", "monitoring/prometheus", "--to", "shop/web",
     "--port", "8080"),
    ("diff", "--skip-invalid", "examples/cluster", "examples/cluster"),
    ("check", "--skip-invalid", "examples/cluster"),
])
def test_output_validates(argv: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    jsonschema.validate(output(*argv), schema(), cls=jsonschema.Draft202012Validator)


def test_schema_rejects_a_wrong_shape() -> None:
    bad = {"apiVersion": "dtnetpol/v1", "kind": "ConnectionList",
           "connections": [{"src": "a", "dst": "b", "conns": [{"protocol": "ICMP",
                                                                "ports": [[1, 2]]}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema(), cls=jsonschema.Draft202012Validator)
