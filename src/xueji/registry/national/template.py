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
    notes.append(
        ["全国学籍号", "", "选填", "G 加 18 位身份证号，或 J 字头学籍号；不填时由证件生成"]
    )
    for field in (*FIELDS, *MEMBER_FIELDS):
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
    if member:
        required = "填写该成员时必填" if field.key in ("name", "relation", "guardian") else "选填"
    return [header, GROUPS[field.group], required, form_of(field)]
