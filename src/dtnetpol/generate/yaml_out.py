"""Generated documents → one YAML stream (or one text per document), with their comments.

A small block-style emitter: PyYAML cannot write comments, and the comments (which flows a
rule serves, and why) are the point of the output. Scalars are quoted by PyYAML itself, so
what :func:`yaml.safe_load_all` reads back equals each document's ``body`` (tested).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import yaml

from dtnetpol.generate._doc import GeneratedDoc, Path

__all__ = ["document_yaml", "stream_yaml"]


def _scalar(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    return _plain_scalar(value)


# A string of these that PyYAML's resolver reads back as a string is written plain: what
# yaml.safe_dump writes for it (tests/unit/generate: test_yaml_out), without its dumper (a
# dumper per new scalar was a tenth of a check on a small cluster).
_PLAIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9._/-]*\Z")
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers


def _plain_word(value: str) -> bool:
    return _PLAIN_WORD.match(value) is not None and not any(
        pattern.match(value) for _, pattern in _IMPLICIT.get(value[0], ()))


@lru_cache(maxsize=1 << 14)
def _plain_scalar(value: str | int | float | bool | None) -> str:
    """YAML for one scalar; cached because policies repeat the same keys and values."""
    if type(value) is str and _plain_word(value):
        return value
    text: str = yaml.safe_dump(value, default_flow_style=True, width=1 << 20,
                               allow_unicode=True)
    text = text.rstrip("\n")
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text


def _comment_lines(lines: Iterable[str], pad: str) -> list[str]:
    return [f"{pad}# {line}".rstrip() for line in lines]


def _emit_map(m: Mapping[str, Any], indent: int, path: Path,
              comments: Mapping[Path, tuple[str, ...]], out: list[str]) -> None:
    pad = " " * indent
    for key, value in m.items():
        k = _scalar(key)
        if isinstance(value, Mapping) and value:
            out.append(f"{pad}{k}:")
            _emit_map(value, indent + 2, (*path, key), comments, out)
        elif isinstance(value, list | tuple) and value:
            out.append(f"{pad}{k}:")
            _emit_list(value, indent + 2, (*path, key), comments, out)
        else:
            out.append(f"{pad}{k}: {_scalar(value)}")


def _emit_list(items: Sequence[Any], indent: int, path: Path,
               comments: Mapping[Path, tuple[str, ...]], out: list[str]) -> None:
    pad = " " * indent
    for i, item in enumerate(items):
        out.extend(_comment_lines(comments.get((*path, i), ()), pad))
        if isinstance(item, Mapping) and item:
            sub: list[str] = []
            _emit_map(item, indent + 2, (*path, i), comments, sub)
            sub[0] = f"{pad}- {sub[0][indent + 2:]}"
            out.extend(sub)
        elif isinstance(item, list | tuple) and item:
            out.append(f"{pad}-")
            _emit_list(item, indent + 2, (*path, i), comments, out)
        else:
            out.append(f"{pad}- {_scalar(item)}")


def document_yaml(doc: GeneratedDoc) -> str:
    """One document: its header comment, then the object; ends with a newline."""
    out = _comment_lines(doc.header, "")
    _emit_map(doc.body, 0, (), doc.comments, out)
    return "\n".join(out) + "\n"


def stream_yaml(docs: Iterable[GeneratedDoc], preamble: Iterable[str] = ()) -> str:
    """A multi-document stream: each document opened by ``---``."""
    parts = _comment_lines(preamble, "")
    chunks = ["\n".join(parts) + "\n"] if parts else []
    for doc in docs:
        chunks.append("---\n")
        chunks.append(document_yaml(doc))
    return "".join(chunks)
