"""Request-scoped dependencies: the transaction, the clock, the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from xueji.auth.service import Principal, SignedIn, resolve_token, sign_in
from xueji.container import Container
from xueji.domain.clock import Clock
from xueji.domain.errors import NotAuthenticated
from xueji.web import csrf

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


def set_session_cookie(response: Response, request: Request, signed: SignedIn) -> None:
    """The page session: HttpOnly, SameSite=Lax, Secure when configured. Its lifetime is
    sent as Max-Age (seconds from now) rather than as a date: a browser whose clock is
    off by hours would otherwise drop the cookie at once or keep it too long."""
    container = get_container(request)
    lifetime = signed.expires_at - container.clock.now()
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="lax",
        secure=container.settings.cookie_secure,
        max_age=max(0, int(lifetime.total_seconds())),
    )


def signed_in_redirect(
    request: Request, session: Session, clock: Clock, *, username: str, password: str, to: str
) -> Response:
    """After a registration page: sign the new account in and go to its home page (the
    page asks them to sign in should that be refused, e.g. when throttled)."""
    signed = sign_in(
        session,
        clock,
        username=username,
        password=password,
        client=client_address(request),
        session_hours=get_container(request).settings.session_hours,
    )
    response = RedirectResponse(to, status_code=303)
    if isinstance(signed, SignedIn):
        set_session_cookie(response, request, signed)
    return response


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


def optional_principal(request: Request, session: DbSession, clock: ClockDep) -> Principal | None:
    token = request_token(request)
    principal = resolve_token(session, clock, token) if token else None
    request.state.principal = principal
    if (
        principal is not None
        and bearer_token(request) is None
        and request.method in UNSAFE_METHODS
        and request.url.path.startswith("/api/")
    ):
        csrf.check(request, request.headers.get(csrf.HEADER))
    return principal


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise NotAuthenticated("请先登录")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
