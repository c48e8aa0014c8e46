"""A rich console that renders into a string, coloured only when asked (TTY, no NO_COLOR)."""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from dtnetpol.safe_text import escape_controls

if TYPE_CHECKING:   # rich is imported when something is rendered, not to ask use_colour
    from rich.console import Console, RenderableType

DEFAULT_WIDTH = 100


def use_colour(stream: object = None) -> bool:
    """Colour only on a terminal and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    out = stream if stream is not None else sys.stdout
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def terminal_width() -> int:
    """The terminal's width when stdout is one (``COLUMNS`` wins), else 100 columns, so that
    piped output and golden files never depend on the window they were made in."""
    isatty = getattr(sys.stdout, "isatty", None)
    if isatty is not None and isatty():
        import shutil  # with its archive modules: only on a terminal

        return max(40, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH


@cache
def _safe_console() -> type[Console]:
    """The console class, made on first use (importing rich costs start-up time)."""
    from rich.console import Console
    from rich.segment import Segment

    class _SafeConsole(Console):
        """Escapes control characters in the text of every segment before the console adds
        its colours: cell texts come from the input, colours from us (see
        :mod:`dtnetpol.safe_text`)."""

        def _render_buffer(self, buffer: Iterable[Segment]) -> str:
            return super()._render_buffer(
                seg if seg.control else Segment(escape_controls(seg.text), seg.style)
                for seg in buffer)

    return _SafeConsole


#: The characters besides ASCII that the reports themselves print (check's marks); each is
#: one cell wide, in rich as in terminals.
_ONE_CELL = frozenset("✓✗→")
_WORD = re.compile(r"\s*\S+\s*")     # a word and the blanks after it, as rich cuts them


def plain_lines(text: str, width: int) -> list[str] | None:
    """``text`` as the lines rich prints without colour at ``width``, when that is plain to
    compute: printable ASCII (and :data:`_ONE_CELL`), each word shorter than a line. A
    connection list has hundreds of thousands of lines and rich takes 50 µs a line; importing
    rich took a tenth of a check on a small cluster. None for anything else: rich measures,
    escapes, folds.

    A longer text is wrapped as rich wraps it (``rich.text.Text.wrap``): greedily between
    words, a word with the blanks after it, a line keeping those blanks when they fit.
    ``tests/unit/render/test_whole_words.py`` holds both to the same output.
    """
    if not text.isprintable() or not (
            text.isascii() or all(c < "\x80" or c in _ONE_CELL for c in text)):
        return None
    if len(text) <= width:
        return [text]
    breaks: list[int] = []
    used = 0
    for word in _WORD.finditer(text):
        size = len(word.group().rstrip())
        if size > width:
            return None                 # rich folds it
        if width - used >= size:
            used += len(word.group())
        elif used and word.start():
            breaks.append(word.start())
            used = len(word.group())
    lines = []
    for a, b in zip([0, *breaks], [*breaks, len(text)], strict=True):
        line = text[a:b]
        if len(line) > width:           # blanks beyond the width are dropped
            blanks = len(line) - len(line.rstrip())
            line = line[:len(line) - min(blanks, len(line) - width)]
            if len(line) > width:
                return None
        lines.append(line)
    return lines


def _plain_lines(r: object, width: int) -> list[str] | None:
    """:func:`plain_lines` of a string or of rich's ``Text`` (None for anything else)."""
    if isinstance(r, str):
        return plain_lines(r, width)
    from rich.text import Text

    if isinstance(r, Text) and not r.no_wrap and r.end == "\n":
        return plain_lines(r.plain, width)
    return None


def render(renderables: Iterable[RenderableType], *, colour: bool = False,
           width: int | None = None) -> str:
    from rich.text import Text

    buf = io.StringIO()
    width = width or terminal_width()
    console = _safe_console()(file=buf, width=width, force_terminal=colour,
                      color_system="standard" if colour else None, no_color=not colour,
                      highlight=False, soft_wrap=False)
    for r in renderables:
        plain = None if colour else _plain_lines(r, width)
        if plain is not None:
            buf.writelines(f"{line}\n" for line in plain)
            continue
        # Plain strings are data (label values may contain "[...]"), never rich markup.
        if isinstance(r, Text) and r.no_wrap:
            console.print(r, soft_wrap=True)  # e.g. YAML to paste: never wrapped or cropped
        else:
            console.print(Text(r) if isinstance(r, str) else r)
    return buf.getvalue()
