"""Parent accounts and their bindings to children.

A parent proves their phone with an SMS code and is bound to every student whose
guardian phones include it, in any school (the registry answers the 学籍匹配请求 by the
phone's blind index). With no such student the account is still created, bound to nobody,
and told 没有该用户. Bindings then follow the registry's change events: a guardian phone
added binds the waiting parent, a phone removed ends the binding.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from xueji.auth import codes, passwords
from xueji.auth import service as auth
from xueji.auth.service import Principal
from xueji.db.crypto import phone_index
from xueji.domain import phones
from xueji.domain.clock import Clock
from xueji.domain.errors import Conflict, Forbidden, ValidationFailed
from xueji.domain.masking import mask
from xueji.domain.roles import Role
from xueji.parents.models import ParentAccount, ParentBinding
from xueji.parents.repository import ParentRepository
from xueji.registry.lookup import (
    GuardianMatch,
    students_with_guardian_phone,
)

NO_SUCH_USER = {"code": "NO_SUCH_USER", "message": "没有该用户"}
MAX_NAME = 50


@dataclass(frozen=True, slots=True)
class ParentRegistration:
    account: ParentAccount
    children: list[GuardianMatch]

    def binding(self) -> dict[str, str]:
        if not self.children:
            return dict(NO_SUCH_USER)
        return {"code": "BOUND", "message": f"已绑定 {len(self.children)} 名学生"}


def child_summary(match: GuardianMatch) -> dict[str, str | int]:
    return {
        "student_id": match.student_id,
        "registry_no": mask(match.registry_no),
        "name": match.name,
        "school_name": match.school_name,
    }


def register_parent(
    session: Session,
    clock: Clock,
    *,
    phone: str,
    code: str,
    password: str,
    name: str = "",
) -> ParentRegistration | ValidationFailed:
    """Create the account if the code proves the phone; bind it through the registry.
    A wrong code is *returned* (see ``codes.consume_code``)."""
    fields: dict[str, str] = {}
    number = None
    try:
        number = phones.parse_mobile(phone)
    except ValidationFailed as error:
        fields["phone"] = error.code
    try:
        passwords.check_strength(password)
    except ValidationFailed as error:
        fields["password"] = error.code
    display = name.strip()
    if len(display) > MAX_NAME:
        fields["name"] = "NAME_INVALID"
    if fields or number is None:
        raise ValidationFailed("注册信息有误，请按提示修改后重新提交", fields=fields)
    refused = codes.consume_code(session, clock, phone=number, purpose="parent_register", code=code)
    if refused is not None:
        return refused
    return create_parent(session, clock, phone=number, password=password, name=display)


def create_parent(
    session: Session, clock: Clock, *, phone: str, password: str, name: str = ""
) -> ParentRegistration:
    """The account for a proven phone (proving it is the caller's business: the
    registration above, or the demo loader), bound to every child listing that phone."""
    number, display = phones.parse_mobile(phone), name.strip()
    repository = ParentRepository(session)
    if repository.by_phone_index(phone_index(number)) is not None:
        raise Conflict("该手机号已注册家长账号，请直接登录", code="PARENT_EXISTS")
    try:
        principal = auth.create_account(
            session,
            clock,
            username=number,
            password=password,
            role=Role.PARENT,
            display_name=display,
        )
    except Conflict:
        raise Conflict("该手机号已注册账号，请直接登录", code="PARENT_EXISTS") from None
    assert principal.account_id is not None
    account = ParentAccount(
        account_id=principal.account_id,
        phone=number,
        phone_index=phone_index(number),
        name=display,
        created_at=clock.now(),
    )
    repository.add(account)
    # share-locked: a guardian change racing this registration waits for it, and its
    # event then sees (and if need be ends) the binding made here
    children = students_with_guardian_phone(session, number, lock=True)
    for child in children:
        repository.add(
            ParentBinding(
                parent_account_id=account.id, student_id=child.student_id, bound_at=clock.now()
            )
        )
    return ParentRegistration(account, children)


def own_parent_account(session: Session, principal: Principal) -> ParentAccount:
    if principal.role is not Role.PARENT or principal.account_id is None:
        raise Forbidden("只有家长账号可以这样做")
    account = ParentRepository(session).by_account(principal.account_id)
    if account is None:
        raise Forbidden("没有找到家长账号")
    return account
