"""What an import answers: counts and the rejected rows with their reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_ERROR_DETAILS = 100_000


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "code": self.code, "message": self.message}


@dataclass
class ImportResult:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    import_id: int | None = None

    def counts(self) -> dict[str, int]:
        return {
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }

    def as_dict(self) -> dict[str, object]:
        return {**self.counts(), "errors": [e.as_dict() for e in self.errors]}

    def note_error(self, row: int, code: str, message: str) -> None:
        """Counts every rejected row; keeps the first ``MAX_ERROR_DETAILS`` reasons."""
        self.rejected += 1
        if len(self.errors) < MAX_ERROR_DETAILS:
            self.errors.append(RowError(row, code, message))
