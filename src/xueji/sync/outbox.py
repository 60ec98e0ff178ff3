"""Publishing change events. Only the registry writes here; the platform reads them
(``docs/events.md`` lists every type and its fields). Payloads carry no personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from xueji.domain.clock import Clock
from xueji.sync.models import OutboxEvent
from xueji.sync.repository import OutboxRepository


def publish(
    session: Session,
    clock: Clock,
    *,
    event_type: str,
    student_id: int,
    sequence: int,
    payload: dict[str, Any],
) -> OutboxEvent:
    event = OutboxEvent(
        event_type=event_type,
        student_id=student_id,
        sequence=sequence,
        payload=payload,
        created_at=clock.now(),
    )
    OutboxRepository(session).add(event)
    return event


def events_of(session: Session, student_id: int) -> list[OutboxEvent]:
    return OutboxRepository(session).events_of(student_id)
