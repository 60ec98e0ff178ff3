"""The national record of a student (``national.fields``), kept encrypted; J number
sequences; numbers given up for a resident ID."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime
from xueji.db.crypto import EncryptedString

RECORD_PURPOSE = "student.national_record"
SENSITIVE_PURPOSE = "student.national_sensitive"
FORMER_PURPOSE = "student.former_registry_no"


class NationalRecord(Base):
    """The fields of the national form beyond the match and the class, as JSON
    (column → code or text): ``record`` what every reader of the student may see,
    ``sensitive`` the sensitive categories, decrypted only for a role allowed them."""

    __tablename__ = "national_records"

    #: a student has one record, found by the student (no index of its own to write)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    record: Mapped[str] = mapped_column(EncryptedString(RECORD_PURPOSE))
    sensitive: Mapped[str] = mapped_column(EncryptedString(SENSITIVE_PURPOSE))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class JSequence(Base):
    """The last sequence number given in J numbers for one area code and birth date
    (``jnumbers``)."""

    __tablename__ = "j_sequences"

    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    birth_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class RegistryNoChange(Base):
    """A student's number changed: a J (or L) number given up for the G number of the
    resident ID the student obtained (``renumber``). The former number is kept, sealed
    and indexed, so that signing in with it can say that it changed."""

    __tablename__ = "registry_no_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    old_registry_no: Mapped[str] = mapped_column(EncryptedString(FORMER_PURPOSE))
    old_index: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
