"""Counts of the registry for the administrators' overview and the region's school list:
students by grade and status, per school. Only counts leave this module."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from xueji.domain.statuses import TransferStatus
from xueji.registry.enrollment.models import Transfer
from xueji.registry.models import SchoolClass, Student

#: (school code, grade or None for no class, status) → students
GradeCounts = Counter[tuple[str, int | None, str]]


def students_by_grade(session: Session, school_codes: Sequence[str]) -> GradeCounts:
    """Every student of these schools, by school, grade (of the class; None without
    one) and status."""
    rows = session.execute(
        select(Student.school_code, SchoolClass.grade, Student.status, func.count())
        .select_from(Student)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Student.school_code.in_(school_codes))
        .group_by(Student.school_code, SchoolClass.grade, Student.status)
    )
    return Counter({(code, grade, status): count for code, grade, status, count in rows})


def student_ids_of(school_codes: Sequence[str]) -> Select[int]:
    """The ids of these schools' students, as a subquery for another module's rows."""
    return select(Student.id).where(Student.school_code.in_(school_codes))


def transfers_to_confirm(session: Session, school_codes: Sequence[str]) -> int:
    """Transfer requests waiting for these (origin) schools to confirm or return."""
    return int(
        session.scalar(
            select(func.count()).where(
                Transfer.from_school_code.in_(school_codes),
                Transfer.status == TransferStatus.REQUESTED,
            )
        )
        or 0
    )
