"""The one narrow question the platform may ask the registry: what does the registry hold
for this student? Used by registration (by number) and by event handlers (by id)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Subquery, select
from sqlalchemy.orm import Session

from xueji.db.crypto import phone_index, registry_no_index
from xueji.domain.candidates import Candidate
from xueji.domain.five_fields import FiveFields
from xueji.registry.models import Guardian, School, Student
from xueji.registry.repository import RegistryRepository
from xueji.sync.affected import Affected


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    student_id: int
    registry_no: str
    name: str
    gender: str
    birth_date: dt.date
    school_code: str
    school_name: str
    region_code: str
    class_id: int | None
    status: str
    guardian_phone_indexes: tuple[bytes, ...]
    event_sequence: int

    def five_fields(self) -> FiveFields:
        """What the registry holds of the five fields a registration must match."""
        return FiveFields(
            self.registry_no, self.name, self.gender, self.birth_date, self.school_name
        )


def lookup(
    session: Session, *, student_id: int | None = None, registry_no: str | None = None
) -> RegistryRecord | None:
    """The record by id or by (normalised) registry number; None if there is none."""
    repository = RegistryRepository(session)
    if student_id is not None:
        student = repository.student_by_id(student_id, lock=False)
    elif registry_no is not None:
        student = repository.student_by_index(registry_no_index(registry_no))
    else:
        raise ValueError("lookup needs student_id or registry_no")
    if student is None:
        return None
    school = repository.school(student.school_code)
    assert school is not None
    return RegistryRecord(
        student_id=student.id,
        registry_no=student.registry_no,
        name=student.name,
        gender=student.gender,
        birth_date=student.birth_date,
        school_code=school.code,
        school_name=school.name,
        region_code=school.region_code,
        class_id=student.class_id,
        status=student.status,
        guardian_phone_indexes=tuple(g.phone_index for g in repository.guardians_of(student.id)),
        event_sequence=student.event_sequence,
    )


def current_states(affected: Affected) -> Subquery:
    """The current state of every affected student, as a subquery for the consumer's
    set-wise statements: ``student_id``, ``registry_index`` (the number's blind index),
    ``name``, ``gender``, ``birth_date``, ``class_id``, ``status``, ``school_code``,
    ``school_name``, ``region_code``. A student since removed is simply absent."""
    return (
        select(
            Student.id.label("student_id"),
            Student.registry_no_index.label("registry_index"),
            Student.name,
            Student.gender,
            Student.birth_date,
            Student.class_id,
            Student.status,
            Student.school_code,
            School.name.label("school_name"),
            School.region_code,
        )
        .join(School, School.code == Student.school_code)
        .where(affected.condition(Student.id))
        .subquery("registry_state")
    )


def guardian_phone_indexes(affected: Affected) -> Subquery:
    """``student_id`` and ``phone_index`` of every guardian of the affected students."""
    return (
        select(Guardian.student_id, Guardian.phone_index)
        .where(affected.condition(Guardian.student_id))
        .subquery("guardian_phones")
    )


def guardian_phones(session: Session, student_id: int) -> list[str]:
    """The guardian phones on the student's record (for codes sent to guardians)."""
    return [g.phone for g in RegistryRepository(session).guardians_of(student_id)]


def candidates_of_school(session: Session, school_code: str) -> list[Candidate]:
    """Every student of a school, for ranking who an unmatched account may have meant."""
    return [
        Candidate(s.id, s.registry_no, s.name, s.gender, s.birth_date)
        for s in RegistryRepository(session).students_of_school(school_code)
    ]


@dataclass(frozen=True, slots=True)
class ClassInfo:
    id: int
    school_code: str
    head_teacher_id: int | None


def class_info(session: Session, class_id: int) -> ClassInfo | None:
    """The class, for the platform to check who may set its homework and live classes."""
    school_class = RegistryRepository(session).school_class(class_id)
    if school_class is None:
        return None
    return ClassInfo(school_class.id, school_class.school_code, school_class.head_teacher_id)


@dataclass(frozen=True, slots=True)
class GuardianMatch:
    """A student who lists a given phone among their guardians (学籍匹配请求)."""

    student_id: int
    registry_no: str
    name: str
    school_code: str
    school_name: str
    status: str
    class_id: int | None


def students_with_guardian_phone(
    session: Session, phone: str, *, lock: bool = False
) -> list[GuardianMatch]:
    """Every student, in every school, with this guardian phone. ``lock``: for binding
    (see ``RegistryRepository.students_with_phone``)."""
    repository = RegistryRepository(session)
    matches = []
    for student in repository.students_with_phone(phone_index(phone), lock=lock):
        school = repository.school(student.school_code)
        assert school is not None
        matches.append(
            GuardianMatch(
                student.id,
                student.registry_no,
                student.name,
                school.code,
                school.name,
                student.status,
                student.class_id,
            )
        )
    return sorted(matches, key=lambda m: m.student_id)


def former_holder(session: Session, registry_no: str) -> int | None:
    """The student who gave this number up for the G number of a resident ID, if any
    (``registry.national.renumber``)."""
    from xueji.registry.national.renumber import former_student

    return former_student(session, registry_no)


def former_indexes(session: Session, student_ids: Any) -> list[tuple[int, bytes]]:
    """(student, blind index of a number they gave up for a resident ID) of the students
    ``student_ids`` selects; almost always none."""
    from xueji.registry.national.models import RegistryNoChange

    return [
        (student_id, bytes(index))
        for student_id, index in session.execute(
            select(RegistryNoChange.student_id, RegistryNoChange.old_index).where(
                RegistryNoChange.student_id.in_(student_ids)
            )
        )
    ]
