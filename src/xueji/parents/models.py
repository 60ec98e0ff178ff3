"""Parent accounts, SMS codes, bindings to children, phone-change applications."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime
from xueji.db.crypto import EncryptedString


class ParentAccount(Base):
    """A parent's platform account (sign-in in ``accounts``, username = the phone). It
    holds no registry data: children are reached only through bindings."""

    __tablename__ = "parent_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    phone: Mapped[str] = mapped_column(EncryptedString("parent.phone"))
    phone_index: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ParentBinding(Base):
    """A parent bound to a child through a guardian phone of the registry. Ended (not
    deleted) when that phone leaves the child's guardians, so history stays."""

    __tablename__ = "parent_bindings"
    __table_args__ = (
        Index(
            "uq_parent_bindings_live",
            "parent_account_id",
            "student_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_account_id: Mapped[int] = mapped_column(
        ForeignKey("parent_accounts.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(Integer, index=True)
    bound_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PhoneChangeApplication(Base):
    """家长联系方式变更申请: a parent asks the school to record their (proven) phone as a
    guardian phone of a child. submitted → forwarded (head teacher) → approved/rejected
    (school administrator; also straight from submitted)."""

    __tablename__ = "phone_change_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_account_id: Mapped[int] = mapped_column(
        ForeignKey("parent_accounts.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(Integer, index=True)
    school_code: Mapped[str] = mapped_column(String(10), index=True)
    student_name: Mapped[str] = mapped_column(String(100))
    guardian_name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(EncryptedString("application.phone"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    forwarded_by: Mapped[int | None] = mapped_column(Integer)
    forwarded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(500), default="")
