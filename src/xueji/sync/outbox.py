"""Publishing change events. Only the registry writes here; the platform reads them
(``docs/events.md`` lists every type and its fields). Payloads carry no personal data."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import JSON, FromClause, Insert, cast, func, insert, literal, select
from sqlalchemy.orm import Session

from xueji.domain.clock import Clock
from xueji.sync.models import BULK, INTERACTIVE, OutboxEvent
from xueji.sync.repository import OutboxRepository


def publish(
    session: Session,
    clock: Clock,
    *,
    event_type: str,
    student_id: int,
    sequence: int,
    payload: dict[str, Any],
    bulk: bool = False,
) -> OutboxEvent:
    """One event of one student; ``bulk``: part of an import, in the bulk lane."""
    event = OutboxEvent(
        event_type=event_type,
        student_id=student_id,
        sequence=sequence,
        payload=payload,
        lane=BULK if bulk else INTERACTIVE,
        created_at=clock.now(),
    )
    OutboxRepository(session).add(event)
    return event


def events_of(session: Session, student_id: int) -> list[OutboxEvent]:
    return OutboxRepository(session).events_of(student_id)


#: students per ``students.imported`` event: a chunk is applied in one transaction of a
#: fraction of a second, so interactive changes wait at most that long behind an import
CHUNK = 5000
STUDENTS_IMPORTED = "students.imported"


def publish_chunks(
    new_students: FromClause,
    *,
    dialect: str,
    import_id: int,
    created_at: dt.datetime,
) -> Insert:
    """One ``students.imported`` event per chunk of up to ``CHUNK`` consecutive student ids
    that ``new_students`` (a column ``sid``) selects, as one ``INSERT … SELECT`` for the
    caller to execute in its transaction. Each event stands for sequence 1 of every
    student in its range; the payload names the import and holds no personal data."""
    payload = {"import_id": import_id}
    body: Any = literal(payload, JSON)
    if dialect == "postgresql":
        body = cast(literal(json.dumps(payload)), JSON)
    sid = new_students.c.sid
    chunk = select(func.min(sid).label("first"), func.max(sid).label("last")).group_by(sid // CHUNK)
    chunks = chunk.subquery()
    return insert(OutboxEvent).from_select(
        [
            "event_type",
            "student_id",
            "last_student_id",
            "sequence",
            "lane",
            "payload",
            "created_at",
        ],
        select(
            literal(STUDENTS_IMPORTED),
            chunks.c.first,
            chunks.c.last,
            literal(1),
            literal(BULK),
            body,
            literal(created_at),
        ),
    )


def publish_ranges(
    session: Session,
    ranges: list[tuple[int, int]],
    *,
    import_id: int,
    created_at: dt.datetime,
) -> None:
    """``publish_chunks`` for students an import wrote itself: one ``students.imported``
    event per (first, last) student id range."""
    if not ranges:
        return
    session.execute(
        insert(OutboxEvent),
        [
            {
                "event_type": STUDENTS_IMPORTED,
                "student_id": first,
                "last_student_id": last,
                "sequence": 1,
                "lane": BULK,
                "payload": {"import_id": import_id},
                "created_at": created_at,
            }
            for first, last in ranges
        ],
    )
