"""NetworkPolicies in JSON files are read by the JSON parser with the lines PyYAML gives.

The JSON reader (``sources/yaml_load.py``, ``_json_policies``) parses a policy, or a
kubectl-style List of them, with the JSON parser and finds the line of every array item by a
scan of the text; the builder makes each policy from its values (``plain_network_policy``) or,
when there is anything to report, reads it again with every mark (``json_marks``, never
PyYAML). Differential: the random policies of ``test_policy_lines`` (valid and invalid),
written as JSON (indented, compact, one object or a List), give through the JSON reader and
through PyYAML the same policies with the same locations of rules, peers and ports, the same
problems, warnings and errors. Now and then the text has what PyYAML reads otherwise than JSON
(``1e3`` is a string in YAML 1.1, a surrogate pair two characters, a tab or a line break before
a colon an error): then the JSON meaning is the one read, and the lined reading must equal the
reading with every mark.
"""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from tests.property.test_policy_lines import BLOCK_RICH, _item_lines, _outcome, policy

from dtnetpol.errors import InputError
from dtnetpol.manifest.marks import LinedMap
from dtnetpol.sources import load_cluster, yaml_load
from dtnetpol.sources.yaml_load import _documents, _parse

# Text PyYAML reads otherwise than JSON (or refuses); the JSON reader reads it as JSON.
ODD = ("1e3", '"a\\/b"', '"\\ud83d\\ude00"', '"' + "k" * 300 + '"', '"tab\\t"', "-0", "1.5")


def _json(draw: st.DrawFn, value: Any) -> str:
    style = draw(st.sampled_from(["indent", "compact", "spaced", "one-line"]))
    if style == "indent":
        return json.dumps(value, indent=draw(st.sampled_from([1, 2, 4])))
    if style == "compact":
        return json.dumps(value, separators=(",", ":"))
    if style == "spaced":
        return json.dumps(value, indent=2).replace(": ", " : ").replace("[]", "[ ]")
    return json.dumps(value)


@st.composite
def json_file(draw: st.DrawFn) -> tuple[str, bool]:
    """A JSON text of policies, and whether it has anything PyYAML reads otherwise."""
    bodies = []
    for n in range(draw(st.integers(1, 3))):
        try:
            (doc,) = _parse(draw(policy(n)), "p.yaml", 1, [1])
        except (InputError, ValueError):
            continue
        bodies.append(json.loads(json.dumps(doc.body, default=str)))
    if not bodies:
        bodies = [json.loads(json.dumps(_rich()))]
    if len(bodies) == 1 and draw(st.booleans()):
        value: Any = bodies[0]
    else:
        value = {"apiVersion": "v1", "kind": draw(st.sampled_from(["List", "NetworkPolicyList"])),
                 "items": bodies, "metadata": {"resourceVersion": ""}}
    text = _json(draw, value)
    unusual = draw(st.integers(0, 5)) == 0
    if unusual:   # an odd value where PyYAML and JSON may differ
        odd = draw(st.sampled_from(ODD))
        how = draw(st.integers(0, 3))
        if how == 0:
            text = text.replace('"p0"', '"p0", "x": ' + odd, 1)
        elif how == 1:
            text = text.replace('"name"', f'"name{odd.strip(chr(34))[:3]}": {odd}, "name"', 1)
        elif how == 2 and odd.startswith('"'):   # as a key
            text = text.replace('"name"', f'{odd}: 1, "name"', 1)
        else:   # a tab, a carriage return or a line break between a key and its colon
            text = text.replace('"name"', '"name"' + draw(st.sampled_from(["\t", "\r\n", "\n"])),
                                1)
    return "\n" * draw(st.integers(0, 2)) + text + "\n", unusual


SEEN = [0, 0]   # files read as lined policies, files in all


@settings(max_examples=300)
@given(json_file(), st.booleans())
def test_json_policies_equal_pyyaml_policies(case: tuple[str, bool], strict: bool) -> None:
    text, odd = case
    note(text)
    try:
        fast = [(d.body, d.location) for d in _documents(text, "np.json", True)]
    except InputError as e:
        fast_out: Any = str(e)
    else:
        fast_out = _outcome(fast, strict)
        body = fast[0][0] if fast else None
        SEEN[0] += type(body) is LinedMap or (
            isinstance(body, dict) and type((body.get("items") or [None])[0]) is LinedMap)
    try:
        slow = [(d.body, d.location) for d in (
            _documents(text, "np.json", False) if odd else _parse(text, "np.json", 1, [1]))]
    except InputError as e:
        slow_out: Any = str(e)
    else:
        slow_out = _outcome(slow, strict)
    SEEN[1] += 1
    assert fast_out == slow_out


def test_most_generated_json_files_are_read_without_pyyaml() -> None:
    """The differential test above exercises the JSON path, not only the fallback."""
    if SEEN[1] < 50:
        pytest.skip("runs after test_json_policies_equal_pyyaml_policies")
    assert SEEN[0] > SEEN[1] // 2, SEEN


def _rich() -> Any:
    (doc,) = _parse(BLOCK_RICH, "p.yaml", 1, [1])
    return doc.body


@pytest.mark.parametrize("indent", [None, 2])
def test_list_items_get_pyyaml_lines(indent: int | None) -> None:
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": [_rich(), _rich()]},
                      indent=indent)
    (fast,) = _documents(text, "np.json", True)
    (slow,) = _parse(text, "np.json", 1, [1])
    assert fast.body["items"].item_lines == slow.body["items"].item_lines
    for lined, marked in zip(fast.body["items"], slow.body["items"], strict=True):
        assert type(lined) is LinedMap
        assert lined.item_lines == list(_item_lines(marked))
        assert lined.remark() == marked


def test_a_snapshot_folder_of_policies_is_not_read_by_pyyaml(tmp_path: Any) -> None:
    from dtnetpol.sources.snapshot import list_texts
    items = [json.loads(json.dumps(_rich()))] * 3
    items = [{**p, "metadata": {**p["metadata"], "name": f"p{n}"}} for n, p in enumerate(items)]
    ((text, _),) = list_texts(items)
    (tmp_path / "05-networkpolicies.json").write_text(text)
    with mock.patch.object(yaml_load, "_parse", wraps=yaml_load._parse) as spy:
        cluster, problems = load_cluster([str(tmp_path)])
    assert spy.call_count == 0
    assert not problems and [p.name for p in cluster.policies] == ["p0", "p1", "p2"]
    (doc,) = _parse(text, "f", 1, [1])
    assert [p.location.line for p in cluster.policies] == doc.body["items"].item_lines
    rules = [(r.location.line, r.location.path) for r in cluster.policies[1].ingress]
    marked = doc.body["items"][1]["spec"]["ingress"]
    assert rules == [(line, f"items[1].spec.ingress[{i}]")
                     for i, line in enumerate(marked.item_lines)]
