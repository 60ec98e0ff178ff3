"""Audit entries and the single-row head that serialises appends to the chain."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime


class AuditEntry(Base):
    """One audited act. ``payload`` (before/after/reason, JSON) is encrypted because it
    holds minors' personal data; the chain hashes its ciphertext."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    school_code: Mapped[str | None] = mapped_column(String(10), index=True)
    subject: Mapped[str] = mapped_column(String(80), index=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The last entry's id and hash; appending locks this row, so the chain stays linear
    even with many writer processes."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditAnchor(Base):
    """An anchor taken by ``xueji audit anchor``: how many entries the log had and the
    link of the last one. Its copy kept elsewhere is what ``xueji audit verify --anchor``
    checks against; this row lets the operators' page show the latest."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entries: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
