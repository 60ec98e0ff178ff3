"""Publishing change events. Only the registry writes here; the platform reads them
(``docs/events.md`` lists every type and its fields)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from xueji.db.crypto import keyring
from xueji.domain.clock import Clock
from xueji.sync.models import OutboxEvent
from xueji.sync.repository import OutboxRepository

PURPOSE = "outbox.payload"


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
        payload=seal(payload),
        created_at=clock.now(),
    )
    OutboxRepository(session).add(event)
    return event


def seal(payload: dict[str, Any]) -> bytes:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return keyring().encrypt(text, purpose=PURPOSE)


def open_payload(event: OutboxEvent) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(keyring().decrypt(event.payload, purpose=PURPOSE))
    return loaded


def events_of(session: Session, student_id: int) -> list[OutboxEvent]:
    return OutboxRepository(session).events_of(student_id)
