"""SQLite reads made on the server's event loop itself, for the hottest request (the
capabilities check).

Handing a read of a fraction of a millisecond to the thread pool and back costs more
than the read, and under load the pool's threads queue for the interpreter lock. A WAL
read never waits for a writer, so it may run on the loop — but not on a connection of the
shared pool: those may all be held by requests in the thread pool, and a loop waiting for
one stalls every request. So the loop has its own connection: one per thread (the loop's
thread), opened at start-up and closed at shutdown by the app's lifespan. PostgreSQL has
an asyncio driver instead (``xueji.db.async_reads``).
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine
from sqlalchemy.pool import SingletonThreadPool

from xueji.db.engine import make_engine


class LoopReads:
    def __init__(self, engine: Engine) -> None:
        # check_same_thread off: the connection is used only on the loop's thread, but
        # the pool may close it from another one at shutdown
        self._engine = make_engine(
            engine.url.render_as_string(hide_password=False),
            poolclass=SingletonThreadPool,
            connect_args={"check_same_thread": False},
        )

    @classmethod
    def for_engine(cls, engine: Engine) -> LoopReads | None:
        """For a SQLite file; None on PostgreSQL and for an in-memory database."""
        if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
            return None
        return cls(engine)

    def connect(self) -> Connection:
        return self._engine.connect()

    def dispose(self) -> None:
        self._engine.dispose()
