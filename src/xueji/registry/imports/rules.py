"""Row checks of an import, column-wise over a chunk (polars), in a fixed order so each
rejected row has one reason: registry number, name, gender, birth date, consistency with
the number, class, guardians. The per-record checks in ``validation`` give the messages,
so a rejected row reads exactly like the same mistake typed into the form."""

from __future__ import annotations

import datetime as dt

import polars as pl

from xueji.domain import identity, names
from xueji.domain.errors import IdentityError
from xueji.domain.identity import FULL_WIDTH_ASCII
from xueji.domain.identity_bulk import validate_many
from xueji.domain.relations import ALIASES, RELATIONS
from xueji.registry.grades import GRADE_WORDS
from xueji.registry.imports.files import COLUMNS, GUARDIAN_SLOTS
from xueji.registry.national.messages import NATIONAL_MESSAGES

#: A name after normalisation: letters and marks of any script, single separators.
NAME_PATTERN = r"^[\p{L}\p{M}]+(?:[· ][\p{L}\p{M}]+)*$"
MOBILE_PATTERN = r"^1[3-9][0-9]{9}$"
_LOOKALIKES = {char: names.MIDDLE_DOT for char in names.MIDDLE_DOT_LOOKALIKES}
_RELATION_CODES = {
    **{code: code for code in RELATIONS},
    **{name: code for code, name in RELATIONS.items()},
    **ALIASES,
}
_EXCEL_EPOCH = dt.date(1899, 12, 30)
#: An ASCII full stop between two non-ASCII letters, spaces around it allowed: a middle
#: dot typed on an English keyboard (阿卜杜. 艾力).
_NON_ASCII_LETTER = r"[\p{L}&&[^\x00-\x7F]]"
_STOP_BETWEEN_LETTERS = rf"({_NON_ASCII_LETTER})(\s*)\.(\s*)({_NON_ASCII_LETTER})"


def normalise_names(column: pl.Expr) -> pl.Expr:
    """``names.normalise`` for text that needs no NFC step (checked by the caller), in
    the same order: a stop between non-ASCII letters is judged on the text as typed."""
    text = column
    for _ in range(2):  # 阿.卜.杜: each pass takes every other stop
        text = text.str.replace_all(_STOP_BETWEEN_LETTERS, "${1}${2}·${3}${4}")
    return (
        text.str.replace_many(_LOOKALIKES)
        .str.replace_many(FULL_WIDTH_ASCII)
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.replace_all(r" ?· ?", "·")
    )


def _name_ok(column: str) -> pl.Expr:
    return pl.col(column).str.contains(NAME_PATTERN) & (pl.col(column).str.len_chars() <= 100)


