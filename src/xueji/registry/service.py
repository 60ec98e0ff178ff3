"""Use cases of student records: register, look up (masked or revealed), correct, list."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.db.crypto import phone_index, registry_no_index
from xueji.domain import identity
from xueji.domain.clock import Clock, china_today
from xueji.domain.codes import Gender
from xueji.domain.enrollment import EnrollmentStatus
from xueji.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xueji.domain.names import check_person_name
from xueji.registry import events, scope
from xueji.registry.enrollment import admission
from xueji.registry.models import Guardian, School, Student
from xueji.registry.national.models import RegistryNoChange
from xueji.registry.repository import RegistryRepository
from xueji.registry.schools import visible_school
from xueji.registry.validation import (
    GuardianFacts,
    check_consistency,
    check_guardians,
    check_reason,
)


@dataclass(frozen=True, slots=True)
class Located:
    """A student the caller may see, with what the scope and views need."""

    student: Student
    school: School
    guardians: list[Guardian]


def locate(
    session: Session, clock: Clock, principal: Principal, registry_no: str, *, lock: bool = False
) -> Located:
    """The student with this number if the caller's scope covers them, else NotFound —
    the same answer as for a number that is not registered."""
    scope.require_staff(principal)
    number = identity.parse_number(registry_no, today=china_today(clock))
    repository = RegistryRepository(session)
    student = repository.student_by_index(registry_no_index(number.registry_no), lock=lock)
    return _in_scope(repository, principal, student)


def locate_by_id(
    session: Session, principal: Principal, student_id: int, *, lock: bool = False
) -> Located:
    """As ``locate``, by the registry's internal id (pages keep numbers out of URLs);
    ``lock`` as there, for a page's form that changes the student."""
    scope.require_staff(principal)
    repository = RegistryRepository(session)
    return _in_scope(repository, principal, repository.student_by_id(student_id, lock=lock))


def _in_scope(
    repository: RegistryRepository, principal: Principal, student: Student | None
) -> Located:
    if student is not None:
        school = repository.school(student.school_code)
        assert school is not None
        head_teacher = None
        if student.class_id is not None:
            school_class = repository.school_class(student.class_id)
            head_teacher = school_class.head_teacher_id if school_class else None
        if scope.sees_student(
            principal, student, region_code=school.region_code, head_teacher_id=head_teacher
        ):
            return Located(student, school, repository.guardians_of(student.id))
    raise NotFound("没有找到该学生")


def register_student(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    registry_no: str,
    name: str,
    gender: Gender,
    birth_date: dt.date,
    school_code: str,
    class_id: int | None,
    guardians: list[GuardianFacts],
) -> Located:
    school = visible_school(session, principal, school_code)
    scope.require_writer(principal)
    number = identity.parse_number(registry_no, today=china_today(clock))
    student_name = check_person_name(name)
    check_consistency(number, gender, birth_date)
    checked = check_guardians(guardians)
    repository = RegistryRepository(session)
    _check_class(repository, school.code, class_id)
    index = registry_no_index(number.registry_no)
    existing = repository.student_by_index(index, lock=True)
    if existing is not None and admission.may_admit(existing, school.code):
        admission.check_same_student(
            existing, name=student_name, gender=str(gender), birth_date=birth_date
        )
        rows = _guardian_rows(existing.id, checked)
        admission.admit(
            session,
            clock,
            principal,
            student=existing,
            school=school,
            class_id=class_id,
            guardians=rows,
        )
        return Located(existing, school, rows)
    if existing is not None:
        if existing.school_code == school.code:
            raise Conflict("该学籍号已在本校登记", code="STUDENT_EXISTS")
        raise Conflict("该学生已在其他学校登记，请通过转学办理", code="STUDENT_AT_OTHER_SCHOOL")
    if former_holder_of(session, index) is not None:
        raise Conflict(
            "该学籍号已在学生取得居民身份证后换为 G 字头学籍号，不再使用：请按新学籍号查找该学生",
            code="REGISTRY_NO_CHANGED",
        )
    now = clock.now()
    student = Student(
        registry_no=number.registry_no,
        registry_no_index=index,
        name=student_name,
        gender=str(gender),
        birth_date=birth_date,
        school_code=school.code,
        class_id=class_id,
        status=str(EnrollmentStatus.ENROLLED),
        event_sequence=0,
        created_at=now,
        updated_at=now,
    )
    repository.add(student)
    rows = _guardian_rows(student.id, checked)
    repository.replace_guardians(student.id, rows)
    state = events.snapshot(student, school, rows)
    events.record_student_change(
        session,
        clock,
        principal,
        event_type=events.STUDENT_REGISTERED,
        student=student,
        audit_payload={"after": state},
    )
    return Located(student, school, rows)


def _check_class(
    repository: RegistryRepository,
    school_code: str,
    class_id: int | None,
    current: int | None = None,
) -> None:
    """The class exists at the school and still takes students: a class that graduated
    keeps only those it had (``current``: the student's class now)."""
    if class_id is None:
        return
    school_class = repository.school_class(class_id)
    if school_class is None or school_class.school_code != school_code:
        raise ValidationFailed("班级不属于该学校", code="CLASS_INVALID")
    if school_class.graduated_in is not None and class_id != current:
        raise ValidationFailed(
            f"“{school_class.name}”已于 {school_class.graduated_in} 学年毕业，不能再分入学生",
            code="CLASS_GRADUATED",
        )


