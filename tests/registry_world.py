"""A small registry for tests: two regions, two schools, a class, staff of every role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from xueji.auth import service as auth
from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.domain.codes import Gender
from xueji.domain.identity import check_character
from xueji.domain.roles import Role
from xueji.registry import schools, service
from xueji.registry.validation import GuardianFacts

PASSWORD = "correct horse battery"
HAIKOU, HUAJING = "1144060401", "1144010601"


def number(region: str = "440604", birth: str = "20160211", sequence: str = "001") -> str:
    body = region + birth + sequence
    return "G" + body + check_character(body)


@dataclass
class World:
    platform: Principal
    foshan: Principal
    guangzhou: Principal
    haikou_admin: Principal
    haikou_teacher: Principal
    other_teacher: Principal
    huajing_admin: Principal
    class_id: int
    other_class_id: int


def staff(
    session: Session,
    clock: Clock,
    username: str,
    role: Role,
    *,
    region: str | None = None,
    school: str | None = None,
) -> Principal:
    return auth.create_account(
        session,
        clock,
        username=username,
        password=PASSWORD,
        role=role,
        region_code=region,
        school_code=school,
    )


def build_world(session: Session, clock: Clock) -> World:
    platform = staff(session, clock, "ops", Role.PLATFORM_ADMIN)
    foshan = staff(session, clock, "foshan", Role.REGION_ADMIN, region="4406")
    guangzhou = staff(session, clock, "guangzhou", Role.REGION_ADMIN, region="4401")
    haikou_admin = staff(session, clock, "haikou-admin", Role.SCHOOL_ADMIN, school=HAIKOU)
    teacher = staff(session, clock, "haikou-teacher", Role.HEAD_TEACHER, school=HAIKOU)
    other_teacher = staff(session, clock, "haikou-teacher2", Role.HEAD_TEACHER, school=HAIKOU)
    huajing_admin = staff(session, clock, "huajing-admin", Role.SCHOOL_ADMIN, school=HUAJING)
    schools.create_school(
        session,
        clock,
        foshan,
        school_code=HAIKOU,
        name="佛山市禅城区海口小学",
        region_code="440604",
    )
    schools.create_school(
        session,
        clock,
        guangzhou,
        school_code=HUAJING,
        name="广州市天河区华景小学",
        region_code="440106",
    )
    first = schools.create_class(
        session,
        clock,
        haikou_admin,
        school_code=HAIKOU,
        grade=3,
        name="三年级(1)班",
        head_teacher="haikou-teacher",
    )
    second = schools.create_class(
        session,
        clock,
        haikou_admin,
        school_code=HAIKOU,
        grade=3,
        name="三年级(2)班",
        head_teacher="haikou-teacher2",
    )
    return World(
        platform,
        foshan,
        guangzhou,
        haikou_admin,
        teacher,
        other_teacher,
        huajing_admin,
        first.id,
        second.id,
    )


def register(
    session: Session,
    clock: Clock,
    world: World,
    *,
    registry_no: str | None = None,
    name: str = "陈小明",
    school: str = HAIKOU,
    admin: Principal | None = None,
    class_id: int | None = None,
    phone: str = "13800138001",
) -> service.Located:
    registry_no = registry_no or number()
    birth = dt.date(int(registry_no[7:11]), int(registry_no[11:13]), int(registry_no[13:15]))
    gender = Gender.MALE if int(registry_no[17]) % 2 else Gender.FEMALE
    return service.register_student(
        session,
        clock,
        admin or world.haikou_admin,
        registry_no=registry_no,
        name=name,
        gender=gender,
        birth_date=birth,
        school_code=school,
        class_id=world.class_id if class_id is None and school == HAIKOU else class_id,
        guardians=[GuardianFacts("陈大明", "51", phone)],
    )


def guardian_consents(session: Session, clock: Clock, student: Principal) -> None:
    """The student's guardian types the activation code of a freshly printed info sheet
    into the student's account (the consent every activation now needs)."""
    from xueji.domain.errors import XuejiError
    from xueji.platform import consent
    from xueji.platform.service import own_account
    from xueji.registry import activation
    from xueji.registry.lookup import lookup

    record = lookup(session, registry_no=own_account(session, student).registry_no)
    assert record is not None, "the account's number is on no record"
    code = activation.issue(session, clock, student_id=record.student_id, issued_by=None)
    verified = consent.verify(session, clock, student, code=code)
    assert not isinstance(verified, XuejiError), verified


def drop_append_only_triggers(session: Session) -> None:
    """What an attacker with database access could do (rolled back after the test)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
    else:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("DROP TRIGGER audit_log_no_delete"))
