"""API shapes of the registry. Gender is "1" or "2"; dates are ISO; registry numbers
and phones are masked unless the caller asked for, and may have, a full reveal."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from xueji.domain.enrollment import EnrollmentStatus
from xueji.domain.masking import mask, mask_phone
from xueji.domain.relations import relation_label
from xueji.registry.enrollment.models import EnrollmentChange
from xueji.registry.models import SchoolClass, Student
from xueji.registry.service import Located


class SchoolIn(BaseModel):
    school_code: str = Field(max_length=20)
    name: str = Field(max_length=200)
    region_code: str = Field(max_length=6)


class SchoolRename(BaseModel):
    name: str = Field(max_length=200)
    reason: str = Field(max_length=1000)


class SchoolOut(BaseModel):
    school_code: str
    name: str
    region_code: str


class ClassIn(BaseModel):
    grade: int
    name: str = Field(max_length=100)
    head_teacher: str | None = Field(default=None, max_length=64)


class ClassOut(BaseModel):
    """``graduated_in``: the school year this class graduated in (学年升级), else null."""

    id: int
    school_code: str
    grade: int
    name: str
    graduated_in: int | None = None

    @classmethod
    def of(cls, school_class: SchoolClass) -> ClassOut:
        return cls(
            id=school_class.id,
            school_code=school_class.school_code,
            grade=school_class.grade,
            name=school_class.name,
            graduated_in=school_class.graduated_in,
        )


class GuardianIn(BaseModel):
    name: str = Field(max_length=200)
    relation: str = Field(max_length=20)
    phone: str = Field(max_length=30)


class StudentIn(BaseModel):
    registry_no: str = Field(max_length=40)
    name: str = Field(max_length=200)
    gender: Literal["1", "2"]
    birth_date: dt.date
    school_code: str = Field(max_length=20)
    class_id: int | None = None
    guardians: list[GuardianIn] = Field(max_length=10)


class StudentPatch(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    gender: Literal["1", "2"] | None = None
    birth_date: dt.date | None = None
    class_id: int | None = None
    guardians: list[GuardianIn] | None = Field(default=None, max_length=10)
    reason: str = Field(max_length=1000)


class GuardianOut(BaseModel):
    name: str
    relation: str
    relation_label: str
    phone: str


class ChangeOut(BaseModel):
    kind: str
    from_status: str
    to_status: str
    from_school_code: str
    to_school_code: str
    reason: str
    at: dt.datetime

    @classmethod
    def of(cls, change: EnrollmentChange) -> ChangeOut:
        return cls(
            kind=change.kind,
            from_status=change.from_status,
            to_status=change.to_status,
            from_school_code=change.from_school_code,
            to_school_code=change.to_school_code,
            reason=change.reason,
            at=change.at,
        )


class StudentOut(BaseModel):
    registry_no: str
    revealed: bool
    name: str
    gender: str
    birth_date: dt.date
    school_code: str
    school_name: str
    region_code: str
    class_id: int | None
    status: str
    status_label: str
    guardians: list[GuardianOut]
    history: list[ChangeOut] = []

    @classmethod
    def of(
        cls,
        located: Located,
        *,
        revealed: bool = False,
        history: list[EnrollmentChange] | None = None,
    ) -> StudentOut:
        student = located.student
        return cls(
            registry_no=student.registry_no if revealed else mask(student.registry_no),
            revealed=revealed,
            name=student.name,
            gender=student.gender,
            birth_date=student.birth_date,
            school_code=located.school.code,
            school_name=located.school.name,
            region_code=located.school.region_code,
            class_id=student.class_id,
            status=student.status,
            status_label=EnrollmentStatus(student.status).label,
            guardians=[
                GuardianOut(
                    name=g.name,
                    relation=g.relation,
                    relation_label=relation_label(g.relation),
                    phone=g.phone if revealed else mask_phone(g.phone),
                )
                for g in located.guardians
            ],
            history=[ChangeOut.of(change) for change in history or []],
        )


class StudentSummary(BaseModel):
    registry_no: str
    name: str
    gender: str
    birth_date: dt.date
    school_code: str
    class_id: int | None
    status: str
    status_label: str

    @classmethod
    def of(cls, student: Student) -> StudentSummary:
        return cls(
            registry_no=mask(student.registry_no),
            name=student.name,
            gender=student.gender,
            birth_date=student.birth_date,
            school_code=student.school_code,
            class_id=student.class_id,
            status=student.status,
            status_label=EnrollmentStatus(student.status).label,
        )


class StudentListOut(BaseModel):
    total: int
    items: list[StudentSummary]
