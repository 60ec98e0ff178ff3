"""Student accounts: registration, which reaches the registry only on an exact
five-field match (and a guardian's consent, see ``activation``), correction of one's own
entered details, and sign-in by registry number."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from xueji.auth import passwords
from xueji.auth import service as auth
from xueji.auth.service import Checked, Principal, SignedIn, SignInRefused
from xueji.db.crypto import registry_no_index
from xueji.domain import identity, names, phones, throttling
from xueji.domain.clock import Clock, china_today
from xueji.domain.errors import (
    AuthFailed,
    Conflict,
    Forbidden,
    IdentityError,
    Throttled,
    ValidationFailed,
    XuejiError,
)
from xueji.domain.five_fields import FiveFields, Mismatch, check_student_no, compare
from xueji.domain.roles import Role
from xueji.domain.statuses import AccountStatus
from xueji.platform import activation
from xueji.platform.models import StudentAccount
from xueji.platform.repository import PlatformRepository
from xueji.registry.lookup import RegistryRecord, former_holder, lookup

PENDING, ACTIVE = AccountStatus.PENDING, AccountStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Registration:
    account: StudentAccount
    mismatches: list[Mismatch]

    @property
    def status(self) -> str:
        return self.account.status


@dataclass(frozen=True, slots=True)
class Entered:
    """The five fields as typed, before any check."""

    registry_no: str
    name: str
    gender: str
    birth_date: dt.date | None
    school_name: str


def _checked(
    entered: Entered,
    today: dt.date,
    fields: dict[str, str],
    messages: dict[str, str] | None = None,
) -> FiveFields | None:
    """The normalised five fields, or None with a code per malformed field in ``fields``."""
    number = None
    try:
        number = identity.parse_number(entered.registry_no, today=today)
    except IdentityError as error:
        fields["registry_no"] = error.code
        if messages is not None:  # what exactly is wrong: the digit, the date, the area
            messages["registry_no"] = error.message
    try:
        name = names.check_person_name(entered.name)
    except ValidationFailed as error:
        fields["name"] = error.code
    school_name = names.normalise(entered.school_name)
    if not school_name or len(school_name) > 100:
        fields["school_name"] = "SCHOOL_NAME_INVALID"
    if entered.gender not in ("1", "2"):
        fields["gender"] = "GENDER_INVALID"
    if entered.birth_date is None or entered.birth_date > today:
        fields["birth_date"] = "BIRTH_DATE_INVALID"
    if fields or number is None or entered.birth_date is None:
        return None
    return FiveFields(number.registry_no, name, entered.gender, entered.birth_date, school_name)


def _malformed(fields: dict[str, str], messages: dict[str, str]) -> ValidationFailed:
    """A code per field (``fields``) and, where a code alone cannot say it (which digit
    of the number is wrong), the exact message (``messages``)."""
    if messages:
        return ValidationFailed(
            "注册信息有误，请按提示修改后重新提交", fields=fields, messages=messages
        )
    return ValidationFailed("注册信息有误，请按提示修改后重新提交", fields=fields)


def _registry_fields(record: RegistryRecord | None) -> FiveFields | None:
    return None if record is None else record.five_fields()


def _number_budget(index: bytes) -> dict[str, throttling.ThrottleRule]:
    return {f"reg:number:{index.hex()}": throttling.REGISTRATION_NUMBER}


def _address_budget(client: str) -> dict[str, throttling.ThrottleRule]:
    return {f"reg:addr:{client}": throttling.REGISTRATION_ADDRESS}


def _existence_budget(client: str) -> dict[str, throttling.ThrottleRule]:
    return {f"exists:addr:{client}": throttling.EXISTENCE_ADDRESS}


def register(
    session: Session,
    clock: Clock,
    *,
    student_no: str,
    password: str,
    entered: Entered,
    client: str,
) -> Registration | XuejiError:
    """Create the account: awaiting a guardian's consent if all five fields equal the
    registry's, pending otherwise (see ``activation``). A student number already taken is
    returned as the refusal, not raised: the caller commits the try it cost."""
    fields: dict[str, str] = {}
    try:
        number_name = check_student_no(student_no)
    except ValidationFailed as error:
        fields["student_no"] = error.code
    try:
        passwords.check_strength(password)
    except ValidationFailed as error:
        fields["password"] = error.code
    messages: dict[str, str] = {}
    five = _checked(entered, china_today(clock), fields, messages)
    if five is None or fields:
        raise _malformed(fields, messages)
    index = registry_no_index(five.registry_no)
    _check_number_budget(session, clock, index)
    _check_budget(session, clock, _address_budget(client))
    _check_budget(session, clock, _existence_budget(client))
    repository = PlatformRepository(session)
    taken = repository.by_student_no(number_name) is not None
    if taken or auth.principal_by_username(session, number_name) is not None:
        auth.spend(session, clock, _existence_budget(client))
        return Conflict("该学生号已被使用，请换一个", code="STUDENT_NO_TAKEN")
    principal = auth.create_account(
        session,
        clock,
        username=number_name,
        password=password,
        role=Role.STUDENT,
        display_name=five.name,
    )
    assert principal.account_id is not None
    account = StudentAccount(
        account_id=principal.account_id,
        student_no=number_name,
        registry_no=five.registry_no,
        registry_index=index,
        area_prefix=five.registry_no[1:5],
        name=five.name,
        gender=five.gender,
        birth_date=five.birth_date,
        school_name=five.school_name,
        status=PENDING,
        created_at=clock.now(),
    )
    repository.add(account)
    return _attempt(session, clock, account, five, client)


def _check_budget(
    session: Session, clock: Clock, budget: dict[str, throttling.ThrottleRule]
) -> None:
    refusal = auth.blocked_for(session, clock, list(budget))
    if refusal is not None:
        raise refusal


def _check_number_budget(session: Session, clock: Clock, index: bytes) -> None:
    """The number's daily attempts: past them the way forward is the school."""
    refusal = auth.blocked_for(session, clock, list(_number_budget(index)))
    if refusal is not None:
        raise Throttled(
            "该学籍号的注册与信息更正尝试次数已达上限，请 24 小时后再试；"
            "如确认信息无误，请带身份证或户口簿到就读学校核对学籍信息。",
            retry_after=refusal.retry_after,
        )


