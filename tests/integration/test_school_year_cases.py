"""学年升级 at schools that are not a plain primary school, and what comes after it, on both
databases: a 完全中学 graduates its 初三 and admits them to its 高一; a graduating student
another school asked for stops the promotion until the request is answered; classes with
long names graduate under names of their own; a school is not promoted twice in one
summer; a student who returns after their class graduated is not put back into it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from tests.integration import test_promotion
from tests.integration.test_promotion import a_class
from tests.registry_world import HAIKOU, World, number, register
from xueji.domain.clock import FixedClock
from xueji.domain.codes import Gender
from xueji.domain.enrollment import ChangeKind
from xueji.domain.errors import Conflict
from xueji.registry import grades, promotion, service
from xueji.registry.enrollment import service as enrollment
from xueji.registry.models import SchoolClass, Student
from xueji.registry.repository import RegistryRepository
from xueji.registry.validation import GuardianFacts

world = test_promotion.world  # the same fixture


def test_which_classes_graduate() -> None:
    assert grades.graduates(6, {1, 3, 6})  # a primary school
    assert not grades.graduates(6, {1, 6, 7, 9})  # 九年一贯制: the sixth grade moves on
    assert grades.graduates(9, {7, 8, 9, 10, 12})  # 完全中学: 初三 graduates
    assert grades.graduates(12, {10, 12})
    assert not grades.graduates(10, {7, 9, 10})
    assert not grades.graduates(5, {1, 5})  # no sixth grade this year: nobody graduates


def test_a_complete_middle_school_graduates_its_9th_grade_and_admits_it_to_10th(
    session: Session, clock: FixedClock, world: World
) -> None:
    ninth = a_class(session, clock, world, 9, "初三(1)班")
    tenth = a_class(session, clock, world, 10, "高一(1)班")
    registry_no = number(birth="20110211", sequence="091")
    graduate = register(session, clock, world, registry_no=registry_no, class_id=ninth)

    done = promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)
    assert session.get(Student, graduate.student.id).status == "graduated"
    assert session.get(SchoolClass, ninth).graduated_in == done.school_year
    assert (session.get(SchoolClass, tenth).grade, session.get(SchoolClass, tenth).name) == (
        11,
        "高二(1)班",
    )

    senior = a_class(session, clock, world, 10, "高一(2)班")
    admitted = service.register_student(
        session,
        clock,
        world.haikou_admin,
        registry_no=registry_no,
        name="陈小明",
        gender=Gender.MALE if int(registry_no[17]) % 2 else Gender.FEMALE,
        birth_date=dt.date(2011, 2, 11),
        school_code=HAIKOU,
        class_id=senior,
        guardians=[GuardianFacts("陈大明", "51", "13800138001")],
    )
    assert admitted.student.id == graduate.student.id  # the same record, for life
    student = session.get(Student, graduate.student.id)
    assert (student.status, student.class_id) == ("enrolled", senior)
    history = RegistryRepository(session).changes_of(student.id)
    assert [change.kind for change in history][:2] == ["admit", "graduate"]


def test_a_graduating_student_asked_for_by_another_school_stops_the_promotion(
    session: Session, clock: FixedClock, world: World
) -> None:
    sixth = a_class(session, clock, world, 6, "六年级(1)班")
    registry_no = number(sequence="061")
    asked = register(session, clock, world, registry_no=registry_no, class_id=sixth)
    transfer = enrollment.request_transfer(
        session,
        clock,
        world.huajing_admin,
        registry_no=registry_no,
        to_school_code=world.huajing_admin.school_code or "",
        reason="随父母迁居",
    )
    with pytest.raises(Conflict) as refused:
        promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)
    assert refused.value.code == "TRANSFER_PENDING" and "1 名" in refused.value.message
    assert session.get(Student, asked.student.id).status == "enrolled"
    assert session.get(SchoolClass, sixth).graduated_in is None

    enrollment.reject_transfer(
        session, clock, world.haikou_admin, transfer_id=transfer.id, reason="学生将毕业"
    )
    promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)
    assert session.get(Student, asked.student.id).status == "graduated"


def test_classes_with_long_names_graduate_under_names_of_their_own(
    session: Session, clock: FixedClock, world: World
) -> None:
    stem = "六年级" + "实验" * 22  # 47 characters: the year's prefix pushes it past 50
    first = a_class(session, clock, world, 6, (stem + "甲")[:50])
    second = a_class(session, clock, world, 6, (stem + "乙")[:50])
    register(session, clock, world, registry_no=number(sequence="061"), class_id=first)
    register(session, clock, world, registry_no=number(sequence="062"), class_id=second)
    done = promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)
    names = {session.get(SchoolClass, first).name, session.get(SchoolClass, second).name}
    assert len(names) == 2 and all(len(name) <= 50 for name in names)
    assert all(name.startswith(f"{done.school_year}届六年级") for name in names)
    assert done.graduated == 2


def test_a_school_is_not_promoted_twice_in_one_summer(
    session: Session, clock: FixedClock, world: World
) -> None:
    register(session, clock, world)
    # a promotion before June, on 28 May 2027
    clock.advance(days=(dt.date(2027, 5, 28) - dt.date(2026, 11, 29)).days)
    early = promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)
    clock.advance(days=43)  # 10 July, the summer's own date
    planned = promotion.plan(session, clock, world.haikou_admin, school_code=HAIKOU)
    assert planned.school_year != early.school_year and not planned.schools
    with pytest.raises(Conflict) as again:
        promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)
    assert again.value.code == "PROMOTED"
    clock.advance(days=366)  # the next summer
    assert promotion.plan(session, clock, world.haikou_admin, school_code=HAIKOU).schools


def test_a_student_back_after_their_class_graduated_returns_without_a_class(
    session: Session, clock: FixedClock, world: World
) -> None:
    sixth = a_class(session, clock, world, 6, "六年级(1)班")
    registry_no = number(sequence="061")
    leaving = register(session, clock, world, registry_no=registry_no, class_id=sixth)
    enrollment.change_enrollment(
        session,
        clock,
        world.haikou_admin,
        registry_no=registry_no,
        kind=ChangeKind.WITHDRAW,
        reason="随父母外出",
    )
    promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)
    enrollment.change_enrollment(
        session,
        clock,
        world.haikou_admin,
        registry_no=registry_no,
        kind=ChangeKind.REENROLL,
        reason="返回原校",
    )
    student = session.get(Student, leaving.student.id)
    assert (student.status, student.class_id) == ("enrolled", None)
