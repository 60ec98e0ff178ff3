"""Committed imports, their kept error reports, and the staging table of one import."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from xueji.db.base import Base, UTCDateTime


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


class ForeignLookups(Base):
    """How many numbers of students enrolled at another school a school's imports (dry
    runs included) have looked up on one day (Beijing time); see ``disclosure``."""

    __tablename__ = "import_foreign_lookups"

    school_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    numbers: Mapped[int] = mapped_column(Integer, default=0)


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
    registry_index: Mapped[bytes] = mapped_column(LargeBinary(16))
    registry_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    grade: Mapped[int | None] = mapped_column(Integer)
    class_name: Mapped[str | None] = mapped_column(String(50))
    g1_name: Mapped[str] = mapped_column(String(100))
    g1_relation: Mapped[str] = mapped_column(String(2))
    g1_phone_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    g1_phone_index: Mapped[bytes] = mapped_column(LargeBinary(16))
    g2_name: Mapped[str | None] = mapped_column(String(100))
    g2_relation: Mapped[str | None] = mapped_column(String(2))
    g2_phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    g2_phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    g3_name: Mapped[str | None] = mapped_column(String(100))
    g3_relation: Mapped[str | None] = mapped_column(String(2))
    g3_phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    g3_phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    g4_name: Mapped[str | None] = mapped_column(String(100))
    g4_relation: Mapped[str | None] = mapped_column(String(2))
    g4_phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    g4_phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    #: the national record (``national.models``) of a file in the national layout
    record_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    sensitive_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    kind: Mapped[str | None] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(String(40))
