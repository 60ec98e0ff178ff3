"""Accounts, their sessions, and the counters that throttle failed sign-ins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime


class Account(Base):
    """An account of any role. It is found at sign-in by ``sign_in_index``, the blind
    index of its sign-in name; ``username`` keeps that name in clear only for staff and
    students, whose names may not hold a phone or an identity number. A parent signs in
    with a phone, which is kept nowhere in clear (``username`` is empty)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    sign_in_index: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(String(6))
    school_code: Mapped[str | None] = mapped_column(String(10))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AuthSession(Base):
    """A signed-in session; only the SHA-256 of its token is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ThrottleBucket(Base):
    """Consecutive failures counted under one key (account, address, or both)."""

    __tablename__ = "auth_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SmsCode(Base):
    """One code sent to a phone for a purpose. Only a keyed hash of the code is kept; a
    newer code for the same phone and purpose replaces the older one."""

    __tablename__ = "sms_codes"
    __table_args__ = (Index("ix_sms_codes_lookup", "phone_index", "purpose", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_index: Mapped[bytes] = mapped_column(LargeBinary(16))
    purpose: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
