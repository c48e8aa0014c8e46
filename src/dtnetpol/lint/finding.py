"""What a rule reports: one sortable finding with a severity, a location, a message and a fix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dtnetpol.model.location import SourceLocation

__all__ = ["Finding", "Severity"]

_RANK = {"info": 0, "warning": 1, "error": 2}


class Severity(StrEnum):
    """How bad a finding is; ordered ``info < warning < error``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self.value]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    @staticmethod
    def parse(text: str) -> Severity:
        """``error``, ``warning`` or ``info`` (any case); ValueError otherwise."""
        try:
            return Severity(text.lower())
        except ValueError:
            raise ValueError(f"{text!r} is not one of error, warning, info") from None


@dataclass(frozen=True)
class Finding:
    """One problem a rule found.

    ``rule_id`` is the stable code (``NPL003``); ``message`` one sentence saying what is wrong;
    ``fix`` one sentence saying what to do; ``location`` the file, document, line and field
    path (``spec.ingress[0].from[1].podSelector``); ``column`` is 1-based when known.
    Findings sort by file, document, line, column, rule and message.
    """

    rule_id: str
    severity: Severity
    message: str
    location: SourceLocation
    fix: str = ""
    column: int | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, int, str, str, str]:
        loc = self.location
        return (loc.file, loc.document, loc.line or 0, self.column or 0, self.rule_id,
                loc.path, self.message)

    def __lt__(self, other: Finding) -> bool:
        return self.sort_key < other.sort_key

    def with_severity(self, severity: Severity) -> Finding:
        return Finding(self.rule_id, severity, self.message, self.location, self.fix,
                       self.column)
