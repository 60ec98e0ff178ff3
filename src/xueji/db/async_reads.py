"""Reads awaited on the server's event loop, for the hottest requests on PostgreSQL.

A synchronous handler runs in a thread pool: under many connections the threads queue
for the interpreter lock and the slowest requests wait far longer than their query
takes. The capabilities check, asked before nearly every page and by every client, is
one indexed read; awaiting it on the event loop (psycopg's asyncio driver) keeps both
throughput and the tail steady. SQLite has no such driver here: callers run the
synchronous read in the thread pool instead.

An asyncio connection belongs to the event loop that opened it, so there is one pool per
running loop: one per server process, and one per test client.
"""

from __future__ import annotations

import asyncio
import weakref

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

#: connections per server process for these reads: one per request in flight, each held
#: for a single short query
POOL_SIZE = 32


class AsyncReads:
    def __init__(self, engine: Engine) -> None:
        self.url = engine.url
        self._engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncEngine] = (
            weakref.WeakKeyDictionary()
        )

    @classmethod
    def for_engine(cls, engine: Engine) -> AsyncReads | None:
        """Async reads when the database is PostgreSQL; None on SQLite."""
        return cls(engine) if engine.dialect.name == "postgresql" else None

    def engine(self) -> AsyncEngine:
        """The pool of the running event loop, opened on first use."""
        loop = asyncio.get_running_loop()
        engine = self._engines.get(loop)
        if engine is None:
            engine = create_async_engine(
                self.url,
                pool_size=POOL_SIZE,
                max_overflow=POOL_SIZE,
                hide_parameters=True,
                isolation_level="AUTOCOMMIT",  # single reads: no BEGIN/ROLLBACK round trips
            )
            self._engines[loop] = engine
        return engine

    async def dispose(self) -> None:
        """Close the running loop's pool (at server shutdown)."""
        engine = self._engines.pop(asyncio.get_running_loop(), None)
        if engine is not None:
            await engine.dispose()
