"""NetworkPolicies read by the compiled parser get the same model and lines as through PyYAML.

The fast reader (``sources/yaml_fast.py``) reads policies without line marks and finds the
line of every sequence item from the ``-`` indicators of the text; the builder makes the
policy from the plain values (``plain_network_policy``) or, when there is anything to report
or the items and lines do not pair up, reads the document again with marks. Differential:
on random policy files (block style with both sequence indentations, comments, blank lines,
keys in any order, and now and then what the line scan must not trust: flow sequences, block
scalars, multi-line strings, a plain scalar continued by a ``- `` line, ``- - x``), and on
invalid policies, both readers give the same policies with the same locations (rules, peers,
ports), the same problems, warnings and errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given, note, settings
from hypothesis import strategies as st
from tests.unit.test_manifest_fast_path import RICH, _deep

from dtnetpol.errors import InputError
from dtnetpol.manifest import build_cluster
from dtnetpol.manifest.marks import LinedMap, MarkedList
from dtnetpol.manifest.networkpolicy import LINED_API_VERSION, plain_network_policy
from dtnetpol.sources import yaml_fast
from dtnetpol.sources.yaml_load import _fast_yaml, _parse

pytestmark = pytest.mark.skipif(not yaml_fast.available(), reason="yaml_rs is not installed")

LABEL_VALUES = ("web", "db", "", "~", '"quoted"', "'single'", "a-b.c_d", "x # comment")
CIDRS = ("10.0.0.0/8", '"0.0.0.0/0"', "192.168.0.0/16", "10.0.0.1/24", "not-a-cidr",
         "2001:db8::/64")
PORTS = ("80", "http", "8080", "70000", '"53"', "~")
PROTOCOLS = ("TCP", "UDP", "SCTP", "tcp")
# Values the line scan must not trust (each makes an item without a ``-`` of its own, or a
# ``-`` without an item) or that PyYAML reads otherwise; some also make the policy invalid.
ODD_ANNOTATIONS = ("|\n      - not an item\n", '"multi\n      - line"', "[a, b]",
                   "first\n      - continued", ">-\n      folded\n", "yes")


def _seq(key: str, items: list[list[str]], pad: str, indented: bool) -> list[str]:
    """``key:`` and its block sequence: each item a list of lines (the first after ``- ``)."""
    if not items:
        return [f"{pad}{key}: []"]
    out = [f"{pad}{key}:"]
    dash = pad + ("  " if indented else "")
    for item in items:
        out.append(f"{dash}- {item[0]}")
        out.extend(f"{dash}  {line}" for line in item[1:])
    return out


def _map(key: str, entries: list[str], pad: str) -> list[str]:
    return [f"{pad}{key}: {{}}"] if not entries else \
        [f"{pad}{key}:", *(f"{pad}  {e}" for e in entries)]


@st.composite
def selector(draw: st.DrawFn, indented: bool) -> list[str]:
    """The lines of a selector's fields (relative indentation)."""
    lines: list[str] = []
    labels = draw(st.lists(st.sampled_from(["app", "tier", "app.kubernetes.io/name"]),
                           max_size=2, unique=True))
    if labels or draw(st.booleans()):
        lines += _map("matchLabels", [f"{k}: {draw(st.sampled_from(LABEL_VALUES))}"
                                      for k in labels], "")
    if draw(st.integers(0, 3)) == 0:
        values = draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=2))
        flow = draw(st.integers(0, 4)) == 0
        item = ["key: tier", "operator: " + ("In" if values else "Exists")]
        if values:
            item += [f"values: [{', '.join(values)}]"] if flow else \
                _seq("values", [[v] for v in values], "", indented)
        lines += _seq("matchExpressions", [item], "", indented)
    return lines


@st.composite
def peer(draw: st.DrawFn, indented: bool) -> list[str]:
    if draw(st.integers(0, 3)) == 0:
        block = [f"cidr: {draw(st.sampled_from(CIDRS))}"]
        if draw(st.booleans()):
            block += _seq("except", [["10.1.0.0/16"]], "", indented)
        return ["ipBlock:", *("  " + b for b in block)]
    out: list[str] = []
    for key in draw(st.lists(st.sampled_from(["podSelector", "namespaceSelector"]),
                             min_size=1, max_size=2, unique=True)):
        out += _map(key, draw(selector(indented)), "")
    return out


