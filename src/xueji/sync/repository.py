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
