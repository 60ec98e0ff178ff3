"""All SQL of the outbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import aliased

from xueji.db.repository import Repository
from xueji.sync.models import BULK, INTERACTIVE, OutboxEvent, ScheduledJob


class OutboxRepository(Repository):
    def events_of(self, student_id: int) -> list[OutboxEvent]:
        """The student's events in sequence order, the import chunk it was registered in
        included."""
        in_chunk = and_(
            OutboxEvent.student_id <= student_id, OutboxEvent.last_student_id >= student_id
        )
        return list(
            self.session.scalars(
                select(OutboxEvent)
                .where(or_(OutboxEvent.student_id == student_id, in_chunk))
                .order_by(OutboxEvent.sequence, OutboxEvent.id)
            )
        )

    def get(self, event_id: int) -> OutboxEvent | None:
        return self.session.get(OutboxEvent, event_id)

    def pending(self, limit: int, *, now: dt.datetime) -> list[OutboxEvent]:
        """The events to apply next, locked for this transaction: the oldest due
        interactive events (with any earlier event they wait for); if there are none,
        bulk events of single students; if none either, one import chunk.

        An event is due when it is not handled, not dead and past its backoff; an event
        of one student is also due only when no earlier event of that student is still
        unhandled — so a student's events apply in order even when several workers take
        batches side by side (on PostgreSQL they skip each other's locked rows), and a
        dead letter holds back only its own student. An import chunk holds back no one:
        it is each of its students' first event, and a later event applied first already
        brings the student to its current state (see ``docs/events.md``).
        """
        single = OutboxEvent.last_student_id.is_(None)
        waiting_interactive = select(OutboxEvent.student_id).where(
            OutboxEvent.lane == INTERACTIVE, OutboxEvent.handled_at.is_(None)
        )
        interactive = or_(
            OutboxEvent.lane == INTERACTIVE,
            and_(single, OutboxEvent.student_id.in_(waiting_interactive.scalar_subquery())),
        )
        for condition, size in (
            (and_(interactive, single, ~self._blocked()), limit),
            (and_(OutboxEvent.lane == BULK, single, ~self._blocked()), limit),
            (OutboxEvent.last_student_id.is_not(None), 1),
        ):
            events = self._due(condition, size, now)
            if events:
                return events
        return []

    @staticmethod
    def _blocked() -> ColumnElement[bool]:
        earlier = aliased(OutboxEvent)
        return (
            select(earlier.id)
            .where(
                earlier.student_id == OutboxEvent.student_id,
                earlier.id < OutboxEvent.id,
                earlier.handled_at.is_(None),
                earlier.last_student_id.is_(None),
            )
            .exists()
        )

    def _due(
        self, condition: ColumnElement[bool], limit: int, now: dt.datetime
    ) -> list[OutboxEvent]:
        statement = (
            select(OutboxEvent)
            .where(
                OutboxEvent.handled_at.is_(None),
                OutboxEvent.dead_at.is_(None),
                or_(OutboxEvent.next_attempt_at.is_(None), OutboxEvent.next_attempt_at <= now),
                condition,
            )
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        return list(self.session.scalars(statement))

    def _count(self, *conditions: ColumnElement[bool]) -> int:
        return int(self.session.scalar(select(func.count()).where(*conditions)) or 0)

    def unhandled_count(self) -> int:
        return self._count(OutboxEvent.handled_at.is_(None), OutboxEvent.dead_at.is_(None))

    def oldest_unhandled(self) -> dt.datetime | None:
        return self.session.scalar(
            select(func.min(OutboxEvent.created_at)).where(
                OutboxEvent.handled_at.is_(None), OutboxEvent.dead_at.is_(None)
            )
        )

    def older_than(self, moment: dt.datetime) -> int:
        """Unhandled events (dead letters included) created before ``moment``."""
        return self._count(OutboxEvent.handled_at.is_(None), OutboxEvent.created_at < moment)

    def dead_letters(self) -> list[OutboxEvent]:
        return list(
            self.session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.dead_at.is_not(None), OutboxEvent.handled_at.is_(None))
                .order_by(OutboxEvent.id)
            )
        )

    def dead_letter_count(self) -> int:
        return self._count(OutboxEvent.dead_at.is_not(None), OutboxEvent.handled_at.is_(None))

    def recent_lags(self, count: int) -> list[int]:
        """The delays of the last ``count`` handled events, in milliseconds."""
        return [
            lag
            for lag in self.session.scalars(
                select(OutboxEvent.lag_ms)
                .where(OutboxEvent.handled_at.is_not(None))
                .order_by(OutboxEvent.handled_at.desc())
                .limit(count)
            )
            if lag is not None
        ]

    def take_job(self, name: str, *, now: dt.datetime, every: dt.timedelta) -> bool:
        """True for exactly one caller per period: the one whose update moved the stamp.
        Reads first, so a job that is not due costs no write (and no write lock)."""
        job = self.session.get(ScheduledJob, name)
        if job is None:
            self.session.add(ScheduledJob(name=name, last_run_at=now - every))
            self.session.flush()
        elif job.last_run_at > now - every:
            return False
        moved = self.session.execute(
            update(ScheduledJob)
            .where(and_(ScheduledJob.name == name, ScheduledJob.last_run_at <= now - every))
            .values(last_run_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(moved, "rowcount", 0) == 1)
