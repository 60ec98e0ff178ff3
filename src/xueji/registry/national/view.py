"""Reading a student's national record, by role (``docs/registry.md``, 学籍信息的字段).

Everyone who sees the student sees the record's ordinary fields. The sensitive
categories are withheld until asked for (``reveal``), and every such read is audited:
a school administrator of the student's school sees them all; a head teacher what
looking after the child in class needs (health, disability, inclusive education); a
region or platform administrator none of them (their pages are counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.clock import Clock
from xueji.domain.errors import Forbidden
from xueji.domain.masking import mask_phone
from xueji.domain.roles import Role
from xueji.registry import events
from xueji.registry.national import members, records
from xueji.registry.national.compare import label
from xueji.registry.national.fields import (
    GROUPS,
    MEMBER_FIELDS,
    MEMBERS,
    NATIONAL_COLUMNS,
    RECORD_COLUMNS,
    SENSITIVE_COLUMNS,
    field_of,
    member_column,
)
from xueji.registry.service import Located

#: the sensitive fields a head teacher may see: what looking after the child in class needs
CLASS_NEEDS = frozenset({"health", "disability", "inclusive"})


@dataclass(frozen=True, slots=True)
class Shown:
    column: str
    header: str
    value: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {
            "column": self.column,
            "header": self.header,
            "value": self.value,
            "text": self.text,
        }


@dataclass(slots=True)
class RecordView:
    """The fields shown by group (title → fields), the family members' (one list per
    member given), and the headers of sensitive fields withheld."""

    exists: bool
    groups: dict[str, list[Shown]] = field(default_factory=dict)
    members: list[list[Shown]] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    revealed: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "exists": self.exists,
            "fields": [s.as_dict() for shown in self.groups.values() for s in shown],
            "members": [[s.as_dict() for s in member] for member in self.members],
            "withheld": self.withheld,
            "revealed": self.revealed,
        }


def sensitive_allowed(principal: Principal, located: Located) -> frozenset[str]:
    """The sensitive columns this caller may read in full (once they ask)."""
    if principal.role is Role.SCHOOL_ADMIN and principal.school_code == located.school.code:
        return SENSITIVE_COLUMNS
    if principal.role is Role.HEAD_TEACHER:
        return CLASS_NEEDS
    return frozenset()


def read(
    session: Session, clock: Clock, principal: Principal, located: Located, *, reveal: bool
) -> RecordView:
    """The record as this caller may see it; with ``reveal`` the sensitive fields they
    are allowed, audited (``Forbidden`` for a role allowed none)."""
    national = records.record_of(session, located.student.id)
    allowed = sensitive_allowed(principal, located)
    if reveal and not allowed:
        raise Forbidden("当前账号无权查看学生的敏感信息")
    if national is None:
        return RecordView(exists=False)
    values = records.load(national.record)
    if reveal:
        secret = records.load(national.sensitive)
        values |= {column: value for column, value in secret.items() if column in allowed}
        events.audit_student(
            session,
            clock,
            principal,
            student_id=located.student.id,
            school_code=located.student.school_code,
            action="student.sensitive_read",
            payload={"fields": sorted(column for column in secret if column in allowed)},
        )
    values = members.reconciled(values, located.guardians)
    shown_sensitive = allowed if reveal else frozenset()
    full = reveal and allowed == SENSITIVE_COLUMNS
    view = RecordView(exists=True, revealed=reveal)
    for column in RECORD_COLUMNS:
        if column.startswith("m") and column[1].isdigit():
            continue
        if column in SENSITIVE_COLUMNS and column not in shown_sensitive:
            view.withheld.append(NATIONAL_COLUMNS[column])
            continue
        title = GROUPS[field_of(column).group]
        shown = _shown(column, values.get(column, ""), masked=not full)
        view.groups.setdefault(title, []).append(shown)
    for n in range(1, MEMBERS + 1):
        columns = [member_column(n, f.key) for f in MEMBER_FIELDS]
        if not any(values.get(c) for c in columns):
            continue
        hidden = [c for c in columns if c in SENSITIVE_COLUMNS and c not in shown_sensitive]
        view.withheld += [NATIONAL_COLUMNS[c] for c in hidden]
        view.members.append(
            [_shown(c, values.get(c, ""), masked=not full) for c in columns if c not in hidden]
        )
    return view


def _shown(column: str, value: str, *, masked: bool = False) -> Shown:
    """``masked``: a phone shows as on every other screen (``138****5678``); only the
    school's own administrator sees it in full, in an audited reveal."""
    if masked and value and field_of(column).kind == "phone":
        value = mask_phone(value)
        return Shown(column, NATIONAL_COLUMNS[column], value, value)
    return Shown(column, NATIONAL_COLUMNS[column], value, label(column, value) if value else "")


#: what the printed sheet shows in place of a sensitive field its issuer may not see
NOT_PRINTED = "（敏感信息，不打印）"


def printable(
    session: Session, principal: Principal, located: Located
) -> tuple[list[tuple[str, list[tuple[str, str]]]], list[str]]:
    """The record for the printed 学籍基本信息表, by group (title, [(header, text)]): every
    field, the sensitive ones only if the issuer may see them all (else marked not
    printed), members' phones masked; and the sensitive columns printed (for the
    audit entry)."""
    national = records.record_of(session, located.student.id)
    values = members.reconciled(records.stored(national), located.guardians) if national else {}
    full = sensitive_allowed(principal, located) == SENSITIVE_COLUMNS
    printed = sorted(c for c in values if c in SENSITIVE_COLUMNS) if full else []
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for column in RECORD_COLUMNS:
        value = values.get(column, "")
        if column in SENSITIVE_COLUMNS and not full:
            text = NOT_PRINTED
        elif value and field_of(column).kind == "phone":
            text = mask_phone(value) if len(value) == 11 else value
        else:
            text = label(column, value) if value else ""
        title = GROUPS[field_of(column).group]
        if not groups or groups[-1][0] != title:
            groups.append((title, []))
        groups[-1][1].append((NATIONAL_COLUMNS[column], text))
    return groups, printed
