"""Checking a chunk of a file in the national layout, column-wise like the template's.

The national layout is turned into the template's columns first (``to_template``): the
registry number is the 全国学籍号 if given, else the resident ID (证件类型 1, which then
makes the G number); the guardians are the family members marked 是否监护人, in order.
A student with another document and no 全国学籍号 is given a J number by the import
(``jnumbers``), so the number checks pass them by (``needs_j``). The template's checks
run next, then the record's fields (``failure``), first failure per row.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from xueji.domain import regions
from xueji.domain.codesets import code_set
from xueji.registry.imports.rules import parse_dates
from xueji.registry.national.fields import (
    ALL_STAGES,
    COMPULSORY,
    FIELDS,
    MEMBER_FIELDS,
    MEMBER_REQUIRED,
    MEMBERS,
    PRIMARY,
    RESIDENT_ID,
    Field,
    member_column,
)

#: the template's reasons about a guardian (``rules``), per slot
GUARDIAN_CODES = r"^(GUARDIAN[0-9]?_)?(GUARDIAN_NAME_INVALID|RELATION_INVALID|PHONE_INVALID)$"
GUARDIAN_PARTS = {"name": "name", "relation": "relation", "phone": "phone"}
#: formats of document numbers by type (normalised: upper case, no spaces)
DOCUMENT_PATTERNS = {
    "6": r"^H[0-9]{8}([0-9]{2})?$",  # 港澳居民来往内地通行证（香港）
    "7": r"^M[0-9]{8}([0-9]{2})?$",  # 港澳居民来往内地通行证（澳门）
    "8": r"^[0-9]{8}([0-9]{2})?$",  # 台湾居民来往大陆通行证
    "9": r"^[A-Z0-9]{15}$|^[0-9]{17}[0-9X]$",  # 外国人永久居留身份证
    "A": r"^[A-Z0-9]{5,20}$",  # 护照
    "Z": r"^[^\s]{1,30}$",
}


def _text(column: str) -> pl.Expr:
    return pl.col(column).fill_null("").str.strip_chars()


def spelling(column: str) -> pl.Expr:
    """``codesets.spelling_key`` as an expression."""
    return (
        pl.col(column)
        .fill_null("")
        .str.normalize("NFKC")
        .str.replace_all(r"\s+", "")
        .str.to_uppercase()
    )


def to_template(chunk: pl.DataFrame) -> pl.DataFrame:
    """The template's registry number and guardian columns from the national ones, and
    ``needs_j`` for a row whose number the import assigns."""
    document_type = spelling("document_type").replace_strict(
        code_set("document_type").spellings, default=None
    )
    given = _text("registry_no") != ""
    number = (
        pl.when(given)
        .then(pl.col("registry_no"))
        .when(document_type == RESIDENT_ID)
        .then(_text("document_no"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    guardian = [
        spelling(member_column(n, "guardian")).replace_strict(
            code_set("yes_no").spellings, default=None
        )
        == "1"
        for n in range(1, MEMBERS + 1)
    ]
    counts = [pl.sum_horizontal(guardian[: n + 1]) for n in range(MEMBERS)]
    slots = []
    for slot in range(1, MEMBERS + 1):
        for part in GUARDIAN_PARTS:
            value = pl.lit(None, dtype=pl.String)
            for n in reversed(range(MEMBERS)):
                value = (
                    pl.when(guardian[n].fill_null(False) & (counts[n] == slot))
                    .then(pl.col(member_column(n + 1, part)))
                    .otherwise(value)
                )
            slots.append(value.alias(f"g{slot}_{part}"))
    return chunk.with_columns(
        number.alias("registry_no"),
        (~given & document_type.is_not_null() & (document_type != RESIDENT_ID))
        .fill_null(False)
        .alias("needs_j"),
        *slots,
    )


def normalised(field: Field, column: str) -> pl.Expr:
    """The stored form of a field's value (null when empty or not valid)."""
    text = _text(column)
    if field.kind == "code":
        assert field.codes is not None
        return spelling(column).replace_strict(code_set(field.codes).spellings, default=None)
    if field.kind == "region":
        return pl.when(text.is_in(sorted(regions.known_codes()))).then(text)
    if field.kind == "month":
        parts = text.str.extract_groups(r"^([0-9]{4})\D?([0-9]{1,2})\D?$")
        month = parts.struct.field("2").str.to_integer(strict=False)
        return pl.when(month.is_between(1, 12)).then(
            parts.struct.field("1") + month.cast(pl.String).str.zfill(2)
        )
    if field.kind == "date":
        return (
            pl.when(text == "长期").then(text).otherwise(parse_dates(text).dt.to_string("%Y-%m-%d"))
        )
    if field.kind == "document":
        return spelling(column)
    patterns = {
        "phone": r"^[0-9+\-() ]{7,20}$",
        "postcode": r"^[0-9]{6}$",
        "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        "number": r"^[0-9]{1,6}(\.[0-9]{1,2})?$",
        "pinyin": r"^[A-Za-zÜü ]+$",
    }
    if field.kind in patterns:
        return pl.when(text.str.contains(patterns[field.kind])).then(text)
    return pl.when(text.str.len_chars() <= field.max_length).then(text)


