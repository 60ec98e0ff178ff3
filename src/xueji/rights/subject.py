"""Whose data a caller may ask about: a student about themself (the whole child's data
once their account is linked to the record, else their own account), a parent about a
child they are bound to. Nobody else — staff act on records through their own pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.errors import Forbidden, ValidationFailed
from xueji.domain.roles import Role
from xueji.parents import children
from xueji.platform import personal_data
from xueji.platform import service as platform
from xueji.registry.lookup import lookup


@dataclass(frozen=True, slots=True)
class Subject:
    """The child (``student_id`` None: an account not linked to any record) and the
    student accounts that are the child's."""

    student_id: int | None
    account_ids: list[int]

    @property
    def audit_subject(self) -> str:
        if self.student_id is not None:
            return f"student:{self.student_id}"
        return f"student_account:{self.account_ids[0]}"


def subject_of(session: Session, principal: Principal, student_id: int | None) -> Subject:
    if principal.role is Role.STUDENT:
        account = platform.own_account(session, principal)
        linked = account.student_id is not None and account.active_registry_index is not None
        record = lookup(session, student_id=account.student_id) if linked else None
        if record is None:
            return Subject(None, [account.id])
        accounts = personal_data.accounts_of_child(session, record.student_id)
        return Subject(record.student_id, accounts)
    if principal.role is Role.PARENT:
        if student_id is None:
            raise ValidationFailed("请指明是哪个孩子（student_id）", code="CHILD_REQUIRED")
        record = children.bound_child(session, principal, student_id)
        accounts = personal_data.accounts_of_child(session, record.student_id)
        return Subject(record.student_id, accounts)
    raise Forbidden("只有学生本人或已绑定孩子的家长可以这样做")
