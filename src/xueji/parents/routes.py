"""JSON API of parents: SMS codes, registration, children, phone-change applications."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from xueji.auth import codes
from xueji.auth.deps import CurrentPrincipal
from xueji.parents import applications, approval, children, service
from xueji.parents.models import PhoneChangeApplication
from xueji.registry.validation import MAX_GUARDIANS
from xueji.web.deps import ClockDep, DbSession, client_address, get_container
from xueji.web.errors import error_answers, error_response

router = APIRouter(prefix="/api/v1", tags=["parents"])


class SmsCodeIn(BaseModel):
    phone: str = Field(max_length=40)
    purpose: str = Field(max_length=40)


class ParentIn(BaseModel):
    phone: str = Field(max_length=40)
    code: str = Field(max_length=12)
    password: str = Field(max_length=256)
    name: str = Field(default="", max_length=200)


class ApplicationIn(BaseModel):
    registry_no: str = Field(max_length=40)
    student_name: str = Field(max_length=200)
    guardian_name: str = Field(max_length=200)
    relation: str = Field(max_length=20)


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class ApproveIn(ReasonIn):
    """``replace``: which current guardian (from 1) the applicant replaces when the child
    has four; ``version``: the ``version`` the caller read, refused if it changed."""

    replace: int | None = Field(default=None, ge=1, le=MAX_GUARDIANS)
    version: int | None = Field(default=None, ge=0)


@router.post("/sms-codes", status_code=202, responses=error_answers(400, 413, 422, 429, 503))
def send_code(
    body: SmsCodeIn, request: Request, session: DbSession, clock: ClockDep
) -> dict[str, Any]:
    """Always the same answer for a well-formed request: whether the phone belongs to
    anyone is not told. The code is committed before the gateway is called."""
    message = codes.request_code(
        session, clock, phone=body.phone, purpose=body.purpose, client=client_address(request)
    )
    session.commit()
    message.send(get_container(request).sms)
    return {"sent": True, "expires_at": message.expires_at.isoformat(), "expires_in": 300}


@router.post(
    "/parents", status_code=201, response_model=None, responses=error_answers(400, 409, 413, 422)
)
def register(
    body: ParentIn, request: Request, session: DbSession, clock: ClockDep
) -> dict[str, Any] | Response:
    outcome = service.register_parent(
        session, clock, phone=body.phone, code=body.code, password=body.password, name=body.name
    )
    if not isinstance(outcome, service.ParentRegistration):
        return error_response(outcome, request)  # the spent try is committed
    return {
        "phone": outcome.account.phone,
        "children": [service.child_summary(c) for c in outcome.children],
        "binding": outcome.binding(),
    }


@router.get("/parents/me/children", responses=error_answers(401, 403))
def my_children(session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return children.children_of(session, principal)


class ConsentIn(BaseModel):
    account_id: int = Field(ge=1, le=2**31 - 1)


@router.post(
    "/parents/me/children/{student_id}/consent",
    responses=error_answers(400, 401, 403, 404, 413, 422),
)
def consent(
    student_id: int,
    body: ConsentIn,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """A guardian's consent to the activation of an account registered for the child."""
    return children.consent_for_child(
        session, clock, principal, student_id=student_id, account_id=body.account_id
    )


@router.post(
    "/phone-change-applications",
    status_code=201,
    response_model=None,
    responses=error_answers(400, 401, 403, 409, 413, 422, 429),
)
def apply(
    body: ApplicationIn,
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> dict[str, Any] | Response:
    outcome = applications.apply(
        session,
        clock,
        principal,
        registry_no=body.registry_no,
        student_name=body.student_name,
        guardian_name=body.guardian_name,
        relation=body.relation,
    )
    if not isinstance(outcome, PhoneChangeApplication):
        return error_response(outcome, request)
    return applications.view(session, principal, outcome)


@router.get("/phone-change-applications", responses=error_answers(401, 403, 422))
def list_applications(
    session: DbSession,
    principal: CurrentPrincipal,
    before: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Staff: newest first, ``limit`` (default 100, at most 500) per page; the next page
    is ``?before=`` the last id. Parents: all their own."""
    return applications.views_for(session, principal, before=before, limit=limit)


@router.get(
    "/phone-change-applications/{application_id}", responses=error_answers(401, 403, 404, 422)
)
def show_application(
    application_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    reveal: bool = False,
) -> dict[str, Any]:
    """One application; staff see the applicant's phone masked. ``?reveal=true``: in full,
    for administrators, and audited."""
    if reveal:
        return applications.reveal(session, clock, principal, application_id)
    shown = applications.visible(session, principal, application_id)
    return applications.view(session, principal, shown)


@router.post(
    "/phone-change-applications/{application_id}/forward",
    responses=error_answers(401, 403, 404, 409, 413, 422),
)
def forward(
    application_id: int, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    done = applications.forward(session, clock, principal, application_id)
    return applications.view(session, principal, done)


@router.post(
    "/phone-change-applications/{application_id}/approve",
    responses=error_answers(400, 401, 403, 404, 409, 413, 422),
)
def approve(
    application_id: int,
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    body: ApproveIn | None = None,
) -> dict[str, Any]:
    """``replace``: when the child has four guardians, none of the applicant's relation,
    which of them (its place in ``current_guardians``, from 1) the applicant replaces;
    a replaced phone is told by SMS."""
    done = approval.approve(
        session,
        clock,
        principal,
        application_id,
        reason=body.reason if body else "",
        replace=body.replace if body else None,
        version=body.version if body else None,
    )
    answer = applications.view(session, principal, done.application)
    session.commit()
    approval.notify_replaced(done, get_container(request).sms)
    return answer


@router.post(
    "/phone-change-applications/{application_id}/reject",
    responses=error_answers(400, 401, 403, 404, 409, 413, 422),
)
def reject(
    application_id: int,
    body: ReasonIn,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    done = applications.reject(session, clock, principal, application_id, reason=body.reason)
    return applications.view(session, principal, done)
