"""Student accounts: what the student entered, and whether it is linked to the registry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime
from xueji.db.crypto import EncryptedString
from xueji.domain.five_fields import FiveFields


class StudentAccount(Base):
    """A student's platform account (sign-in lives in ``accounts``).

    ``active_registry_index`` is set only while the account is active, and is unique: one
    active account per registry number, enforced by the database on both backends (NULLs
    do not collide).
    """

    __tablename__ = "student_accounts"
    __table_args__ = (
        Index(
            "ix_student_accounts_pending_school_name",
            "school_name",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    student_no: Mapped[str] = mapped_column(String(20), unique=True)
    registry_no: Mapped[str] = mapped_column(EncryptedString("student_account.registry_no"))
    registry_index: Mapped[bytes] = mapped_column(LargeBinary(16), index=True)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    school_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    student_id: Mapped[int | None] = mapped_column(Integer, index=True)
    active_registry_index: Mapped[bytes | None] = mapped_column(LargeBinary(16), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: when a guardian consented (see ``GuardianConsent``): the account is the rightful
    #: student's, and may be told how its details differ from the registry's
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: the city (first four digits of the area code) of the number typed: a waiting
    #: account whose number is not on record reaches only that city's schools' queues
    area_prefix: Mapped[str | None] = mapped_column(String(4))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(200))

    def five_fields(self) -> FiveFields:
        """What the student entered, as the domain compares it with the registry."""
        return FiveFields(
            self.registry_no, self.name, self.gender, self.birth_date, self.school_name
        )


class StudentProjection(Base):
    """What the platform knows of a registry student, learnt only from change events."""

    __tablename__ = "student_projection"

    student_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))
    school_code: Mapped[str] = mapped_column(String(10))
    region_code: Mapped[str] = mapped_column(String(6))
    class_id: Mapped[int | None] = mapped_column(Integer)
    applied_sequence: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: when the platform learnt that the student left (graduated, withdrew); null while
    #: in school. The retention period runs from here, not from the last update (a
    #: school's new name or a resync must not restart it).
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Resource(Base):
    """A course, homework or live class: national (no pool), in a regional pool (a region
    code prefix), and for homework and live classes, set for one class."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    title: Mapped[str] = mapped_column(String(200))
    pool_region: Mapped[str | None] = mapped_column(String(6), index=True)
    class_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LearningRecord(Base):
    """Something a student did, kept per account whether or not it is linked yet."""

    __tablename__ = "learning_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_account_id: Mapped[int] = mapped_column(
        ForeignKey("student_accounts.id", ondelete="CASCADE"), index=True
    )
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    content: Mapped[str | None] = mapped_column(String(4000))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ArchiveEntry(Base):
    """A learning record landed in the electronic archive (电子学籍档案), keyed by the
    registry number's blind index so the history follows the student across schools;
    unique per record, so nothing lands twice."""

    __tablename__ = "archive_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_index: Mapped[bytes] = mapped_column(LargeBinary(16), index=True)
    learning_record_id: Mapped[int] = mapped_column(
        ForeignKey("learning_records.id", ondelete="CASCADE"), unique=True
    )
    landed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AccountNotice(Base):
    """A school's notice to a student account: "what you entered is wrong here, correct it"
    (sent from the school's unmatched-accounts queue, shown on the student's home)."""

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


class GuardianConsent(Base):
    """A guardian's consent to a student account's activation (PIPL art. 31): which
    guardian (masked), how, when. Kept when the account is later revoked."""

    __tablename__ = "guardian_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_account_id: Mapped[int] = mapped_column(
        ForeignKey("student_accounts.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(Integer, index=True)
    method: Mapped[str] = mapped_column(String(10))
    #: the guardian phone (masked) or parent account that consented
    guardian: Mapped[str] = mapped_column(String(40))
    parent_account_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
