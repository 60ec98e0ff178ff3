"""Pages: home, sign-out (the sign-in form: ``platform.signin_pages``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from xueji.auth import service
from xueji.auth.deps import CurrentPrincipal
from xueji.domain.roles import Role
from xueji.web import csrf
from xueji.web.deps import (
    SESSION_COOKIE,
    DbSession,
    request_token,
)
from xueji.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(csrf.check_form)])


@router.get("/")
def home(request: Request, principal: CurrentPrincipal) -> Response:
    if principal.role is Role.STUDENT:
        return RedirectResponse("/student", status_code=303)
    if principal.role is Role.PARENT:
        return RedirectResponse("/parent", status_code=303)
    if principal.role in (Role.PLATFORM_ADMIN, Role.REGION_ADMIN, Role.SCHOOL_ADMIN):
        return RedirectResponse("/dashboard", status_code=303)  # what waits for them
    return render(request, "home.html", {"principal": principal})


@router.post("/logout")
def logout(
    request: Request,
    session: DbSession,
) -> Response:
    token = request_token(request)
    if token:
        service.sign_out(session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
