"""JSON API: sign out, who am I (signing in: ``platform.signin_routes``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from xueji.auth import service
from xueji.auth.deps import CurrentPrincipal
from xueji.auth.schemas import MeOut
from xueji.web.deps import DbSession, request_token
from xueji.web.errors import error_answers

router = APIRouter(prefix="/api/v1", tags=["session"], responses=error_answers(401))


@router.delete("/session", status_code=204, responses=error_answers(403, 413))
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
