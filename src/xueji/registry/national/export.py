"""The school's students in the national layout, for reporting to the national system:
a leading 全国学籍号, then every field of the form as codes (not labels), one row per
student at the school (enrolled or suspended). Reading it back is an import of the same
layout, so an exported file imports into another copy of the registry unchanged.

The guardians come from the registry as it is now (``members``): each current guardian
is paired with the family member who is the same person and gives it its name, relation
and phone, a member no longer a guardian is exported as not one, and a guardian added by
hand takes a free member slot (a correction made after the import is what the national
system must get); a student imported from the template, without a national record, has
their guardians as members.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.domain.enrollment import LEFT
from xueji.domain.errors import Forbidden
from xueji.registry import events, scope
from xueji.registry.imports.report import as_text
from xueji.registry.models import Guardian, SchoolClass, Student
from xueji.registry.national import members, records
from xueji.registry.national.fields import NATIONAL_COLUMNS
from xueji.registry.national.models import NationalRecord
from xueji.registry.schools import visible_school

SHEET_TITLE = "学生基本信息"
#: students read per query: a school's roster in a few passes, memory bounded
BATCH = 2_000


def export_school(session: Session, clock: Clock, principal: Principal, school_code: str) -> bytes:
    """The xlsx of the school's students (see the module); audited."""
    school = visible_school(session, principal, school_code)
    scope.require_writer(principal)
    if principal.school_code != school.code:
        raise Forbidden("只能导出本校学生")
    classes = {
        c.id: (str(c.grade), c.name)
        for c in session.scalars(select(SchoolClass).where(SchoolClass.school_code == school.code))
    }
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.append(list(NATIONAL_COLUMNS.values()))
    count = 0
    for batch in _batches(session, school.code):
        for student, national, guardians in batch:
            # every cell text, never a formula (a 特长 typed as =HYPERLINK(…) stays text)
            sheet.append([as_text(sheet, v) for v in _row(student, national, guardians, classes)])
            count += 1
    out = BytesIO()
    workbook.save(out)
    audit.record(
        session,
        clock,
        events.actor_of(principal),
        action="registry.exported",
        subject=f"school:{school.code}",
        school_code=school.code,
        payload={"format": "national", "students": count},
    )
    return out.getvalue()


def without_record(session: Session, school_code: str) -> int:
    """How many of the students an export writes have no national record (registered
    by hand or imported from the plain template): their rows hold only what the registry
    keeps, and the national system needs the rest before they are reported."""
    count = session.scalar(
        select(func.count())
        .select_from(Student)
        .outerjoin(NationalRecord, NationalRecord.student_id == Student.id)
        .where(_exported(school_code), NationalRecord.student_id.is_(None))
    )
    return int(count or 0)


def _exported(school_code: str) -> ColumnElement[bool]:
    """The students an export writes: the school's enrolled and suspended ones."""
    return and_(Student.school_code == school_code, Student.status.not_in(sorted(LEFT)))


def _batches(session: Session, school_code: str) -> Any:
    """(student, national record or None, guardians) of the school, by id, in batches."""
    after = 0
    while True:
        students = list(
            session.scalars(
                select(Student)
                .where(_exported(school_code), Student.id > after)
                .order_by(Student.id)
                .limit(BATCH)
            )
        )
        if not students:
            return
        ids = [student.id for student in students]
        national = {
            r.student_id: r
            for r in session.scalars(
                select(NationalRecord).where(NationalRecord.student_id.in_(ids))
            )
        }
        guardians: dict[int, list[Guardian]] = {}
        for guardian in session.scalars(
            select(Guardian).where(Guardian.student_id.in_(ids)).order_by(Guardian.rank)
        ):
            guardians.setdefault(guardian.student_id, []).append(guardian)
        yield [(s, national.get(s.id), guardians.get(s.id, [])) for s in students]
        after = ids[-1]


def values_of(
    student: Student,
    national: NationalRecord | None,
    guardians: list[Guardian],
    classes: dict[int, tuple[str, str]],
) -> dict[str, str]:
    """Column → stored value of one student in the national layout."""
    grade, class_name = classes.get(student.class_id or -1, ("", ""))
    values = {
        "registry_no": student.registry_no,
        "name": student.name,
        "gender": student.gender,
        "birth_date": student.birth_date.isoformat(),
        "grade": grade,
        "class_name": class_name,
    }
    if national is not None:
        values |= records.load(national.record) | records.load(national.sensitive)
    return members.reconciled(values, guardians)


def _row(
    student: Student,
    national: NationalRecord | None,
    guardians: list[Guardian],
    classes: dict[int, tuple[str, str]],
) -> list[str | None]:
    values = values_of(student, national, guardians, classes)
    return [values.get(column) or None for column in NATIONAL_COLUMNS]
