"""Pages of the transfer inbox (转学事务): request, confirm (学籍调档), reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from xueji.auth.deps import SIGNED_IN_PAGES, CurrentPrincipal
from xueji.domain.errors import Conflict, ValidationFailed, XuejiError
from xueji.registry.enrollment import service as enrollment
from xueji.registry.enrollment.schemas import TransferOut
from xueji.registry.repository import RegistryRepository
from xueji.web import forms
from xueji.web.deps import ClockDep, DbSession
from xueji.web.errors import status_of
from xueji.web.templating import render

router = APIRouter(tags=["registry pages"], include_in_schema=False, dependencies=SIGNED_IN_PAGES)


def _inbox(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    error: XuejiError | None = None,
    notice: str | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    """The inbox; ``values``: what the school typed into the request form, kept when it
    is refused."""
    transfers = enrollment.transfers_for(session, principal)
    repository = RegistryRepository(session)
    names = {
        t.id: (repository.school(t.to_school_code), repository.school(t.from_school_code))
        for t in transfers
    }
    views = {
        t.id: TransferOut.of(
            t,
            enrollment.transfer_student(session, t),
            show_origin=enrollment.knows_student(principal, t),
        )
        for t in transfers
    }
    return render(
        request,
        "transfers.html",
        {
            "incoming": [t for t in transfers if t.from_school_code == principal.school_code],
            "outgoing": [t for t in transfers if t.to_school_code == principal.school_code],
            "schools": names,
            "views": views,
            "values": values or {},
            "error": error,
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/transfers")
def inbox(
    request: Request, session: DbSession, principal: CurrentPrincipal, done: str = ""
) -> Response:
    notice = {
        "requested": "转学申请已提交，等待转出学校确认。",
        "confirmed": "已确认调档，学生已转出。",
        "rejected": "已退回该转学申请。",
    }.get(done)
    return _inbox(request, session, principal, notice=notice)


@router.post("/transfers")
def request_transfer(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    registry_no: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
    student_name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    outcome = forms.attempt(
        session,
        lambda: enrollment.request_transfer(
            session,
            clock,
            principal,
            registry_no=registry_no,
            to_school_code=principal.school_code or "",
            reason=reason,
            student_name=student_name,
        ),
    )
    if isinstance(outcome, XuejiError):
        typed = {"registry_no": registry_no, "reason": reason, "student_name": student_name}
        return _inbox(request, session, principal, error=outcome, status_code=422, values=typed)
    return RedirectResponse("/transfers?done=requested", status_code=303)


@router.post("/transfers/{transfer_id}/confirm")
def confirm(
    request: Request,
    transfer_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    confirmed: Annotated[bool, Form()] = False,
) -> Response:
    def hand_over() -> object:
        forms.require_confirmation(confirmed)
        return enrollment.confirm_transfer(session, clock, principal, transfer_id=transfer_id)

    outcome = forms.attempt(session, hand_over, refuse=(ValidationFailed, Conflict))
    if isinstance(outcome, XuejiError):
        return _inbox(request, session, principal, error=outcome, status_code=status_of(outcome))
    return RedirectResponse("/transfers?done=confirmed", status_code=303)


@router.post("/transfers/{transfer_id}/reject")
def reject(
    request: Request,
    transfer_id: int,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Refused (no reason; decided meanwhile in another tab): the inbox says why, with
    the reason typed kept in its form."""
    outcome = forms.attempt(
        session,
        lambda: enrollment.reject_transfer(
            session, clock, principal, transfer_id=transfer_id, reason=reason
        ),
        refuse=(ValidationFailed, Conflict),
    )
    if isinstance(outcome, XuejiError):
        return _inbox(
            request,
            session,
            principal,
            error=outcome,
            status_code=status_of(outcome),
            values={f"reject_{transfer_id}": reason},
        )
    return RedirectResponse("/transfers?done=rejected", status_code=303)
