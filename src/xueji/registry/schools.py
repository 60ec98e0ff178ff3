"""Use cases of regions, schools and classes."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth import service as accounts
from xueji.auth.service import Principal
from xueji.domain import regions
from xueji.domain.clock import Clock
from xueji.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xueji.domain.roles import Role
from xueji.registry import events, scope
from xueji.registry.grades import NAME_LENGTH as CLASS_NAME_LENGTH
from xueji.registry.models import Region, School, SchoolClass, Student
from xueji.registry.repository import RegistryRepository
from xueji.registry.validation import check_reason, check_school_code, check_school_name


def ensure_region(repository: RegistryRepository, code: str) -> Region:
    """The county's region row, creating it and its city and province from GB/T 2260."""
    if len(code) != 6 or not code.isdigit() or not regions.is_known(code):
        raise ValidationFailed(f"行政区划代码 {code} 不存在", code="REGION_UNKNOWN")
    chain = [code[:2] + "0000", code[:4] + "00", code]
    parent: str | None = None
    region: Region | None = None
    for level_code in dict.fromkeys(chain):
        region = repository.region(level_code)
        if region is None and regions.is_known(level_code):
            name = regions.region_name(level_code) or level_code
            region = Region(code=level_code, name=name, parent_code=parent)
            repository.add(region)
        parent = level_code if region is not None else parent
    assert region is not None
    return region


def create_school(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    school_code: str,
    name: str,
    region_code: str,
) -> School:
    code, full_name = check_school_code(school_code), check_school_name(name)
    if principal.role not in (Role.PLATFORM_ADMIN, Role.REGION_ADMIN) or not scope.sees_school(
        principal, school_code=code, region_code=region_code
    ):
        raise Forbidden("只有该区域的区域管理员可以登记学校")
    repository = RegistryRepository(session)
    ensure_region(repository, region_code)
    if repository.school(code) is not None:
        raise Conflict(f"学校标识码 {code} 已登记", code="SCHOOL_EXISTS")
    if repository.school_by_name(full_name) is not None:
        raise Conflict(f"学校全称“{full_name}”已被使用", code="SCHOOL_NAME_TAKEN")
    school = School(code=code, name=full_name, region_code=region_code, created_at=clock.now())
    repository.add(school)
    audit.record(
        session,
        clock,
        events.actor_of(principal),
        action="school.created",
        subject=f"school:{code}",
        school_code=code,
        payload={"after": {"name": full_name, "region_code": region_code}},
    )
    return school


def visible_school(session: Session, principal: Principal, school_code: str) -> School:
    school = RegistryRepository(session).school(school_code)
    if school is None or not scope.sees_school(
        principal, school_code=school.code, region_code=school.region_code
    ):
        raise NotFound("没有找到该学校")
    return school


def school_exists(session: Session, school_code: str) -> bool:
    return RegistryRepository(session).school(school_code) is not None


def class_id_named(session: Session, school_code: str, *, grade: int, name: str) -> int | None:
    """The id of the school's class of that grade and (normalised) name, if it exists."""
    found = RegistryRepository(session).class_named(school_code, grade, normalise_class_name(name))
    return None if found is None else found.id


def normalise_class_name(raw: str) -> str:
    """三年级（1）班, 三年级 (１) 班 and 三年级(1)班 are one class: full-width forms and
    spaces do not make another (an import must not split a class in two)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw))


def create_class(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    school_code: str,
    grade: int,
    name: str,
    head_teacher: str | None = None,
) -> SchoolClass:
    school = visible_school(session, principal, school_code)
    if principal.role is not Role.SCHOOL_ADMIN:  # classes are the school's own (docs)
        raise Forbidden("只有本校的学校信息管理员可以新建班级")
    class_name = normalise_class_name(name)
    if not 1 <= grade <= 12 or not class_name:
        raise ValidationFailed("年级须为 1–12，班级名称不能为空", code="CLASS_INVALID")
    if len(class_name) > CLASS_NAME_LENGTH:
        raise ValidationFailed(
            f"班级名称不能超过 {CLASS_NAME_LENGTH} 个字（现在 {len(class_name)} 个字）",
            code="CLASS_INVALID",
        )
    repository = RegistryRepository(session)
    if repository.class_named(school.code, grade, class_name) is not None:
        raise Conflict("该年级已有同名班级", code="CLASS_EXISTS")
    teacher_id = _head_teacher_id(session, school.code, head_teacher)
    school_class = SchoolClass(
        school_code=school.code, grade=grade, name=class_name, head_teacher_id=teacher_id
    )
    repository.add(school_class)
    audit.record(
        session,
        clock,
        events.actor_of(principal),
        action="class.created",
        subject=f"class:{school_class.id}",
        school_code=school.code,
        payload={"after": {"grade": grade, "name": class_name, "head_teacher": head_teacher}},
    )
    return school_class


def _head_teacher_id(session: Session, school_code: str, username: str | None) -> int | None:
    if not username:
        return None
    teacher = accounts.principal_by_username(session, username)
    if (
        teacher is None
        or teacher.role is not Role.HEAD_TEACHER
        or teacher.school_code != school_code
    ):
        raise ValidationFailed(f"“{username}”不是本校的班主任账号", code="HEAD_TEACHER_INVALID")
    return teacher.account_id


def rename_school(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    school_code: str,
    name: str,
    reason: str,
) -> School:
    """Correct a school's full name (one of the five fields); every student of the school
    gets an event, so their accounts are checked again."""
    school = visible_school(session, principal, school_code)
    if principal.role not in (Role.PLATFORM_ADMIN, Role.REGION_ADMIN):
        raise Forbidden("学校全称由区域管理员修正")
    full_name, why = check_school_name(name), check_reason(reason)
    if full_name == school.name:
        return school
    other = RegistryRepository(session).school_by_name(full_name)
    if other is not None:
        raise Conflict(f"学校全称“{full_name}”已被使用", code="SCHOOL_NAME_TAKEN")
    before = school.name
    school.name = full_name
    audit.record(
        session,
        clock,
        events.actor_of(principal),
        action="school.renamed",
        subject=f"school:{school.code}",
        school_code=school.code,
        payload={"before": {"name": before}, "after": {"name": full_name}, "reason": why},
    )
    republish_school_students(session, clock, principal, school, changed={"school_name": before})
    return school


def republish_school_students(
    session: Session,
    clock: Clock,
    principal: Principal,
    school: School,
    *,
    changed: dict[str, Any],
) -> int:
    """After a school-level correction, one event per student of the school."""
    repository = RegistryRepository(session)
    students, _ = repository.search_students(
        Student.school_code == school.code,
        name=None,
        registry_no_index=None,
        school_code=None,
        status=None,
        limit=10**9,
        offset=0,
    )
    for student in students:
        events.record_student_change(
            session,
            clock,
            principal,
            event_type=events.STUDENT_CORRECTED,
            student=student,
            audit_payload=None,
            extra={"changed": sorted(changed)},
        )
    return len(students)


def visible_schools(session: Session, principal: Principal) -> list[School]:
    """The schools the caller sees, by code: all (platform), a region's, or their own."""
    condition: ColumnElement[bool]
    if principal.role is Role.PLATFORM_ADMIN:
        condition = School.code.is_not(None)
    elif principal.role is Role.REGION_ADMIN:
        condition = School.region_code.startswith(principal.region_code or "\0")
    else:
        condition = School.code == (principal.school_code or "")
    return RegistryRepository(session).schools(condition)
