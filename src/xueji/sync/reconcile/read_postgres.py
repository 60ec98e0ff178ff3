"""Reading both sides inside the caller's transaction: with ``COPY … TO STDOUT`` on
PostgreSQL (in the repeatable-read transaction of ``reconcile_committed``), and with
DB-API rows on SQLite when the caller's own uncommitted work must be seen
(``reconcile``). Committed SQLite data is read by ``read_sqlite`` instead."""

from __future__ import annotations

import tempfile
from typing import Any

import polars as pl
from sqlalchemy import Connection, or_, select
from sqlalchemy.orm import Session

from xueji.sync.models import OutboxEvent
from xueji.sync.reconcile import queries
from xueji.sync.reconcile.compare import BatchFrames, Once
from xueji.sync.reconcile.queries import (
    ACCOUNTS_COUNT_SQL,
    ACCOUNTS_SCHEMA,
    BOUNDS_SQL,
    EVENTS_SCHEMA,
    PENDING_SCHEMA,
    PROJECTION_SCHEMA,
    REGISTRY_SCHEMA,
    Batch,
    active_accounts_sql,
    batches,
    pending_sql,
    projection_sql,
    registry_sql,
)

FETCH_ROWS = 100_000


def _frame(connection: Connection, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    """The query's rows as a frame, at the driver's speed and inside the caller's
    transaction: PostgreSQL streams them with ``COPY … TO STDOUT`` as CSV into a temporary
    file that polars reads; SQLite hands over tuples in batches."""
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with tempfile.TemporaryFile() as spool:
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy,
            ):
                for block in copy:
                    spool.write(block)
            spool.seek(0)
            return pl.read_csv(spool, schema=schema)
    cursor = driver.execute(sql)
    batches = []
    while rows := cursor.fetchmany(FETCH_ROWS):
        batches.append(pl.DataFrame(rows, schema=schema, orient="row"))
    return pl.concat(batches) if batches else pl.DataFrame(schema=schema)


def _unusual_events(session: Session) -> pl.DataFrame:
    """Events not handled, or handled more than once: few in a healthy system. Read
    through the ORM so timestamps arrive as aware datetimes on both databases."""
    rows = session.execute(
        select(
            OutboxEvent.id,
            OutboxEvent.student_id,
            OutboxEvent.last_student_id,
            OutboxEvent.created_at,
            OutboxEvent.handled_at.is_not(None),
            OutboxEvent.apply_count,
            OutboxEvent.dead_at.is_not(None),
        ).where(or_(OutboxEvent.handled_at.is_(None), OutboxEvent.apply_count > 1))
    ).all()
    return pl.DataFrame([tuple(row) for row in rows], schema=EVENTS_SCHEMA, orient="row")


def load_once(session: Session) -> tuple[Once, list[Batch]]:
    """The reads done once, and the batches the students are compared in."""
    connection = session.connection()
    low, high = connection.exec_driver_sql(BOUNDS_SQL).one()
    once = Once(
        pending=_frame(connection, pending_sql(_postgres(connection)), PENDING_SCHEMA),
        events=_unusual_events(session),
        accounts=connection.exec_driver_sql(ACCOUNTS_COUNT_SQL).scalar_one(),
    )
    return once, batches(low, high, queries.BATCH_STUDENTS)


def load_batch(connection: Connection, batch: Batch) -> BatchFrames:
    postgres = _postgres(connection)
    return (
        _frame(connection, registry_sql(batch, postgres), REGISTRY_SCHEMA),
        _frame(connection, projection_sql(batch), PROJECTION_SCHEMA),
        _frame(connection, active_accounts_sql(batch, postgres), ACCOUNTS_SCHEMA),
    )


def _postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"
