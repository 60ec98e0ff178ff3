"""Regions, schools, classes, students, guardians, enrollment changes and transfers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime
from xueji.db.crypto import EncryptedString


class Region(Base):
    """A GB/T 2260 division: province (2 significant digits), city (4) or county (6)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(String(6))


class School(Base):
    __tablename__ = "schools"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SchoolClass(Base):
    __tablename__ = "classes"
    __table_args__ = (UniqueConstraint("school_code", "grade", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_code: Mapped[str] = mapped_column(ForeignKey("schools.code"), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))
    head_teacher_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )


class Student(Base):
    """A registry record. The registry number is stored encrypted and found through its
    blind index; ``event_sequence`` numbers this student's change events."""

    __tablename__ = "students"

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_no: Mapped[str] = mapped_column(EncryptedString("student.registry_no"))
    registry_no_index: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    school_code: Mapped[str] = mapped_column(ForeignKey("schools.code"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    event_sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Guardian(Base):
    __tablename__ = "guardians"
    __table_args__ = (UniqueConstraint("student_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(EncryptedString("guardian.phone"))
    phone_index: Mapped[str] = mapped_column(String(64), index=True)


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


class ImportRun(Base):
    """One committed import of a school's file: who, which file (SHA-256), the counts."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_code: Mapped[str] = mapped_column(ForeignKey("schools.code"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    new: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class ImportReport(Base):
    """An error report (xlsx) kept encrypted for its uploader to download, for a day."""

    __tablename__ = "import_reports"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_code: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class StagingBase(DeclarativeBase):
    """Tables that exist only inside one transaction; not part of the migrated schema."""

    metadata = MetaData()


class ImportRow(StagingBase):
    """A checked row waiting, inside the import's transaction, to be compared with the
    registry and applied. A temporary table (in memory on SQLite), created and dropped
    by each import inside its transaction; sensitive values are already encrypted here."""

    __tablename__ = "import_rows"
    __table_args__ = {"prefixes": ["TEMPORARY"]}  # noqa: RUF012 (read once by SQLAlchemy)

    import_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    row: Mapped[int] = mapped_column(Integer, primary_key=True)
    registry_index: Mapped[str] = mapped_column(String(64))
    registry_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    grade: Mapped[int | None] = mapped_column(Integer)
    class_name: Mapped[str | None] = mapped_column(String(50))
    g1_name: Mapped[str] = mapped_column(String(100))
    g1_relation: Mapped[str] = mapped_column(String(2))
    g1_phone_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    g1_phone_index: Mapped[str] = mapped_column(String(64))
    g2_name: Mapped[str | None] = mapped_column(String(100))
    g2_relation: Mapped[str | None] = mapped_column(String(2))
    g2_phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    g2_phone_index: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(String(40))
