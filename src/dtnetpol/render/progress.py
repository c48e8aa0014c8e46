"""Progress on long work: a status line on stderr, only when stderr is a terminal.

Redirected or piped stderr (CI logs, ``2>file``) never sees it, so logs keep only warnings
and errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:   # rich is imported only when a status line is shown (a terminal)
    from rich.status import Status

from dtnetpol.safe_text import unwrap


class Progress:
    """Updates one status line; does nothing when the stream is not a terminal."""

    def __init__(self, status: Status | None) -> None:
        self._status = status

    def update(self, text: str) -> None:
        if self._status is not None:
            self._status.update(text)


def is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def progress(err: TextIO, text: str, *, quiet: bool = False) -> Iterator[Progress]:
    """``with progress(err, "loading") as p: ... p.update("checking 3/23")``; nothing with
    ``quiet`` (``-q``)."""
    if quiet or not is_terminal(err):
        yield Progress(None)
        return
    from rich.console import Console

    # The status line's cursor controls are ours: below the escaping stream (its texts too).
    console = Console(file=unwrap(err), stderr=True)
    with console.status(text) as status:
        yield Progress(status)
