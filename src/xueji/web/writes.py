"""Requests that write, on SQLite: one at a time, without holding a server thread while
they wait.

SQLite has one writer at a time. A request that may change something (POST, PUT, PATCH,
DELETE) takes the write lock when its transaction begins (``db.engine``). Were fifty such
requests to wait for that lock inside the server's thread pool, they could fill it, and
the request holding the lock would find no thread to run its handler on: every request
would wait out the busy timeout. So writing requests queue here, on the event loop, and
enter the thread pool one at a time; reads pass straight through and never wait for a
writer (WAL).

A read that also writes (an audit entry for a revealed number) begins as a read; if a
writer committed meanwhile, SQLite refuses its write at once (``database is locked``).
Such a request has no body and has sent nothing yet: it is run again, as a writer. A
request that still finds the database locked (another process held it past the busy
timeout) gets ``503 DB_BUSY``, not a server error: nothing was changed.

On PostgreSQL none of this applies and requests pass straight through.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xueji.db.engine import is_busy
from xueji.domain.errors import Unavailable
from xueji.web.errors import error_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: set in the request's state when a read is run again as a writer (``web.deps``)
AS_WRITER = "xueji_as_writer"


class SerialWrites:
    def __init__(self, app: ASGIApp, *, sqlite: bool) -> None:
        self.app, self.sqlite = app, sqlite
        self.gate = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.sqlite:
            await self.app(scope, receive, send)
            return
        sent = _Tracked(send)
        try:
            if scope["method"] in SAFE_METHODS:
                try:
                    await self.app(scope, receive, sent)
                    return
                except Exception as error:
                    if sent.started or not _busy(error):
                        raise
                scope.setdefault("state", {})[AS_WRITER] = True
            async with self.gate:
                await self.app(scope, receive, sent)
        except Exception as error:
            if sent.started or not _busy(error):
                raise
            busy = Unavailable("系统繁忙，请稍后重试（未做任何更改）", code="DB_BUSY")
            await error_response(busy, Request(scope))(scope, receive, send)


class _Tracked:
    """``send``, remembering whether the answer has begun."""

    def __init__(self, send: Send) -> None:
        self.send, self.started = send, False

    async def __call__(self, message: Message) -> None:
        self.started = True
        await self.send(message)


def _busy(error: Any) -> bool:
    """The lock conflict itself, or wrapped by the framework in an exception group."""
    if isinstance(error, BaseExceptionGroup):
        return all(_busy(inner) for inner in error.exceptions)
    return is_busy(error)
