"""Engines for SQLite (one machine) and PostgreSQL (a province)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from xueji.db.private_files import private_sqlite

SQLITE_BUSY_TIMEOUT_MS = 15_000
#: execution option naming how a SQLite transaction begins (``DEFERRED`` or ``IMMEDIATE``)
SQLITE_BEGIN = "sqlite_begin"
#: Page cache per connection (KiB): bulk work inserts into indexes keyed by random-looking
#: blind indexes, which thrash the default 2 MiB cache.
SQLITE_CACHE_KIB = 64 * 1024
#: anyio's default thread pool runs 40 synchronous handlers at once per process
POSTGRES_POOL_SIZE = 40


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets its pragmas on every connection it opens."""
    parsed = make_url(url)
    kwargs.setdefault("hide_parameters", True)  # no minors' data in error messages
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            database = Path(parsed.database)
            database.parent.mkdir(parents=True, exist_ok=True)
            private_sqlite(database)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        for ended in ("commit", "rollback"):
            event.listen(engine, ended, _release_writer)
        event.listen(engine.pool, "checkin", _release_writer_on_checkin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # Connections are kept up to the number of requests a process serves at once (its
    # thread pool): a connection opened beyond the pool and closed after one request costs
    # PostgreSQL a backend start each time, which under load costs more than the query.
    kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Pragmas on every connection; and take over BEGIN from the driver, which would
    otherwise defer it past reads and DDL (breaking isolation, savepoints and
    transactional migrations)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    # Temporary tables (an import's staging rows) go to a file, not to memory: a
    # 10-million-row import must not need gigabytes of RAM.
    cursor.execute("PRAGMA temp_store=FILE")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """``BEGIN IMMEDIATE`` for a transaction that will write: it takes the write lock up
    front, instead of reading first and then failing at once with ``database is locked``
    when another writer committed in between — SQLite cannot upgrade a read snapshot that
    is no longer the latest. Reads begin ``DEFERRED`` and never wait for a writer (WAL).

    Writers of this process queue for the lock on a mutex first. Left to SQLite, each
    waiter polls with growing sleeps (up to 100 ms between tries), and under fifty
    concurrent requests some waiter loses every round until its busy timeout runs out;
    a mutex wakes the next waiter as soon as the lock is free. Other processes (a CLI
    import) still meet SQLite's busy timeout."""
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    if mode != "IMMEDIATE":
        connection.exec_driver_sql("BEGIN")
        return
    queue = _writer_queue(connection.engine.url.database or "")
    if not queue.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError(BUSY))
    connection.info[_WRITER] = queue
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _release_writer(connection)
        raise


_WRITER = "xueji_sqlite_writer"
BUSY = "database is locked"
_queues: dict[str, threading.Lock] = {}
_queues_lock = threading.Lock()


def _writer_queue(database: str) -> threading.Lock:
    with _queues_lock:
        return _queues.setdefault(database, threading.Lock())


def _release_writer(connection: Any) -> None:
    """At commit or rollback (just before SQLite's own, which the next writer's
    ``BEGIN IMMEDIATE`` then waits out through the busy timeout: a few milliseconds)."""
    queue = connection.info.pop(_WRITER, None)
    if queue is not None:
        queue.release()


def _release_writer_on_checkin(_dbapi_connection: Any, record: Any) -> None:
    """A connection returned to the pool without commit or rollback events (closed while
    its transaction was open): the pool rolls it back; the mutex must follow."""
    queue = record.info.pop(_WRITER, None)
    if queue is not None:
        queue.release()


def make_session_factory(engine: Engine, *, writes: bool = True) -> sessionmaker[Session]:
    """Sessions for work that writes take SQLite's write lock when they begin; read
    sessions (``writes=False``) do not. PostgreSQL ignores the option."""
    bind = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}) if writes else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


def is_busy(error: BaseException) -> bool:
    """SQLite refused because another connection holds the lock it needs."""
    return isinstance(error, OperationalError) and BUSY in str(error.orig)
