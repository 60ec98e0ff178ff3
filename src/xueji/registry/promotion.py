"""学年升级: at the end of a school year every class of a school (or of every school of a
region) moves up one grade, and the classes at the end of a stage graduate.

* Classes graduate at the end of a stage (``graduates``): 9 and 12 always (初中, 高中:
  the next stage is a new admission, even at the same school — a 完全中学's 初三
  graduates), 6 unless the school also teaches 初中 (a nine-year school, 九年一贯制, moves
  its sixth grade on). A primary school with no sixth grade this year graduates nobody.
* A graduating student another school has asked for (a transfer not yet confirmed) stops
  the promotion until the request is answered: graduating would leave it unanswerable.
* A class name that starts with its grade (``三年级(1)班``, ``初一(2)班``, ``高二3班``)
  is renamed to the next grade's (``四年级(1)班``, ``初二(2)班``); any other name stays.
* A graduating class keeps its students' history under the name of its year
  (``2027届六年级(1)班``, ``graduated_in``) and is promoted no more. Its enrolled students
  graduate; its suspended students do not, and leave the class (placed again when they
  resume).
* Everything happens in the caller's transaction, once per school and school year
  (``promotions``; and never twice within ``PROMOTION_GAP_DAYS``, whatever the calendar
  says: a school promoted in May is not promoted again in July), audited per school;
  each graduation and each student who leaves a class is published in the bulk lane.
  Students who move up keep their class (the same row, now of the next grade), so the
  platform's class resources follow by themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.clock import Clock, china_today
from xueji.domain.enrollment import ChangeKind, EnrollmentStatus
from xueji.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xueji.domain.roles import Role
from xueji.domain.statuses import TransferStatus
from xueji.registry import events, scope
from xueji.registry.enrollment.history import record_history
from xueji.registry.enrollment.models import Transfer
from xueji.registry.grades import graduated_name, graduates, next_name, school_year
from xueji.registry.models import Promotion, School, SchoolClass, Student
from xueji.registry.repository import RegistryRepository

REASON = "学年升级"
#: a school promoted less than this many days ago is not promoted again (one summer)
PROMOTION_GAP_DAYS = 180


@dataclass(frozen=True, slots=True)
class ClassStep:
    """What the promotion does to one class."""

    class_id: int
    school_code: str
    grade: int
    name: str
    #: the class's grade and name after it (the same grade when it graduates)
    new_grade: int
    new_name: str
    graduates: bool
    #: students in the class now (enrolled or suspended)
    students: int
    #: of those, suspended: in a graduating class they stay behind, without a class
    suspended: int


@dataclass(frozen=True, slots=True)
class Plan:
    school_year: int
    schools: tuple[School, ...]
    steps: tuple[ClassStep, ...]
    #: schools already promoted this school year (left out of ``steps``)
    done: tuple[School, ...]

    @property
    def promoted(self) -> int:
        return sum(step.students for step in self.steps if not step.graduates)

    @property
    def graduated(self) -> int:
        return sum(step.students - step.suspended for step in self.steps if step.graduates)

    @property
    def held(self) -> int:
        return sum(step.suspended for step in self.steps if step.graduates)

    def as_json(self) -> dict[str, Any]:
        return {"promoted": self.promoted, "graduated": self.graduated}


def plan(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    school_code: str | None = None,
    region_code: str | None = None,
) -> Plan:
    """What a promotion of one school, or of every school of a region, would do now."""
    schools = _schools(session, principal, school_code=school_code, region_code=region_code)
    year = school_year(china_today(clock))
    recently = clock.now() - dt.timedelta(days=PROMOTION_GAP_DAYS)
    promoted = set(
        session.scalars(
            select(Promotion.school_code).where(
                (Promotion.school_year == year) | (Promotion.at > recently),
                Promotion.school_code.in_([school.code for school in schools]),
            )
        )
    )
    pending = [school for school in schools if school.code not in promoted]
    steps: list[ClassStep] = []
    for school in pending:
        steps.extend(_steps(session, school.code))
    done = tuple(school for school in schools if school.code in promoted)
    return Plan(year, tuple(pending), tuple(steps), done)


def promote(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    school_code: str | None = None,
    region_code: str | None = None,
) -> Plan:
    """Run the promotion ``plan`` describes, in the caller's transaction."""
    planned = plan(session, clock, principal, school_code=school_code, region_code=region_code)
    if not planned.schools:
        names = "、".join(school.name for school in planned.done)
        raise Conflict(f"{names}本学年（{planned.school_year} 年秋季起）已升级过", code="PROMOTED")
    _refuse_pending_transfers(session, planned)
    # recorded first: a second promotion of the same school waits here, then is refused
    for school in planned.schools:
        own = [step for step in planned.steps if step.school_code == school.code]
        _record(session, clock, principal, school, own, planned.school_year)
    # graduating classes first, then from the top grade down: a class takes the name
    # the one above it has just left
    for step in sorted(planned.steps, key=lambda s: (not s.graduates, -s.grade)):
        _apply(session, clock, principal, step, planned.school_year)
    return planned


