"""Reads the reconciliation's queries from a SQLite database through ADBC (Arrow columns
straight from C: several times faster than Python's DB-API rows) and streams them to the
process that compares, over its standard output: first the outbox's high-water mark of
its snapshot, then what is read once (if asked), then the large reads one batch of
students at a time. The pipe keeps the reader no more than a batch ahead of the
comparison, so neither memory nor disk grows with the province.

It runs as its own process on purpose: ADBC carries its own copy of SQLite, and two
copies of SQLite in one process release each other's POSIX file locks when either closes
the file — which can corrupt a database the service is writing. Another process is just
another reader of the WAL database, which SQLite supports.

    python -m xueji.sync.reconcile.sqlite_reader DATABASE LOW HIGH SIZE [QUERY…]

The batches are ``SIZE`` student ids each, cut between ``LOW`` and ``HIGH`` (``-`` when
there are no students) exactly as the comparing process cuts them; the QUERYs are among
``QUERIES``. The waiting accounts are read with the active ones (``accounts``), so all
accounts come from one snapshot. Each message on the stream is an 8-byte big-endian
length and that many bytes: a frame as Arrow IPC, or plain text.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from xueji.sync.reconcile.queries import Batch

#: the three read per batch, then what is read once (unusual events, number of accounts)
BATCHED = ("registry", "projection", "accounts")
QUERIES = (*BATCHED, "once")
HEADER = 8


def bound_argument(value: int | None) -> str:
    return "-" if value is None else str(value)


def parse_bound(text: str) -> int | None:
    return None if text == "-" else int(text)


def send(stream: IO[bytes], data: bytes) -> None:
    stream.write(len(data).to_bytes(HEADER, "big"))
    stream.write(data)
    stream.flush()


def receive(stream: IO[bytes]) -> bytes | None:
    """The next message, or ``None`` if the stream ended (the reader stopped) before it
    was whole."""
    header = stream.read(HEADER)
    if len(header) < HEADER:
        return None
    size = int.from_bytes(header, "big")
    data = stream.read(size)
    return data if len(data) == size else None


def send_frame(stream: IO[bytes], frame: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.write_ipc(buffer)
    send(stream, buffer.getvalue())


def export(database: str, out: IO[bytes], batches: list[Batch], names: tuple[str, ...]) -> None:
    """Sends, in this order: the mark; the waiting accounts (with ``accounts``); the
    unusual events and the number of accounts (with ``once``); then, batch by batch, the
    batched queries among ``names``. The comparing process reads in the same order."""
    import adbc_driver_sqlite.dbapi as adbc
    import polars as pl

    from xueji.sync.reconcile import queries as q

    batched: dict[str, tuple[Callable[[q.Batch], str], dict[str, Any]]] = {
        "registry": (q.registry_sql, q.REGISTRY_SCHEMA),
        "projection": (q.projection_sql, q.PROJECTION_SCHEMA),
        "accounts": (q.active_accounts_sql, q.ACCOUNTS_SCHEMA),
    }
    uri = Path(database).resolve().as_uri() + "?mode=ro"
    with adbc.connect(uri) as connection:  # one read transaction: one snapshot

        def scalars(sql: str) -> tuple[Any, ...]:
            cursor = connection.cursor()
            cursor.execute(sql)
            row = tuple(cursor.fetchone() or ())
            cursor.close()
            return row

        # the first read fixes the snapshot: the mark describes everything sent after it
        send(out, ",".join(str(v) for v in scalars(q.MARK_SQL)).encode())
        if "accounts" in names:
            pending = pl.read_database(
                q.pending_sql(), connection, schema_overrides=q.PENDING_SCHEMA
            )
            send_frame(out, pending)
        if "once" in names:
            events = pl.read_database(
                q.EVENTS_SQL, connection, schema_overrides=q.SQLITE_EVENTS_SCHEMA
            ).with_columns(
                pl.col("created_at").str.to_datetime(time_zone="UTC"),
                pl.col("handled").cast(pl.Boolean),
                pl.col("dead").cast(pl.Boolean),
            )
            send_frame(out, events)
            send(out, str(scalars(q.ACCOUNTS_COUNT_SQL)[0]).encode())
        for batch in batches:
            for name in (name for name in BATCHED if name in names):
                query, schema = batched[name]
                send_frame(out, pl.read_database(query(batch), connection, schema_overrides=schema))
        connection.rollback()


if __name__ == "__main__":
    from xueji.sync.reconcile.queries import batches

    low, high, size = parse_bound(sys.argv[2]), parse_bound(sys.argv[3]), int(sys.argv[4])
    export(sys.argv[1], sys.stdout.buffer, batches(low, high, size), tuple(sys.argv[5:]) or QUERIES)