def _guardian_rows(student_id: int, guardians: tuple[GuardianFacts, ...]) -> list[Guardian]:
    return [
        Guardian(
            student_id=student_id,
            rank=rank,
            name=g.name,
            relation=g.relation,
            phone=g.phone,
            phone_index=phone_index(g.phone),
        )
        for rank, g in enumerate(guardians, start=1)
    ]


def reveal(session: Session, clock: Clock, principal: Principal, located: Located) -> None:
    """Audit a full read; only administrators may make one."""
    if principal.role not in scope.REVEALERS:
        raise Forbidden("当前账号无权查看完整学籍号和手机号")
    events.audit_student(
        session,
        clock,
        principal,
        student_id=located.student.id,
        school_code=located.student.school_code,
        action="student.revealed",
        payload={"fields": ["registry_no", "guardians.phone"]},
    )


def correct_student(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    registry_no: str,
    changes: dict[str, Any],
    reason: str,
) -> Located:
    """学生信息维护: correct name, gender, birth date, class and guardians, with a reason."""
    located = locate(session, clock, principal, registry_no, lock=True)
    scope.require_writer(principal)
    why = check_reason(reason)
    student, repository = located.student, RegistryRepository(session)
    before = events.snapshot(student, located.school, located.guardians)
    number = identity.parse_number(student.registry_no, today=china_today(clock))
    name = check_person_name(changes["name"]) if "name" in changes else student.name
    gender = Gender(changes.get("gender", student.gender))
    birth = changes.get("birth_date", student.birth_date)
    check_consistency(number, gender, birth)
    if "class_id" in changes:
        _check_class(repository, student.school_code, changes["class_id"], student.class_id)
        student.class_id = changes["class_id"]
    student.name, student.gender, student.birth_date = name, str(gender), birth
    guardians = located.guardians
    if "guardians" in changes:
        guardians = _guardian_rows(student.id, check_guardians(changes["guardians"]))
        repository.replace_guardians(student.id, guardians)
    after = events.snapshot(student, located.school, guardians)
    changed = {k: v for k, v in before.items() if after[k] != v}
    if not changed:
        return Located(student, located.school, guardians)
    student.updated_at = clock.now()
    event_type = (
        events.GUARDIANS_CHANGED if set(changed) == {"guardians"} else events.STUDENT_CORRECTED
    )
    events.record_student_change(
        session,
        clock,
        principal,
        event_type=event_type,
        student=student,
        audit_payload={"before": changed, "after": {k: after[k] for k in changed}, "reason": why},
        extra={"changed": sorted(changed)},
    )
    return Located(student, located.school, guardians)


#: a number as a page shows it (its start, stars, its last characters), or its end alone
MASKED_NUMBER = re.compile(r"(?:(?P<start>[GJL]?[0-9]{0,6})\*+)?(?P<end>[0-9X]{4,6})")
#: the most students a search by the shown end of a number decrypts to find them
SHOWN_NUMBER_SCAN = 20_000


def normalise_digits(text: str) -> str:
    """Full-width forms folded, letters upper-case (as a number is stored)."""
    return unicodedata.normalize("NFKC", text).upper().replace(" ", "")


def _search_by_shown_number(
    session: Session,
    principal: Principal,
    shown: re.Match[str],
    *,
    school_code: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Student], int]:
    """Numbers are stored encrypted: the students in scope are decrypted and compared,
    up to ``SHOWN_NUMBER_SCAN`` of them (a school's; a region must narrow it down)."""
    repository = RegistryRepository(session)
    numbers = repository.numbers_in(
        scope.student_filter(principal, School.region_code),
        school_code=school_code,
        status=status,
        cap=SHOWN_NUMBER_SCAN,
    )
    if numbers is None:
        raise ValidationFailed(
            f"按号码末几位查找只在 {SHOWN_NUMBER_SCAN:,} 名学生以内进行：请输入完整学籍号或姓名",
            code="SEARCH_TOO_BROAD",
        )
    start, end = shown.group("start") or "", shown.group("end")
    found = [
        student_id
        for student_id, number in numbers
        if number.endswith(end) and number.startswith(start)
    ]
    return repository.students_by_ids(found, limit=limit, offset=offset), len(found)


def search(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    query: str = "",
    school_code: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Student], int]:
    """Students in scope; ``query`` is part of a name, a whole registry number, or a
    number as the pages show it masked (``G4406**********0028``) or only its visible end
    (``0028``)."""
    scope.require_staff(principal)
    text = query.strip()
    shown = MASKED_NUMBER.fullmatch(normalise_digits(text))
    if shown is not None:
        return _search_by_shown_number(
            session,
            principal,
            shown,
            school_code=school_code,
            status=status,
            limit=limit,
            offset=offset,
        )
    number_index = None
    name = text or None
    if text and (text[0] in "0123456789GJLgjl０１２３４５６７８９" and len(text) >= 15):
        try:
            number = identity.parse_number(text, today=china_today(clock))
            number_index, name = registry_no_index(number.registry_no), None
        except ValidationFailed:
            pass
    return RegistryRepository(session).search_students(
        scope.student_filter(principal, School.region_code),
        name=name,
        registry_no_index=number_index,
        school_code=school_code,
        status=status,
        limit=limit,
        offset=offset,
    )


def former_holder_of(session: Session, index: bytes) -> int | None:
    """The student who gave up the number of this blind index for a resident ID
    (``national.renumber``), if any: such a number is never given again."""
    return session.scalar(
        select(RegistryNoChange.student_id).where(RegistryNoChange.old_index == index)
    )
