"""Who the caller is, for routes and pages: the principal behind the session token
(a CSRF check on cookie-authenticated API writes), the page session cookie, and what a
router of signed-in pages depends on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from xueji.auth.service import Principal, SignedIn, resolve_token, sign_in
from xueji.db.scope import transaction
from xueji.domain.clock import Clock
from xueji.domain.errors import NotAuthenticated
from xueji.web import csrf
from xueji.web.deps import (
    SESSION_COOKIE,
    UNSAFE_METHODS,
    ClockDep,
    DbSession,
    bearer_token,
    client_address,
    get_container,
    request_token,
)


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

#: The dependencies of a router whose every page is for a signed-in user: who is asking
#: (no live session: the sign-in page, whatever the form holds), then the form's CSRF
#: token, in this order, so that a refused form is shown with the user's own menu.
SIGNED_IN_PAGES = [Depends(current_principal), Depends(csrf.check_form)]


async def is_signed_in(request: Request) -> bool:
    """Whether the request carries a live session (for checks made before the body is
    read: ``web.body_limit``). One indexed read, outside the request's transaction."""
    token = request_token(request)
    if not token:
        return False
    container = get_container(request)

    def check() -> bool:
        with transaction(container.read_sessions) as session:
            return resolve_token(session, container.clock, token) is not None

    return await run_in_threadpool(check)
