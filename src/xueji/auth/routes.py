"""JSON API: sign in, sign out, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from xueji.auth import service
from xueji.auth.schemas import MeOut, SessionOut, SignInRequest
from xueji.platform import service as platform
from xueji.web.deps import (
    ClockDep,
    CurrentPrincipal,
    DbSession,
    client_address,
    get_container,
    request_token,
)
from xueji.web.errors import error_response

router = APIRouter(prefix="/api/v1", tags=["session"])


@router.post("/session", response_model=SessionOut)
def sign_in(body: SignInRequest, request: Request, session: DbSession, clock: ClockDep) -> object:
    result = service.sign_in(
        session,
        clock,
        username=platform.sign_in_name(session, clock, body.username),
        password=body.password,
        client=client_address(request),
        session_hours=get_container(request).settings.session_hours,
    )
    if isinstance(result, service.SignInRefused):
        return error_response(result.error, request)
    return SessionOut(
        token=result.token, role=str(result.principal.role), expires_at=result.expires_at
    )


@router.delete("/session", status_code=204)
def sign_out(request: Request, session: DbSession, _: CurrentPrincipal) -> Response:
    token = request_token(request)
    if token:
        service.sign_out(session, token)
    return Response(status_code=204)


@router.get("/me", response_model=MeOut)
def me(principal: CurrentPrincipal) -> MeOut:
    return MeOut(
        username=principal.username,
        role=str(principal.role),
        role_label=principal.role.label,
        display_name=principal.display_name,
        region_code=principal.region_code,
        school_code=principal.school_code,
    )
