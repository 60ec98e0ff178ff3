"""Request-scoped dependencies: the container, the transaction, the clock, the caller's
address and token. Who the caller is: ``xueji.auth.deps``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from xueji.container import Container
from xueji.domain.clock import Clock
from xueji.web.writes import AS_WRITER

SESSION_COOKIE = "xueji_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed before the response is sent, rolled back
    if the handler raises. A request that may change something (POST, PUT, PATCH,
    DELETE) takes SQLite's write lock when its transaction begins; a read does not, and
    the rare read that writes (an audit entry) is run again as a writer if it meets one
    (``web.writes``)."""
    container = get_container(request)
    writes = request.method in UNSAFE_METHODS or getattr(request.state, AS_WRITER, False)
    factory = container.sessions if writes else container.read_sessions
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def get_clock(request: Request) -> Clock:
    """Async on purpose: a synchronous dependency would cost every request a trip
    through the thread pool just to read an attribute."""
    return get_container(request).clock


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def request_token(request: Request) -> str | None:
    """The session token from ``Authorization: Bearer`` or, for pages, the cookie."""
    return bearer_token(request) or request.cookies.get(SESSION_COOKIE) or None


DbSession = Annotated[Session, Depends(get_session, scope="function")]
ClockDep = Annotated[Clock, Depends(get_clock)]
