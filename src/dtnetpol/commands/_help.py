"""``--help`` of every command: descriptions wrapped to the terminal, examples kept as written."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

_MARK = "examples:\n"


def examples(*lines: str) -> str:
    """An epilog of example command lines (``# comment`` after two spaces is fine)."""
    return _MARK + "".join(f"  {line}\n" for line in lines)


def _columns() -> int:
    """``shutil.get_terminal_size().columns`` (``COLUMNS``, else the terminal of stdout, else
    80), without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    try:
        return (os.get_terminal_size(stdout.fileno()).columns or 80) if stdout else 80
    except (AttributeError, ValueError, OSError):
        return 80


class HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions like argparse does; an :func:`examples` epilog stays as written.

    The width is argparse's own (the terminal's, less 2), found without shutil: argparse
    makes a formatter for every flag it adds, and its own lookup imports shutil with its
    archive modules (a hundredth of a check on a small cluster, that prints no help)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _columns() - 2 if width is None else width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith(_MARK):
            return text.rstrip("\n")
        return super()._fill_text(text, width, indent)


def with_examples(parser: argparse.ArgumentParser, lines: Sequence[str]) -> None:
    """Attach examples to an existing parser."""
    parser.epilog = examples(*lines)
