"""A rich console that renders into a string, coloured only when asked (TTY, no NO_COLOR)."""

from __future__ import annotations

import io
import os
import shutil
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


def _plain_line(r: object, width: int) -> str | None:
    """``r`` as the line rich would print without colour, when that is plain to see: one line
    of printable ASCII that fits the width (a connection list has hundreds of thousands of
    them; rich takes 50 µs a line). Anything else goes through rich."""
    from rich.text import Text

    if isinstance(r, Text):
        if r.no_wrap or r.end != "\n":
            return None
        r = r.plain
    if not isinstance(r, str):
        return None
    line = r.rstrip(" ")
    if len(line) > width or not r.isascii() or not r.isprintable():
        return None                    # rich measures, escapes and wraps it
    return line


def render(renderables: Iterable[RenderableType], *, colour: bool = False,
           width: int | None = None) -> str:
    from rich.text import Text

    buf = io.StringIO()
    width = width or terminal_width()
    console = _safe_console()(file=buf, width=width, force_terminal=colour,
                      color_system="standard" if colour else None, no_color=not colour,
                      highlight=False, soft_wrap=False)
    for r in renderables:
        plain = None if colour else _plain_line(r, width)
        if plain is not None:
            buf.write(plain + "\n")
            continue
        # Plain strings are data (label values may contain "[...]"), never rich markup.
        if isinstance(r, Text) and r.no_wrap:
            console.print(r, soft_wrap=True)  # e.g. YAML to paste: never wrapped or cropped
        else:
            console.print(Text(r) if isinstance(r, str) else r)
    return buf.getvalue()
