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

A route that needs the lock for only part of its work (sign-in: a read and a password
hash, then a short write) is exempt here and takes its turn itself, around the write
alone (``write_turn``): the hashes of many sign-ins then run side by side.

On PostgreSQL none of this applies and requests pass straight through.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xueji.db.engine import is_busy
from xueji.domain.errors import Unavailable
from xueji.web.errors import error_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: set in the request's state when a read is run again as a writer (``web.deps``)
AS_WRITER = "xueji_as_writer"


class WriteGate:
    """One writing request at a time in this process (SQLite only; see the module)."""

    def __init__(self, *, sqlite: bool, own_turn: frozenset[tuple[str, str]] = frozenset()):
        self.sqlite, self.own_turn = sqlite, own_turn
        self.lock = asyncio.Lock()

    def applies_to(self, scope: Scope) -> bool:
        if scope["type"] != "http" or not self.sqlite:
            return False
        return (scope["method"], scope["path"]) not in self.own_turn


@asynccontextmanager
async def write_turn(request: Request) -> AsyncIterator[None]:
    """The writing turn of a route that takes its own (``WriteGate.own_turn``)."""
    gate: WriteGate = request.app.state.write_gate
    if not gate.sqlite:
        yield
        return
    async with gate.lock:
        yield


class SerialWrites:
    def __init__(self, app: ASGIApp, *, gate: WriteGate) -> None:
        self.app, self.gate = app, gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.gate.applies_to(scope):
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
            async with self.gate.lock:
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
