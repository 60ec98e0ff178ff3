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
from xueji.web.writes import write_turn

router = APIRouter(prefix="/api/v1", tags=["session"])


#: sign-in takes the SQLite writing turn itself, for its short write alone (web.writes)
OWN_WRITE_TURN = frozenset({("POST", "/api/v1/session")})


@router.post(
    "/session", response_model=SessionOut, responses=error_answers(400, 401, 413, 422, 429)
)
async def sign_in(body: SignInRequest, request: Request) -> object:
    """Two trips to the thread pool, not one per dependency (sign-in is the costliest
    request there is): the check — reads and the password hash — in a read transaction,
    which never waits for a writer; then, in its writing turn, the short write of the
    outcome (failure counts, or the new session)."""
    container, client = get_container(request), client_address(request)

    def check() -> service.Checked | service.SignInRefused:
        with transaction(container.read_sessions) as session:
            checked = service.check_sign_in(
                session,
                container.clock,
                username=platform.sign_in_name(session, container.clock, body.username),
                password=body.password,
                client=client,
            )
            return platform.refuse_former_number(session, container.clock, body.username, checked)

    checked = await run_in_threadpool(check)
    if isinstance(checked, service.SignInRefused):
        return error_response(checked.error, request)

    def record() -> service.SignedIn | service.SignInRefused:
        with transaction(container.sessions) as session:
            return service.record_sign_in(
                session,
                container.clock,
                checked,
                session_hours=container.settings.session_hours,
            )

    async with write_turn(request):
        result = await run_in_threadpool(record)
    result = platform.explain_refusal(container.clock, body.username, result)
    if isinstance(result, service.SignInRefused):
        return error_response(result.error, request)
    return SessionOut(
        token=result.token, role=str(result.principal.role), expires_at=result.expires_at
    )
