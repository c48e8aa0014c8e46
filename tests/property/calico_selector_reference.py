"""A reference Calico selector interpreter: scan characters, evaluate while reading.

No grammar library, no AST, no compilation: a hand-written scanner that follows Calico's
tokenizer rules (blanks are space and tab; after a label come only operators; ``has(``,
``all(``, ``global(`` are written without a blank before the parenthesis) and a recursive
evaluator over one label mapping. Returns None when the text is not a selector.
"""

from __future__ import annotations

from collections.abc import Mapping

LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")


class _Bad(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i = 0
    while True:
        while i < len(text) and text[i] in " \t":
            i += 1
        if i == len(text):
            out.append(("end", ""))
            return out
        c = text[i]
        after_label = bool(out) and out[-1][0] == "label"
        two = text[i:i + 2]
        if c in "(){},":
            out.append((c, c))
            i += 1
        elif c in "'\"":
            j = text.find(c, i + 1)
            if j < 0:
                raise _Bad
            out.append(("str", text[i + 1:j]))
            i = j + 1
        elif two in ("==", "!=", "&&", "||"):
            out.append((two, two))
            i += 2
        elif c == "!":
            out.append(("!", "!"))
            i += 1
        elif after_label:
            rest = text[i:]
            for word, kind in (("contains", "contains"), ("in", "in")):
                if rest.startswith(word):
                    out.append((kind, kind))
                    i += len(word)
                    break
            else:
                for first, second, kind in (("starts", "with", "starts with"),
                                            ("ends", "with", "ends with"),
                                            ("not", "in", "not in")):
                    if rest.startswith(first):
                        j = i + len(first)
                        while j < len(text) and text[j] in " \t":
                            j += 1
                        if not text.startswith(second, j):
                            raise _Bad
                        out.append((kind, kind))
                        i = j + len(second)
                        break
                else:
                    raise _Bad
        else:
            for word in ("has(", "all(", "global("):
                if text.startswith(word, i):
                    j = i + len(word)
                    while j < len(text) and text[j] in " \t":
                        j += 1
                    label = ""
                    if word == "has(":
                        k = j
                        while k < len(text) and text[k] in LABEL_CHARS:
                            k += 1
                        label, j = text[j:k], k
                        if not label:
                            raise _Bad
                        while j < len(text) and text[j] in " \t":
                            j += 1
                    if not text.startswith(")", j):
                        raise _Bad
                    out.append((word[:-1], label))
                    i = j + 1
                    break
            else:
                j = i
                while j < len(text) and text[j] in LABEL_CHARS:
                    j += 1
                if j == i:
                    raise _Bad
                out.append(("label", text[i:j]))
                i = j


def evaluate(text: str, labels: Mapping[str, str]) -> bool | None:
    """True/False for a selector and labels; None when ``text`` is not a selector."""
    try:
        toks = _tokens(text)
    except _Bad:
        return None
    pos = 0

    def peek() -> str:
        return toks[pos][0]

    def take(kind: str) -> str:
        nonlocal pos
        if toks[pos][0] != kind:
            raise _Bad
        pos += 1
        return toks[pos - 1][1]

    def or_() -> bool:
        result = and_()
        while peek() == "||":
            take("||")
            right = and_()   # no short-circuit: the rest must still parse
            result = result or right
        return result

    def and_() -> bool:
        result = unary()
        while peek() == "&&":
            take("&&")
            right = unary()
            result = result and right
        return result

    def unary() -> bool:
        if peek() == "!":
            take("!")
            return not unary()
        return atom()

    def atom() -> bool:
        kind = peek()
        if kind in ("all", "global"):
            take(kind)
            return True
        if kind == "has":
            return take("has") in labels
        if kind == "(":
            take("(")
            value = or_()
            take(")")
            return value
        key = take("label")
        op = peek()
        present, actual = key in labels, labels.get(key, "")
        if op in ("==", "!=", "contains", "starts with", "ends with"):
            take(op)
            value = take("str")
            return {
                "==": present and actual == value,
                "!=": not present or actual != value,
                "contains": present and value in actual,
                "starts with": present and actual.startswith(value),
                "ends with": present and actual.endswith(value),
            }[op]
        if op in ("in", "not in"):
            take(op)
            take("{")
            values = set()
            while peek() == "str":
                values.add(take("str"))
                if peek() != ",":
                    break
                take(",")
            take("}")
            inside = present and actual in values
            return inside if op == "in" else not inside
        raise _Bad

    try:
        if peek() == "end":
            return True
        result = or_()
        take("end")
    except _Bad:
        return None
    return result
