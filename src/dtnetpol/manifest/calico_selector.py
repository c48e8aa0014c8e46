"""Calico's selector language, read with a real grammar (lark, LALR(1)).

The language (Calico ``libcalico-go/lib/selector``, the ``selector`` fields of
projectcalico.org/v3 policies)::

    expr     := or
    or       := and ("||" and)*
    and      := unary ("&&" unary)*
    unary    := "!"* atom                  # negation binds tighter than && and ||
    atom     := "all()" | "global()" | "has(" LABEL ")" | "(" or ")"
              | LABEL ("==" | "!=" | "contains" | "starts with" | "ends with") STRING
              | LABEL ("in" | "not in") "{" [STRING ("," STRING)* [","]] "}"

Labels are one or more characters of ``A-Z a-z 0-9 _ . / -``; strings are single- or double-quoted
and have no escapes; blanks are spaces and tabs only. An empty selector is ``all()``. A
parse error names the 1-based column where reading stopped and what could come there.

Why a grammar and not regular expressions: precedence, nesting and the keyword-or-label
ambiguity (``in`` is a label at the start of an operation, an operator after a label) are
exactly what an LALR parser with a contextual lexer gets right, and its errors carry a column.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from dtnetpol.model.calico_selector import (
    All,
    And,
    CalicoSelector,
    Compare,
    Global,
    Has,
    InSet,
    Node,
    Not,
    Or,
)

_GRAMMAR = r"""
?start: or_expr
      |                                   -> empty

?or_expr: and_expr (OR and_expr)*
?and_expr: unary (AND unary)*
?unary: atom
      | BANG unary                        -> negate

?atom: ALL                                -> all_
     | GLOBAL                             -> global_
     | HAS LABEL RPAR                     -> has
     | LPAR or_expr RPAR                  -> group
     | LABEL EQ STRING                    -> compare
     | LABEL NE STRING                    -> compare
     | LABEL CONTAINS STRING              -> compare
     | LABEL STARTS_WITH STRING           -> compare
     | LABEL ENDS_WITH STRING             -> compare
     | LABEL IN set_                      -> in_set
     | LABEL NOT_IN set_                  -> in_set

set_: LBRACE [STRING (COMMA STRING)* COMMA?] RBRACE

ALL.3: /all\([ \t]*\)/
GLOBAL.3: /global\([ \t]*\)/
HAS.3: "has("
NOT_IN.2: /not[ \t]*in/
STARTS_WITH.2: /starts[ \t]*with/
ENDS_WITH.2: /ends[ \t]*with/
CONTAINS.2: "contains"
IN.2: "in"
LABEL: /[a-zA-Z0-9_.\/-]+/
STRING: /"[^"]*"/ | /'[^']*'/
EQ: "=="
NE: "!="
BANG: "!"
AND: "&&"
OR: "||"
LPAR: "("
RPAR: ")"
LBRACE: "{"
RBRACE: "}"
COMMA: ","

