"""The classes an import touches (on both databases): it never places a student in a
class that graduated at 学年升级 (a graduate of it, read back in from the school's own
roster, is no error), and it creates a class only for a row it writes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.import_files_helper import row, write_csv
from tests.integration.test_import import run, world  # noqa: F401  (world: a fixture)
from tests.registry_world import HAIKOU, World, number, register
from xueji.domain.clock import FixedClock
from xueji.registry import promotion, schools
from xueji.registry.models import SchoolClass, Student


def test_a_new_student_is_not_placed_in_a_graduated_class(
    session: Session,
    clock: FixedClock,
    world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    sixth = schools.create_class(
        session, clock, world.haikou_admin, school_code=HAIKOU, grade=6, name="六年级(1)班"
    ).id
    graduate = number(birth="20130211", sequence="061")
    register(session, clock, world, registry_no=graduate, class_id=sixth)
    done = promotion.promote(session, clock, world.haikou_admin, school_code=HAIKOU)
    graduated = session.get(SchoolClass, sixth)
    assert graduated is not None and graduated.graduated_in == done.school_year
    students = session.scalar(select(func.count()).select_from(Student))

    path = write_csv(
        tmp_path / "roster.csv",
        [
            row(graduate, "陈小明", birth="2013-02-11", grade="6", class_name=graduated.name),
            row(number(sequence="005"), "王芳", grade="6", class_name=graduated.name),
        ],
    )
    result = run(session, clock, world, path)
    assert [(error.row, error.code) for error in result.errors] == [(3, "CLASS_GRADUATED")]
    assert "毕业" in result.errors[0].message
    assert session.scalar(select(func.count()).select_from(Student)) == students


def test_a_class_is_created_only_for_a_row_that_is_written(
    session: Session,
    clock: FixedClock,
    world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    """An existing student's row (no update) and a refused row name classes that do not
    exist: neither creates one; a new student's row does."""
    register(session, clock, world)  # 陈小明, in 三年级(1)班
    classes = session.scalar(select(func.count()).select_from(SchoolClass))
    path = write_csv(
        tmp_path / "roster.csv",
        [
            row(number(), "陈小明", grade="4", class_name="四年级(9)班"),
            row(number(sequence="005"), "王芳", grade="5", class_name="五年级(7)班", phone="1"),
            row(number(sequence="007"), "赵磊", grade="2", class_name="二年级(3)班"),
        ],
    )
    result = run(session, clock, world, path)
    assert result.new == 1 and [error.row for error in result.errors] == [3]
    names = set(session.scalars(select(SchoolClass.name)))
    assert "二年级(3)班" in names and not {"四年级(9)班", "五年级(7)班"} & names
    assert session.scalar(select(func.count()).select_from(SchoolClass)) == classes + 1


def test_a_grade_the_import_cannot_read_refuses_the_row(
    session: Session,
    clock: FixedClock,
    world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    """初一 and 高三 are grades 7 and 12, ３ is 3; a grade that cannot be read, or a class
    without a grade, is refused (the student was written without a class before)."""
    path = write_csv(
        tmp_path / "roster.csv",
        [
            row(number(sequence="005"), "王芳", grade="初一", class_name="初一(1)班"),
            row(number(sequence="007"), "赵磊", grade="３", class_name="三年级(1)班"),
            row(number(sequence="009"), "孙丽", grade="初中一年", class_name="初一(2)班"),
            row(number(sequence="011"), "钱七", grade="", class_name="三年级(1)班"),
        ],
    )
    result = run(session, clock, world, path)
    assert [(error.row, error.code) for error in result.errors] == [
        (4, "CLASS_INVALID"),
        (5, "CLASS_INVALID"),
    ]
    assert "初一" in result.errors[0].message
    placed = dict(
        session.execute(
            select(Student.name, SchoolClass.grade).join(
                SchoolClass, SchoolClass.id == Student.class_id
            )
        ).all()
    )
    assert placed["王芳"] == 7 and placed["赵磊"] == 3
