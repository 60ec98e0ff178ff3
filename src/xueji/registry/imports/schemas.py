"""What an import answers: counts, the rejected rows with their reasons, and the
existing students whose file values differ from the registry's, field by field."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_ERROR_DETAILS = 100_000
#: differing students listed field by field (``differs`` counts them all)
MAX_CHANGE_DETAILS = 100_000


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of an existing student: the registry's value and the file's (phones
    masked)."""

    field: str
    label: str
    current: str
    file: str

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "label": self.label,
            "current": self.current,
            "file": self.file,
        }


@dataclass(frozen=True, slots=True)
class RowChange:
    row: int
    #: masked, as every screen shows it
    registry_no: str
    fields: list[FieldChange]

    def as_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "registry_no": self.registry_no,
            "fields": [f.as_dict() for f in self.fields],
        }


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class RowWarning:
    """An accepted row worth a second look (a space inside a Chinese name)."""

    row: int
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "message": self.message}


@dataclass
class ImportResult:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    import_id: int | None = None
    #: existing students whose file values differ (applied only with ``update``)
    differs: int = 0
    changes: list[RowChange] = field(default_factory=list)
    #: accepted rows worth a second look (the first ``MAX_ERROR_DETAILS``)
    warnings: list[RowWarning] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }

    def as_dict(self) -> dict[str, object]:
        return {
            **self.counts(),
            "errors": [e.as_dict() for e in self.errors],
            "differs": self.differs,
            "changes": [c.as_dict() for c in self.changes],
            "warnings": [w.as_dict() for w in self.warnings],
        }

    def note_change(self, change: RowChange) -> None:
        """Counts every differing student; keeps the first ``MAX_CHANGE_DETAILS``."""
        self.differs += 1
        if len(self.changes) < MAX_CHANGE_DETAILS:
            self.changes.append(change)

    def note_warning(self, row: int, message: str) -> None:
        if len(self.warnings) < MAX_ERROR_DETAILS:
            self.warnings.append(RowWarning(row, message))

    def note_error(self, row: int, code: str, message: str) -> None:
        """Counts every rejected row; keeps the first ``MAX_ERROR_DETAILS`` reasons."""
        self.rejected += 1
        if len(self.errors) < MAX_ERROR_DETAILS:
            self.errors.append(RowError(row, code, message))