def _schools(
    session: Session,
    principal: Principal,
    *,
    school_code: str | None,
    region_code: str | None,
) -> list[School]:
    if principal.role not in (Role.PLATFORM_ADMIN, Role.REGION_ADMIN, Role.SCHOOL_ADMIN):
        raise Forbidden("只有学校信息管理员和教育行政部门管理员可以办理学年升级")
    repository = RegistryRepository(session)
    if school_code is not None:
        school = repository.school(school_code)
        if school is None or not scope.sees_school(
            principal, school_code=school.code, region_code=school.region_code
        ):
            raise NotFound("没有找到该学校")
        return [school]
    if region_code is None or len(region_code) < 2 or not region_code.isdigit():
        raise ValidationFailed(
            "请指定学校，或行政区划代码（省 2 位、市 4 位、区县 6 位）", code="PROMOTION_SCOPE"
        )
    if principal.role is Role.SCHOOL_ADMIN or (
        principal.role is Role.REGION_ADMIN
        and not region_code.startswith(principal.region_code or "\0")
    ):
        raise Forbidden("只能为本辖区办理学年升级")
    found = repository.schools(School.region_code.startswith(region_code))
    if not found:
        raise NotFound(f"行政区划 {region_code} 下没有学校")
    return found


def _steps(session: Session, school_code: str) -> list[ClassStep]:
    classes = list(
        session.scalars(
            select(SchoolClass)
            .where(SchoolClass.school_code == school_code, SchoolClass.graduated_in.is_(None))
            .order_by(SchoolClass.grade, SchoolClass.name)
        )
    )
    counts: dict[tuple[int | None, str], int] = {
        (class_id, status): count
        for class_id, status, count in session.execute(
            select(Student.class_id, Student.status, func.count())
            .where(
                Student.class_id.in_([c.id for c in classes]),
                Student.status.in_([EnrollmentStatus.ENROLLED, EnrollmentStatus.SUSPENDED]),
            )
            .group_by(Student.class_id, Student.status)
        )
    }
    taught = {c.grade for c in classes}
    steps = []
    for school_class in classes:
        leaves = graduates(school_class.grade, taught)
        enrolled = counts.get((school_class.id, EnrollmentStatus.ENROLLED), 0)
        suspended = counts.get((school_class.id, EnrollmentStatus.SUSPENDED), 0)
        steps.append(
            ClassStep(
                class_id=school_class.id,
                school_code=school_code,
                grade=school_class.grade,
                name=school_class.name,
                new_grade=school_class.grade if leaves else school_class.grade + 1,
                new_name=school_class.name
                if leaves
                else next_name(school_class.name, school_class.grade),
                graduates=leaves,
                students=enrolled + suspended,
                suspended=suspended,
            )
        )
    return steps


