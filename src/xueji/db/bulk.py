"""Writing many rows at the speed of the driver: ``COPY`` on PostgreSQL, ``executemany`` of
plain tuples on SQLite. For the few paths where a million rows go in at once (an import);
the values are passed as the database stores them (the caller applies column types)."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection


def bulk_insert(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    or_ignore: bool = False,
) -> int:
    """``rows`` (tuples in ``columns`` order) into ``table``, in the caller's transaction;
    returns how many were written. ``or_ignore`` (SQLite only: ``COPY`` has no such
    clause): a row a constraint refuses is skipped instead of failing the statement."""
    if not rows:
        return 0
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        if or_ignore:
            raise ValueError("COPY cannot skip refused rows")
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return len(rows)
    marks = ", ".join("?" for _ in columns)
    verb = "INSERT OR IGNORE" if or_ignore else "INSERT"
    done = connection.exec_driver_sql(f"{verb} INTO {table} ({names}) VALUES ({marks})", rows)
    return done.rowcount  # executemany: the rows each execution changed, summed


#: Container allocations between two youngest-generation collections while bulk rows are
#: built (Python's default is 700)
BULK_GC_THRESHOLD = 100_000


@contextmanager
def few_collections() -> Iterator[None]:
    """Rarer garbage collections while a million rows of tuples pass through: none of them
    forms a cycle (reference counting frees each chunk), yet at the default threshold the
    collector ran thousands of times and took about a tenth of an import's time walking
    them. The threshold is the process's, so it is restored on the way out."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], BULK_GC_THRESHOLD), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
