"""J numbers for students without a resident ID (``docs/identity-numbers.md``).

``J`` + the school's area code + the birth date + a three-digit sequence + the ISO 7064
MOD 11-2 check character: built like a resident ID number, so every check of a number
applies to it. The sequence is kept per area code and birth date (``JSequence``) and taken
with one upsert, so two imports at once never give the same number; a number already held
by a student (typed in from elsewhere), or given up by one for a resident ID, is skipped.

An import gives a J number to a row with another document and no 全国学籍号, unless the
school already has a student whose national record names the same document (type and
number): a document is one person's, whatever their name is spelled now. Importing the
same roster twice, or again after a name was corrected, therefore finds the students the
first import numbered instead of registering them again (the import then compares their
details as for any student it knows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from xueji.db.crypto import REGISTRY_NO_PURPOSE, keyring, registry_no_index
from xueji.domain.errors import ValidationFailed
from xueji.domain.identity import check_character
from xueji.registry.imports.repository import STAGE_COLUMNS
from xueji.registry.models import School, Student
from xueji.registry.national import records
from xueji.registry.national.fields import RESIDENT_ID
from xueji.registry.national.models import (
    RECORD_PURPOSE,
    SENSITIVE_PURPOSE,
    JSequence,
    NationalRecord,
)
from xueji.registry.service import former_holder_of

_AT = {name: index for index, name in enumerate(STAGE_COLUMNS)}
MAX_SEQUENCE = 999
#: students read at a time when looking for the documents a school's students hold
HELD_BATCH = 2_000


def number(region_code: str, birth_date: dt.date, sequence: int) -> str:
    body = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return f"J{body}{check_character(body)}"


def next_number(session: Session, region_code: str, birth_date: dt.date) -> str:
    """The next free J number of the area and birth date."""
    while True:
        sequence = _take(session, region_code, birth_date)
        if sequence > MAX_SEQUENCE:
            raise ValidationFailed(
                f"地区 {region_code} 出生日期 {birth_date.isoformat()} 的 J 字头学籍号已用完，"
                "请联系平台运维",
                code="J_NUMBERS_EXHAUSTED",
            )
        found = number(region_code, birth_date, sequence)
        index = registry_no_index(found)
        taken = session.scalar(select(Student.id).where(Student.registry_no_index == index))
        if taken is None and former_holder_of(session, index) is None:
            return found


def _take(session: Session, region_code: str, birth_date: dt.date) -> int:
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = JSequence.__table__
    statement = (
        insert(table)
        .values(region_code=region_code, birth_date=birth_date, last=1)
        .on_conflict_do_update(
            index_elements=["region_code", "birth_date"], set_={"last": table.c.last + 1}
        )
        .returning(table.c.last)
    )
    return int(session.execute(statement).scalar_one())


def assign(
    session: Session, school: School, pending: Sequence[tuple[Any, ...]]
) -> tuple[list[tuple[Any, ...]], list[int]]:
    """The pending staging rows (``PreparedChunk.assign``) with their numbers, and the
    rows refused because another row of the file has the same document."""
    ring = keyring()
    documents: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for row in pending:
        plain = records.load(ring.decrypt(row[_AT["record_cipher"]], purpose=RECORD_PURPOSE))
        secret = records.load(ring.decrypt(row[_AT["sensitive_cipher"]], purpose=SENSITIVE_PURPOSE))
        key = (plain.get("document_type", ""), secret.get("document_no", ""))
        documents.setdefault(key, []).append(row)
    staged: list[tuple[Any, ...]] = []
    repeated: list[int] = []
    held = _held(session, school.code) if documents else {}
    for key, rows in documents.items():
        if len(rows) > 1:
            repeated += [row[_AT["row"]] for row in rows]
            continue
        row = rows[0]
        birth = dt.date.fromisoformat(row[_AT["birth_date"]])
        found = held.get(key) or next_number(session, school.region_code, birth)
        values = list(row)
        values[_AT["registry_index"]] = ring.lookup_index(found, purpose=REGISTRY_NO_PURPOSE)
        values[_AT["registry_cipher"]] = ring.encrypt(found, purpose="student.registry_no")
        staged.append(tuple(values))
    return staged, sorted(repeated)


def _held(session: Session, school_code: str) -> dict[tuple[str, str], str]:
    """(document type, number) → registry number of this school's students whose record
    names a document other than a resident ID; read once per import that has rows to
    number, in batches."""
    held: dict[tuple[str, str], str] = {}
    after = 0
    while True:
        batch = session.execute(
            select(Student.id, Student.registry_no, NationalRecord)
            .join(NationalRecord, NationalRecord.student_id == Student.id)
            .where(Student.school_code == school_code, Student.id > after)
            .order_by(Student.id)
            .limit(HELD_BATCH)
        ).all()
        if not batch:
            return held
        for _, registry_no, national in batch:
            plain = records.load(national.record)
            if plain.get("document_type", "") not in ("", RESIDENT_ID):
                secret = records.load(national.sensitive)
                held[(plain["document_type"], secret.get("document_no", ""))] = registry_no
        after = batch[-1][0]
