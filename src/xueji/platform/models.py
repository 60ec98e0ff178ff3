"""Student accounts: what the student entered, and whether it is linked to the registry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime
from xueji.db.crypto import EncryptedString


class StudentAccount(Base):
    """A student's platform account (sign-in lives in ``accounts``).

    ``active_registry_index`` is set only while the account is active, and is unique: one
    active account per registry number, enforced by the database on both backends (NULLs
    do not collide).
    """

    __tablename__ = "student_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    student_no: Mapped[str] = mapped_column(String(20), unique=True)
    registry_no: Mapped[str] = mapped_column(EncryptedString("student_account.registry_no"))
    registry_index: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    school_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    student_id: Mapped[int | None] = mapped_column(Integer)
    active_registry_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class StudentProjection(Base):
    """What the platform knows of a registry student, learnt only from change events."""

    __tablename__ = "student_projection"

    student_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))
    school_code: Mapped[str] = mapped_column(String(10))
    region_code: Mapped[str] = mapped_column(String(6))
    applied_sequence: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
