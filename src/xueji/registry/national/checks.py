"""Checking a chunk of a file in the national layout, column-wise like the template's.

The national layout is turned into the template's columns first (``to_template``): the
registry number is the 全国学籍号 if given, else the resident ID (证件类型 1, which then
makes the G number); the guardians are the family members marked 是否监护人, in order.
A student with another document and no 全国学籍号 is given a J number by the import
(``jnumbers``), so the number checks pass them by (``needs_j``). The template's checks
run next, then the record's fields (``with_record``), first failure per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import polars as pl

from xueji.domain import regions
from xueji.domain.codesets import code_set
from xueji.domain.identity_bulk import validate_many
from xueji.registry.imports.rules import parse_dates
from xueji.registry.national.documents import document_failure
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

#: characters no field may hold (a tab, a line break, an escape)
CONTROL = r"[\x00-\x1f\x7f]"
#: the template's reasons about a guardian (``rules``), per slot
GUARDIAN_CODES = r"^(GUARDIAN[0-9]?_)?(GUARDIAN_NAME_INVALID|RELATION_INVALID|PHONE_INVALID)$"
GUARDIAN_PARTS = {"name": "name", "relation": "relation", "phone": "phone"}
GUARDIAN_FLAGS = [member_column(n, "guardian") for n in range(1, MEMBERS + 1)]


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
    # each member's flag, and how many guardians up to it, computed once as columns; a
    # member whose 是否监护人 is empty throughout the chunk is no one's guardian here
    unflagged = empty_columns(chunk, GUARDIAN_FLAGS)
    flagged = [n for n in range(1, MEMBERS + 1) if member_column(n, "guardian") not in unflagged]
    chunk = chunk.with_columns(
        (
            spelling(member_column(n, "guardian")).replace_strict(
                code_set("yes_no").spellings, default=None
            )
            == "1"
        )
        .fill_null(False)
        .alias(f"guardian_{n}")
        for n in flagged
    ).with_columns(
        pl.sum_horizontal(pl.col(f"guardian_{m}") for m in flagged if m <= n).alias(f"up_to_{n}")
        for n in flagged
    )
    slots = []
    for slot in range(1, MEMBERS + 1):
        for part in GUARDIAN_PARTS:
            value = pl.lit(None, dtype=pl.String)
            for n in reversed(flagged):
                value = (
                    pl.when(pl.col(f"guardian_{n}") & (pl.col(f"up_to_{n}") == slot))
                    .then(pl.col(member_column(n, part)))
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


def _known_regions() -> pl.Series:
    """Every division code known (bundled list, history and a loaded newer list), as a
    Series built once per list version."""
    version = regions.version()
    if _REGIONS.get("version") != version:
        _REGIONS["version"] = version
        _REGIONS["codes"] = pl.Series(sorted(regions.known_codes()), dtype=pl.String)
    codes: pl.Series = _REGIONS["codes"]
    return codes


_REGIONS: dict[str, Any] = {}


def _checked(field: Field, column: str, spelled: bool) -> pl.Expr:
    """``normalised``, and null for a text holding a control character (the other kinds'
    own shapes refuse them already)."""
    value = normalised(field, column, spelled=spelled)
    if field.kind in ("text", "document"):
        control = pl.col(f"{column}_t").str.contains(CONTROL)
        return pl.when(control).then(pl.lit(None, dtype=pl.String)).otherwise(value)
    return value


def normalised(field: Field, column: str, *, spelled: bool = False) -> pl.Expr:
    """The stored form of a field's value (null when empty or not valid); reads the
    stripped text ``<column>_t``. ``spelled``: every value of the column is in its
    spelling form already (``column_shapes``), which then need not be computed."""
    text = pl.col(f"{column}_t")
    if field.kind == "code":
        assert field.codes is not None
        source = text if spelled else spelling(column)
        return source.replace_strict(code_set(field.codes).spellings, default=None)
    if field.kind == "region":
        return pl.when(text.is_in(_known_regions().implode())).then(text)
    if field.kind == "month":
        # a day after the month is dropped: Excel stores 2023-09 typed in a cell as the
        # date 2023-09-01
        parts = text.str.extract_groups(r"^([0-9]{4})\D?([0-9]{1,2})(?:\D[0-9]{1,2})?\D?$")
        month = parts.struct.field("2").str.to_integer(strict=False)
        return pl.when(month.is_between(1, 12)).then(
            parts.struct.field("1") + month.cast(pl.String).str.zfill(2)
        )
    if field.kind == "date":
        return (
            pl.when(text == "长期").then(text).otherwise(parse_dates(text).dt.to_string("%Y-%m-%d"))
        )
    if field.kind == "document":
        return text if spelled else spelling(column)
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


def _field_failure(field: Field, column: str, code: str, required: pl.Expr) -> pl.Expr:
    """The field's reason (null when it passes): required and empty, or given and not
    valid."""
    given, value = pl.col(f"{column}_given"), pl.col(f"{column}_n")
    return (
        pl.when(~given & required)
        .then(pl.lit(f"{code}_REQUIRED"))
        .when(given & value.is_null())
        .then(pl.lit(f"{code}_INVALID"))
    )


def _resident_ids(frame: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """Whether each family member's 身份证件号 is a valid resident ID (GB 11643: the same
    checks as a registry number's, ``identity_bulk``; 18 characters, no prefix). The
    student's own is the registry number's body, checked already. Only the numbers of a
    resident ID's shape are checked: most members give none (0.22 s per 100,000 rows went
    to checking empty cells)."""
    found = []
    for n in range(1, MEMBERS + 1):
        column = member_column(n, "document_no")
        numbers = frame[f"{column}_n"].fill_null("")
        bare = numbers.str.contains(r"^[0-9]{17}[0-9X]$")
        valid = pl.Series(f"{column}_id_ok", [False] * frame.height, dtype=pl.Boolean)
        if bare.any():
            verdict = validate_many(numbers.filter(bare), today=today)["code"].is_null()
            valid = valid.scatter(bare.arg_true(), verdict)
        found.append(valid)
    return frame.with_columns(*found, pl.lit(True).alias("document_no_id_ok"))


#: what a document number's spelling form is made of (``spelling`` leaves it as it is)
SPELLED_DOCUMENT = r"^[0-9A-Z]*$"


def empty_columns(frame: pl.DataFrame, columns: Iterable[str]) -> set[str]:
    """The columns without a character in this chunk: found on the cells as read, before
    they are stripped (two thirds of a roster's columns, whose stripping took a third of
    the record's checks)."""
    tests = [(pl.col(column).fill_null("") == "").all().alias(column) for column in columns]
    verdicts = frame.select(tests).row(0, named=True) if tests else {}
    return {column for column, empty in verdicts.items() if empty}


def column_shapes(frame: pl.DataFrame, columns: dict[str, Field]) -> tuple[set[str], set[str]]:
    """The columns empty in every row of this chunk, and the code and document columns
    whose every value is in its spelling form already (``01``, ``汉族``, ``H12345678``:
    the usual roster, exported by the national system itself), found in one pass. A
    roster fills about a third of the form: members 3 and 4, most optional fields and most
    members' documents are empty throughout, and their checks need not run; skipping the
    normalisation of full-width forms, spaces and case took the record's checks from
    0.56 s to 0.40 s per 100,000 rows."""
    tests = []
    for column, field in columns.items():
        text = pl.col(f"{column}_t")
        tests.append((text == "").all().alias(f"blank {column}"))
        if field.kind == "code":
            assert field.codes is not None
            keys = list(code_set(field.codes).spellings)
            tests.append(((text == "") | text.is_in(keys)).all().alias(f"spelled {column}"))
        elif field.kind == "document":
            tests.append(text.str.contains(SPELLED_DOCUMENT).all().alias(f"spelled {column}"))
    verdicts = frame.select(tests).row(0, named=True) if tests else {}
    shapes: tuple[set[str], set[str]] = (set(), set())
    for name, holds in verdicts.items():
        shape, column = name.split(" ", 1)
        if holds:
            shapes[shape == "spelled"].add(column)
    return shapes


def _reasons(blank: set[str]) -> list[pl.Expr]:
    """Each field's reason, in the form's order, leaving out those that cannot fire in
    this chunk: a field empty throughout (``blank``) can only be required, and a member
    whose every field is empty requires none."""
    reasons = [
        _field_failure(field, field.key, field.error_code, _required(field))
        for field in FIELDS
        if field.key not in blank or field.required
    ]
    if "document_no" not in blank:
        reasons.append(document_failure("document_type", "document_no", "DOCUMENT_NO"))
        reasons.append(
            pl.when(
                (pl.col("document_type_n") == RESIDENT_ID)
                & pl.col("document_no_given")
                & (pl.lit("G") + pl.col("document_no_n") != pl.col("number"))
            ).then(pl.lit("DOCUMENT_NO_MISMATCH"))
        )
    if "document_type" not in blank:
        reasons.append(
            pl.when(
                (pl.col("document_type_n") != RESIDENT_ID)
                & pl.col("number").fill_null("").str.starts_with("G")
            ).then(pl.lit("DOCUMENT_TYPE_MISMATCH"))
        )
    for n in range(1, MEMBERS + 1):
        own = {field.key: member_column(n, field.key) for field in MEMBER_FIELDS}
        if blank.issuperset(own.values()):
            continue
        any_given = pl.any_horizontal(pl.col(f"{column}_given") for column in own.values())
        for field in MEMBER_FIELDS:
            column = own[field.key]
            if column in blank and field.key not in MEMBER_REQUIRED:
                continue
            required = any_given & (field.key in MEMBER_REQUIRED)
            reasons.append(_field_failure(field, column, f"MEMBER{n}_{field.error_code}", required))
        if own["document_no"] not in blank:
            reasons.append(
                document_failure(own["document_type"], own["document_no"], f"MEMBER{n}_DOCUMENT_NO")
            )
    return reasons


def with_record(checked: pl.DataFrame, *, today: dt.date) -> pl.DataFrame:
    """``checked`` (after the template's checks) with every record column normalised
    (``<column>_n``) and ``code`` set to the first failure of the record's fields.

    Each field's reason is its own small column, and the first one is taken with one
    ``coalesce``: a single chain of a hundred and fifty ``when`` branches was six times
    slower."""
    columns = {field.key: field for field in FIELDS} | {
        member_column(n, field.key): field for n in range(1, MEMBERS + 1) for field in MEMBER_FIELDS
    }
    empty = empty_columns(checked, columns)
    filled = {column: field for column, field in columns.items() if column not in empty}
    frame = checked.with_columns(_text(column).alias(f"{column}_t") for column in filled)
    blank, spelled = column_shapes(frame, filled)
    blank |= empty
    nothing = pl.lit(None, dtype=pl.String)
    frame = frame.with_columns(
        *[
            (pl.lit(False) if column in blank else pl.col(f"{column}_t") != "").alias(
                f"{column}_given"
            )
            for column in columns
        ],
        *[
            (nothing if column in blank else _checked(field, column, column in spelled)).alias(
                f"{column}_n"
            )
            for column, field in columns.items()
        ],
    )
    frame = _resident_ids(frame, today)
    reasons = _reasons(blank)
    frame = frame.with_columns(
        reason.cast(pl.String).alias(f"reason_{i}") for i, reason in enumerate(reasons)
    )
    record = pl.coalesce(pl.col(f"reason_{i}") for i in range(len(reasons)))
    # the template's guardian checks run on the members marked 是否监护人: where the
    # record names the member's own field, that is the clearer reason
    template = pl.col("code")
    about_guardian = template.str.contains(GUARDIAN_CODES)
    # a number derived from the document (no 全国学籍号 in the file) fails the template's
    # identity check when the document's type is what is wrong: say that
    derived = _text("registry_no") == "" if "registry_no" in checked.columns else pl.lit(False)
    about_type = template.str.starts_with("ID_") & record.str.starts_with("DOCUMENT_TYPE") & derived
    first = (
        pl.when((about_guardian & record.str.starts_with("MEMBER")).fill_null(False))
        .then(record)
        .when(about_type.fill_null(False))
        .then(record)
        .when(about_guardian.fill_null(False))
        .then(_guardian_member_code(checked.columns))
        .when(template == "GUARDIAN_REQUIRED")  # said in the national form's words
        .then(pl.lit("GUARDIAN_MEMBER_REQUIRED"))
        .otherwise(pl.coalesce(template, record))
    )
    return frame.with_columns(first.alias("code"))


def _guardian_member_code(columns: list[str]) -> pl.Expr:
    """A template guardian reason (``GUARDIAN2_PHONE_INVALID``: the second guardian's)
    named by the family member it is (``MEMBER3_GUARDIAN_PHONE_INVALID``): the national
    layout has no 第二监护人 column, only members marked 是否监护人 (``to_template``)."""
    template = pl.col("code")
    slot = template.str.extract(r"^GUARDIAN([0-9])_").cast(pl.Int64).fill_null(1)
    member = pl.lit(None, dtype=pl.String)
    for n in reversed(range(1, MEMBERS + 1)):
        if f"guardian_{n}" in columns:
            member = (
                pl.when(pl.col(f"guardian_{n}") & (pl.col(f"up_to_{n}") == slot))
                .then(pl.lit(str(n)))
                .otherwise(member)
            )
    what = template.str.replace(r"^(GUARDIAN[0-9]?_)?(GUARDIAN_)?", "")
    return pl.coalesce(pl.lit("MEMBER") + member + pl.lit("_GUARDIAN_") + what, template)
