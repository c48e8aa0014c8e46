"""Fixtures: small DynaKubes written inline (no corpora needed)."""

from __future__ import annotations

from typing import Any

from dtnetpol.dynatrace import DynaKube, parse_dynakube


def dynakube(spec: dict[str, Any] | None = None, name: str = "dynakube",
             annotations: dict[str, str] | None = None,
             status: dict[str, Any] | None = None) -> DynaKube:
    """A v1beta6 DynaKube; ``spec`` defaults to cloudNativeFullStack with an ActiveGate."""
    body: dict[str, Any] = {
        "apiVersion": "dynatrace.com/v1beta6", "kind": "DynaKube",
        "metadata": {"name": name, "namespace": "dynatrace",
                     **({"annotations": annotations} if annotations else {})},
        "spec": spec if spec is not None else {
            "apiUrl": "https://abc12345.live.dynatrace.com/api",
            "oneAgent": {"cloudNativeFullStack": {}},
            "activeGate": {"capabilities": ["routing", "kubernetes-monitoring"]},
        },
    }
    if status is not None:
        body["status"] = status
    return parse_dynakube(body)