def _required(field: Field) -> pl.Expr:
    """Whether the row's stage requires ``field`` (a row without a grade: when every
    stage does)."""
    if field.required == ALL_STAGES:
        return pl.lit(True)
    if not field.required:
        return pl.lit(False)
    grade = pl.col("grade_n")
    in_stage = grade.is_between(1, 6) if field.required == {PRIMARY} else grade.is_between(1, 9)
    assert field.required in ({PRIMARY}, COMPULSORY)
    return in_stage.fill_null(False)


def _field_failure(failure: Any, field: Field, column: str, code: str, required: pl.Expr) -> Any:
    given = _text(column) != ""
    value = pl.col(f"{column}_n")
    chain = pl.when if failure is None else failure.when
    step = chain(~given & required).then(pl.lit(f"{code}_REQUIRED"))
    return step.when(given & value.is_null()).then(pl.lit(f"{code}_INVALID"))


def _document_failure(failure: Any, type_column: str, column: str, code: str) -> Any:
    """A document number that its type's format refuses."""
    kind, number = pl.col(f"{type_column}_n"), pl.col(f"{column}_n")
    for document_type, pattern in DOCUMENT_PATTERNS.items():
        failure = failure.when(
            (kind == document_type) & (number != "") & ~number.str.contains(pattern)
        ).then(pl.lit(f"{code}_INVALID"))
    return failure


def with_record(checked: pl.DataFrame) -> pl.DataFrame:
    """``checked`` (after the template's checks) with every record column normalised
    (``<column>_n``) and ``code`` set to the first failure of the record's fields."""
    columns = {field.key: field for field in FIELDS} | {
        member_column(n, field.key): field for n in range(1, MEMBERS + 1) for field in MEMBER_FIELDS
    }
    frame = checked.with_columns(
        normalised(field, column).alias(f"{column}_n") for column, field in columns.items()
    )
    failure: Any = None
    for field in FIELDS:
        failure = _field_failure(failure, field, field.key, field.error_code, _required(field))
    assert failure is not None
    failure = _document_failure(failure, "document_type", "document_no", "DOCUMENT_NO")
    failure = failure.when(
        (pl.col("document_type_n") == RESIDENT_ID)
        & (_text("document_no") != "")
        & (pl.lit("G") + pl.col("document_no_n") != pl.col("number"))
    ).then(pl.lit("DOCUMENT_NO_MISMATCH"))
    for n in range(1, MEMBERS + 1):
        any_given = pl.any_horizontal(
            _text(member_column(n, field.key)) != "" for field in MEMBER_FIELDS
        )
        for field in MEMBER_FIELDS:
            column = member_column(n, field.key)
            code = f"MEMBER{n}_{field.error_code}"
            failure = _field_failure(
                failure, field, column, code, any_given & (field.key in MEMBER_REQUIRED)
            )
        failure = _document_failure(
            failure,
            member_column(n, "document_type"),
            member_column(n, "document_no"),
            f"MEMBER{n}_DOCUMENT_NO",
        )
    record = failure.otherwise(pl.lit(None, dtype=pl.String))
    # the template's guardian checks run on the members marked 是否监护人: where the
    # record names the member's own field, that is the clearer reason
    template = pl.col("code")
    about_guardian = template.str.contains(GUARDIAN_CODES) & record.str.starts_with("MEMBER")
    first = (
        pl.when(about_guardian.fill_null(False))
        .then(record)
        .otherwise(pl.coalesce(template, record))
    )
    return frame.with_columns(first.alias("code"))
