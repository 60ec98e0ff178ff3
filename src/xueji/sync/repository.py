"""All SQL of the outbox."""

from __future__ import annotations

from sqlalchemy import select

from xueji.db.repository import Repository
from xueji.sync.models import OutboxEvent


class OutboxRepository(Repository):
    def add(self, event: OutboxEvent) -> None:
        self.session.add(event)
        self.session.flush()

    def events_of(self, student_id: int) -> list[OutboxEvent]:
        return list(
            self.session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.student_id == student_id)
                .order_by(OutboxEvent.sequence)
            )
        )

    def pending(self, limit: int, *, skip_locked: bool) -> list[OutboxEvent]:
        """The oldest events not yet handled, locked for this transaction (others skip
        them on PostgreSQL, so several workers share the queue)."""
        statement = (
            select(OutboxEvent)
            .where(OutboxEvent.handled_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
        if skip_locked:
            statement = statement.with_for_update(skip_locked=True)
        return list(self.session.scalars(statement))
