"""学年升级 on both databases: classes move up a grade and are renamed, the final grade
graduates (published, with history), suspended students stay behind without a class,
once per school year; nothing is written by a preview."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.registry_world import HAIKOU, World, build_world, number, register
from xueji.audit.repository import AuditRepository
from xueji.domain.clock import FixedClock
from xueji.domain.enrollment import ChangeKind
from xueji.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xueji.registry import grades, promotion, schools, service
from xueji.registry.enrollment import service as enrollment
from xueji.registry.models import SchoolClass, Student
from xueji.registry.repository import RegistryRepository
from xueji.sync import outbox
from xueji.sync.models import BULK


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    return build_world(session, clock)


def a_class(session: Session, clock: FixedClock, world: World, grade: int, name: str) -> int:
    return schools.create_class(
        session, clock, world.haikou_admin, school_code=HAIKOU, grade=grade, name=name
    ).id


def test_names_follow_the_grade_in_the_form_they_were_written() -> None:
    assert grades.next_name("三年级(1)班", 3) == "四年级(1)班"
    assert grades.next_name("初一（2）班", 7) == "初二（2）班"
    assert grades.next_name("七年级3班", 7) == "八年级3班"
    assert grades.next_name("高二1班", 11) == "高三1班"
    assert grades.next_name("火箭班", 4) == "火箭班"


def test_a_school_moves_up_and_its_final_grade_graduates(
    session: Session, clock: FixedClock, world: World
) -> None:
    sixth = a_class(session, clock, world, 6, "六年级(1)班")
    fifth = a_class(session, clock, world, 5, "五年级(1)班")
    leaving = register(session, clock, world, registry_no=number(sequence="061"), class_id=sixth)
    resting = register(session, clock, world, registry_no=number(sequence="062"), class_id=sixth)
    staying = register(session, clock, world, registry_no=number(sequence="051"), class_id=fifth)
    enrollment.change_enrollment(
        session,
        clock,
        world.haikou_admin,
        registry_no=number(sequence="062"),
        kind=ChangeKind.SUSPEND,
        reason="病休",
    )
    before = session.scalar(select(func.count()).select_from(SchoolClass))

    preview = promotion.plan(session, clock, world.haikou_admin, school_code=HAIKOU)
    assert preview.as_json() == {"promoted": 1, "graduated": 1} and preview.held == 1
    assert session.get(SchoolClass, sixth).name == "六年级(1)班"  # a preview writes nothing

    done = promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)
    assert done.as_json() == {"promoted": 1, "graduated": 1}
    assert session.scalar(select(func.count()).select_from(SchoolClass)) == before
    moved = session.get(SchoolClass, fifth)
    assert (moved.grade, moved.name) == (6, "六年级(1)班")
    graduated_class = session.get(SchoolClass, sixth)
    assert graduated_class.name == f"{done.school_year}届六年级(1)班"
    assert graduated_class.graduated_in == done.school_year
    assert session.get(Student, leaving.student.id).status == "graduated"
    assert session.get(Student, staying.student.id).class_id == fifth
    rested = session.get(Student, resting.student.id)
    assert (rested.status, rested.class_id) == ("suspended", None)

    last = outbox.events_of(session, leaving.student.id)[-1]
    assert last.payload == {"kind": "graduate", "from_status": "enrolled", "to_status": "graduated"}
    assert last.lane == BULK
    assert outbox.events_of(session, resting.student.id)[-1].payload == {"changed": ["class_id"]}
    history = RegistryRepository(session).changes_of(leaving.student.id)
    assert (history[0].kind, history[0].reason) == ("graduate", "学年升级")
    audited = AuditRepository(session).entries_for(f"school:{HAIKOU}")
    assert audited[0].action == "registry.promoted"

    with pytest.raises(Conflict) as again:
        promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)
    assert again.value.code == "PROMOTED"
    # next year the class that moved up graduates, and the graduated one stays as it is
    clock.advance(days=365)
    promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)
    assert session.get(Student, staying.student.id).status == "graduated"
    assert session.get(SchoolClass, sixth).graduated_in == done.school_year


def test_a_region_promotes_its_schools_and_no_one_else_does(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    planned = promotion.plan(session, clock, world.foshan, region_code="4406")
    assert [school.code for school in planned.schools] == [HAIKOU]
    assert planned.promoted == 1
    with pytest.raises(Forbidden):
        promotion.plan(session, clock, world.guangzhou, region_code="4406")
    with pytest.raises(NotFound):
        promotion.plan(session, clock, world.huajing_admin, school_code=HAIKOU)
    with pytest.raises(Forbidden):
        promotion.plan(session, clock, world.haikou_teacher, school_code=HAIKOU)
    done = promotion.promote(session, clock, world.foshan, region_code="4406")
    assert done.promoted == 1
    with pytest.raises(Conflict):
        promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)


def test_a_graduated_class_keeps_its_students_and_takes_no_new_one(
    session: Session, clock: FixedClock, world: World
) -> None:
    sixth = a_class(session, clock, world, 6, "六年级(1)班")
    leaving = register(session, clock, world, registry_no=number(sequence="061"), class_id=sixth)
    staying = register(session, clock, world, registry_no=number(sequence="051"))
    promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)
    # the graduate's record is still corrected in its class
    service.correct_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=leaving.student.registry_no,
        changes={"name": "陈晓明", "class_id": sixth},
        reason="更正姓名",
    )
    with pytest.raises(ValidationFailed) as refused:
        service.correct_student(
            session,
            clock,
            world.haikou_admin,
            registry_no=staying.student.registry_no,
            changes={"class_id": sixth},
            reason="分班",
        )
    assert refused.value.code == "CLASS_GRADUATED"


def test_a_platform_administrator_names_what_to_promote(
    session: Session, clock: FixedClock, world: World
) -> None:
    with pytest.raises(ValidationFailed) as everything:
        promotion.plan(session, clock, world.platform, region_code="")
    assert everything.value.code == "PROMOTION_SCOPE"
    assert promotion.plan(session, clock, world.platform, region_code="44").schools
