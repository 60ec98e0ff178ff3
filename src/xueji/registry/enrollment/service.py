"""学籍异动: suspend, resume, graduate, withdraw, and transfers between schools."""

from __future__ import annotations

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.db.crypto import registry_no_index
from xueji.domain import identity
from xueji.domain.clock import Clock, china_today
from xueji.domain.enrollment import ChangeKind, EnrollmentStatus, apply_change
from xueji.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xueji.domain.names import check_person_name
from xueji.domain.roles import Role
from xueji.domain.statuses import TransferStatus
from xueji.registry import events, scope
from xueji.registry.enrollment.history import record_history
from xueji.registry.enrollment.models import Transfer
from xueji.registry.models import SchoolClass, Student
from xueji.registry.repository import RegistryRepository
from xueji.registry.schools import visible_school
from xueji.registry.service import Located, locate
from xueji.registry.validation import check_reason

LOCAL_CHANGES = (
    ChangeKind.SUSPEND,
    ChangeKind.RESUME,
    ChangeKind.GRADUATE,
    ChangeKind.WITHDRAW,
    ChangeKind.REENROLL,
)
_ELSEWHERE = {
    ChangeKind.TRANSFER: "转学请通过转学申请办理",
    ChangeKind.ADMIT: "升学或到新学校入学由新学校登记或导入该学生办理",
}


def change_enrollment(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    registry_no: str,
    kind: ChangeKind,
    reason: str,
) -> Located:
    """A status change by the student's own school, following the domain's state table."""
    if kind not in LOCAL_CHANGES:
        raise ValidationFailed(_ELSEWHERE[kind], code="CHANGE_KIND_INVALID")
    located = locate(session, clock, principal, registry_no, lock=True)
    scope.require_writer(principal)
    why = check_reason(reason)
    student = located.student
    before = EnrollmentStatus(student.status)
    after = apply_change(before, kind)
    if RegistryRepository(session).open_transfer_of(student.id) and kind != ChangeKind.RESUME:
        raise Conflict("该学生有待确认的转学申请，请先处理", code="TRANSFER_PENDING")
    student.status, student.updated_at = str(after), clock.now()
    left_class = _leave_graduated_class(session, student) if kind == ChangeKind.REENROLL else None
    record_history(
        session,
        clock,
        principal,
        student_id=student.id,
        kind=kind,
        before=before,
        after=after,
        reason=why,
        from_school=located.school.code,
        to_school=student.school_code,
    )
    events.record_student_change(
        session,
        clock,
        principal,
        event_type=events.STATUS_CHANGED,
        student=student,
        audit_payload={
            "before": {"status": str(before)},
            "after": {"status": str(after)},
            "kind": str(kind),
            "reason": why,
        }
        | ({"left_class": left_class} if left_class else {}),
        extra={"kind": str(kind), "from_status": str(before), "to_status": str(after)},
    )
    return located


def _leave_graduated_class(session: Session, student: Student) -> str | None:
    """A student who returns (重新入学) after their class graduated at 学年升级 does not
    go back into it: a graduated class takes no one and is promoted no more, so the
    student would never move up again. They return without a class, to be placed; the
    name of the class they left is returned."""
    if student.class_id is None:
        return None
    school_class = session.get(SchoolClass, student.class_id)
    if school_class is None or school_class.graduated_in is None:
        return None
    student.class_id = None
    return school_class.name


def request_transfer(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    registry_no: str,
    to_school_code: str,
    reason: str,
    student_name: str = "",
) -> Transfer:
    """The receiving school asks for a student. It cannot see the student yet, so the
    answer never says where the student is; the origin school confirms or rejects.
    ``student_name``: the name as the asking school knows it, kept for its own list."""
    if principal.role is not Role.SCHOOL_ADMIN or principal.school_code != to_school_code:
        raise Forbidden("转学申请由转入学校的学校信息管理员提出")
    visible_school(session, principal, to_school_code)
    why = check_reason(reason)
    typed_name = check_person_name(student_name) if student_name.strip() else None
    number = identity.parse_number(registry_no, today=china_today(clock))
    repository = RegistryRepository(session)
    student = repository.student_by_index(registry_no_index(number.registry_no), lock=True)
    if student is None or student.status != EnrollmentStatus.ENROLLED:
        raise NotFound("没有找到可转学的在籍学生（请核对学籍号）", code="TRANSFER_NOT_POSSIBLE")
    if student.school_code == to_school_code:
        raise Conflict("该学生已在本校", code="ALREADY_AT_SCHOOL")
    if repository.open_transfer_of(student.id) is not None:
        raise Conflict("该学生已有待确认的转学申请", code="TRANSFER_PENDING")
    transfer = Transfer(
        student_id=student.id,
        from_school_code=student.school_code,
        to_school_code=to_school_code,
        status=TransferStatus.REQUESTED,
        reason=why,
        requested_by=principal.account_id,
        requested_at=clock.now(),
        requested_name=typed_name,
    )
    repository.add(transfer)
    events.audit_student(
        session,
        clock,
        principal,
        student_id=student.id,
        school_code=student.school_code,
        action="transfer.requested",
        payload={"transfer_id": transfer.id, "to_school_code": to_school_code, "reason": why},
    )
    return transfer


