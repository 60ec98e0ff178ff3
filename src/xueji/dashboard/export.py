"""A table of the overview as an xlsx workbook: its title, the schools it counts, the
header and the rows, numbers as numbers (a clerk sums them in Excel)."""

from __future__ import annotations

import io

from openpyxl import Workbook

from xueji.dashboard.figures import Table


def workbook(table: Table, scope: str, at: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.key)
    sheet.append([table.title])
    sheet.append([f"范围：{scope}", f"统计时间：{at}"])
    sheet.append(table.header)
    for row in table.rows:
        sheet.append(row)
    if table.note:
        sheet.append([table.note])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
