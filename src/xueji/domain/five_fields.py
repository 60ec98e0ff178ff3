"""The five fields (五项字段) a student enters at registration, compared with the registry.

Activation demands that all five are equal after the documented normalisation. When they
are not, each difference is described by its *kind* only — never by the registry's
characters — so an unauthenticated caller learns what sort of slip they made, not the
child's data.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from xueji.domain import names
from xueji.domain.errors import ValidationFailed
from xueji.domain.identifier_shapes import holds_identifier

STUDENT_NO = re.compile(r"[A-Za-z][A-Za-z0-9]{3,19}")
FIELDS = ("registry_no", "name", "gender", "birth_date", "school_name")
FIELD_LABELS = {
    "registry_no": "学籍号",
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "school_name": "学校全称",
}
NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class FiveFields:
    registry_no: str
    name: str
    gender: str
    birth_date: dt.date
    school_name: str


@dataclass(frozen=True, slots=True)
class Mismatch:
    field: str
    kind: str
    positions: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "kind": self.kind}


STUDENT_NO_RESERVED_MESSAGE = (
    "学生号不能含学籍号、身份证件号或手机号（连续 11 位以上数字）；"
    "用学籍号本身即可登录，请另取一个学生号"
)


def check_student_no(raw: str) -> str:
    """Starts with a letter, 4–20 letters and digits; compared case-insensitively. It is
    stored and shown in clear, so it may not carry a phone or an ID or registry number
    (``STUDENT_NO_RESERVED``): the student signs in with the registry number itself."""
    value = raw.strip()
    if not STUDENT_NO.fullmatch(value):
        raise ValidationFailed(
            "学生号须以字母开头，由 4–20 位字母和数字组成", code="STUDENT_NO_INVALID"
        )
    if holds_identifier(value):
        raise ValidationFailed(STUDENT_NO_RESERVED_MESSAGE, code="STUDENT_NO_RESERVED")
    return value.lower()


def compare(entered: FiveFields, registry: FiveFields | None) -> list[Mismatch]:
    """Every field that differs, with the kinds of its differences; empty when all match.
    ``registry`` None means the registry has no such number."""
    if registry is None:
        return [Mismatch("registry_no", NOT_FOUND)]
    mismatches: list[Mismatch] = []
    for field in ("name", "school_name"):
        differences = names.compare(getattr(registry, field), getattr(entered, field))
        for kind in dict.fromkeys(str(d.kind) for d in differences):
            positions = tuple(d.position for d in differences if str(d.kind) == kind)
            mismatches.append(Mismatch(field, kind, positions))
    if entered.gender != registry.gender:
        mismatches.append(Mismatch("gender", "other"))
    if entered.birth_date != registry.birth_date:
        differences = names.compare(registry.birth_date.isoformat(), entered.birth_date.isoformat())
        for kind in dict.fromkeys(str(d.kind) for d in differences):
            positions = tuple(d.position for d in differences if str(d.kind) == kind)
            mismatches.append(Mismatch("birth_date", kind, positions))
    order = {field: index for index, field in enumerate(FIELDS)}
    return sorted(mismatches, key=lambda m: order[m.field])


def matches(entered: FiveFields, registry: FiveFields) -> bool:
    """``compare(entered, registry) == []`` without locating the differences: the
    normalised values are equal. For bulk checks (reconciliation), where most rows need
    only the yes or no. The registry number is compared by the caller (by blind index)."""
    return (
        entered.gender == registry.gender
        and entered.birth_date == registry.birth_date
        and names.equal(registry.name, entered.name)
        and names.equal(registry.school_name, entered.school_name)
    )
