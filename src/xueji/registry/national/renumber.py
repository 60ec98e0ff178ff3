"""A student with a J (or L) number obtains a resident ID: the same record takes the G
number (``docs/identity-numbers.md``).

Everything stays with the record — history, guardians, national record, the platform
account (the platform follows the event and moves the account's link to the new number,
``platform.follow``). The former number is kept (``RegistryNoChange``): signing in with it
says that it changed, and the number cannot be given to anyone else.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.db.crypto import registry_no_index
from xueji.domain.clock import Clock, china_today
from xueji.domain.errors import Conflict, ValidationFailed
from xueji.domain.identity import parse_resident_id
from xueji.registry import events, scope
from xueji.registry.models import Student
from xueji.registry.national import records
from xueji.registry.national.fields import RESIDENT_ID
from xueji.registry.national.models import RegistryNoChange
from xueji.registry.service import Located, former_holder_of


def convert(
    session: Session,
    clock: Clock,
    principal: Principal,
    located: Located,
    *,
    resident_id: str,
    reason: str,
) -> str:
    """Give the student the G number of ``resident_id``; returns it."""
    scope.require_writer(principal)
    if not reason.strip():
        raise ValidationFailed("请填写变更原因", code="REASON_REQUIRED")
    student = located.student
    if student.registry_no[0] not in "JL":
        raise Conflict(
            "该学生的学籍号已是身份证号（G 字头），不能再换号；号码有误请走学籍更正",
            code="NOT_A_J_NUMBER",
        )
    number = parse_resident_id(resident_id, today=china_today(clock))
    if number.birth_date != student.birth_date:
        raise ValidationFailed(
            f"身份证号中的出生日期 {number.birth_date.isoformat()} 与学籍中的"
            f" {student.birth_date.isoformat()} 不一致",
            code="BIRTH_DATE_MISMATCH",
        )
    if number.gender is not None and number.gender.value != student.gender:
        raise ValidationFailed("身份证号第 17 位表示的性别与学籍不一致", code="GENDER_MISMATCH")
    index = registry_no_index(number.registry_no)
    if session.scalar(select(Student.id).where(Student.registry_no_index == index)) is not None:
        raise Conflict("该身份证号已登记为另一名学生的学籍号", code="REGISTRY_NO_TAKEN")
    former = student.registry_no
    session.add(
        RegistryNoChange(
            student_id=student.id,
            old_registry_no=former,
            old_index=student.registry_no_index,
            actor_id=principal.account_id,
            at=clock.now(),
        )
    )
    student.registry_no, student.registry_no_index = number.registry_no, index
    student.updated_at = clock.now()
    _record_the_document(session, clock, student, number.registry_no[1:])
    events.record_student_change(
        session,
        clock,
        principal,
        event_type=events.STUDENT_CORRECTED,
        student=student,
        audit_payload={
            "before": {"registry_no": former},
            "after": {"registry_no": number.registry_no},
            "reason": reason.strip()[:500],
        },
        extra={"changed": ["registry_no"]},
    )
    return number.registry_no


def _record_the_document(session: Session, clock: Clock, student: Student, body: str) -> None:
    """The national record's document becomes the resident ID (if it has a record)."""
    national = records.record_of(session, student.id)
    if national is None:
        return
    values = records.stored(national) | {"document_type": RESIDENT_ID, "document_no": body}
    records.store(session, student.id, values, clock.now())


def former_student(session: Session, registry_no: str) -> int | None:
    """The student whose former number this is, if any."""
    return former_holder_of(session, registry_no_index(registry_no))


def changes_of(session: Session, student_id: int) -> list[RegistryNoChange]:
    return list(
        session.scalars(
            select(RegistryNoChange)
            .where(RegistryNoChange.student_id == student_id)
            .order_by(RegistryNoChange.at)
        )
    )
