"""Terminal tables that break cells between words only.

Rich folds a cell that is narrower than a word (``dynatrace-operator[Deploymen`` / ``t]``,
``policies/shop.yaml:9`` / ``5)``). Here each column is at least as wide as its longest
word; wider columns give way first; when even that does not fit the width, every row is
stacked (its first cell, then ``header: value`` lines), so a name or a ``file:line`` is never
cut. Wrapped lines stay in their column. A long port list breaks after a comma.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.text import Text

Cell = str | Text
_GAP = "  "


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else cell


def _style(cell: Cell) -> str:
    if isinstance(cell, Text):
        if cell.style:
            return str(cell.style)
        if cell.spans:
            return str(cell.spans[0].style)
    return ""


_PIECE = re.compile(r"[^,]*,|[^,]+")


def _pieces(word: str) -> list[str]:
    """A word cut after each comma: a port list ``80,443,8080-8090`` may break between its
    items (never inside one), the comma kept at the end of the line."""
    return _PIECE.findall(word) or [word]


def _fill(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Greedy wrapping between words, and inside a word after a comma when the word alone is
    wider than the line; a name or a ``file:line`` (no comma) is never cut."""
    lines: list[str] = []
    line = first
    empty = True                      # nothing but the indent on ``line`` yet
    for word in text.split():
        need = len(word) + (0 if empty else 1)
        if len(line) + need <= width:
            line += word if empty else " " + word
            empty = False
            continue
        if not empty and len(rest) + len(word) <= width:
            lines.append(line)
            line, empty = rest + word, False
            continue
        for n, piece in enumerate(_pieces(word)):
            glue = "" if n or empty else " "
            if empty or len(line) + len(glue) + len(piece) <= width:
                line += glue + piece
            else:
                lines.append(line)
                line = rest + piece
            empty = False
    if not empty:
        lines.append(line)
    return lines


def _wrap(text: str, width: int) -> list[str]:
    out: list[str] = []
    for para in text.splitlines() or [""]:
        out.extend(_fill(para, max(width, 1)) or [""])
    return out


def _longest_word(text: str) -> int:
    return max((len(p) for w in text.split() for p in _pieces(w)), default=0)


def _widths(header: Sequence[str], rows: Sequence[Sequence[Cell]], width: int
            ) -> list[int] | None:
    natural = [0] * len(header)
    least = [0] * len(header)
    for row in ([*header], *rows):
        for i, cell in enumerate(row):
            text = _plain(cell)
            if len(text) <= least[i]:      # neither its lines nor its words can be longer
                continue
            natural[i] = max(natural[i], *(len(line) for line in text.splitlines() or [""]))
            least[i] = max(least[i], _longest_word(text))
    room = width - len(_GAP) * (len(header) - 1)
    widths = list(natural)
    while sum(widths) > room:
        shrinkable = [i for i, w in enumerate(widths) if w > least[i]]
        if not shrinkable:
            return None
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def fits(header: Sequence[str], rows: Sequence[Sequence[Cell]], width: int) -> bool:
    """Whether the rows fit as a table without cutting a word."""
    return _widths(header, rows, width) is not None


def text_table(header: Sequence[str], rows: Sequence[Sequence[Cell]], width: int
               ) -> list[Text]:
    """``rows`` under ``header`` in at most ``width`` columns (see the module's doc)."""
    widths = _widths(header, rows, width)
    if widths is None:
        return _stacked(header, rows, width)
    out = [Text(_GAP.join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
                style="bold"),
           Text(_GAP.join("─" * w for w in widths))]
    for row in rows:
        wrapped = [_wrap(_plain(c), w) for c, w in zip(row, widths, strict=True)]
        for n in range(max(len(c) for c in wrapped)):
            line = Text()
            for i, (cell, lines) in enumerate(zip(row, wrapped, strict=True)):
                if i:
                    line.append(_GAP)
                line.append((lines[n] if n < len(lines) else "").ljust(widths[i]),
                            style=_style(cell))
            line.rstrip()
            out.append(line)
    return out


def wrapped(text: str, width: int, indent: str = "    ") -> list[str]:
    """One line of text broken between words, continuation lines indented."""
    if len(text) <= width and " ".join(text.split()) == text:
        return [text]
    return _fill(text, width, rest=indent) or [""]


def _stacked(header: Sequence[str], rows: Sequence[Sequence[Cell]], width: int) -> list[Text]:
    out: list[Text] = []
    for row in rows:
        first, *rest = row
        out.extend(Text(line, style=_style(first))
                   for line in _fill(_plain(first), width, rest="  "))
        for h, cell in zip(header[1:], rest, strict=True):
            out.extend(Text(line) for line in _fill(
                f"{h}: {_plain(cell)}", width, first="    ", rest="      "))
    return out