def parse_dates(column: pl.Expr) -> pl.Expr:
    """2016-02-11, 2016/2/11, 2016.2.11, 2016年2月11日, 20160211 or an Excel serial."""
    text = column.str.strip_chars().str.replace_all(r"[年月./]", "-").str.replace(r"日$", "")
    text = (
        pl.when(text.str.contains(r"^\d{8}$"))
        .then(text.str.slice(0, 4) + "-" + text.str.slice(4, 2) + "-" + text.str.slice(6, 2))
        .otherwise(text)
    )
    parts = text.str.extract_groups(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
    iso = (
        parts.struct.field("1")
        + "-"
        + parts.struct.field("2").str.zfill(2)
        + "-"
        + parts.struct.field("3").str.zfill(2)
    )
    serial = column.str.strip_chars().str.to_integer(strict=False)
    from_serial = pl.lit(_EXCEL_EPOCH) + pl.duration(days=serial)
    return (
        pl.when(column.str.strip_chars().str.contains(r"^[2-7]\d{4}$"))
        .then(from_serial.cast(pl.Date))
        .otherwise(iso.str.to_date("%Y-%m-%d", strict=False))
    )


def phone_expression(column: str) -> pl.Expr:
    """``phones.normalise_phone`` for a column."""
    text = (
        pl.col(column)
        .str.replace_many(FULL_WIDTH_ASCII)
        .str.replace_all(r"[\s\-()（）]", "")
        .str.replace(r"^(\+86|0086)", "")
    )
    return (
        pl.when((text.str.len_chars() == 13) & text.str.starts_with("86"))
        .then(text.str.slice(2))
        .otherwise(text)
    )


def check_chunk(chunk: pl.DataFrame, *, today: dt.date) -> pl.DataFrame:
    """The chunk with normalised values and ``code`` (null for an accepted row)."""
    chunk = chunk.with_columns(pl.col(column).cast(pl.String) for column in COLUMNS)
    ids = validate_many(chunk["registry_no"], today=today)
    frame = chunk.with_columns(
        ids["registry_no"].alias("number"),
        ids["code"].alias("id_code"),
        ids["birth_date"].alias("id_birth"),
        ids["gender"].alias("id_gender"),
        _needs_python(pl.col("name")).alias("name_needs_nfc"),
    )
    frame = frame.with_columns(
        pl.when(pl.col("name_needs_nfc"))
        .then(pl.col("name").map_elements(names.normalise, return_dtype=pl.String))
        .otherwise(normalise_names(pl.col("name").fill_null("")))
        .alias("name_n"),
        pl.col("gender").str.strip_chars().replace({"男": "1", "女": "2"}).alias("gender_n"),
        parse_dates(pl.col("birth_date").fill_null("")).alias("birth_n"),
        pl.col("grade").str.strip_chars().str.replace(r"年级$", "").alias("grade_text"),
        pl.col("class_name").str.normalize("NFKC").str.replace_all(r"\s+", "").alias("class_n"),
        *[
            normalise_names(pl.col(f"g{n}_name").fill_null("")).alias(f"g{n}_name_n")
            for n in GUARDIAN_SLOTS
        ],
        *[
            pl.col(f"g{n}_relation")
            .str.strip_chars()
            .replace_strict(_RELATION_CODES, default=None)
            .alias(f"g{n}_relation_n")
            for n in GUARDIAN_SLOTS
        ],
        *[phone_expression(f"g{n}_phone").alias(f"g{n}_phone_n") for n in GUARDIAN_SLOTS],
    ).with_columns(
        _grade(pl.col("grade_text")).alias("grade_n"),
    )
    if "needs_j" in frame.columns:  # a number the import assigns: nothing to check in it
        assigned = pl.col("needs_j")
        frame = frame.with_columns(
            pl.when(~assigned).then(pl.col("id_code")).alias("id_code"),
            pl.when(assigned)
            .then(pl.col("birth_n"))
            .otherwise(pl.col("id_birth"))
            .alias("id_birth"),
            pl.when(~assigned).then(pl.col("id_gender")).alias("id_gender"),
        )
    return frame.with_columns(_first_failure().alias("code"))


def _needs_python(column: pl.Expr) -> pl.Expr:
    return column.fill_null("").str.contains(r"\p{M}")


def _grade(text: pl.Expr) -> pl.Expr:
    """The grade as a number from what clerks write (``年级`` already taken off): 3, ３,
    三, 初一 (7), 高三 (12), 七 (七年级); anything else is null, and refused when a class
    is given (``CLASS_INVALID``)."""
    return (
        text.str.replace_many(FULL_WIDTH_ASCII)
        .str.replace(r"\.0$", "")
        .replace(_GRADE_WORDS)
        .str.to_integer(strict=False)
    )


#: 一…十二 (``年级`` taken off) and 初一…高三, from ``grades.GRADE_WORDS``, to the digits
_GRADE_WORDS = {
    word.removesuffix("年级"): str(grade) for grade, words in GRADE_WORDS.items() for word in words
}


def _guardian_given(n: int) -> pl.Expr:
    return pl.any_horizontal(
        pl.col(f"g{n}_{part}").fill_null("").str.strip_chars() != ""
        for part in ("name", "relation", "phone")
    )


def _guardian_failure(n: int) -> pl.Expr:
    return (
        pl.when(~_name_ok(f"g{n}_name_n"))
        .then(pl.lit("GUARDIAN_NAME_INVALID"))
        .when(pl.col(f"g{n}_relation_n").is_null())
        .then(pl.lit("RELATION_INVALID"))
        .when(~pl.col(f"g{n}_phone_n").fill_null("").str.contains(MOBILE_PATTERN))
        .then(pl.lit("PHONE_INVALID"))
    )


def _first_failure() -> pl.Expr:
    """The first check a row fails (null if none), in the module's order."""
    has_class = pl.col("grade_text").fill_null("").ne("") | pl.col("class_n").fill_null("").ne("")
    class_ok = (
        pl.col("grade_n").is_between(1, 12)
        & pl.col("class_n").fill_null("").ne("")
        & (pl.col("class_n").str.len_chars() <= 50)
    ).fill_null(False)  # a grade that cannot be read is no grade
    failure = (
        pl.when(pl.col("id_code").is_not_null())
        .then(pl.col("id_code"))
        .when(~_name_ok("name_n"))
        .then(pl.lit("NAME_INVALID"))
        .when(~pl.col("gender_n").fill_null("").is_in(["1", "2"]))
        .then(pl.lit("GENDER_INVALID"))
        .when(pl.col("birth_n").is_null())
        .then(pl.lit("BIRTH_DATE_INVALID"))
        .when(pl.col("birth_n") != pl.col("id_birth"))
        .then(pl.lit("BIRTH_DATE_MISMATCH"))
        .when(pl.col("id_gender").is_not_null() & (pl.col("gender_n") != pl.col("id_gender")))
        .then(pl.lit("GENDER_MISMATCH"))
        .when(has_class & ~class_ok)
        .then(pl.lit("CLASS_INVALID"))
        .when(~_guardian_given(1))
        .then(pl.lit("GUARDIAN_REQUIRED"))
        .when(_guardian_failure(1).is_not_null())
        .then(_guardian_failure(1))
    )
    for n in GUARDIAN_SLOTS[1:]:
        failure = failure.when(_guardian_given(n) & _guardian_failure(n).is_not_null()).then(
            pl.lit(f"GUARDIAN{n}_") + _guardian_failure(n)
        )
    return failure


MESSAGES = {
    "NAME_INVALID": "姓名为空或含有姓名不可用的字符（数字、标点、表情等）",
    "GENDER_INVALID": "性别须为 男、女、1 或 2",
    "BIRTH_DATE_INVALID": (
        "出生日期无法识别或不存在（如 2 月 30 日）：请填写真实的日期，写成 2016-02-11 或 20160211"
    ),
    "BIRTH_DATE_MISMATCH": "出生日期与学籍号中的出生日期不一致",
    "GENDER_MISMATCH": "性别与身份证号第 17 位不一致",
    "CLASS_INVALID": (
        "年级须为 1–12（或 一年级…十二年级、初一…初三、高一…高三），"
        "且须同时填写班级名称（不超过 50 个字）"
    ),
    "GUARDIAN_REQUIRED": "每名学生至少需要一位监护人（姓名、关系、手机号）",
    "GUARDIAN_NAME_INVALID": "监护人姓名为空或含有姓名不可用的字符",
    "RELATION_INVALID": "监护人关系无法识别，请填写如 父亲、母亲、祖父、外祖母、其他监护人",
    "PHONE_INVALID": "监护人手机号应为 11 位中国大陆手机号码",
    **{
        f"GUARDIAN{n}_{code}": f"第{word}监护人{message}"
        for n, word in ((2, "二"), (3, "三"), (4, "四"))
        for code, message in (
            ("GUARDIAN_NAME_INVALID", "姓名为空或含有姓名不可用的字符"),
            ("RELATION_INVALID", "关系无法识别"),
            ("PHONE_INVALID", "手机号应为 11 位中国大陆手机号码"),
        )
    },
    "DUPLICATE_IN_FILE": "文件中有多行使用同一学籍号，这些行都未导入",
    "CLASS_GRADUATED": (
        "该班级已在学年升级时毕业（“届”名班级），不能再分入学生：请填写学生现在所在的班级"
    ),
    "STUDENT_AT_OTHER_SCHOOL": "该学生已在其他学校登记，请通过转学办理",
    "REGISTRY_NO_CHANGED": (
        "该学籍号已在学生取得居民身份证后换为 G 字头学籍号，不再使用：请改用新学籍号"
        "（学生页面的“曾用学籍号”可查）"
    ),
    "STUDENT_DETAILS_MISMATCH": (
        "该学籍号对应的学生（已从原学校毕业或退学）与本行的姓名、性别、出生日期不一致，"
        "请核对；若学籍登记有误，请联系原学校更正"
    ),
}


def message_for(code: str, raw_registry_no: str | None, *, today: dt.date) -> str:
    """The Chinese reason of a rejected row; identity errors say exactly what is wrong."""
    if code in NATIONAL_MESSAGES:
        return NATIONAL_MESSAGES[code]
    if code.startswith("ID_"):
        try:
            identity.parse_number(raw_registry_no or "", today=today)
        except IdentityError as error:
            return error.message
    if code == "BIRTH_DATE_MISMATCH":
        number = identity.parse_number(raw_registry_no or "", today=today)
        return f"出生日期与学籍号不一致：学籍号中的出生日期为 {number.birth_date.isoformat()}"
    return MESSAGES.get(code, code)
