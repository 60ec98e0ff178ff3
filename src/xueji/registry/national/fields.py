"""The fields of the national student information form (学生基本信息表), as its template
names them, grouped as the form groups them.

The five fields of the registration match (姓名, 性别, 出生日期 and the number) and the
class live in ``students`` as before; everything else a school fills in is the student's
national record (``NationalRecord``): encrypted, with the sensitive categories in a
second ciphertext that only the roles allowed to see them ever decrypt
(``docs/registry.md``, 学籍信息的字段).
"""

from __future__ import annotations

from dataclasses import dataclass

#: school stages by grade: 小学 1–6, 初中 7–9, 高中 10–12
PRIMARY, JUNIOR, SENIOR = "primary", "junior", "senior"
ALL_STAGES = frozenset({PRIMARY, JUNIOR, SENIOR})
COMPULSORY = frozenset({PRIMARY, JUNIOR})
MEMBERS = 4
#: a student without a resident ID (证件类型 other than 1) is given a J number
RESIDENT_ID = "1"


@dataclass(frozen=True, slots=True)
class Field:
    """One field of the form.

    ``kind``: ``code`` (of the code set ``codes``), ``region`` (a GB/T 2260 code),
    ``text``, ``month`` (入学年月, ``YYYYMM``), ``date`` (``YYYY-MM-DD`` or 长期),
    ``phone``, ``postcode``, ``email``, ``number`` (a decimal), ``pinyin`` or
    ``document`` (a document number, checked by its type). ``required``: the stages in
    which the form requires it. ``sensitive``: a category of ``docs/registry.md`` that
    only a school administrator sees in full, every read audited."""

    key: str
    header: str
    group: str
    kind: str = "text"
    codes: str | None = None
    required: frozenset[str] = frozenset()
    sensitive: bool = False
    max_length: int = 100

    @property
    def error_code(self) -> str:
        return self.key.upper()


def _code(key: str, header: str, group: str, codes: str, **more: object) -> Field:
    return Field(key, header, group, "code", codes, **more)  # type: ignore[arg-type]


def _yes_no(key: str, header: str, **more: object) -> Field:
    return _code(key, header, "extended", "yes_no", **more)


#: the form's fields beyond the five of the match and the class, in the template's order
FIELDS: tuple[Field, ...] = (
    # 基本信息
    Field("birthplace", "出生地", "basic", "region", required=ALL_STAGES),
    Field("native_place", "籍贯", "basic", "region", required=ALL_STAGES),
    _code("ethnicity", "民族", "basic", "ethnicity", required=ALL_STAGES),
    _code("nationality", "国籍/地区", "basic", "nationality", required=ALL_STAGES),
    _code("document_type", "身份证件类型", "basic", "document_type", required=ALL_STAGES),
    Field(
        "document_no",
        "身份证件号",
        "basic",
        "document",
        required=ALL_STAGES,
        sensitive=True,
        max_length=30,
    ),
    _code("overseas", "港澳台侨外", "basic", "overseas", required=ALL_STAGES),
    _code("political", "政治面貌", "basic", "political"),
    _code("health", "健康状况", "basic", "health", required=ALL_STAGES, sensitive=True),
    Field("name_pinyin", "姓名拼音", "basic", "pinyin"),
    Field("former_name", "曾用名", "basic"),
    Field("document_expiry", "身份证件有效期", "basic", "date"),
    Field("hukou_region", "户口所在地", "basic", "region", required=ALL_STAGES),
    _code("hukou_type", "户口性质", "basic", "hukou_type", required=ALL_STAGES),
    Field("talent", "特长", "basic", max_length=200),
    # 学籍信息
    Field("aux_no", "学籍辅号", "study", max_length=30),
    Field("class_no", "班内学号", "study", max_length=10),
    Field("admission_month", "入学年月", "study", "month", required=ALL_STAGES),
    _code("admission_mode", "入学方式", "study", "admission_mode", required=ALL_STAGES),
    _code("study_mode", "就读方式", "study", "study_mode", required=ALL_STAGES),
    _code("student_source", "学生来源", "study", "student_source", required=ALL_STAGES),
    # 联系方式
    Field("address", "现住址", "contact", max_length=200, required=ALL_STAGES),
    Field("mail_address", "通信地址", "contact", max_length=200),
    Field("home_address", "家庭地址", "contact", max_length=200),
    Field("contact_phone", "联系电话", "contact", "phone", max_length=20),
    Field("postcode", "邮政编码", "contact", "postcode", max_length=6),
    Field("email", "电子信箱", "contact", "email"),
    # 扩展信息
    _yes_no("only_child", "是否独生子女", required=COMPULSORY),
    _yes_no("preschool", "是否受过学前教育", required=frozenset({PRIMARY})),
    _yes_no("left_behind", "是否留守儿童", required=COMPULSORY, sensitive=True),
    _yes_no("migrant_child", "是否进城务工人员随迁子女", required=COMPULSORY),
    _yes_no("orphan", "是否孤儿", required=ALL_STAGES, sensitive=True),
    _yes_no("martyr_child", "是否烈士或优抚子女", required=ALL_STAGES, sensitive=True),
    _code("inclusive", "随班就读", "extended", "inclusive", required=COMPULSORY, sensitive=True),
    _code("disability", "残疾类型", "extended", "disability", sensitive=True),
    _yes_no("needs_aid", "是否需要申请资助", required=ALL_STAGES, sensitive=True),
    _yes_no("one_subsidy", "是否享受一补", required=COMPULSORY, sensitive=True),
    Field("distance", "上下学距离", "extended", "number", max_length=10),
    _code("commute", "上下学方式", "extended", "commute"),
    _yes_no("school_bus", "是否需要乘坐校车"),
)

