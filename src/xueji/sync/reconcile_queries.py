"""The reconciliation's queries and the types of their columns: a module of its own,
importing nothing but polars, so the SQLite reader processes start quickly."""

from __future__ import annotations

import polars as pl

REGISTRY_SQL = """
SELECT s.id AS student_id, s.registry_no_index AS registry_index, s.name, s.gender,
       s.birth_date, s.school_code, sc.name AS school_name, sc.region_code, s.class_id,
       s.status, s.event_sequence
FROM students s JOIN schools sc ON sc.code = s.school_code
"""
PROJECTION_SQL = """
SELECT student_id, status AS p_status, school_code AS p_school_code,
       region_code AS p_region_code, class_id AS p_class_id, applied_sequence
FROM student_projection
"""
ACCOUNTS_SQL = """
SELECT id AS account_id, registry_index, name AS a_name, gender AS a_gender,
       birth_date AS a_birth_date, school_name AS a_school_name, status AS a_status,
       student_id AS a_student_id
FROM student_accounts
"""

INT, TEXT = pl.Int64, pl.String
REGISTRY_SCHEMA = {
    "student_id": INT,
    "registry_index": TEXT,
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
ACCOUNTS_SCHEMA = {
    "account_id": INT,
    "registry_index": TEXT,
    "a_name": TEXT,
    "a_gender": TEXT,
    "a_birth_date": TEXT,
    "a_school_name": TEXT,
    "a_status": TEXT,
    "a_student_id": INT,
}
EVENTS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "event_id": INT,
    "student_id": INT,
    "created_at": pl.Datetime("us", "UTC"),
    "handled": pl.Boolean,
    "apply_count": INT,
    "dead": pl.Boolean,
}
EVENTS_SQL = """
SELECT id AS event_id, student_id, created_at, handled_at IS NOT NULL AS handled,
       apply_count, dead_at IS NOT NULL AS dead
FROM outbox_events
WHERE handled_at IS NULL OR apply_count > 1
"""
#: as SQLite stores them: timestamps as text, booleans as integers
SQLITE_EVENTS_SCHEMA = {
    "event_id": INT,
    "student_id": INT,
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
