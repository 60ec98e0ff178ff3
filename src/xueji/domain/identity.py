"""Resident ID numbers (GB 11643-1999) and national registry numbers (全国学籍号).

A registry number is a letter and 18 characters (see ``docs/identity-numbers.md``):

* ``G`` + the student's 18-digit resident ID number;
* ``J`` + a number built like an ID number from the *school's* area code, the birth date,
  a sequence and an ISO 7064 MOD 11-2 check character, for students without an ID number;
* ``L`` + a temporary number: school area code, birth date and four random digits, with
  no check character.

``parse_number`` accepts any of these, or a bare resident ID number (which becomes a ``G``
number). It normalises first, then checks in a fixed order so that every invalid input has
exactly one reason: characters (``ID_FORMAT``), length (``ID_LENGTH``), birth date
(``ID_BIRTH_DATE``), address code (``ID_REGION``), check character (``ID_CHECKSUM``).
The bulk validator in ``identity_bulk`` follows the same order and constants.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from stdnum.cn import ric

from xueji.domain import regions
from xueji.domain.codes import Gender
from xueji.domain.errors import IdentityError

#: Characters trimmed from both ends: ASCII white space, no-break, ideographic space, BOM.
TRIM_CHARS = " \t\r\n\v\f\u00a0\u3000\ufeff"
#: Full-width digits and Latin letters (as typed with a Chinese input method) to ASCII.
FULL_WIDTH = {
    **{chr(0xFF10 + i): chr(0x30 + i) for i in range(10)},
    **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
    **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
}
#: Every full-width ASCII character (an input method's ＋, －, （ and digits) to ASCII.
FULL_WIDTH_ASCII = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
#: The only letters an identity number holds, accepted in lower case.
LOWER_TO_UPPER = {"x": "X", "g": "G", "j": "J", "l": "L"}
PREFIXES = "GJL"
BODY_LENGTH = 18
MIN_BIRTH_YEAR = 1900

_FULL_WIDTH_TABLE = str.maketrans(FULL_WIDTH)
_UPPER_TABLE = str.maketrans(LOWER_TO_UPPER)

ID_FORMAT = "ID_FORMAT"
ID_LENGTH = "ID_LENGTH"
ID_BIRTH_DATE = "ID_BIRTH_DATE"
ID_REGION = "ID_REGION"
ID_CHECKSUM = "ID_CHECKSUM"

#: Warning: the address code exists but was not in use in the birth year.
WARN_REGION_PERIOD = "REGION_NOT_IN_USE_IN_BIRTH_YEAR"


@dataclass(frozen=True, slots=True)
class IdentityNumber:
    """A valid registry number and the facts it carries."""

    registry_no: str
    resident_id: str | None
    birth_date: dt.date
    gender: Gender | None
    region_code: str
    region: str | None
    warnings: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        return self.registry_no[0]


def normalise(raw: str) -> str:
    """Remove representation noise only: full-width to ASCII, trim, lower-case letters."""
    return raw.translate(_FULL_WIDTH_TABLE).strip(TRIM_CHARS).translate(_UPPER_TABLE)


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for 17 digits (``X`` stands for 10)."""
    return str(ric.calc_check_digit(first17 + "0"))


def parse_number(raw: str, *, today: dt.date) -> IdentityNumber:
    """Validate a registry number or a bare resident ID number; raise ``IdentityError``."""
    number = normalise(raw)
    has_prefix = _has_prefix(number)
    prefix, body = (number[0], number[1:]) if has_prefix else ("G", number)
    _check_characters(body, prefix, offset=1 if has_prefix else 0)
    _check_length(body, has_prefix)
    birth_date = _check_birth_date(body, today)
    region_code = body[:6]
    if not regions.is_known(region_code):
        raise IdentityError(
            f"地址码 {region_code} 不是已知的行政区划代码",
            code=ID_REGION,
            region_code=region_code,
        )
    if prefix != "L":
        _check_checksum(body)
    warnings = () if regions.in_use(region_code, birth_date.year) else (WARN_REGION_PERIOD,)
    return IdentityNumber(
        registry_no=prefix + body,
        resident_id=body if prefix == "G" else None,
        birth_date=birth_date,
        gender=(Gender.MALE if int(body[16]) % 2 else Gender.FEMALE) if prefix == "G" else None,
        region_code=region_code,
        region=regions.region_name(region_code, birth_date.year),
        warnings=warnings,
    )


def parse_resident_id(raw: str, *, today: dt.date) -> IdentityNumber:
    """Like ``parse_number`` but the input must be a resident ID number, not a J/L number."""
    number = normalise(raw)
    if _has_prefix(number):
        raise IdentityError(
            f"第1位字符“{number[0]}”不合规：居民身份证号码只能由数字组成，最后一位可以是 X",
            code=ID_FORMAT,
            position=1,
        )
    return parse_number(number, today=today)


def _has_prefix(number: str) -> bool:
    return bool(number) and number[0] in PREFIXES


_DIGITS_MAYBE_X = re.compile(r"[0-9]*X?")
_DIGITS = re.compile(r"[0-9]*")


def _check_characters(body: str, prefix: str, *, offset: int) -> None:
    if (_DIGITS if prefix == "L" else _DIGITS_MAYBE_X).fullmatch(body):
        return
    for index, char in enumerate(body):
        allowed = char.isascii() and char.isdigit()
        if not allowed and char == "X" and prefix != "L":
            allowed = index == len(body) - 1
        if not allowed:
            position = index + offset + 1
            rule = (
                "临时学籍号（L 开头）的字母后只能是数字"
                if prefix == "L"
                else "号码只能由数字组成，最后一位可以是 X"
            )
            raise IdentityError(
                f"第{position}位字符“{char}”不合规：{rule}", code=ID_FORMAT, position=position
            )


def _check_length(body: str, has_prefix: bool) -> None:
    if len(body) == BODY_LENGTH:
        return
    actual = len(body) + (1 if has_prefix else 0)
    message = (
        f"长度不对：学籍号应为 19 位（字母加 18 位），实际为 {actual} 位"
        if has_prefix
        else f"长度不对：居民身份证号码应为 18 位，实际为 {actual} 位"
    )
    if not has_prefix and len(body) == 15:
        message += "；15 位的第一代身份证号码已停止使用，请填写 18 位号码"
    raise IdentityError(message, code=ID_LENGTH, length=actual)


def _check_birth_date(body: str, today: dt.date) -> dt.date:
    text = f"{body[6:10]}-{body[10:12]}-{body[12:14]}"
    try:
        birth_date = dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        raise IdentityError(
            f"出生日期 {text} 不存在", code=ID_BIRTH_DATE, birth_date=text
        ) from None
    if birth_date > today:
        raise IdentityError(f"出生日期 {text} 晚于今天", code=ID_BIRTH_DATE, birth_date=text)
    if birth_date.year < MIN_BIRTH_YEAR:
        raise IdentityError(
            f"出生日期 {text} 早于 {MIN_BIRTH_YEAR} 年", code=ID_BIRTH_DATE, birth_date=text
        )
    return birth_date


def _check_checksum(body: str) -> None:
    expected = check_character(body[:17])
    if body[17] != expected:
        raise IdentityError(
            f"校验码错误：按前 17 位计算，最后一位应为“{expected}”，实际为“{body[17]}”",
            code=ID_CHECKSUM,
            expected_check=expected,
        )
