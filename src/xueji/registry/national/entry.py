"""Entering or correcting a student's national record by hand: the same checks as the
import (one row through ``checks.with_record``), codes or labels accepted, codes stored,
audited with the fields changed (values of sensitive fields never in the entry)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.clock import Clock, china_today
from xueji.domain.errors import ValidationFailed
from xueji.registry import events, scope
from xueji.registry.models import SchoolClass
from xueji.registry.national import members, records
from xueji.registry.national.checks import with_record
from xueji.registry.national.compare import differences
from xueji.registry.national.fields import (
    MEMBERS,
    NATIONAL_COLUMNS,
    RECORD_COLUMNS,
    SENSITIVE_COLUMNS,
    member_column,
)
from xueji.registry.national.messages import NATIONAL_MESSAGES
from xueji.registry.service import Located


def checked(
    values: dict[str, str], *, grade: int | None, registry_no: str, today: dt.date
) -> dict[str, str]:
    """The record's stored form (column → code or text) of what was typed; raises
    ``ValidationFailed`` with the first field that fails, named."""
    unknown = sorted(set(values) - set(RECORD_COLUMNS))
    if unknown:
        raise ValidationFailed(
            f"没有这些学籍信息项：{'、'.join(unknown)}", code="RECORD_FIELD_UNKNOWN", fields=unknown
        )
    row: dict[str, Any] = {column: [values.get(column) or ""] for column in RECORD_COLUMNS}
    row |= {"grade_n": [grade], "number": [registry_no], "code": [None]}
    schema = dict.fromkeys(RECORD_COLUMNS, pl.String) | {
        "grade_n": pl.Int64,
        "number": pl.String,
        "code": pl.String,
    }
    frame = with_record(pl.DataFrame(row, schema=schema), today=today)
    code = frame["code"][0]
    if code is not None:
        raise ValidationFailed(NATIONAL_MESSAGES[code], code=code)
    return {
        column: str(value)
        for column in RECORD_COLUMNS
        if (value := frame[f"{column}_n"][0]) not in (None, "")
    }


def correct(
    session: Session,
    clock: Clock,
    principal: Principal,
    located: Located,
    *,
    values: dict[str, str],
    reason: str,
) -> list[str]:
    """Replace the fields given (an empty value clears one; the others stay), check the
    whole record, store it; returns the columns changed."""
    scope.require_writer(principal)
    if not reason.strip():
        raise ValidationFailed("请填写修改原因", code="REASON_REQUIRED")
    student = located.student
    current = current_record(session, located)
    grade = None
    if student.class_id is not None:
        grade = session.scalar(select(SchoolClass.grade).where(SchoolClass.id == student.class_id))
    new = checked(
        current | values, grade=grade, registry_no=student.registry_no, today=china_today(clock)
    )
    _refuse_guardian_changes(current, new)
    changed = [change.field for change in differences(current, new)]
    if not changed:
        return []
    records.store(session, student.id, new, clock.now())
    events.audit_student(
        session,
        clock,
        principal,
        student_id=student.id,
        school_code=student.school_code,
        action="student.national_record_corrected",
        payload={
            "fields": [NATIONAL_COLUMNS[c] for c in changed],
            "before": {c: current.get(c, "") for c in changed if c not in SENSITIVE_COLUMNS},
            "after": {c: new.get(c, "") for c in changed if c not in SENSITIVE_COLUMNS},
            "reason": reason.strip()[:500],
        },
    )
    # published as an import's change of the record is: a reader of the feed learns that
    # the record changed (which fields: the audit entry), never what it holds
    student.updated_at = clock.now()
    events.record_student_change(
        session,
        clock,
        principal,
        event_type=events.STUDENT_CORRECTED,
        student=student,
        audit_payload=None,
        extra={"changed": ["national_record"]},
    )
    return changed


def current_record(session: Session, located: Located) -> dict[str, str]:
    """The student's record as it stands, its members paired with the guardians the
    registry has now (``members``); a student without a record has their guardians."""
    national = records.record_of(session, located.student.id)
    return members.reconciled(records.stored(national), located.guardians)


def _refuse_guardian_changes(current: dict[str, str], new: dict[str, str]) -> None:
    """Who is a guardian, and a guardian's name, relation and phone, belong to the
    registry's guardians (学生信息维护, where parents' binding follows them): a correction
    of the record changing them would leave the two disagreeing, or the student with no
    guardian member at all."""
    for n in range(1, MEMBERS + 1):
        columns = [member_column(n, key) for key in members.GUARDIAN_FIELDS]
        flag = member_column(n, "guardian")
        guardian = "1" in (current.get(flag), new.get(flag))
        if guardian and any(current.get(c, "") != new.get(c, "") for c in columns):
            raise ValidationFailed(
                f"成员{n}是监护人（或改为监护人）：监护人的姓名、关系、联系电话和是否监护人"
                "请在学生信息维护中修改，这里只能修改家庭成员的其他信息",
                code="MEMBER_GUARDIAN_IN_MAINTENANCE",
                member=n,
            )
