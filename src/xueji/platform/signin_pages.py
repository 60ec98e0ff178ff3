"""The sign-in page, for every kind of account (see ``signin_routes``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from xueji.auth import service
from xueji.auth.deps import OptionalPrincipal, set_session_cookie
from xueji.domain.errors import Conflict, Throttled
from xueji.platform import service as platform
from xueji.web import csrf
from xueji.web.deps import ClockDep, DbSession, client_address, get_container
from xueji.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(csrf.check_form)])


@router.get("/login")
def login_form(request: Request, principal: OptionalPrincipal) -> Response:
    if principal is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html")


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    username: Annotated[str, Form(max_length=128)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    settings = get_container(request).settings
    checked = platform.refuse_former_number(
        session,
        clock,
        username,
        service.check_sign_in(
            session,
            clock,
            username=platform.sign_in_name(session, clock, username),
            password=password,
            client=client_address(request),
        ),
    )
    result = platform.explain_refusal(
        clock,
        username,
        checked
        if isinstance(checked, service.SignInRefused)
        else service.record_sign_in(session, clock, checked, session_hours=settings.session_hours),
    )
    if isinstance(result, service.SignInRefused):
        status = 429 if isinstance(result.error, Throttled) else 401
        if isinstance(result.error, Conflict):  # the number changed (REGISTRY_NO_CHANGED)
            status = 409
        return render(
            request,
            "login.html",
            {"error": result.error, "username": username},
            status_code=status,
        )
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, request, result)
    return response
