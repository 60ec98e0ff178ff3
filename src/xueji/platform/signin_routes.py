"""JSON API: sign in, by username, student number, registry number or parent phone
(the platform knows which account a registry number signs in to)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from xueji.auth import service
from xueji.auth.schemas import SessionOut, SignInRequest
from xueji.db.scope import transaction
from xueji.platform import service as platform
from xueji.web.deps import client_address, get_container
from xueji.web.errors import error_answers, error_response

router = APIRouter(prefix="/api/v1", tags=["session"])


@router.post(
    "/session", response_model=SessionOut, responses=error_answers(400, 401, 413, 422, 429)
)
async def sign_in(body: SignInRequest, request: Request) -> object:
    """The whole attempt (its transaction and the password hash) makes one trip to the
    thread pool, not one per dependency: sign-in is the costliest request there is."""
    container, client = get_container(request), client_address(request)

    def attempt() -> service.SignedIn | service.SignInRefused:
        with transaction(container.sessions) as session:
            return service.sign_in(
                session,
                container.clock,
                username=platform.sign_in_name(session, container.clock, body.username),
                password=body.password,
                client=client,
                session_hours=container.settings.session_hours,
            )

    result = await run_in_threadpool(attempt)
    if isinstance(result, service.SignInRefused):
        return error_response(result.error, request)
    return SessionOut(
        token=result.token, role=str(result.principal.role), expires_at=result.expires_at
    )
