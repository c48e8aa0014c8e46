"""The error tree. Every error the user can cause carries where it happened."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:   # only for annotations: the CLI imports this before any command runs
    from dtnetpol.model.location import SourceLocation


class DtnetpolError(Exception):
    """Base of every error dtnetpol raises on purpose; the CLI prints it in one line."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        if type(self) is DtnetpolError:
            raise TypeError("raise a subclass of DtnetpolError")
        super().__init__(message)
        self.message = message


class InputError(DtnetpolError):
    """Bad input: unreadable file, malformed YAML, a field of the wrong type or value."""

    def __init__(self, message: str, location: SourceLocation | None = None) -> None:
        super().__init__(message)
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        loc = self.location
        where = f"{loc.file}:{loc.line}" if loc.line is not None else loc.file
        field = f" {loc.path}:" if loc.path else ""
        return f"{where}: document {loc.document}:{field} {self.message}"


class UsageError(DtnetpolError):
    """A command-line argument that names nothing or cannot be parsed."""

    def __str__(self) -> str:
        return self.message
