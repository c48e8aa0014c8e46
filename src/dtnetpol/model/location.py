"""Where a piece of input came from, so every message can point at it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A position in the user's input.

    ``document`` is the 1-based index of the YAML/JSON document in ``file``; ``line`` is
    1-based (None when the format gives none); ``path`` is a field path such as
    ``spec.ingress[0].from[1].ipBlock.cidr``.
    """

    file: str
    document: int = 1
    line: int | None = None
    path: str = ""

    def at(self, path: str, line: int | None = None) -> SourceLocation:
        """The same document, at another field (keeping our line when none is known)."""
        return SourceLocation(self.file, self.document, line if line is not None else self.line,
                              path)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where} (document {self.document})"
