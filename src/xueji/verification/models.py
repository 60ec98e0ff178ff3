"""A school's notice to a student: "what you entered is wrong here, correct it"."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime


class AccountNotice(Base):
    __tablename__ = "account_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_account_id: Mapped[int] = mapped_column(
        ForeignKey("student_accounts.id", ondelete="CASCADE"), index=True
    )
    school_code: Mapped[str] = mapped_column(String(10))
    #: comma-separated field names of the five fields the student should correct
    fields: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