def _apply(
    session: Session, clock: Clock, principal: Principal, step: ClassStep, year: int
) -> None:
    school_class = session.get(SchoolClass, step.class_id, with_for_update=True)
    if school_class is None:  # deleted since the plan: nothing to do
        return
    if not step.graduates:
        school_class.grade, school_class.name = step.new_grade, step.new_name
        session.flush()
        return
    school_class.name = graduated_name(session, school_class, year)
    school_class.graduated_in = year
    session.flush()
    students = session.scalars(
        select(Student)
        .where(
            Student.class_id == school_class.id,
            Student.status.in_([EnrollmentStatus.ENROLLED, EnrollmentStatus.SUSPENDED]),
        )
        .order_by(Student.id)
        .with_for_update()
    )
    for student in students:
        if student.status == EnrollmentStatus.ENROLLED:
            _graduate(session, clock, principal, student)
        else:
            _leave_class(session, clock, principal, student)


def _refuse_pending_transfers(session: Session, planned: Plan) -> None:
    """A graduating student another school has asked for: the request is answered first
    (confirmed or rejected), as when the student graduates by hand."""
    graduating = [step.class_id for step in planned.steps if step.graduates]
    asked = session.execute(
        select(School.name, func.count())
        .select_from(Transfer)
        .join(Student, Student.id == Transfer.student_id)
        .join(School, School.code == Student.school_code)
        .where(
            Transfer.status == TransferStatus.REQUESTED,
            Student.class_id.in_(graduating),
            Student.status == EnrollmentStatus.ENROLLED,
        )
        .group_by(School.name)
        .order_by(School.name)
    ).all()
    if asked:
        schools = "、".join(f"{name} {count} 名" for name, count in asked)
        raise Conflict(
            f"毕业年级有学生的转学申请尚未处理（{schools}）：请先在“转学”中确认或退回，再办理学年升级",
            code="TRANSFER_PENDING",
        )


def _graduate(session: Session, clock: Clock, principal: Principal, student: Student) -> None:
    student.status, student.updated_at = str(EnrollmentStatus.GRADUATED), clock.now()
    record_history(
        session,
        clock,
        principal,
        student_id=student.id,
        kind=ChangeKind.GRADUATE,
        before=EnrollmentStatus.ENROLLED,
        after=EnrollmentStatus.GRADUATED,
        reason=REASON,
        from_school=student.school_code,
        to_school=student.school_code,
    )
    events.record_student_change(
        session,
        clock,
        principal,
        event_type=events.STATUS_CHANGED,
        student=student,
        audit_payload=None,  # the school's promotion entry names the classes
        extra={"kind": "graduate", "from_status": "enrolled", "to_status": "graduated"},
        bulk=True,
    )


def _leave_class(session: Session, clock: Clock, principal: Principal, student: Student) -> None:
    student.class_id, student.updated_at = None, clock.now()
    events.record_student_change(
        session,
        clock,
        principal,
        event_type=events.STUDENT_CORRECTED,
        student=student,
        audit_payload=None,
        extra={"changed": ["class_id"]},
        bulk=True,
    )


def _record(
    session: Session,
    clock: Clock,
    principal: Principal,
    school: School,
    steps: list[ClassStep],
    year: int,
) -> None:
    own = Plan(year, (school,), tuple(steps), ())
    promoted, graduated, held = own.promoted, own.graduated, own.held
    promotion = Promotion(
        school_code=school.code,
        school_year=year,
        promoted=promoted,
        graduated=graduated,
        held=held,
        actor_id=principal.account_id,
        at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(promotion)
            session.flush()
    except IntegrityError:  # another promotion of this school committed meanwhile
        raise Conflict(f"{school.name}本学年已升级过", code="PROMOTED") from None
    events.audit_school(
        session,
        clock,
        principal,
        school_code=school.code,
        action="registry.promoted",
        payload={
            "school_year": year,
            "promoted": promoted,
            "graduated": graduated,
            "held": held,
            "classes": [
                {
                    "from": [s.grade, s.name],
                    "to": [s.new_grade, s.new_name],
                    "graduates": s.graduates,
                }
                for s in steps
            ],
        },
    )
    session.flush()
