"""Reading manifests: files, folders, stdin, multi-document YAML, JSON, line marks, errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from textwrap import dedent

import pytest

from dtnetpol.errors import InputError
from dtnetpol.manifest.marks import MarkedList, MarkedMap, item_line, key_line
from dtnetpol.model.location import SourceLocation
from dtnetpol.sources import Document, load_cluster, read_documents, read_text

HELM = """\
---
# Source: shop/templates/serviceaccount.yaml
---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: http
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
---
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text))
    return str(path)


def test_multi_document_skips_empty_and_comment_only_documents() -> None:
    docs = read_text(HELM, "chart.yaml")
    assert [(d.index, d.line, d.body["kind"]) for d in docs] == [
        (2, 5, "Service"), (3, 16, "Deployment")]
    assert docs[0].location == SourceLocation("chart.yaml", 2, 5)


def test_line_marks_on_keys_and_items() -> None:
    (doc,) = read_text(HELM, "chart.yaml")[:1]
    body = doc.body
    assert isinstance(body, MarkedMap)
    assert body.line == 5
    assert key_line(body, "spec") == 9
    spec = body["spec"]
    assert key_line(spec, "ports") == 11
    ports = spec["ports"]
    assert isinstance(ports, MarkedList)
    assert item_line(ports, 0) == 12
    assert key_line(ports[0], "targetPort") == 13
    assert key_line({"a": 1}, "a") is None and item_line([1], 0) is None


def test_first_document_without_separator() -> None:
    docs = read_text("kind: A\n---\nkind: B\n", "f.yaml")
    assert [(d.index, d.line) for d in docs] == [(1, 1), (2, 3)]


def test_empty_input_has_no_documents() -> None:
    assert read_text("", "f.yaml") == []
    assert read_text("# nothing\n---\n...\n", "f.yaml") == []


def test_dates_stay_strings_and_merge_keys_work() -> None:
    (doc,) = read_text(dedent("""\
        base: &base {a: 1, b: 2}
        labels: {release: 2024-01-31}
        merged:
          <<: *base
          b: 3
        """), "f.yaml")
    assert doc.body["labels"]["release"] == "2024-01-31"
    assert doc.body["merged"] == {"a": 1, "b": 3}


def test_json_object_and_list(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"apiVersion": "v1", "kind": "Namespace",
                               "metadata": {"name": "shop"}}, indent=2))
    many = tmp_path / "many.json"
    many.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"kind": "Namespace", "metadata": {"name": "a/\u00e9"}}]}, indent=2))
    docs = read_documents([str(one), str(many)])
    assert [(Path(d.file).name, d.index, d.line) for d in docs] == [
        ("one.json", 1, 1), ("many.json", 1, 1)]
    assert docs[0].body["metadata"]["name"] == "shop"
    assert docs[1].body["items"][0]["metadata"]["name"] == "a/\u00e9"
    assert key_line(docs[1].body["items"][0], "metadata") == 7


def test_stdin() -> None:
    docs = read_documents(["-"], stdin=io.StringIO("kind: A\n---\n---\nkind: B\n"))
    assert [(d.file, d.index, d.line) for d in docs] == [
        ("<stdin>", 1, 1), ("<stdin>", 3, 4)]


def test_folder_is_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", "kind: B\n")
    write(tmp_path, "a/z.yml", "kind: AZ\n")
    write(tmp_path, "a/b.json", '{"kind": "AB"}')
    write(tmp_path, "README.md", "kind: no\n")
    write(tmp_path, ".hidden.yaml", "kind: no\n")
    write(tmp_path, ".git/x.yaml", "kind: no\n")
    write(tmp_path, "C.YAML", "kind: C\n")
    docs = read_documents([str(tmp_path)])
    assert [d.body["kind"] for d in docs] == ["C", "AB", "AZ", "B"]
    assert docs[1].file == str(tmp_path / "a" / "b.json")


def test_paths_in_given_order_and_any_file_name(tmp_path: Path) -> None:
    second = write(tmp_path, "manifest.txt", "kind: Second\n")
    first = write(tmp_path, "x.yaml", "kind: First\n")
    docs = read_documents([first, "-", second], stdin=io.StringIO("kind: Stdin\n"))
    assert [d.body["kind"] for d in docs] == ["First", "Stdin", "Second"]


