"""Who sees which registry records.

* ``platform_admin``: everything;
* ``region_admin``: schools whose region code starts with theirs;
* ``school_admin``: their own school;
* ``head_teacher``: the students of the classes they lead, read-only.

Anything outside answers exactly like a record that does not exist (``NotFound``), so a
caller cannot learn that a child is enrolled somewhere else.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, false, select, true
from sqlalchemy.orm import InstrumentedAttribute

from xueji.auth.service import Principal
from xueji.domain.errors import Forbidden
from xueji.domain.roles import Role
from xueji.registry.models import School, SchoolClass, Student

STAFF = (Role.PLATFORM_ADMIN, Role.REGION_ADMIN, Role.SCHOOL_ADMIN, Role.HEAD_TEACHER)
WRITERS = (Role.SCHOOL_ADMIN,)
REVEALERS = (Role.PLATFORM_ADMIN, Role.REGION_ADMIN, Role.SCHOOL_ADMIN)


def sees_school(principal: Principal, *, school_code: str, region_code: str) -> bool:
    if principal.role is Role.PLATFORM_ADMIN:
        return True
    if principal.role is Role.REGION_ADMIN:
        return region_code.startswith(principal.region_code or "\0")
    if principal.role in (Role.SCHOOL_ADMIN, Role.HEAD_TEACHER):
        return school_code == principal.school_code
    return False


def sees_student(
    principal: Principal, student: Student, *, region_code: str, head_teacher_id: int | None
) -> bool:
    if principal.role is Role.HEAD_TEACHER:
        return (
            student.school_code == principal.school_code and head_teacher_id == principal.account_id
        )
    return sees_school(principal, school_code=student.school_code, region_code=region_code)


def student_filter(
    principal: Principal, region_column: InstrumentedAttribute[str]
) -> ColumnElement[bool]:
    """SQL condition on a query joining students to their school (``region_column``)."""
    role = principal.role
    if role is Role.PLATFORM_ADMIN:
        return true()
    if role is Role.REGION_ADMIN and principal.region_code:
        return region_column.startswith(principal.region_code)
    if role is Role.SCHOOL_ADMIN:
        return Student.school_code == principal.school_code
    if role is Role.HEAD_TEACHER:
        return (Student.school_code == principal.school_code) & Student.class_id.in_(
            SchoolClass.__table__.select()
            .with_only_columns(SchoolClass.id)
            .where(SchoolClass.head_teacher_id == principal.account_id)
            .scalar_subquery()
        )
    return false()


def require_staff(principal: Principal) -> None:
    if principal.role not in STAFF:
        raise Forbidden("当前账号无权查看学籍")


def require_writer(principal: Principal) -> None:
    """Only a school administrator maintains student records (学生信息维护)."""
    if principal.role not in WRITERS:
        raise Forbidden("只有学校信息管理员可以维护学籍", code="FORBIDDEN")


def visible_student_ids(principal: Principal) -> Select[int]:
    """The ids of the students the caller sees now, as a subquery another module may
    filter its own rows by (``WHERE student_id IN …``) without reading the registry's
    tables itself."""
    return (
        select(Student.id)
        .join(School, School.code == Student.school_code)
        .where(student_filter(principal, School.region_code))
    )


def on_record(registry_index: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether a registry number (by its blind index, a column of the caller's query) is
    on record: a correlated ``EXISTS`` on the unique index."""
    return exists().where(Student.registry_no_index == registry_index)


def registry_indexes_of_school(school_code: str) -> Select[bytes]:
    """The blind indexes of the registry numbers of a school's students, as a subquery
    (the unmatched-accounts queue: accounts whose number belongs to this school)."""
    return select(Student.registry_no_index).where(Student.school_code == school_code)