def _open_transfer_for_origin(session: Session, principal: Principal, transfer_id: int) -> Transfer:
    transfer = RegistryRepository(session).transfer(transfer_id, lock=True)
    visible = transfer is not None and (
        principal.role is Role.SCHOOL_ADMIN and principal.school_code == transfer.from_school_code
    )
    if transfer is None or not visible:
        raise NotFound("没有找到该转学申请")
    if transfer.status != TransferStatus.REQUESTED:
        raise Conflict("该转学申请已处理", code="TRANSFER_DECIDED")
    return transfer


def confirm_transfer(
    session: Session, clock: Clock, principal: Principal, *, transfer_id: int
) -> Transfer:
    """学籍调档: the origin school hands the record over. School, class and region change
    in one transaction with the audit entry and the event."""
    transfer = _open_transfer_for_origin(session, principal, transfer_id)
    repository = RegistryRepository(session)
    student = repository.student_by_id(transfer.student_id)
    origin = repository.school(transfer.from_school_code)
    target = repository.school(transfer.to_school_code)
    assert student is not None and origin is not None and target is not None
    before = EnrollmentStatus(student.status)
    after = apply_change(before, ChangeKind.TRANSFER)
    left_class = student.class_id  # kept in the audit entry: the record no longer says it
    student.school_code, student.class_id, student.status = target.code, None, str(after)
    student.updated_at = transfer.decided_at = clock.now()
    transfer.status, transfer.decided_by = TransferStatus.CONFIRMED, principal.account_id
    record_history(
        session,
        clock,
        principal,
        student_id=student.id,
        kind=ChangeKind.TRANSFER,
        before=before,
        after=after,
        reason=transfer.reason,
        from_school=origin.code,
        to_school=target.code,
    )
    events.record_student_change(
        session,
        clock,
        principal,
        event_type=events.STUDENT_TRANSFERRED,
        student=student,
        audit_payload={
            "before": {
                "school_code": origin.code,
                "region_code": origin.region_code,
                "class_id": left_class,
            },
            "after": {
                "school_code": target.code,
                "region_code": target.region_code,
                "class_id": None,
            },
            "transfer_id": transfer.id,
            "reason": transfer.reason,
        },
        extra={
            "from_school_code": origin.code,
            "to_school_code": target.code,
            "from_region_code": origin.region_code,
            "to_region_code": target.region_code,
        },
    )
    return transfer


def reject_transfer(
    session: Session, clock: Clock, principal: Principal, *, transfer_id: int, reason: str
) -> Transfer:
    transfer = _open_transfer_for_origin(session, principal, transfer_id)
    why = check_reason(reason)
    transfer.status, transfer.decided_by, transfer.decided_at = (
        TransferStatus.REJECTED,
        principal.account_id,
        clock.now(),
    )
    transfer.decision_reason = why
    events.audit_student(
        session,
        clock,
        principal,
        student_id=transfer.student_id,
        school_code=transfer.from_school_code,
        action="transfer.rejected",
        payload={"transfer_id": transfer.id, "reason": why},
    )
    return transfer


def transfer_student(session: Session, transfer: Transfer) -> Student:
    """The student a transfer is about (never deleted while the transfer exists)."""
    student = RegistryRepository(session).student_by_id(transfer.student_id, lock=False)
    assert student is not None
    return student


def knows_student(principal: Principal, transfer: Transfer) -> bool:
    """Whether the caller's school may see who the transfer's student is and where from:
    the origin school always, the asking school once the record is handed over (before
    that it learns nothing about a child from a request)."""
    return (
        transfer.status == TransferStatus.CONFIRMED
        or principal.school_code == transfer.from_school_code
    )


def transfers_for(session: Session, principal: Principal) -> list[Transfer]:
    """The transfer inbox of a school administrator: incoming and outgoing."""
    if principal.role is not Role.SCHOOL_ADMIN or principal.school_code is None:
        raise Forbidden("转学事务由学校信息管理员办理")
    return RegistryRepository(session).transfers_for(principal.school_code)