def test_missing_path(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")
    with pytest.raises(InputError) as err:
        read_documents([missing])
    assert err.value.location == SourceLocation(missing)
    assert str(err.value) == f"{missing}: document 1: no such file or folder"


def test_folder_without_manifests(tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", "hello\n")
    with pytest.raises(InputError, match="folder holds no"):
        read_documents([str(tmp_path)])


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"kind: A\nname: \xff\xfe\n")
    with pytest.raises(InputError) as err:
        read_documents([str(path)])
    assert str(err.value) == f"{path}:2: document 1: file is not UTF-8 text"


def test_syntax_error_names_file_document_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", """\
        kind: A
        ---
        # comment
        ---
        kind: B
        metadata:
          name: a: b
        """)
    with pytest.raises(InputError) as err:
        read_documents([path])
    assert err.value.location == SourceLocation(path, 3, 7)
    assert str(err.value) == (
        f"{path}:7: document 3: YAML syntax error: mapping values are not allowed in this "
        "context")


@pytest.mark.parametrize(("text", "line", "message"), [
    ("a: 1\nb: [1, 2\n", 3, "did not find expected ',' or ']'"),
    ("a: 1\na: 2\n", 2, "duplicate key 'a' (first at line 1)"),
    ("a: !!python/name:os.system x\n", 1, "could not determine a constructor"),
    ("\tkind: A\n", 1, "found character that cannot start any token"),
    ("? [a]\n: 1\n", 1, "a mapping key must be a plain value"),
    ("a: 1\nb: !!int abc\n", 2, "invalid !!int value 'abc'"),
    # Every constructor failure is a one-line error at its node (issue 14), whatever the
    # conversion raises (KeyError for !!bool, binascii.Error for !!binary, ...).
    ("a: 1\nb: !!bool maybe\n", 2, "invalid !!bool value 'maybe'"),
    ("a:\n  b: !!timestamp garbage\n", 2, "invalid !!timestamp value 'garbage'"),
    ("a: !!binary 'a'\n", 1, "failed to decode base64 data"),
    ("a: !!binary é\n", 1, "failed to convert base64 data"),
    ("a: !!float .\n", 1, "invalid !!float value '.'"),
    ("a: !!int 0b\n", 1, "invalid !!int value '0b'"),
    ("a: !!int " + "9" * 5000 + "\n", 1, "invalid !!int value '99"),
    ("a: !!set {[a]: 1}\n", 1, "found unhashable key"),
    ("a: !!omap [a]\n", 1, "expected a mapping of length 1"),
    ("a: !!str {b: 1}\n", 1, "expected a scalar node"),
    ("a: !!map [1]\n", 1, "expected a mapping, found sequence"),
    ("a: !!seq {b: 1}\n", 1, "expected a sequence, found mapping"),
])
def test_yaml_errors(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as err:
        read_text(text, "f.yaml")
    assert err.value.location is not None
    assert err.value.location.line == line
    assert message in err.value.message


def test_explicit_timestamps_stay_text() -> None:
    assert read_text("a: !!timestamp 2020-01-02\n", "f.yaml")[0].body == {"a": "2020-01-02"}


def test_deep_nesting_is_an_input_error() -> None:
    with pytest.raises(InputError):
        read_text("[" * 100_000 + "]" * 100_000, "deep.yaml")


def test_document_is_frozen() -> None:
    doc = Document("f", 1, {"a": 1}, 1)
    with pytest.raises(AttributeError):
        doc.index = 2  # type: ignore[misc]


def test_load_cluster_reads_helm_output_from_a_folder(tmp_path: Path) -> None:
    write(tmp_path, "rendered.yaml", HELM.replace(
        "  name: web\n---\n", "  name: web\nspec:\n  template:\n    metadata:\n"
        "      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n"
        "        ports: [{name: http, containerPort: 8080}]\n---\n"))
    cluster, problems = load_cluster([str(tmp_path)])
    assert problems == []
    assert [p.name for p in cluster.pods] == ["web"]
    assert cluster.pods[0].labels == {"app": "web"}
    assert [s.name for s in cluster.services] == ["web"]
    assert cluster.warnings == (
        'namespace "default" not given; assumed with only its kubernetes.io/metadata.name '
        "label",)


FAST_PATH_CASES = [
    "a: 1\nb: '1'\nc: yes\nd: on\ne: ~\nf: 1.5\ng: 0x1F\nh: 2024-01-02\ni: ''\nj:\n",
    "1: a\nfalse: b\nnull: c\n1.5: d\n",
    "x: &anchor {k: v}\ny: *anchor\nz: [*anchor]\n",            # aliases: PyYAML shares them
    "base: &b {a: 1, b: 2}\nmerged:\n  <<: *b\n  b: 3\n",          # merge keys
    "s: !!set {a, b}\nbin: !!binary aGVsbG8=\nstr: !!str 12\nf: !!float 1\n",
    "- a\n- [b, {c: [d, e]}]\n- {f: g}\n",
    '{"json": [1, 2.5, true, null, "s"], "nested": {"k": "v"}}',
]


@pytest.mark.parametrize("text", FAST_PATH_CASES)
def test_fast_builder_matches_the_constructors(text: str) -> None:
    """The fast path builds what PyYAML's constructors build, with the same line marks."""
    from dtnetpol.sources import yaml_load

    def slow(node: object, loader: object) -> object:
        return loader.construct_document(node)  # type: ignore[attr-defined]

    def marks(value: object) -> object:
        if isinstance(value, MarkedMap):
            return (value.line, value.key_lines, {k: marks(v) for k, v in value.items()})
        if isinstance(value, MarkedList):
            return (value.line, value.item_lines, [marks(v) for v in value])
        return value

    fast = [d.body for d in read_text(text, "f.yaml")]
    loader = yaml_load._MarkedLoader(text)
    reference = []
    while loader.check_node():
        reference.append(slow(loader.get_node(), loader))
    loader.dispose()
    assert fast == reference
    assert [marks(b) for b in fast] == [marks(b) for b in reference]


def test_scalars_built_once_per_text_are_what_pyyaml_builds() -> None:
    """The loader shares immutable scalars between documents; each must still be the value
    PyYAML's safe loader gives, whatever its spelling."""
    import yaml

    text = ("a: [443, 0x1bb, 0o17, 1_000, +12, -3, 1.5, .inf, true, false, yes, null, ~, '443',"
            " 2024-01-01]\n")
    docs = read_text(f"{text}---\n{text}", "x.yaml")
    want = yaml.safe_load(text)["a"]
    want[-1] = "2024-01-01"   # dates stay strings
    for doc in docs:
        got = doc.body["a"]
        assert got == want
        assert [type(v) for v in got] == [type(v) for v in want]
