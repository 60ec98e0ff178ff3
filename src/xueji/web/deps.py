"""Request-scoped dependencies: the container, the transaction, the clock, the caller's
address and token. Who the caller is: ``xueji.auth.deps``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from xueji.container import Container
from xueji.domain.clock import Clock

SESSION_COOKIE = "xueji_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed before the response is sent, rolled back
    if the handler raises."""
    session = get_container(request).sessions()
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
