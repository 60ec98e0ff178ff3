"""Reads the reconciliation's three large queries from a SQLite database through ADBC
(Arrow columns straight from C: several times faster than Python's DB-API rows) and
writes them as Arrow IPC files.

It runs as its own process on purpose: ADBC carries its own copy of SQLite, and two
copies of SQLite in one process release each other's POSIX file locks when either closes
the file — which can corrupt a database the service is writing. Another process is just
another reader of the WAL database, which SQLite supports.

    python -m xueji.sync.sqlite_snapshot DATABASE OUT_DIR [QUERY…]
"""

from __future__ import annotations

import sys
from pathlib import Path

QUERIES = ("registry", "projection", "accounts", "events")


def export(database: str, out_dir: Path, names: tuple[str, ...] = QUERIES) -> None:
    import adbc_driver_sqlite.dbapi as adbc
    import polars as pl

    from xueji.sync import reconcile_queries as q

    sql = {
        "registry": (q.REGISTRY_SQL, q.REGISTRY_SCHEMA),
        "projection": (q.PROJECTION_SQL, q.PROJECTION_SCHEMA),
        "accounts": (q.ACCOUNTS_SQL, q.ACCOUNTS_SCHEMA),
    }
    uri = Path(database).resolve().as_uri() + "?mode=ro"
    with adbc.connect(uri) as connection:  # one read transaction: one snapshot
        cursor = connection.cursor()
        cursor.execute(q.MARK_SQL)
        mark = ",".join(str(v) for v in cursor.fetchone() or ())
        cursor.close()
        for name in names:
            if name == "events":
                frame = pl.read_database(
                    q.EVENTS_SQL, connection, schema_overrides=q.SQLITE_EVENTS_SCHEMA
                ).with_columns(
                    pl.col("created_at").str.to_datetime(time_zone="UTC"),
                    pl.col("handled").cast(pl.Boolean),
                    pl.col("dead").cast(pl.Boolean),
                )
            else:
                query, schema = sql[name]
                frame = pl.read_database(query, connection, schema_overrides=schema)
            frame.write_ipc(out_dir / f"{name}.arrow")
            (out_dir / f"{name}.mark").write_text(mark)
        connection.rollback()


if __name__ == "__main__":
    export(sys.argv[1], Path(sys.argv[2]), tuple(sys.argv[3:]) or QUERIES)
