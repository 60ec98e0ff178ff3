"""The outbox: registry change events, written in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime


class OutboxEvent(Base):
    """One event. ``sequence`` orders the events of one student. The payload names what
    changed but holds no personal data: the consumer reads the student's current state
    through the registry's lookup, so the outbox needs no encryption."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        UniqueConstraint("student_id", "sequence"),
        Index(
            "ix_outbox_events_pending",
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
