"""The history of enrollment changes and transfers between schools."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime


class EnrollmentChange(Base):
    """The history of 学籍异动 of one student, as shown on the student's page."""

    __tablename__ = "enrollment_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    from_school_code: Mapped[str] = mapped_column(String(10))
    to_school_code: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(500))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Transfer(Base):
    """A transfer requested by the receiving school and confirmed by the origin school."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    from_school_code: Mapped[str] = mapped_column(ForeignKey("schools.code"), index=True)
    to_school_code: Mapped[str] = mapped_column(ForeignKey("schools.code"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    requested_by: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: the origin school's reason when it returns the request
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    #: the student's name as the asking school typed it (its own list shows it; the
    #: registry's name is the origin school's to see)
    requested_name: Mapped[str | None] = mapped_column(String(100))
