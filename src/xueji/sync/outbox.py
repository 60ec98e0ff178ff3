"""Publishing change events. Only the registry writes here; the platform reads them
(``docs/events.md`` lists every type and its fields). Payloads carry no personal data."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Protocol

from sqlalchemy import JSON, ColumnElement, Insert, cast, insert, literal, select
from sqlalchemy.orm import Session

from xueji.domain.clock import Clock
from xueji.sync.models import OutboxEvent
from xueji.sync.repository import OutboxRepository


class Event(Protocol):
    """What a consumer of the feed reads of an event (an ``OutboxEvent`` row)."""

    @property
    def event_type(self) -> str: ...
    @property
    def student_id(self) -> int: ...
    @property
    def sequence(self) -> int: ...
    @property
    def payload(self) -> dict[str, Any]: ...


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


def bulk_publish(
    student_ids: ColumnElement[int],
    *,
    dialect: str,
    event_type: str,
    payload: dict[str, Any],
    created_at: dt.datetime,
) -> Insert:
    """One event (sequence 1) for each student id that ``student_ids`` selects, as one
    ``INSERT … SELECT`` for the caller to execute in its transaction: a bulk import
    publishes its new students without a round trip per student. The payload is the same
    for every event and must hold no personal data."""
    body: Any = literal(payload, JSON)
    if dialect == "postgresql":
        body = cast(literal(json.dumps(payload)), JSON)
    return insert(OutboxEvent).from_select(
        ["event_type", "student_id", "sequence", "payload", "created_at"],
        select(literal(event_type), student_ids, literal(1), body, literal(created_at)),
    )
