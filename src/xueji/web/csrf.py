"""CSRF protection for forms: a double-submit token plus an origin check.

Every page sets a random token in a cookie and in each form; a form POST must carry the
same value and, when the browser sends ``Origin``, come from this host. Session cookies
are also ``SameSite=Lax``. API calls authenticated by cookie (not by bearer token) must
repeat the token in the ``X-CSRF-Token`` header.

Page routers check their forms with ``check_form``, a router dependency, so that no
handler can leave it out.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response

from xueji.domain.errors import Forbidden
from xueji.web.deps import UNSAFE_METHODS

COOKIE = "xueji_csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def token_for(request: Request) -> str:
    existing = request.cookies.get(COOKIE, "")
    if len(existing) >= 32:
        return existing
    cached: str | None = getattr(request.state, "csrf_token", None)
    if cached is None:
        cached = secrets.token_urlsafe(32)
        request.state.csrf_token = cached
    return cached


def set_cookie(response: Response, request: Request, token: str) -> None:
    if request.cookies.get(COOKIE) != token:
        secure = request.app.state.container.settings.cookie_secure
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=secure)


def check(request: Request, submitted: str | None) -> None:
    """Refuse a state-changing request whose token or origin does not match."""
    cookie = request.cookies.get(COOKIE, "")
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise Forbidden("页面已过期或来源不明，请刷新页面后重试", code="CSRF_FAILED")
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise Forbidden("请求来源与本站不一致", code="CSRF_FAILED")


async def check_form(request: Request) -> None:
    """A page router's dependency: a state-changing request carries the token in the form
    field ``csrf_token``. The form is parsed once: Starlette keeps it on the request, and
    for a handler with form parameters or uploads FastAPI has parsed it already, before
    any dependency runs."""
    if request.method not in UNSAFE_METHODS:
        return
    submitted = (await request.form()).get(FIELD)
    check(request, submitted if isinstance(submitted, str) else None)
