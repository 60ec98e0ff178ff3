"""The blank template of the national layout: the headers, a sheet saying how each field
is filled in, and a sheet of every code set."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from xueji.domain.codesets import SOURCES, code_set
from xueji.registry.national.fields import (
    ALL_STAGES,
    COMPULSORY,
    FIELDS,
    GROUPS,
    MEMBER_FIELDS,
    NATIONAL_COLUMNS,
    PRIMARY,
    Field,
)
from xueji.registry.national.messages import form_of

REQUIRED_IN = {ALL_STAGES: "必填", COMPULSORY: "小学、初中必填", frozenset({PRIMARY}): "小学必填"}
#: the notes of the columns the registry itself keeps (the match and the class)
REGISTRY_NOTES = {
    "registry_no": [
        "全国学籍号",
        "",
        "选填",
        "G 加 18 位身份证号，或 J 字头学籍号；不填时由居民身份证号生成，"
        "没有居民身份证的由系统分配 J 字头学籍号",
    ],
    "name": [
        "姓名",
        GROUPS["basic"],
        "必填",
        "与身份证件一致；学生注册时须与此完全一致（包括生僻字）",
    ],
    "gender": ["性别", GROUPS["basic"], "必填", "1 或 男，2 或 女；有居民身份证的须与身份证号一致"],
    "birth_date": [
        "出生日期",
        GROUPS["basic"],
        "必填",
        "日期，如 2016-02-11；有居民身份证的须与身份证号一致",
    ],
    "grade": [
        "年级",
        GROUPS["study"],
        "选填",
        "1–12 或 一年级…十二年级，与班级同时填写；决定哪些项必填：1–6 小学，7–9 初中，"
        "10–12 高中（不填时只检查各学段都必填的项）",
    ],
    "class_name": ["班级", GROUPS["study"], "选填", "班级名称，如 三年级(1)班，与年级同时填写"],
}


def national_template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "学生基本信息"
    sheet.append(list(NATIONAL_COLUMNS.values()))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    notes = workbook.create_sheet("填写说明")
    notes.append(["列", "分组", "是否必填", "填写方式"])
    fields = {field.key: field for field in FIELDS}
    for column in NATIONAL_COLUMNS:
        if column in REGISTRY_NOTES:
            notes.append(REGISTRY_NOTES[column])
        elif column in fields:
            notes.append(_note(fields[column]))
    for field in MEMBER_FIELDS:
        notes.append(_note(field))
    codes = workbook.create_sheet("代码表")
    codes.append(["代码集", "标准", "代码", "名称"])
    for name, (title, standard) in SOURCES.items():
        for code, label in code_set(name).labels.items():
            codes.append([title, standard, code, label])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _note(field: Field) -> list[str]:
    member = field.group == "family"
    header = f"成员1–4{field.header}" if member else field.header
    required = REQUIRED_IN.get(field.required, "选填")
    form = form_of(field)
    if member:
        required = "填写该成员时必填" if field.key in ("name", "relation", "guardian") else "选填"
    if member and field.key == "phone":
        form += "；标为监护人的成员须为 11 位中国大陆手机号码（家长凭它绑定孩子的账号）"
    if member and field.key == "guardian":
        form += "；每名学生至少一位成员是监护人"
    return [header, GROUPS[field.group], required, form]