def _attempt(
    session: Session, clock: Clock, account: StudentAccount, five: FiveFields, client: str
) -> Registration:
    """One attempt at the five fields: counted against the number's daily budget (and,
    when it fails, the address's), then settled."""
    record = lookup(session, registry_no=five.registry_no)
    matched = activation.settle(session, clock, account, record)
    auth.spend(session, clock, _number_budget(account.registry_index))
    if not matched:
        auth.spend(session, clock, _address_budget(client))
    return Registration(account, [] if matched else compare(five, _registry_fields(record)))


def own_account(session: Session, principal: Principal) -> StudentAccount:
    if principal.role is not Role.STUDENT or principal.account_id is None:
        raise Forbidden("只有学生账号可以这样做")
    account = PlatformRepository(session).by_account(principal.account_id)
    if account is None:
        raise Forbidden("没有找到学生账号")
    return account


def update_details(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    changes: dict[str, Any],
    client: str,
) -> Registration:
    """A student not yet linked corrects what they entered (``_attempt``). A new registry
    number voids an earlier guardian's consent: that consent was for another child."""
    account = own_account(session, principal)
    if account.status == ACTIVE:
        raise Conflict("账号已激活，信息以学籍为准；如有错误请联系学校更正", code="ALREADY_ACTIVE")
    if account.status == AccountStatus.REVOKED:
        raise Conflict("该账号与学籍的关联已被解除，请用新的学生号注册", code="ACCOUNT_REVOKED")
    entered = Entered(
        registry_no=changes.get("registry_no", account.registry_no),
        name=changes.get("name", account.name),
        gender=changes.get("gender", account.gender),
        birth_date=changes.get("birth_date", account.birth_date),
        school_name=changes.get("school_name", account.school_name),
    )
    fields: dict[str, str] = {}
    messages: dict[str, str] = {}
    five = _checked(entered, china_today(clock), fields, messages)
    if five is None:
        raise _malformed(fields, messages)
    index = registry_no_index(five.registry_no)
    _check_number_budget(session, clock, index)
    _check_budget(session, clock, _address_budget(client))
    if index != account.registry_index:
        account.verified_at = None
    account.registry_no, account.registry_index = five.registry_no, index
    account.area_prefix = five.registry_no[1:5]
    account.name, account.gender, account.birth_date = five.name, five.gender, five.birth_date
    account.school_name = five.school_name
    return _attempt(session, clock, account, five, client)


def mismatches_of(session: Session, account: StudentAccount) -> list[Mismatch]:
    """What still differs for an account not linked (empty for an active one)."""
    if account.status == ACTIVE:
        return []
    record = lookup(session, registry_no=account.registry_no)
    return compare(account.five_fields(), _registry_fields(record))


def sign_in_name(session: Session, clock: Clock, raw: str) -> str:
    """The account name behind what someone typed: a student's number, or a registry
    number in any accepted spelling (G/g, full-width, with or without G); a parent's phone
    in any spelling (+86, spaces, full-width digits)."""
    phone = phones.normalise_phone(raw)
    if phones.MOBILE.fullmatch(phone):
        return phone
    try:
        number = identity.parse_number(raw, today=china_today(clock))
    except XuejiError:
        return raw
    index = registry_no_index(number.registry_no)
    repository = PlatformRepository(session)
    found = repository.student_no_for(index)
    if found is None and (former := former_holder(session, number.registry_no)) is not None:
        account = repository.linked_to(former)  # checked, then refused: see below
        found = account.student_no if account is not None else None
    return found or raw


#: A registry number signs in to the one account registered for it; when several wait
#: (someone else registered the same number too), only the student number does. Said to
#: every failed sign-in by number alike, so it tells no one whether others registered.
BY_NUMBER_FAILED = "用户名或密码错误。用学籍号登录不成功时，请改用注册时自己设定的学生号登录"


def explain_refusal(
    clock: Clock, raw: str, result: SignedIn | SignInRefused
) -> SignedIn | SignInRefused:
    """A failed sign-in by registry number points to the student number."""
    if not isinstance(result, SignInRefused) or not isinstance(result.error, AuthFailed):
        return result
    try:
        identity.parse_number(raw, today=china_today(clock))
    except XuejiError:
        return result
    return SignInRefused(AuthFailed(BY_NUMBER_FAILED))


def refuse_former_number(
    session: Session, clock: Clock, raw: str, checked: Checked | SignInRefused
) -> Checked | SignInRefused:
    """A student signing in with the number they gave up for a resident ID is told that
    it changed — once the password is right, so the answer discloses nothing to whoever
    else tries the number."""
    if not isinstance(checked, Checked) or checked.account_id is None:
        return checked
    try:
        number = identity.parse_number(raw, today=china_today(clock))
    except XuejiError:
        return checked
    if former_holder(session, number.registry_no) is None:
        return checked
    return SignInRefused(
        Conflict(
            "你的学籍号已变更为身份证号（G 字头）的新学籍号，请用新学籍号或学生号登录",
            code="REGISTRY_NO_CHANGED",
        )
    )
