"""The outbox: registry change events, written in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, Integer, SmallInteger, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime

#: ``lane``: interactive changes (a clerk's correction, a suspension, a transfer) are
#: taken before bulk work (an import's students and changes), so they never queue behind
#: a term-start import.
INTERACTIVE, BULK = 0, 1


class OutboxEvent(Base):
    """One event. ``sequence`` orders the events of one student. The payload names what
    changed but holds no personal data: the consumer reads the student's current state
    through the registry's lookup, so the outbox needs no encryption.

    An import's new students are published as a few ``students.imported`` events, each
    standing for the first event (sequence 1) of every student whose id lies between
    ``student_id`` and ``last_student_id``: one row per chunk instead of one per student.
    """

    __tablename__ = "outbox_events"
    __table_args__ = (
        UniqueConstraint("student_id", "sequence"),
        Index(
            "ix_outbox_events_pending",
            "lane",
            "id",
            sqlite_where=text("handled_at IS NULL"),
            postgresql_where=text("handled_at IS NULL"),
        ),
        # the newest handled events, for the delay percentiles (/metrics, ops page)
        Index("ix_outbox_events_handled_at", "handled_at"),
        Index(
            "ix_outbox_events_pending_student",
            "student_id",
            "id",
            sqlite_where=text("handled_at IS NULL"),
            postgresql_where=text("handled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    #: set only on ``students.imported``: the last student id of the chunk
    last_student_id: Mapped[int | None] = mapped_column(Integer)
    lane: Mapped[int] = mapped_column(SmallInteger, default=INTERACTIVE, server_default="0")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: Set by the consumer in the same transaction as the event's effect: a crash means
    #: a retry, never a loss or a double. ``lag_ms``: from commit to applied.
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lag_ms: Mapped[int | None] = mapped_column(Integer)
    #: Failed attempts; after a failure the event waits until ``next_attempt_at``
    #: (exponential backoff); after the last allowed attempt it is a dead letter
    #: (``dead_at``) until an operator retries it. ``apply_count`` counts successful
    #: applications: anything but 0 or 1 is a fault the reconciliation reports.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    dead_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    apply_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ScheduledJob(Base):
    """When a periodic job last ran; a conditional update lets exactly one of several
    workers take each run."""

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
