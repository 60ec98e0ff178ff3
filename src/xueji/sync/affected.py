"""Which students a batch of events is about, as the consumer hands it to the reactions:
each reaction reads and writes all of them with a few set-wise statements instead of a
round of lookups per student."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import ColumnElement, case, false, literal, or_
from sqlalchemy.orm import QueryableAttribute


class Event(Protocol):
    """What a consumer of the feed reads of an event (an ``OutboxEvent`` row)."""

    @property
    def event_type(self) -> str: ...
    @property
    def student_id(self) -> int: ...
    @property
    def last_student_id(self) -> int | None: ...
    @property
    def sequence(self) -> int: ...
    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Affected:
    """Single students, each with the highest sequence of its events in the batch, and
    the id ranges of import chunks (``students.imported``: sequence 1 for each)."""

    sequences: Mapping[int, int] = field(default_factory=dict)
    ranges: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, events: Iterable[Event]) -> Affected:
        sequences: dict[int, int] = {}
        ranges: list[tuple[int, int]] = []
        for event in events:
            if event.last_student_id is not None:
                ranges.append((event.student_id, event.last_student_id))
            else:
                known = sequences.get(event.student_id, 0)
                sequences[event.student_id] = max(known, event.sequence)
        return cls(sequences, tuple(ranges))

    def __bool__(self) -> bool:
        return bool(self.sequences or self.ranges)

    def condition(
        self, student_id: ColumnElement[int] | QueryableAttribute[int]
    ) -> ColumnElement[bool]:
        """``student_id`` (any table's student id column) is one of these students."""
        parts: list[ColumnElement[bool]] = [
            student_id.between(first, last) for first, last in self.ranges
        ]
        if self.sequences:
            parts.append(student_id.in_(sorted(self.sequences)))
        return or_(*parts) if parts else false()

    def sequence(
        self, student_id: ColumnElement[int] | QueryableAttribute[int]
    ) -> ColumnElement[int]:
        """The sequence this batch brings ``student_id`` to: its event's, or 1 for a
        student of an import chunk."""
        if not self.sequences:
            return literal(1)
        return case(dict(self.sequences), value=student_id, else_=literal(1))
