"""The blank national template explains every column a clerk fills in."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from xueji.registry.national.fields import MEMBER_FIELDS, NATIONAL_COLUMNS
from xueji.registry.national.template import national_template_xlsx


def test_every_column_has_a_note() -> None:
    workbook = load_workbook(BytesIO(national_template_xlsx()))
    notes = {row[0]: row for row in workbook["填写说明"].iter_rows(min_row=2, values_only=True)}
    members = {f"成员{n}{field.header}" for n in range(1, 5) for field in MEMBER_FIELDS}
    for header in NATIONAL_COLUMNS.values():
        key = f"成员1–4{header[3:]}" if header in members else header
        assert key in notes, header
        assert notes[key][2] and notes[key][3], header
    assert notes["姓名"][2] == "必填" and "小学" in notes["年级"][3]
    assert "11 位中国大陆手机号码" in notes["成员1–4联系电话"][3]
