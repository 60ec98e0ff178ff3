"""升学入学: a school admits a student who graduated from, or withdrew from, another
school — a primary school leaver at the middle school, most often. The registry number is
for life, so the same record moves on: school, class and region change, the status is
enrolled again, the guardians are those the new school gave; audited, with an event.

The new school proves it means this student by the other three of the five fields: the
number alone would let any school take any child's record."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.domain.enrollment import LEFT, ChangeKind, EnrollmentStatus, apply_change
from xueji.domain.errors import Conflict
from xueji.registry import events
from xueji.registry.enrollment.history import record_history
from xueji.registry.models import Guardian, School, Student
from xueji.registry.repository import RegistryRepository

#: Statuses in which a student has left their school and may be admitted by another.
ADMISSION_REASON = "升学入学"


def may_admit(student: Student, school_code: str) -> bool:
    """Whether ``school_code`` may admit this (already registered) student: one who left
    another school; or a graduate of this one, to its next stage (a 完全中学 admits its
    own 初三 graduates to 高一). A student who withdrew from this school comes back by
    重新入学 instead."""
    if student.status not in LEFT:
        return False
    return student.school_code != school_code or student.status == EnrollmentStatus.GRADUATED


def check_same_student(student: Student, *, name: str, gender: str, birth_date: dt.date) -> None:
    """Refuses an admission whose name, gender or birth date is not the registry's,
    without saying which."""
    if (student.name, student.gender, student.birth_date) != (name, gender, birth_date):
        raise Conflict(
            "该学籍号对应的学生与填写的姓名、性别、出生日期不一致，请核对；"
            "若学籍登记有误，请联系原学校更正",
            code="STUDENT_DETAILS_MISMATCH",
        )


def admit(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    student: Student,
    school: School,
    class_id: int | None,
    guardians: list[Guardian],
    reason: str = ADMISSION_REASON,
) -> None:
    """Moves the student (checked with ``may_admit`` and ``check_same_student``) to
    ``school``, in the caller's transaction."""
    repository = RegistryRepository(session)
    origin = repository.school(student.school_code)
    assert origin is not None
    before = EnrollmentStatus(student.status)
    after = apply_change(before, ChangeKind.ADMIT)
    snapshot_before = events.snapshot(student, origin, repository.guardians_of(student.id))
    student.school_code, student.class_id, student.status = school.code, class_id, str(after)
    student.updated_at = clock.now()
    repository.replace_guardians(student.id, guardians)
    record_history(
        session,
        clock,
        principal,
        student_id=student.id,
        kind=ChangeKind.ADMIT,
        before=before,
        after=after,
        reason=reason,
        from_school=origin.code,
        to_school=school.code,
    )
    events.record_student_change(
        session,
        clock,
        principal,
        event_type=events.STUDENT_ADMITTED,
        student=student,
        audit_payload={
            "before": snapshot_before,
            "after": events.snapshot(student, school, guardians),
            "reason": reason,
        },
        extra={
            "from_school_code": origin.code,
            "to_school_code": school.code,
            "from_region_code": origin.region_code,
            "to_region_code": school.region_code,
            "from_status": str(before),
            "to_status": str(after),
        },
    )
