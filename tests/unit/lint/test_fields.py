"""Field paths resolved to lines in loaded documents."""

from __future__ import annotations

from dtnetpol.lint.fields import lookup, split_path
from dtnetpol.sources import read_text


def test_split_path_keeps_keys_with_dots_and_slashes() -> None:
    assert split_path("items[2].spec.podSelector.matchLabels[app.kubernetes.io/name]") == [
        "items", 2, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name"]


def test_lookup_returns_the_deepest_line_found() -> None:
    body = read_text("spec:\n  ingress:\n  - from:\n    - podSelector: {}\n", "f")[0].body
    assert lookup(body, "spec.ingress[0].from[0].podSelector") == ({}, 4, True)
    value, line, found = lookup(body, "spec.ingress[0].ports[0]")
    assert (value, line, found) == (None, 3, False)
