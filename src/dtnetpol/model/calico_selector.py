"""A parsed Calico selector expression (``app == 'web' && !has(canary)``) as frozen nodes.

The reader (``dtnetpol.manifest.calico_selector``) builds these from text; the engine
(``dtnetpol.engine.calico_selector``) compiles them into matchers. Kept apart from both so
that policies can hold a selector without importing a parser or an evaluator.

Semantics (Calico ``libcalico-go/lib/selector``): ``k != v`` and ``k not in {..}`` also match
when ``k`` is absent; ``==``, ``in``, ``contains``, ``starts with``, ``ends with`` need ``k``.
``all()`` and ``global()`` match every label set; ``global()`` means more only in a rule's
``namespaceSelector`` (non-namespaced endpoints: GlobalNetworkSets, host endpoints).
"""

from __future__ import annotations

from dataclasses import dataclass


def quote(value: str) -> str:
    """A string literal Calico reads back as ``value`` (no escapes exist: pick the quote)."""
    return f"'{value}'" if '"' in value else f'"{value}"'


@dataclass(frozen=True)
class All:
    """``all()``, also the empty selector."""

    def __str__(self) -> str:
        return "all()"


@dataclass(frozen=True)
class Global:
    """``global()``: every label set; in a namespaceSelector, the non-namespaced endpoints."""

    def __str__(self) -> str:
        return "global()"


@dataclass(frozen=True)
class Has:
    key: str

    def __str__(self) -> str:
        return f"has({self.key})"


@dataclass(frozen=True)
class Compare:
    """``key OP 'value'`` for OP in ==, !=, contains, starts with, ends with."""

    key: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.key} {self.op} {quote(self.value)}"


@dataclass(frozen=True)
class InSet:
    """``key in {..}`` or, with ``negated``, ``key not in {..}``."""

    key: str
    values: frozenset[str]
    negated: bool = False

    def __str__(self) -> str:
        op = "not in" if self.negated else "in"
        return f"{self.key} {op} {{{', '.join(quote(v) for v in sorted(self.values))}}}"


@dataclass(frozen=True)
class Not:
    operand: Node

    def __str__(self) -> str:
        inner = str(self.operand)
        return f"!({inner})" if isinstance(self.operand, And | Or) else f"!{inner}"


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]

    def __str__(self) -> str:
        return " && ".join(f"({o})" if isinstance(o, Or) else str(o) for o in self.operands)


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]

    def __str__(self) -> str:
        return " || ".join(str(o) for o in self.operands)


Node = All | Global | Has | Compare | InSet | Not | And | Or

COMPARE_OPS = ("==", "!=", "contains", "starts with", "ends with")


@dataclass(frozen=True)
class CalicoSelector:
    """A selector as written (``text``) and as parsed (``root``); equal when the text is."""

    text: str
    root: Node

    @property
    def is_all(self) -> bool:
        return isinstance(self.root, All)

    @property
    def uses_global(self) -> bool:
        """True when ``global()`` occurs anywhere in the expression."""
        return _has_global(self.root)

    def __str__(self) -> str:
        return self.text.strip() or "all()"


def _has_global(node: Node) -> bool:
    if isinstance(node, Global):
        return True
    if isinstance(node, Not):
        return _has_global(node.operand)
    if isinstance(node, And | Or):
        return any(_has_global(o) for o in node.operands)
    return False
