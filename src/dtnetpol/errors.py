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

    def __reduce__(self) -> tuple[object, ...]:
        # Keeps the location when a worker process sends the error back.
        return (type(self), (self.message, self.location))

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        loc = self.location
        where = f"{loc.file}:{loc.line}" if loc.line is not None else loc.file
        field = f" {loc.path}:" if loc.path else ""
        return f"{where}: document {loc.document}:{field} {self.message}"


class InputErrors(InputError):
    """Every error of the input, one per line, sorted by file and line (one run reports
    all of them, not only the first)."""

    def __init__(self, errors: list[InputError]) -> None:
        ordered = sorted(errors, key=_order)
        super().__init__(f"{len(ordered)} errors in the input",
                         ordered[0].location if ordered else None)
        self.errors = tuple(ordered)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (list(self.errors),))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def _order(e: InputError) -> tuple[str, int, int, str]:
    loc = e.location
    if loc is None:
        return ("", 0, 0, "")
    return (loc.file, loc.line or 0, loc.document, loc.path)


def raise_all(errors: list[InputError]) -> None:
    """Raise the one error, or all of them together; nothing when there is none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors)


class UsageError(DtnetpolError):
    """A command-line argument that names nothing or cannot be parsed."""

    def __str__(self) -> str:
        return self.message
