"""Text from the input, made safe to print: the one place control characters are escaped.

A label value, a policy name or a file name can hold any character (YAML ``"\\e[2J"``, JSON
``"\\u001b]0;title\\u0007"``): printed raw, it could clear the screen, set the window title or
hide the rest of a line. Every report and every message reaches the user through
:class:`SafeStream` (installed once, in :func:`dtnetpol.cli.main`, on stdout and stderr), which
escapes such characters as ``\\uXXXX``; the rich console escapes the text of each cell the same
way before it adds its own colours (:mod:`dtnetpol.render.console`).

``\\uXXXX`` was chosen because it is a valid escape inside the JSON and SARIF strings (where
``json.dumps`` leaves C1 and bidirectional controls raw) and inside YAML double-quoted strings,
and reads plainly in a table, Markdown or HTML.

File names that are not valid UTF-8 (bytes Python keeps as lone surrogates) are shown with the
invalid bytes percent-encoded (``bad\\xff.yaml`` → ``bad%FF.yaml``), the same in every format:
:func:`path_label` names files as the loader reads them.
"""

from __future__ import annotations

import io
import re
from typing import TextIO

# C0 controls but tab and newline, DEL, C1 controls, and the invisible bidirectional controls
# that reorder what a terminal shows ("Trojan source").
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069\ud800-\udfff]")
# What our own colour output is made of: SGR sequences only (colour, bold, reset).
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:       # an undecodable byte of a file name
        return f"%{code - 0xDC00:02X}"
    return f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with every control character (but tab and newline) escaped as ``\\uXXXX``
    and undecodable bytes (lone surrogates) as ``%XX``."""
    return _UNSAFE.sub(_escape, text)


def escape_line(text: str) -> str:
    """Like :func:`escape_controls`, tab and newline escaped too: for text that must stay on
    one line (a table cell, a field of a message)."""
    return escape_controls(text).replace("\t", "\\t").replace("\n", "\\n")


def path_label(path: str) -> str:
    """How a file is named in every message and report: invalid UTF-8 bytes of its name
    percent-encoded (``%FF``), control characters escaped; so JSON, SARIF and text show the
    same name."""
    return escape_controls(path)


class SafeStream(io.TextIOBase):
    """A text stream that escapes control characters on the way to ``raw``.

    ``keep_colour``: let SGR sequences (colour) through, for coloured tables on a terminal,
    whose cell texts the console has already escaped; every other escape sequence is still
    escaped.
    """

    def __init__(self, raw: TextIO, *, keep_colour: bool = False) -> None:
        super().__init__()
        self.raw = raw
        self.keep_colour = keep_colour

    def write(self, text: str) -> int:
        if self.keep_colour and "\x1b" in text:
            parts = _SGR.split(text)
            codes = _SGR.findall(text)
            safe = escape_controls(parts[0]) + "".join(
                code + escape_controls(part) for code, part in zip(codes, parts[1:],
                                                                  strict=True))
        else:
            safe = escape_controls(text)
        self.raw.write(safe)
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        isatty = getattr(self.raw, "isatty", None)
        return bool(isatty and isatty())

    def fileno(self) -> int:
        return self.raw.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", None) or "utf-8"

    def writable(self) -> bool:
        return True


def unwrap(stream: TextIO) -> TextIO:
    """The stream under a :class:`SafeStream` (for rich's live status line, which writes
    cursor controls of its own and only texts of ours)."""
    while isinstance(stream, SafeStream):
        stream = stream.raw
    return stream


__all__ = ["SafeStream", "escape_controls", "escape_line", "path_label", "unwrap"]