%ignore /[ \t]+/
"""

# What each terminal looks like to a user, for "expected ..." in errors.
_SHOWN = {
    "ALL": "all()", "GLOBAL": "global()", "HAS": "has(", "NOT_IN": "not in",
    "STARTS_WITH": "starts with", "ENDS_WITH": "ends with", "CONTAINS": "contains",
    "IN": "in", "LABEL": "a label", "STRING": "a quoted string", "EQ": "==", "NE": "!=",
    "BANG": "!", "AND": "&&", "OR": "||", "LPAR": "(", "RPAR": ")", "LBRACE": "{",
    "RBRACE": "}", "COMMA": ",", "$END": "the end",
}
_OPS = {"EQ": "==", "NE": "!=", "CONTAINS": "contains", "STARTS_WITH": "starts with",
        "ENDS_WITH": "ends with"}


class SelectorError(ValueError):
    """A selector that does not parse; ``column`` is 1-based, ``message`` names it."""

    def __init__(self, text: str, column: int, reason: str) -> None:
        self.text = text
        self.column = column
        self.reason = reason
        super().__init__(f"invalid selector {text!r}: column {column}: {reason}")


@v_args(inline=True)
class _Build(Transformer[Token, Node]):
    def empty(self) -> Node:
        return All()

    def all_(self, _tok: Token) -> Node:
        return All()

    def global_(self, _tok: Token) -> Node:
        return Global()

    def has(self, _open: Token, label: Token, _close: Token) -> Node:
        return Has(str(label))

    def group(self, _open: Token, inner: Node, _close: Token) -> Node:
        return inner

    def negate(self, _bang: Token, operand: Node) -> Node:
        # Calico folds a run of "!" into one flag: "!!x" is x itself.
        return operand.operand if isinstance(operand, Not) else Not(operand)

    def compare(self, label: Token, op: Token, value: Token) -> Node:
        return Compare(str(label), _OPS[op.type], str(value)[1:-1])

    def in_set(self, label: Token, op: Token, values: frozenset[str]) -> Node:
        return InSet(str(label), values, negated=op.type == "NOT_IN")

    def set_(self, *items: Token | None) -> frozenset[str]:
        return frozenset(str(t)[1:-1] for t in items if t is not None and t.type == "STRING")

    # && and || are associative: nested groups of the same operator are flattened, so a
    # selector and its printed form parse to equal nodes.
    def or_expr(self, *items: Node | Token) -> Node:
        return Or(tuple(n for i in items if not isinstance(i, Token)
                        for n in (i.operands if isinstance(i, Or) else (i,))))

    def and_expr(self, *items: Node | Token) -> Node:
        return And(tuple(n for i in items if not isinstance(i, Token)
                         for n in (i.operands if isinstance(i, And) else (i,))))


_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=True,
               transformer=_Build())


_OPERATORS = frozenset({"EQ", "NE", "CONTAINS", "STARTS_WITH", "ENDS_WITH", "IN", "NOT_IN"})


def _expected(expected: Iterable[str]) -> str:
    names = frozenset(expected)
    if names >= _OPERATORS:
        return (", expected an operator (==, !=, in, not in, contains, starts with, "
                "ends with)")
    shown = sorted({_SHOWN.get(n, n) for n in names})
    return ", expected " + " or ".join(shown) if shown else ""


def _error(text: str, exc: UnexpectedInput) -> SelectorError:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        char = text[pos] if pos < len(text) else ""
        hint = ""
        if char in "=&|":
            hint = f" ({char * 2} is written doubled)"
        elif char in "'\"":
            hint = " (a string that is never closed)"
        elif char == "\n":
            hint = " (a selector is one line)"
        return SelectorError(text, exc.column, f"unexpected character {char!r}"
                             + (hint or _expected(exc.allowed or set())))
    if isinstance(exc, UnexpectedEOF):
        return SelectorError(text, len(text) + 1, "unexpected end" + _expected(exc.expected))
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            return SelectorError(text, len(text) + 1,
                                 "unexpected end" + _expected(exc.expected))
        start = tok.start_pos or 0
        before = text[:start].rstrip(" \t")
        for word in ("has", "all", "global"):
            if tok.type == "LPAR" and before.endswith(word) and len(before) < start:
                return SelectorError(text, exc.column, f"unexpected '(': write {word}( "
                                     "with no blank before the parenthesis")
        return SelectorError(text, exc.column, f"unexpected {str(tok)!r}"
                             + _expected(exc.expected))
    return SelectorError(text, getattr(exc, "column", 1) or 1, str(exc))


@lru_cache(maxsize=16384)
def parse_selector(text: str) -> CalicoSelector:
    """Parse a Calico selector.

    Args:
        text: the expression; empty or blank means ``all()``.

    Returns:
        The parsed selector (identical text gives the identical object: cached).

    Raises:
        SelectorError: the text is not a selector; ``column`` points at the problem.
    """
    try:
        root = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise _error(text, exc) from None
    assert not isinstance(root, Token | Tree), root
    return CalicoSelector(text, root)