@st.composite
def port(draw: st.DrawFn) -> list[str]:
    out = [f"port: {draw(st.sampled_from(PORTS))}"]
    if draw(st.booleans()):
        out.insert(draw(st.integers(0, 1)), f"protocol: {draw(st.sampled_from(PROTOCOLS))}")
    if draw(st.integers(0, 4)) == 0:
        out.append("endPort: 9000")
    return out


@st.composite
def rule(draw: st.DrawFn, side: str, indented: bool) -> list[str]:
    if draw(st.integers(0, 8)) == 0:
        return ["~"]
    parts = []
    peers = draw(st.lists(peer(indented), max_size=3))
    if peers or draw(st.booleans()):
        parts.append(_seq(side, peers, "", indented))
    ports = draw(st.lists(port(), max_size=2))
    if ports:
        parts.append(_seq("ports", ports, "", indented))
    if not parts:
        return ["{}"]
    parts = draw(st.permutations(parts))
    return [line for part in parts for line in part]


@st.composite
def policy(draw: st.DrawFn, n: int) -> str:
    indented = draw(st.booleans())
    meta = [f"name: p{n}", f"namespace: {draw(st.sampled_from(['shop', 'default', 'Bad']))}"]
    if draw(st.booleans()):
        meta += _map("labels", [f"team: {draw(st.sampled_from(LABEL_VALUES))}"], "")
    if draw(st.integers(0, 3)) == 0:
        meta += _map("annotations", [f"note: {draw(st.sampled_from(ODD_ANNOTATIONS))}"], "")
    if draw(st.integers(0, 6)) == 0:
        meta += ["finalizers:", "- - nested"]   # two items start on one line
    spec: list[list[str]] = []
    sel = draw(selector(indented))
    spec.append(_map("podSelector", sel, ""))
    for key, side in (("ingress", "from"), ("egress", "to")):
        if draw(st.booleans()):
            spec.append(_seq(key, draw(st.lists(rule(side, indented), max_size=3)), "",
                             indented))
    if draw(st.booleans()):
        types = draw(st.lists(st.sampled_from(["Ingress", "Egress"]), max_size=2, unique=True))
        spec.append(_seq("policyTypes", [[t] for t in types], "", indented))
    spec = draw(st.permutations(spec))
    top = [["apiVersion: networking.k8s.io/v1", "kind: NetworkPolicy"],
           ["metadata:", *("  " + m for m in meta)],
           ["spec:", *("  " + s for part in spec for s in part)]]
    lines = [line for part in draw(st.permutations(top)) for line in part]
    # Comments and blank lines anywhere (at the indentation of the next line or at column 0).
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(st.sampled_from(["", "# a comment", "    # indented comment"])))
    return "\n".join(lines) + "\n"


@st.composite
def policy_file(draw: st.DrawFn) -> str:
    docs = [draw(policy(n)) for n in range(draw(st.integers(1, 4)))]
    seps = st.sampled_from(["---\n", "--- # c\n", "---\n\n"])
    text = "".join(draw(seps) + d for d in docs)
    return text.removeprefix("---\n") if draw(st.booleans()) else text


def _outcome(documents: list[tuple[Any, Any]], strict: bool) -> Any:
    try:
        cluster, problems = build_cluster(iter(documents), strict=strict)
    except InputError as e:
        return f"error: {e}"
    return ([_deep(p) for p in cluster.policies],
            [(_deep(p.location), p.code, p.message) for p in problems], cluster.warnings)


def _both(text: str, strict: bool) -> tuple[Any, Any, int]:
    try:
        fast = [(d.body, d.location) for d in _fast_yaml(text, "np.yaml")]
        slow = [(d.body, d.location) for d in _parse(text, "np.yaml", 1, [1])]
    except InputError as e:   # a YAML error: both readers give the same (test_yaml_fast)
        return str(e), str(e), 0
    lined = sum(type(b) is LinedMap for b, _ in fast)
    return _outcome(fast, strict), _outcome(slow, strict), lined


