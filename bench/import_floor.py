"""The floor of the data model: the same students written straight into the real,
migrated ``students``, ``guardians`` and ``outbox_events`` tables — their indexes, unique
constraints and foreign keys included, 16-byte binary blind indexes, one
``students.imported`` event per chunk of students — with every value computed beforehand
(no reading, checking, encryption, staging, classification or audit). Whatever an import does, it
writes at least these rows; the ratio of an import to this floor is the cost of the
import itself, the ratio of this floor to the plain insert the cost of the data model."""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any

from sqlalchemy import text

from bench_common import SCHOOL
from xueji.container import Container
from xueji.db.bulk import bulk_insert
from xueji.db.crypto import INDEX_BYTES
from xueji.sync.models import BULK
from xueji.sync.outbox import CHUNK, STUDENTS_IMPORTED

NOW = "2026-11-29 00:00:00+00:00"
STUDENTS = (
    "id, registry_no, registry_no_index, name, gender, birth_date, school_code, class_id,"
    " status, event_sequence, created_at, updated_at"
)
GUARDIANS = "student_id, rank, name, relation, phone, phone_index"
EVENTS = (
    "event_type, student_id, last_student_id, sequence, lane, payload, created_at, attempts,"
    " apply_count"
)


def floor_rows(plain: list[tuple[str, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    """Rows for the three tables, with random ciphertexts of the real length and
    truncated digests as blind indexes (as random as the real keyed ones)."""
    students, guardians, events = [], [], []
    for student_id, (number, name, gender, birth, phone) in enumerate(plain, start=1):
        index = hashlib.sha256(number.encode()).digest()[:INDEX_BYTES]
        phone_index = hashlib.sha256(phone.encode()).digest()[:INDEX_BYTES]
        students.append(
            (
                student_id,
                b"\x01" + os.urandom(47),
                index,
                name,
                "1" if gender == "男" else "2",
                birth,
                SCHOOL,
                None,
                "enrolled",
                1,
                NOW,
                NOW,
            )
        )
        guardians.append((student_id, 1, name, "父亲", b"\x01" + os.urandom(39), phone_index))
    for first in range(1, len(plain) + 1, CHUNK):
        last = min(first + CHUNK - 1, len(plain))
        events.append((STUDENTS_IMPORTED, first, last, 1, BULK, '{"import_id": 1}', NOW, 0, 0))
    return {"students": students, "guardians": guardians, "outbox_events": events}


def write_floor(
    container: Container, rows: dict[str, list[tuple[Any, ...]]]
) -> tuple[float, dict[str, float]]:
    """Seconds to write ``rows`` in one transaction (``bulk_insert``: executemany on
    SQLite, COPY on PostgreSQL, the fastest each database offers, and what the import
    writes with), and the seconds of each table."""
    columns = {"students": STUDENTS, "guardians": GUARDIANS, "outbox_events": EVENTS}
    tables: dict[str, float] = {}
    start = time.perf_counter()
    with container.engine.begin() as connection:
        for table, values in rows.items():
            table_start = time.perf_counter()
            bulk_insert(connection, table, columns[table].split(", "), values)
            tables[table] = time.perf_counter() - table_start
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT setval('students_id_seq', max(id)) FROM students"))
    return time.perf_counter() - start, tables
