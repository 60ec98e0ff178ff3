"""The national record of a student (``national.fields``), kept encrypted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime
from xueji.db.crypto import EncryptedString

RECORD_PURPOSE = "student.national_record"
SENSITIVE_PURPOSE = "student.national_sensitive"


class NationalRecord(Base):
    """The fields of the national form beyond the match and the class, as JSON
    (column → code or text): ``record`` what every reader of the student may see,
    ``sensitive`` the sensitive categories, decrypted only for a role allowed them."""

    __tablename__ = "national_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), unique=True
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
