"""Mainland mobile numbers: 11 digits starting 13–19 (MIIT numbering plan)."""

from __future__ import annotations

import re

from xueji.domain.errors import ValidationFailed
from xueji.domain.identity import FULL_WIDTH_ASCII

MOBILE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = re.compile(r"[\s\-()（）]")
#: an input method's ＋86 and －, not only its digits, as the import reads phone columns
#: (``imports.rules``)
_TABLE = str.maketrans(FULL_WIDTH_ASCII)


def normalise_phone(raw: str) -> str:
    """Full-width characters to ASCII; spaces, hyphens, brackets and a +86/0086 prefix
    removed."""
    text = _SEPARATORS.sub("", raw.translate(_TABLE))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if len(text) == 13 and text.startswith("86"):
        text = text[2:]
    return text


def parse_mobile(raw: str) -> str:
    phone = normalise_phone(raw)
    if not MOBILE.fullmatch(phone):
        raise ValidationFailed(
            "手机号应为 11 位中国大陆手机号码（1 开头，第二位 3–9）", code="PHONE_INVALID"
        )
    return phone
