"""Malformed manifests for the fuzz suite: the example cluster's documents, broken.

Every strategy draws (file suffix, bytes): valid documents from ``examples/cluster`` mutated
by truncation, byte flips, a value of the wrong type at a field, YAML tags before values,
anchors and aliases, deep nesting and alias bombs; as YAML or JSON.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from tests.mutations import document_paths, replaced

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cluster"

TAGS = ("!!bool", "!!int", "!!float", "!!null", "!!str", "!!timestamp", "!!binary", "!!map",
        "!!seq", "!!set", "!!omap", "!!pairs", "!!merge", "!!value", "!!yaml",
        "!!python/object:os.system", "!!python/name:os.system", "!custom", "!",
        "!<tag:yaml.org,2002:int>", "!<x>")


@cache
def seed_documents() -> tuple[Any, ...]:
    """Every document of the example cluster (policies, workloads, the DynaKube, ...)."""
    docs: list[Any] = []
    for path in sorted(EXAMPLE.rglob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    return tuple(docs)


@cache
def dynakube() -> Any:
    return next(d for d in seed_documents() if d.get("kind") == "DynaKube")


def _delete(value: Any, path: tuple[Any, ...]) -> Any:
    if len(path) == 1:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != path[0]}
        return [v for i, v in enumerate(value) if i != path[0]]
    head = path[0]
    if isinstance(value, dict):
        return {**value, head: _delete(value[head], path[1:])}
    return [(_delete(v, path[1:]) if i == head else v) for i, v in enumerate(value)]


# Values of every type a field may wrongly hold.
weird_values = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70),
    st.sampled_from([0, -1, 65536, 70000, 2**31, 2**63]),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
    st.sampled_from(["", " ", "*", "0.0.0.0/0", "::/0", "10.0.0.0/33", "a/b/c", "\x1b[2J",
                     "In", "NotIn", "Exists", "DoesNotExist", "TCP", "SCTP", "ICMP", "http",
                     "Ingress", "Egress", "../x", "x" * 300]),
    st.lists(st.integers(), max_size=3), st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers() | st.text(max_size=4), max_size=3),
    st.just({"matchLabels": {"a": "b"}}), st.just([{}]), st.just({}), st.just([]),
)


@st.composite
def documents(draw: st.DrawFn) -> list[Any]:
    """1-4 example documents, often the DynaKube among them."""
    seeds = seed_documents()
    docs = draw(st.lists(st.sampled_from(seeds), min_size=1, max_size=4))
    if draw(st.booleans()):
        docs.insert(0, dynakube())
    return docs


@st.composite
def structural(draw: st.DrawFn) -> list[Any]:
    """Documents with a field of the wrong type, a field removed, or a document replaced."""
    docs = list(draw(documents()))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(docs) - 1))
        paths = document_paths(docs[i])
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "whole"]))
        if action == "delete" and path:
            docs[i] = _delete(docs[i], path)
        elif action == "whole":
            docs[i] = draw(weird_values)
        else:
            docs[i] = replaced(docs[i], path, draw(weird_values))
    return docs


def dump(docs: list[Any], as_json: bool) -> str:
    if as_json:
        body = docs[0] if len(docs) == 1 else {"apiVersion": "v1", "kind": "List",
                                                 "items": docs}
        return json.dumps(body, indent=1)
    return yaml.dump_all(docs, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                         sort_keys=False)


@st.composite
def text_mutation(draw: st.DrawFn, text: str) -> bytes:
    """``text`` truncated, with bytes flipped, tags or anchors inserted, or lines shuffled."""
    data = text.encode("utf-8")
    kind = draw(st.sampled_from(["truncate", "flip", "tag", "alias", "insert", "none"]))
    if kind == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if kind == "flip" and data:
        buf = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            buf[draw(st.integers(0, len(buf) - 1))] = draw(st.integers(0, 255))
        return bytes(buf)
    if kind in ("tag", "alias"):
        spots = [i + 2 for i in range(len(text) - 1) if text[i: i + 2] == ": "]
        if not spots:
            return data
        out = text
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.sampled_from(spots))
            if at > len(out):
                continue
            token = (draw(st.sampled_from(TAGS)) + " " if kind == "tag" else
                     draw(st.sampled_from(["&a ", "*a ", "&b ", "*b ", "&a *a ", "<<: *a "])))
            out = out[:at] + token + out[at:]
        return out.encode("utf-8")
    if kind == "insert":
        at = draw(st.integers(0, len(text)))
        junk = draw(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
                            max_size=8) | st.sampled_from(
            ["\t", "---\n", "...\n", "%YAML 1.1\n", "? ", "- ", "{", "[", "}", "]", ":", "\"",
             "'", "|", ">", "#", "\x00", "\ufeff", "\r", "\x85", "\u2028"]))
        return (text[:at] + junk + text[at:]).encode("utf-8", "surrogatepass")
    return data


def _deep(n: int, style: str) -> str:
    if style == "flow-list":
        return "[" * n + "]" * n
    if style == "flow-map":
        return "{a: " * n + "1" + "}" * n
    return "".join("  " * i + "a:\n" for i in range(n)) + "  " * n + "b: 1\n"


@st.composite
def deep_nesting(draw: st.DrawFn) -> bytes:
    n = draw(st.sampled_from([10, 100, 500, 1000, 5000, 50_000]))
    style = draw(st.sampled_from(["flow-list", "flow-map", "block"]))
    if style == "block":
        n = min(n, 2000)
    where = draw(st.sampled_from(["data", "podSelector", "labels"]))
    nest = _deep(n, style)
    if where == "data":
        text = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: shop}}\n" \
               f"data:\n  x: {nest}\n" if style != "block" else \
               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n" + \
               "".join("  " + line + "\n" for line in nest.splitlines())
    elif where == "podSelector":
        text = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, "
                f"namespace: shop}}\nspec:\n  podSelector: {{matchLabels: {{a: {nest}}}}}\n"
                if style != "block" else
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
                "spec:\n  podSelector:\n" + "".join("    " + line + "\n"
                                                     for line in nest.splitlines()))
    else:
        text = ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  labels:\n"
                f"    a: {nest}\n" if style != "block" else
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  labels:\n" +
                "".join("    " + line + "\n" for line in nest.splitlines()))
    return text.encode("utf-8")


@st.composite
def alias_bomb(draw: st.DrawFn) -> bytes:
    """Billion laughs: each level a list of ``width`` aliases of the one below, placed where
    a manifest field is (labels, a selector, rules, unknown fields)."""
    depth = draw(st.integers(2, 9))
    width = draw(st.integers(2, 10))
    lines = ["a0: &a0 [x, y]"]
    for i in range(1, depth + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    top = f"*a{depth}"
    where = draw(st.sampled_from(["extra", "labels", "matchExpressions", "ingress", "ports",
                                  "containers", "dynakube"]))
    anchors = "\n".join("  " + line for line in lines)
    if where == "dynakube":
        return (f"apiVersion: dynatrace.com/v1beta6\nkind: DynaKube\nmetadata: {{name: dk, "
                f"namespace: dynatrace}}\nbombs:\n{anchors}\nspec:\n  apiUrl: "
                f"https://x.live.dynatrace.com/api\n  oneAgent:\n    cloudNativeFullStack:\n"
                f"      tolerations: {top}\n").encode()
    if where == "containers":
        return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d, namespace: shop}}"
                f"\nbombs:\n{anchors}\nspec:\n  selector: {{matchLabels: {{app: d}}}}\n"
                f"  template:\n    metadata: {{labels: {{app: d}}}}\n    spec:\n"
                f"      containers: {top}\n").encode()
    field = {"extra": f"  extra: {top}\n",
             "labels": f"  podSelector: {{matchLabels: {top}}}\n",
             "matchExpressions": f"  podSelector: {{matchExpressions: [{{key: a, operator: In,"
                                 f" values: {top}}}]}}\n",
             "ingress": f"  podSelector: {{}}\n  ingress: {top}\n",
             "ports": f"  podSelector: {{}}\n  ingress: [{{ports: {top}}}]\n"}[where]
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, "
            f"namespace: shop}}\nbombs:\n{anchors}\nspec:\n{field}").encode()


@st.composite
def malformed(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, content) of one malformed input file."""
    kind = draw(st.sampled_from(["structural", "structural", "text", "text", "text", "deep",
                                 "bomb", "raw"]))
    as_json = draw(st.booleans())
    suffix = ".json" if as_json else ".yaml"
    if kind == "deep":
        return ".yaml", draw(deep_nesting())
    if kind == "bomb":
        return ".yaml", draw(alias_bomb())
    if kind == "raw":
        return suffix, draw(st.binary(max_size=200))
    docs = draw(structural()) if kind == "structural" else draw(documents())
    text = dump(docs, as_json)
    if kind == "text" or draw(st.integers(0, 3)) == 0:
        return suffix, draw(text_mutation(text))
    return suffix, text.encode("utf-8")
