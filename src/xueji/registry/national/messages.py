"""The Chinese reason of each row error of the national layout: the field named, and
the form it must take."""

from __future__ import annotations

from xueji.domain.codesets import code_set
from xueji.registry.national.fields import (
    ALL_STAGES,
    COMPULSORY,
    FIELDS,
    MEMBER_FIELDS,
    MEMBERS,
    Field,
)

_FORMS = {
    "region": "6 位行政区划代码（GB/T 2260，如 330110）",
    "month": "年月，如 202309 或 2023-09",
    "date": "日期（如 2030-08-31）或“长期”",
    "phone": "电话号码（7–20 位数字，可含 - 和括号）",
    "postcode": "6 位数字的邮政编码",
    "email": "电子信箱地址，如 name@example.com",
    "number": "以公里计的数字，最多两位小数，如 1.5",
    "pinyin": "拼音字母和空格，如 Zhang San",
    "document": "与身份证件类型相符的号码",
}
_STAGES = {ALL_STAGES: "", COMPULSORY: "小学和初中", frozenset({"primary"}): "小学"}
_DOCUMENTS = (
    "身份证件号与证件类型不符：居民身份证为 18 位、出生日期和校验码正确的号码，"
    "港澳居民来往内地通行证为 H 或 M 加 8 位数字（或 10 位），香港身份证如 A123456(3)，"
    "香港特区护照为 K 或 H 加 8 位数字，澳门身份证如 1234567(8)，"
    "台湾居民来往大陆通行证为 8 位数字（或 10 位），外国人永久居留身份证为 15 或 18 位，"
    "护照为 5–20 位字母或数字，其他证件 1–30 个字符"
)


def form_of(field: Field) -> str:
    """How a field is filled in, in words."""
    if field.kind == "code":
        assert field.codes is not None
        return code_set(field.codes).allowed()
    if field.kind == "text":
        return f"不超过 {field.max_length} 个字的文字"
    return _FORMS[field.kind]


def _messages(prefix: str, label: str, field: Field) -> dict[str, str]:
    stage = _STAGES.get(field.required, "")
    needed = f"{stage}学生" if stage else "每名学生"
    found = {
        f"{prefix}_REQUIRED": f"{label}未填写：{needed}都须填写",
        f"{prefix}_INVALID": f"{label}无法识别：请填写{form_of(field)}",
    }
    if field.kind == "document":
        found[f"{prefix}_INVALID"] = f"{label}无法识别：{_DOCUMENTS}"
    return found


NATIONAL_MESSAGES: dict[str, str] = {
    "DOCUMENT_IN_FILE_TWICE": "文件中有多行使用同一身份证件，这些行都未导入",
    "GUARDIAN_MEMBER_REQUIRED": (
        "每名学生至少需要一位监护人：请把至少一位家庭成员的“是否监护人”填为“是”，"
        "并填写其姓名、关系和手机号"
    ),
    "DOCUMENT_TYPE_MISMATCH": (
        "全国学籍号以 G 开头（由居民身份证号生成）时，身份证件类型须为 1 居民身份证；"
        "没有居民身份证的学生不填全国学籍号，导入时会分配 J 开头的学籍号"
    ),
    "DOCUMENT_NO_MISMATCH": (
        "身份证件类型为居民身份证时，身份证件号须与全国学籍号 G 之后的 18 位一致；"
        "J 字头学籍号的学生取得身份证后，请在学生页面用“换为身份证号”换号"
    ),
}
for _field in FIELDS:
    NATIONAL_MESSAGES |= _messages(_field.error_code, _field.header, _field)
for _n in range(1, MEMBERS + 1):
    for _field in MEMBER_FIELDS:
        _found = _messages(f"MEMBER{_n}_{_field.error_code}", f"成员{_n}{_field.header}", _field)
        _found[f"MEMBER{_n}_{_field.error_code}_REQUIRED"] = (
            f"成员{_n}{_field.header}未填写：填写了成员{_n}的，须同时填写姓名、关系和是否监护人"
        )
        NATIONAL_MESSAGES |= _found
    NATIONAL_MESSAGES |= {
        f"MEMBER{_n}_GUARDIAN_NAME_INVALID": f"成员{_n}是监护人，其姓名为空或含有姓名不可用的字符",
        f"MEMBER{_n}_GUARDIAN_RELATION_INVALID": (
            f"成员{_n}是监护人，其关系不能作为监护人关系："
            "请填写如 父亲、母亲、祖父、外祖母、其他亲属"
        ),
        f"MEMBER{_n}_GUARDIAN_PHONE_INVALID": (
            f"成员{_n}是监护人，其联系电话须为 11 位中国大陆手机号码"
            "（家长凭它接收短信、绑定孩子的账号）"
        ),
    }