#: a family member's fields, as ``成员{n}{header}``
MEMBER_FIELDS: tuple[Field, ...] = (
    Field("name", "姓名", "family"),
    _code("relation", "关系", "family", "relation"),
    Field("relation_note", "关系说明", "family"),
    _code("guardian", "是否监护人", "family", "yes_no"),
    Field("phone", "联系电话", "family", "phone", max_length=20),
    _code("document_type", "身份证件类型", "family", "document_type"),
    Field("document_no", "身份证件号", "family", "document", max_length=30, sensitive=True),
    _code("ethnicity", "民族", "family", "ethnicity"),
    Field("address", "现住址", "family", max_length=200),
    Field("hukou_region", "户口所在地", "family", "region"),
    Field("workplace", "工作单位", "family", max_length=100),
    Field("position", "职务", "family", max_length=50),
)
#: a member's fields that must be given when any of the member's fields is
MEMBER_REQUIRED = ("name", "relation", "guardian")

GROUPS = {
    "basic": "基本信息",
    "study": "学籍信息",
    "contact": "联系方式",
    "extended": "扩展信息",
    "family": "家庭成员",
}
BY_KEY = {field.key: field for field in FIELDS}


def member_column(n: int, key: str) -> str:
    return f"m{n}_{key}"


def member_header(n: int, field: Field) -> str:
    return f"成员{n}{field.header}"


def stage_of(grade: int | None) -> str | None:
    if grade is None:
        return None
    return PRIMARY if grade <= 6 else JUNIOR if grade <= 9 else SENIOR


#: the columns ``students`` holds (the match's fields and the class)
CORE_HEADERS = {
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "grade": "年级",
    "class_name": "班级",
}


def _national_columns() -> dict[str, str]:
    """Column → header in the template's order: 全国学籍号, the match's fields, the basic
    fields, 年级 and 班级 before the rest of the study fields, then the family members."""
    columns = {
        "registry_no": "全国学籍号",
        "name": "姓名",
        "gender": "性别",
        "birth_date": "出生日期",
    }
    for field in FIELDS:
        if field.key == "aux_no":
            columns |= {"grade": "年级", "class_name": "班级"}
        columns[field.key] = field.header
    for n in range(1, MEMBERS + 1):
        columns |= {member_column(n, field.key): member_header(n, field) for field in MEMBER_FIELDS}
    return columns


NATIONAL_COLUMNS = _national_columns()
#: the columns of the record's two ciphertexts: what every reader of the record may see,
#: and the sensitive categories
RECORD_COLUMNS = [
    key for key in NATIONAL_COLUMNS if key not in CORE_HEADERS and key != "registry_no"
]
SENSITIVE_COLUMNS = frozenset(
    [field.key for field in FIELDS if field.sensitive]
    + [member_column(n, f.key) for n in range(1, MEMBERS + 1) for f in MEMBER_FIELDS if f.sensitive]
)


def field_of(column: str) -> Field:
    """The field a record column holds (``m2_phone``: a member's 联系电话)."""
    if column in BY_KEY:
        return BY_KEY[column]
    return MEMBER_BY_KEY[column.split("_", 1)[1]]


MEMBER_BY_KEY = {field.key: field for field in MEMBER_FIELDS}
