"""Student accounts: registration that activates only on an exact five-field match,
correction of one's own entered details, and sign-in by registry number."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xueji.auth import passwords
from xueji.auth import service as auth
from xueji.auth.service import Principal
from xueji.db.crypto import registry_no_index
from xueji.domain import identity, names, phones, throttling
from xueji.domain.clock import Clock, china_today
from xueji.domain.errors import (
    Conflict,
    Forbidden,
    IdentityError,
    ValidationFailed,
    XuejiError,
)
from xueji.domain.five_fields import FiveFields, Mismatch, check_student_no, compare
from xueji.domain.roles import Role
from xueji.domain.statuses import AccountStatus
from xueji.platform.archive import land
from xueji.platform.models import StudentAccount
from xueji.platform.projection import project
from xueji.platform.repository import (
    PlatformRepository,
)
from xueji.registry.lookup import RegistryRecord, lookup

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


def _checked(entered: Entered, today: dt.date, fields: dict[str, str]) -> FiveFields | None:
    """The normalised five fields, or None with a code per malformed field in ``fields``."""
    number = None
    try:
        number = identity.parse_number(entered.registry_no, today=today)
    except IdentityError as error:
        fields["registry_no"] = error.code
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


def _malformed(fields: dict[str, str]) -> ValidationFailed:
    return ValidationFailed("注册信息有误，请按提示修改后重新提交", fields=fields)


def _registry_fields(record: RegistryRecord | None) -> FiveFields | None:
    return None if record is None else record.five_fields()


def _budget(index: str, client: str) -> dict[str, throttling.ThrottleRule]:
    return {
        f"reg:number:{index}": throttling.REGISTRATION_NUMBER,
        f"reg:addr:{client}": throttling.REGISTRATION_ADDRESS,
    }


def register(
    session: Session,
    clock: Clock,
    *,
    student_no: str,
    password: str,
    entered: Entered,
    client: str,
) -> Registration:
    """Create the account; it is active only if all five fields equal the registry's."""
    fields: dict[str, str] = {}
    try:
        number_name = check_student_no(student_no)
    except ValidationFailed as error:
        fields["student_no"] = error.code
    try:
        passwords.check_strength(password)
    except ValidationFailed as error:
        fields["password"] = error.code
    five = _checked(entered, china_today(clock), fields)
    if five is None or fields:
        raise _malformed(fields)
    index = registry_no_index(five.registry_no)
    _check_budget(session, clock, index, client)
    repository = PlatformRepository(session)
    taken = repository.by_student_no(number_name) is not None
    if taken or auth.principal_by_username(session, number_name) is not None:
        raise Conflict("该学生号已被使用，请换一个", code="STUDENT_NO_TAKEN")
    record = lookup(session, registry_no=five.registry_no)
    mismatches = compare(five, _registry_fields(record))
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
        name=five.name,
        gender=five.gender,
        birth_date=five.birth_date,
        school_name=five.school_name,
        status=PENDING,
        created_at=clock.now(),
    )
    repository.add(account)
    return _settle(session, clock, account, record, mismatches, client)


def _check_budget(session: Session, clock: Clock, index: str, client: str) -> None:
    refusal = auth.blocked_for(session, clock, list(_budget(index, client)))
    if refusal is not None:
        raise refusal


def _settle(
    session: Session,
    clock: Clock,
    account: StudentAccount,
    record: RegistryRecord | None,
    mismatches: list[Mismatch],
    client: str,
) -> Registration:
    """Activate on a full match; otherwise stay pending and spend the attempt budget."""
    if mismatches or record is None:
        auth.spend(session, clock, _budget(account.registry_index, client))
        return Registration(account, mismatches)
    if PlatformRepository(session).active_for(account.registry_index) is not None:
        raise Conflict(
            "该学籍号已有激活的账号。如不是您本人注册，请持身份证到学校核实。",
            code="ACCOUNT_ALREADY_ACTIVE",
        )
    _activate(session, clock, account, record)
    return Registration(account, [])


def _activate(
    session: Session, clock: Clock, account: StudentAccount, record: RegistryRecord
) -> None:
    """Link the account; the database refuses a second active account for one number."""
    try:
        with session.begin_nested():
            account.status, account.student_id = ACTIVE, record.student_id
            account.active_registry_index = account.registry_index
            account.activated_at = clock.now()
            session.flush()
    except IntegrityError:
        raise Conflict("该学籍号已有激活的账号", code="ACCOUNT_ALREADY_ACTIVE") from None
    if PlatformRepository(session).projection(record.student_id) is None:
        project(session, clock, record, sequence=0)
    land(session, clock, account)


def relink_pending(session: Session, clock: Clock, record: RegistryRecord) -> int:
    """After a registry change, activate the waiting account whose five fields now match
    (the first one, if several do and none is active yet). Returns how many activated."""
    repository = PlatformRepository(session)
    index = registry_no_index(record.registry_no)
    if repository.active_for(index) is not None:
        return 0
    for account in repository.pending_for(index):
        if not compare(account.five_fields(), record.five_fields()):
            try:
                _activate(session, clock, account, record)
            except Conflict:  # another worker linked an account for this number first
                return 0
            return 1
    return 0


def refresh_active(session: Session, clock: Clock, record: RegistryRecord) -> bool:
    """After a correction, the linked account's details follow the registry (the link is
    the registry number; the registry is the authority). True when something changed."""
    account = PlatformRepository(session).active_for(registry_no_index(record.registry_no))
    if account is None:
        return False
    current = (account.name, account.gender, account.birth_date, account.school_name)
    wanted = (record.name, record.gender, record.birth_date, record.school_name)
    if current == wanted and account.student_id == record.student_id:
        return False
    account.name, account.gender, account.birth_date, account.school_name = wanted
    account.student_id = record.student_id
    return True


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
    """A pending student corrects what they entered; a match activates at once."""
    account = own_account(session, principal)
    if account.status == ACTIVE:
        raise Conflict("账号已激活，信息以学籍为准；如有错误请联系学校更正", code="ALREADY_ACTIVE")
    entered = Entered(
        registry_no=changes.get("registry_no", account.registry_no),
        name=changes.get("name", account.name),
        gender=changes.get("gender", account.gender),
        birth_date=changes.get("birth_date", account.birth_date),
        school_name=changes.get("school_name", account.school_name),
    )
    fields: dict[str, str] = {}
    five = _checked(entered, china_today(clock), fields)
    if five is None:
        raise _malformed(fields)
    index = registry_no_index(five.registry_no)
    _check_budget(session, clock, index, client)
    account.registry_no, account.registry_index = five.registry_no, index
    account.name, account.gender, account.birth_date = five.name, five.gender, five.birth_date
    account.school_name = five.school_name
    record = lookup(session, registry_no=five.registry_no)
    return _settle(session, clock, account, record, compare(five, _registry_fields(record)), client)


def mismatches_of(session: Session, account: StudentAccount) -> list[Mismatch]:
    """What still differs for a pending account (empty for an active one)."""
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
    return PlatformRepository(session).student_no_for(index) or raw
