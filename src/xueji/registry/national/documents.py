"""Document numbers by 身份证件类型, in the form the import and a correction read them
(``checks.spelling``: upper case, no spaces). A resident ID is checked by GB 11643
elsewhere (``checks._resident_ids``); the others by their published formats here."""

from __future__ import annotations

from typing import Any

import polars as pl

from xueji.registry.national.fields import RESIDENT_ID

#: a Hong Kong identity card: one or two letters, six digits, the check character (a
#: digit or A), which people write in brackets: A123456(3)
HONG_KONG_ID = r"^([A-Z]?)([A-Z])([0-9])([0-9])([0-9])([0-9])([0-9])([0-9])\(?([0-9A])\)?$"
#: formats of document numbers by type
DOCUMENT_PATTERNS = {
    # 香港特区护照/身份证明: the residents' permit (H, 8 digits, or 10 with the issue
    # count), the HKSAR passport (K or H and 8 digits), the identity card
    "6": r"^H[0-9]{8}([0-9]{2})?$|^K[0-9]{8}$|" + HONG_KONG_ID,
    # 澳门特区护照/身份证明: the residents' permit (M…), the identity card: 1, 5 or 7,
    # six digits and a check digit, 1234567(8)
    "7": r"^M[0-9]{8}([0-9]{2})?$|^[157][0-9]{6}\(?[0-9]\)?$",
    "8": r"^[0-9]{8}([0-9]{2})?$",  # 台湾居民来往大陆通行证
    "9": r"^[A-Z0-9]{15}$|^[0-9]{17}[0-9X]$",  # 外国人永久居留身份证
    "A": r"^[A-Z0-9]{5,20}$",  # 护照
    "Z": r"^[^\s]{1,30}$",
}
HONG_KONG = "6"
_LETTER_VALUES = {chr(ord("A") + i): 10 + i for i in range(26)}


def document_failure(type_column: str, column: str, code: str) -> pl.Expr:
    """A document number that its type's format refuses (null otherwise); a resident ID
    by GB 11643 (``<column>_id_ok``), a Hong Kong identity card by its check character."""
    kind, number = pl.col(f"{type_column}_n"), pl.col(f"{column}_n")
    pattern: Any = pl.lit(None, dtype=pl.String)
    for document_type, shape in DOCUMENT_PATTERNS.items():
        pattern = pl.when(kind == document_type).then(pl.lit(shape)).otherwise(pattern)
    wrong = pattern.is_not_null() & (number != "") & ~number.str.contains(pattern)
    bad_id = (kind == RESIDENT_ID) & (number != "") & ~pl.col(f"{column}_id_ok")
    bad_card = (kind == HONG_KONG) & hong_kong_id_refused(number)
    return pl.when(wrong | (bad_id | bad_card).fill_null(False)).then(pl.lit(f"{code}_INVALID"))


def hong_kong_id_refused(number: pl.Expr) -> pl.Expr:
    """True for a number of a Hong Kong identity card's shape whose check character is
    wrong; false for any other number. The check: the letters (a lone letter preceded by
    a space worth 36, A = 10 … Z = 35) and digits weighted 9 down to 2, and the check
    character makes the sum divisible by 11 (A standing for 10)."""
    parts = number.str.extract_groups(HONG_KONG_ID)
    values = {"": 36} | _LETTER_VALUES
    total = (
        parts.struct.field("1")
        .fill_null("")
        .replace_strict(values, default=None, return_dtype=pl.Int64)
        * 9
        + parts.struct.field("2").replace_strict(values, default=None, return_dtype=pl.Int64) * 8
    )
    for position, weight in zip(range(3, 9), range(7, 1, -1), strict=True):
        total = total + parts.struct.field(str(position)).cast(pl.Int64) * weight
    rest = total % 11
    expected = (
        pl.when(rest == 0)
        .then(pl.lit("0"))
        .when(rest == 1)
        .then(pl.lit("A"))
        .otherwise((11 - rest).cast(pl.String))
    )
    return (expected != parts.struct.field("9")).fill_null(False)
