"""Terminal tables that break cells between words only.

Rich folds a cell that is narrower than a word (``dynatrace-operator[Deploymen`` / ``t]``,
``policies/shop.yaml:9`` / ``5)``). Here each column is at least as wide as its longest
word; wider columns give way first; when even that does not fit the width, every row is
stacked (its first cell, then ``header: value`` lines), so a name or a ``file:line`` is never
cut. Wrapped lines stay in their column.
"""

from __future__ import annotations

import textwrap
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


def _wrap(text: str, width: int) -> list[str]:
    out: list[str] = []
    for para in text.splitlines() or [""]:
        out.extend(textwrap.wrap(para, width=max(width, 1), break_long_words=False,
                                 break_on_hyphens=False) or [""])
    return out


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def _widths(header: Sequence[str], rows: Sequence[Sequence[Cell]], width: int
            ) -> list[int] | None:
    columns = [[h, *(_plain(r[i]) for r in rows)] for i, h in enumerate(header)]
    natural = [max(len(line) for v in col for line in v.splitlines() or [""])
               for col in columns]
    least = [max(_longest_word(v) for v in col) for col in columns]
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
    return textwrap.wrap(text, width=width, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [""]


def _stacked(header: Sequence[str], rows: Sequence[Sequence[Cell]], width: int) -> list[Text]:
    out: list[Text] = []
    for row in rows:
        first, *rest = row
        out.extend(Text(line, style=_style(first))
                   for line in textwrap.wrap(_plain(first), width=width, subsequent_indent="  ",
                                             break_long_words=False, break_on_hyphens=False))
        for h, cell in zip(header[1:], rest, strict=True):
            text = " ".join(_plain(cell).split())
            out.extend(Text(line) for line in textwrap.wrap(
                f"{h}: {text}", width=width, initial_indent="    ", subsequent_indent="      ",
                break_long_words=False, break_on_hyphens=False))
    return out
