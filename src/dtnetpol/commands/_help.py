"""``--help`` of every command: descriptions wrapped to the terminal, examples kept as written."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

_MARK = "examples:\n"


def examples(*lines: str) -> str:
    """An epilog of example command lines (``# comment`` after two spaces is fine)."""
    return _MARK + "".join(f"  {line}\n" for line in lines)


class HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions like argparse does; an :func:`examples` epilog stays as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith(_MARK):
            return text.rstrip("\n")
        return super()._fill_text(text, width, indent)


def with_examples(parser: argparse.ArgumentParser, lines: Sequence[str]) -> None:
    """Attach examples to an existing parser."""
    parser.epilog = examples(*lines)
