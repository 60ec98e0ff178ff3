"""Checks of one student's fields, shared by the API, the pages and the importer's
messages. Each failure is a ``ValidationFailed`` with a stable code."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from xueji.domain import identity
from xueji.domain.codes import Gender
from xueji.domain.errors import ValidationFailed
from xueji.domain.names import check_person_name, normalise
from xueji.domain.phones import parse_mobile
from xueji.domain.relations import parse_relation

MAX_GUARDIANS = 4
SCHOOL_CODE = re.compile(r"[0-9]{10}")


@dataclass(frozen=True, slots=True)
class GuardianFacts:
    name: str
    relation: str
    phone: str


@dataclass(frozen=True, slots=True)
class StudentFacts:
    registry_no: str
    name: str
    gender: Gender
    birth_date: dt.date
    guardians: tuple[GuardianFacts, ...]


def check_registry_no(raw: str, today: dt.date) -> identity.IdentityNumber:
    return identity.parse_number(raw, today=today)


def check_gender(raw: str) -> Gender:
    value = {"男": "1", "女": "2"}.get(raw.strip(), raw.strip())
    if value not in ("1", "2"):
        raise ValidationFailed("性别须为 1（男）或 2（女）", code="GENDER_INVALID")
    return Gender(value)


def check_consistency(number: identity.IdentityNumber, gender: Gender, birth: dt.date) -> None:
    """Gender and birth date must agree with what the number itself says."""
    if birth != number.birth_date:
        raise ValidationFailed(
            f"出生日期与学籍号不一致：学籍号中的出生日期为 {number.birth_date.isoformat()}",
            code="BIRTH_DATE_MISMATCH",
        )
    if number.gender is not None and gender != number.gender:
        raise ValidationFailed(
            f"性别与身份证号不一致：身份证号第 17 位表示{number.gender.label}",
            code="GENDER_MISMATCH",
        )


def check_guardian(name: str, relation: str, phone: str) -> GuardianFacts:
    guardian_name = check_person_name(name) if name.strip() else ""
    if not guardian_name:
        raise ValidationFailed("监护人姓名不能为空", code="GUARDIAN_NAME_INVALID")
    return GuardianFacts(guardian_name, parse_relation(relation), parse_mobile(phone))


def check_guardians(guardians: list[GuardianFacts]) -> tuple[GuardianFacts, ...]:
    if not guardians:
        raise ValidationFailed("每名学生至少需要一位监护人手机号", code="GUARDIAN_REQUIRED")
    if len(guardians) > MAX_GUARDIANS:
        raise ValidationFailed(f"监护人最多 {MAX_GUARDIANS} 位", code="GUARDIAN_TOO_MANY")
    return tuple(guardians)


def check_school_code(raw: str) -> str:
    code = raw.strip()
    if not SCHOOL_CODE.fullmatch(code):
        raise ValidationFailed("学校标识码应为 10 位数字", code="SCHOOL_CODE_INVALID")
    return code


def check_school_name(raw: str) -> str:
    name = normalise(raw)
    if not name or len(name) > 100:
        raise ValidationFailed("学校全称不能为空，且不超过 100 个字符", code="SCHOOL_NAME_INVALID")
    return name


def check_reason(raw: str) -> str:
    reason = raw.strip()
    if not reason:
        raise ValidationFailed("请填写原因", code="REASON_REQUIRED")
    if len(reason) > 500:
        raise ValidationFailed("原因不能超过 500 个字符", code="REASON_TOO_LONG")
    return reason
