"""The reconciliation's queries and the types of their columns: a module of its own,
importing nothing but polars, so the SQLite reader processes start quickly.

The three large reads (registry, projection, active accounts) are taken one range of
student ids at a time (``Batch``), so memory follows the size of a batch rather than the
province; waiting accounts that may now match are few and are read once, joined with
their student by the database."""

from __future__ import annotations

import polars as pl

#: a half-open range of student ids, ``None`` meaning unbounded on that side
Batch = tuple[int | None, int | None]
WHOLE: Batch = (None, None)


#: students compared at a time: memory follows this, not the size of the province
BATCH_STUDENTS = 50_000


def batches(low: int | None, high: int | None, size: int) -> list[Batch]:
    """The students' ids ``low``..``high`` in half-open ranges of ``size`` ids, covering
    every integer: the first and the last are unbounded, so a student added after
    ``low`` and ``high`` were read still falls in exactly one batch."""
    cut_at = [] if low is None or high is None else list(range(low + size, high + 1, size))
    edges: list[int | None] = [None, *cut_at, None]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


STUDENT_COLUMNS = """s.id AS student_id, s.name, s.gender, s.birth_date, s.school_code,
       sc.name AS school_name, sc.region_code, s.class_id, s.status, s.event_sequence"""


def hex_text(column: str, postgres: bool) -> str:
    """A binary blind index as lowercase hex text, the same on both databases, so the
    frames compare as text whichever reader read them."""
    return f"encode({column}, 'hex')" if postgres else f"lower(hex({column}))"


def account_columns(postgres: bool) -> str:
    return f"""a.id AS account_id, {hex_text("a.registry_index", postgres)} AS registry_index,
       a.name AS a_name, a.gender AS a_gender, a.birth_date AS a_birth_date,
       a.school_name AS a_school_name, a.status AS a_status, a.student_id AS a_student_id"""


def _within(column: str, batch: Batch) -> str:
    """The SQL condition ``column`` in ``batch`` (integers only, so formatting is safe)."""
    low, high = batch
    conditions = ["1 = 1"]
    if low is not None:
        conditions.append(f"{column} >= {int(low)}")
    if high is not None:
        conditions.append(f"{column} < {int(high)}")
    return " AND ".join(conditions)


def registry_sql(batch: Batch, postgres: bool = False) -> str:
    return f"""
SELECT {hex_text("s.registry_no_index", postgres)} AS registry_index, {STUDENT_COLUMNS}
FROM students s JOIN schools sc ON sc.code = s.school_code
WHERE {_within("s.id", batch)}
"""


def projection_sql(batch: Batch) -> str:
    return f"""
SELECT student_id, status AS p_status, school_code AS p_school_code,
       region_code AS p_region_code, class_id AS p_class_id, applied_sequence
FROM student_projection
WHERE {_within("student_id", batch)}
"""


def active_accounts_sql(batch: Batch, postgres: bool = False) -> str:
    """Active accounts of the batch's students (by ``ix_student_accounts_student_id``)."""
    return f"""
SELECT {account_columns(postgres)}
FROM student_accounts a
WHERE a.status = 'active' AND {_within("a.student_id", batch)}
"""


def pending_sql(postgres: bool = False) -> str:
    """Waiting accounts whose registry number belongs to a student while no active
    account holds that number, each with that student's row: the candidates for
    activation."""
    return f"""
SELECT {account_columns(postgres)}, {STUDENT_COLUMNS}
FROM student_accounts a
JOIN students s ON s.registry_no_index = a.registry_index
JOIN schools sc ON sc.code = s.school_code
WHERE a.status = 'pending'
  AND NOT EXISTS (
    SELECT 1 FROM student_accounts l WHERE l.active_registry_index = a.registry_index
  )
ORDER BY a.id
"""


#: the students' id range the batches are cut from
BOUNDS_SQL = "SELECT min(id), max(id) FROM students"
ACCOUNTS_COUNT_SQL = "SELECT count(*) FROM student_accounts"

INT, TEXT = pl.Int64, pl.String
REGISTRY_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "registry_index": TEXT,
    "student_id": INT,
    "name": TEXT,
    "gender": TEXT,
    "birth_date": TEXT,
    "school_code": TEXT,
    "school_name": TEXT,
    "region_code": TEXT,
    "class_id": INT,
    "status": TEXT,
    "event_sequence": INT,
}
PROJECTION_SCHEMA = {
    "student_id": INT,
    "p_status": TEXT,
    "p_school_code": TEXT,
    "p_region_code": TEXT,
    "p_class_id": INT,
    "applied_sequence": INT,
}
ACCOUNTS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "account_id": INT,
    "registry_index": TEXT,
    "a_name": TEXT,
    "a_gender": TEXT,
    "a_birth_date": TEXT,
    "a_school_name": TEXT,
    "a_status": TEXT,
    "a_student_id": INT,
}
PENDING_SCHEMA = ACCOUNTS_SCHEMA | {
    name: kind for name, kind in REGISTRY_SCHEMA.items() if name != "registry_index"
}
EVENTS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "event_id": INT,
    "student_id": INT,
    "last_student_id": INT,
    "created_at": pl.Datetime("us", "UTC"),
    "handled": pl.Boolean,
    "apply_count": INT,
    "dead": pl.Boolean,
}
EVENTS_SQL = """
SELECT id AS event_id, student_id, last_student_id, created_at,
       handled_at IS NOT NULL AS handled,
       apply_count, dead_at IS NOT NULL AS dead
FROM outbox_events
WHERE handled_at IS NULL OR apply_count > 1
"""
#: as SQLite stores them: timestamps as text, booleans as integers
SQLITE_EVENTS_SCHEMA = {
    "event_id": INT,
    "student_id": INT,
    "last_student_id": INT,
    "created_at": TEXT,
    "handled": INT,
    "apply_count": INT,
    "dead": INT,
}
#: the outbox's high-water mark: the newest event and how many are handled
MARK_SQL = """
SELECT (SELECT coalesce(max(id), 0) FROM outbox_events),
       (SELECT count(*) FROM outbox_events WHERE handled_at IS NOT NULL)
"""
