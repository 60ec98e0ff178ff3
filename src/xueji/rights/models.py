"""Erasure requests: who asked to erase which child's platform accounts, when it is
due (after the cooling-off period), and what became of it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime


class ErasureRequest(Base):
    """For a child on record (``student_id``: every platform account of the child), or
    for one student account not linked to any record (``student_account_id``)."""

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by: Mapped[int] = mapped_column(Integer)
    student_id: Mapped[int | None] = mapped_column(Integer, index=True)
    student_account_id: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: set with ``cancelled_at`` when nobody withdrew it: its requester could no longer
    #: ask for the child when it fell due
    lapsed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: how many student accounts the erasure deleted
    erased: Mapped[int | None] = mapped_column(Integer)
