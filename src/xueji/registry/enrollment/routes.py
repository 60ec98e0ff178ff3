"""JSON API of enrollment changes and transfers."""

from __future__ import annotations

from fastapi import APIRouter

from xueji.auth.deps import CurrentPrincipal
from xueji.domain.enrollment import ChangeKind
from xueji.registry.enrollment import service as enrollment
from xueji.registry.enrollment.models import Transfer
from xueji.registry.enrollment.schemas import EnrollmentChangeIn, RejectIn, TransferIn, TransferOut
from xueji.registry.schemas import StudentOut
from xueji.web.deps import ClockDep, DbSession
from xueji.web.errors import error_answers

router = APIRouter(prefix="/api/v1", tags=["registry"], responses=error_answers(401, 403))
#: what the other operations may answer besides the router's answers
WRITE = error_answers(400, 404, 409, 413, 422)


@router.post(
    "/students/{registry_no}/enrollment-changes", response_model=StudentOut, responses=WRITE
)
def change_enrollment(
    registry_no: str,
    body: EnrollmentChangeIn,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> StudentOut:
    located = enrollment.change_enrollment(
        session,
        clock,
        principal,
        registry_no=registry_no,
        kind=ChangeKind(body.kind),
        reason=body.reason,
    )
    return StudentOut.of(located)


@router.post("/transfers", status_code=201, response_model=TransferOut, responses=WRITE)
def request_transfer(
    body: TransferIn, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> TransferOut:
    transfer = enrollment.request_transfer(
        session,
        clock,
        principal,
        registry_no=body.registry_no,
        to_school_code=body.to_school_code,
        reason=body.reason,
        student_name=body.student_name,
    )
    return _transfer_out(session, transfer, show_origin=False)


@router.get("/transfers", response_model=list[TransferOut])
def transfer_inbox(session: DbSession, principal: CurrentPrincipal) -> list[TransferOut]:
    return [
        _transfer_out(session, t, show_origin=enrollment.knows_student(principal, t))
        for t in enrollment.transfers_for(session, principal)
    ]


def _transfer_out(session: DbSession, transfer: Transfer, *, show_origin: bool) -> TransferOut:
    student = enrollment.transfer_student(session, transfer)
    return TransferOut.of(transfer, student, show_origin=show_origin)


@router.post(
    "/transfers/{transfer_id}/confirm",
    response_model=TransferOut,
    responses=error_answers(404, 409, 413, 422),
)
def confirm_transfer(
    transfer_id: int, session: DbSession, clock: ClockDep, principal: CurrentPrincipal
) -> TransferOut:
    transfer = enrollment.confirm_transfer(session, clock, principal, transfer_id=transfer_id)
    return _transfer_out(session, transfer, show_origin=True)


@router.post("/transfers/{transfer_id}/reject", response_model=TransferOut, responses=WRITE)
def reject_transfer(
    transfer_id: int,
    body: RejectIn,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> TransferOut:
    transfer = enrollment.reject_transfer(
        session, clock, principal, transfer_id=transfer_id, reason=body.reason
    )
    return _transfer_out(session, transfer, show_origin=True)
