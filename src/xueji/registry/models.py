"""Regions, schools, classes, students and guardians."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

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
    #: the school year (its September) this class graduated in: it then keeps its
    #: students' history under the name ``2026届六年级(1)班`` and is promoted no more
    graduated_in: Mapped[int | None] = mapped_column(Integer)


class Promotion(Base):
    """A school's 学年升级 (year-end promotion), once per school year."""

    __tablename__ = "promotions"
    __table_args__ = (UniqueConstraint("school_code", "school_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_code: Mapped[str] = mapped_column(ForeignKey("schools.code"))
    school_year: Mapped[int] = mapped_column(Integer)
    promoted: Mapped[int] = mapped_column(Integer)
    graduated: Mapped[int] = mapped_column(Integer)
    held: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Student(Base):
    """A registry record. The registry number is stored encrypted and found through its
    blind index; ``event_sequence`` numbers this student's change events."""

    __tablename__ = "students"

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_no: Mapped[str] = mapped_column(EncryptedString("student.registry_no"))
    registry_no_index: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
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
    phone_index: Mapped[bytes] = mapped_column(LargeBinary(16), index=True)


class ActivationCode(Base):
    """The one-time activation code (激活码) printed on a student's 学籍基本信息表: only a
    keyed hash is kept; printing a new sheet replaces it; it is spent when used."""

    __tablename__ = "activation_codes"

    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[int | None] = mapped_column(Integer)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
