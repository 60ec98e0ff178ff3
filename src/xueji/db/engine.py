"""Engines for SQLite (one machine) and PostgreSQL (a province)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000
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
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
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
    connection.exec_driver_sql("BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
