"""JSON API of student accounts: registration and correcting one's own details."""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from xueji.auth.codes import PendingMessage
from xueji.auth.deps import CurrentPrincipal
from xueji.auth.service import hash_token
from xueji.domain.errors import NotAuthenticated, XuejiError
from xueji.platform import capabilities, consent, service
from xueji.platform.schemas import AccountOut, DetailsPatch, RegistrationIn, VerificationIn
from xueji.sms import SmsNotSent, SmsSender
from xueji.web.deps import ClockDep, DbSession, client_address, get_container, request_token
from xueji.web.errors import error_answers, error_response

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["student accounts"])

GENDERS = {"1": "1", "2": "2", "男": "1", "女": "2"}


def parse_birth_date(raw: str) -> dt.date | None:
    """An ISO date, or None (reported as BIRTH_DATE_INVALID with the other fields)."""
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None


def entered_from(body: RegistrationIn) -> service.Entered:
    return service.Entered(
        registry_no=body.registry_no,
        name=body.name,
        gender=GENDERS.get(body.gender.strip(), body.gender.strip()),
        birth_date=parse_birth_date(body.birth_date),
        school_name=body.school_name,
    )


@router.post(
    "/accounts",
    status_code=201,
    response_model=AccountOut,
    responses=error_answers(400, 409, 413, 422, 429),
)
def register(body: RegistrationIn, request: Request, session: DbSession, clock: ClockDep) -> object:
    registration = service.register(
        session,
        clock,
        student_no=body.student_no,
        password=body.password,
        entered=entered_from(body),
        client=client_address(request),
    )
    if isinstance(registration, XuejiError):
        return error_response(registration, request)  # the spent try is committed
    body_out = AccountOut.of(registration.account, registration.mismatches).answer()
    return JSONResponse(body_out, status_code=201)


@router.patch(
    "/me/details",
    response_model=AccountOut,
    responses=error_answers(400, 401, 403, 409, 413, 422, 429),
)
def update_details(
    body: DetailsPatch,
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> object:
    changes: dict[str, object] = {
        field: getattr(body, field)
        for field in body.model_fields_set
        if getattr(body, field) is not None
    }
    if "birth_date" in changes:
        changes["birth_date"] = parse_birth_date(str(changes["birth_date"]))
    if "gender" in changes:
        gender = str(changes["gender"]).strip()
        changes["gender"] = GENDERS.get(gender, gender)
    registration = service.update_details(
        session, clock, principal, changes=changes, client=client_address(request)
    )
    return JSONResponse(AccountOut.of(registration.account, registration.mismatches).answer())


@router.get("/me/account", response_model=AccountOut, responses=error_answers(401, 403))
def my_account(session: DbSession, principal: CurrentPrincipal) -> object:
    account = service.own_account(session, principal)
    return JSONResponse(AccountOut.of(account, service.mismatches_of(session, account)).answer())


def send_guardian_codes(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
) -> None:
    """For the API and the student's page alike: the codes are committed before the
    gateway is called, so a failing gateway cannot undo the count that limits it; and
    they are sent after the answer has gone, so that neither its time (one call to the
    gateway per guardian phone, or none) nor a gateway's failure tells the caller what
    the record holds."""
    messages = consent.request_guardian_codes(session, clock, principal)
    session.commit()
    background.add_task(_send_quietly, get_container(request).sms, messages)


def _send_quietly(sender: SmsSender, messages: list[PendingMessage]) -> None:
    for message in messages:
        try:
            message.send(sender)
        except SmsNotSent:  # the gateway logged why; the guardian can be asked again
            log.warning("监护人验证码短信未能发出")


@router.post("/me/guardian-codes", status_code=202, responses=error_answers(401, 403, 413))
def guardian_codes(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
) -> dict[str, str]:
    """The same answer whatever the record holds."""
    send_guardian_codes(request, session, clock, principal, background)
    return {"message": consent.CODES_SENT}


@router.post(
    "/me/verification",
    response_model=AccountOut,
    responses=error_answers(400, 401, 403, 413, 422, 429),
)
def verification(
    body: VerificationIn,
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> object:
    verified = consent.verify(session, clock, principal, code=body.code)
    if isinstance(verified, XuejiError):
        return error_response(verified, request)  # the spent try is committed
    return JSONResponse(AccountOut.of(verified, service.mismatches_of(session, verified)).answer())


@router.get("/me/capabilities", responses=error_answers(401, 403))
async def my_capabilities(request: Request) -> dict[str, object]:
    """One read outside any request transaction (see ``capabilities_for_token``). On
    PostgreSQL it is awaited on the event loop, in autocommit (``xueji.db.async_reads``);
    on SQLite it runs on the event loop, on the loop's own connection
    (``xueji.db.loop_reads``, opened by the app's lifespan; without one, in the thread
    pool)."""
    token = request_token(request)
    if not token:
        raise NotAuthenticated("请先登录")
    container = get_container(request)
    token_hash, now = hash_token(token), container.clock.now()
    if container.async_reads is not None:
        engine = container.async_reads.engine()
        return await capabilities.capabilities_for_token_async(engine, token_hash, now)

    loop_reads = getattr(request.app.state, "loop_reads", None)
    if loop_reads is not None:
        with loop_reads.connect() as connection:
            return capabilities.capabilities_for_token(connection, token_hash, now)

    def read() -> dict[str, object]:
        with container.engine.connect() as connection:
            return capabilities.capabilities_for_token(connection, token_hash, now)

    return await run_in_threadpool(read)