LINED_SEEN: list[int] = [0, 0]   # files with a policy read without marks, files in all


@settings(max_examples=300)
@given(policy_file(), st.booleans())
@example("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: a\n"
         "  annotations:\n    note: first\n      - continued\nspec:\n  ingress:\n  - {}\n",
         True)
def test_fast_policies_equal_pyyaml_policies(text: str, strict: bool) -> None:
    note(text)
    fast, slow, lined = _both(text, strict)
    assert fast == slow
    LINED_SEEN[0] += lined > 0
    LINED_SEEN[1] += 1


def test_most_generated_policies_are_read_without_marks() -> None:
    """The differential test above exercises the fast path, not only the fallback."""
    if LINED_SEEN[1] < 50:
        pytest.skip("runs after test_fast_policies_equal_pyyaml_policies")
    assert LINED_SEEN[0] > LINED_SEEN[1] // 4, LINED_SEEN


BLOCK_RICH = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: rich
  namespace: shop
spec:
  podSelector:
    matchExpressions:
    - key: tier
      operator: In
      values:
      - front
      - back
  policyTypes:
  - Ingress
  - Egress
  ingress:
  # the rules
  - from:
    - podSelector:
        matchLabels:
          app: lb
    - ipBlock:
        cidr: 10.0.0.0/8
        except:
        - 10.1.0.0/16
    ports:
    - port: http
    - port: 8000
      endPort: 8100
  - ~
  egress:
    - ports:
        - protocol: UDP
          port: 53
      to:
        - namespaceSelector: {}
"""


def _item_lines(value: Any) -> Iterator[int]:
    """PyYAML's line of every sequence item, in document order."""
    if isinstance(value, MarkedList):
        for line, item in zip(value.item_lines, value, strict=True):
            yield line
            yield from _item_lines(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _item_lines(item)


def test_a_block_style_policy_is_built_from_its_values_with_pyyaml_lines() -> None:
    text = "---\n" + BLOCK_RICH
    (doc,) = _fast_yaml(text, "np.yaml")
    assert type(doc.body) is LinedMap
    (marked,) = _parse(text, "np.yaml", 1, [1])
    assert doc.body.item_lines == list(_item_lines(marked.body))
    assert doc.body.item_lines[:6] == [10, 13, 14, 16, 17, 20]
    built = plain_network_policy(doc.body, doc.location)
    assert built is not None
    fast, slow, lined = _both(text, True)
    assert fast == slow and lined == 1
    rule = built.ingress[0]
    assert [(rule.location.line, rule.location.path)] + [
        (p.location.line, p.location.path) for p in (*rule.peers, *rule.ports)] == [
        (20, "spec.ingress[0]"), (21, "spec.ingress[0].from[0]"),
        (24, "spec.ingress[0].from[1]"), (29, "spec.ingress[0].ports[0]"),
        (30, "spec.ingress[0].ports[1]")]
    assert [(p.location.line, p.location.path) for p in built.egress[0].ports] == [
        (35, "spec.egress[0].ports[0]")]


@pytest.mark.parametrize("value", ["[front, back]", "|\n          x\n", '"a\n          b"',
                                   "a\n          - b"])
def test_what_the_line_scan_cannot_pair_is_read_with_marks(value: str) -> None:
    text = "---\n" + BLOCK_RICH.replace("name: rich", f"name: rich\n  annotations:\n"
                                        f"    note: {value}")
    docs = list(_fast_yaml(text, "np.yaml"))
    fast, slow, _ = _both(text, False)
    assert fast == slow
    assert all(type(d.body) is not LinedMap or plain_network_policy(d.body, d.location) is None
               for d in docs)


def test_a_calico_network_policy_is_never_read_without_marks() -> None:
    text = BLOCK_RICH.replace(LINED_API_VERSION, "projectcalico.org/v3")
    assert all(type(d.body) is not LinedMap for d in _fast_yaml(text, "np.yaml"))


def test_rich_flow_style_policy_agrees() -> None:
    fast, slow, lined = _both(RICH, True)
    assert fast == slow and lined == 0
