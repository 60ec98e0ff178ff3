"""学籍基本信息表: the A4 sheet a school prints, stamps and hands to a student so the
five fields can be compared character by character with what the student entered, and
(on the pages after) every field of the national form as the school has it.

Text is real text in an embedded CJK font (selectable and extractable, Extension B
included); the registry number is printed in full because the sheet is the proof.
Guardians' phones are masked; sensitive fields are printed only by an issuer allowed to
see them all (the school's administrator), and the audit entry names them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode
from sqlalchemy.orm import Session

from xueji.auth.service import Principal
from xueji.domain.clock import Clock, china_today
from xueji.domain.codes import Gender
from xueji.domain.enrollment import EnrollmentStatus
from xueji.domain.errors import Forbidden
from xueji.domain.masking import mask_phone
from xueji.domain.relations import relation_label
from xueji.registry import activation, events, scope
from xueji.registry.models import SchoolClass
from xueji.registry.national import view
from xueji.registry.repository import RegistryRepository
from xueji.registry.service import Located, locate
from xueji.web.pdf import FONT, cjk_document

LABEL_WIDTH = 45
ROW_HEIGHT = 11
RECORD_LABEL_WIDTH = 34
RECORD_ROW_HEIGHT = 7


def render(
    located: Located,
    school_class: SchoolClass | None,
    *,
    issued: dt.date,
    font: Path,
    activation_code: str,
    record: list[tuple[str, list[tuple[str, str]]]] | None = None,
) -> bytes:
    pdf = cjk_document(font, "学籍基本信息表")
    pdf.add_page()
    pdf.set_margins(20, 20, 20)
    pdf.set_font(FONT, size=20)
    pdf.cell(0, 16, "学籍基本信息表", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=11)
    pdf.cell(
        0,
        8,
        "核对以下五项字段：学籍号、姓名、性别、出生日期、学校全称",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    for label, value in _rows(located, school_class):
        _row(pdf, label, value)
    pdf.ln(6)
    _activation(pdf, activation_code)
    pdf.cell(0, 8, f"打印日期：{issued.isoformat()}", new_x="LMARGIN", new_y="NEXT")
    _seal_box(pdf)
    if record:
        _record_pages(pdf, record)
    return bytes(pdf.output())


def _record_pages(pdf: FPDF, record: list[tuple[str, list[tuple[str, str]]]]) -> None:
    """The rest of the national form, laid out like it: group by group, two fields a
    line (family members one member a block)."""
    pdf.add_page()
    pdf.set_font(FONT, size=16)
    pdf.cell(0, 12, "学生基本信息（全国学籍信息）", align="C", new_x="LMARGIN", new_y="NEXT")
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    for title, rows in record:
        if pdf.get_y() > pdf.h - 40:
            pdf.add_page()
        pdf.set_font(FONT, size=12)
        pdf.cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, size=9)
        # a table: a long address or label wraps inside its box (Chinese text breaks
        # between any two characters) and the row grows, rather than running over the
        # next box or off the page
        with pdf.table(
            col_widths=(RECORD_LABEL_WIDTH, half - RECORD_LABEL_WIDTH) * 2,
            width=2 * half,
            first_row_as_headings=False,
            text_align=("CENTER", "LEFT", "CENTER", "LEFT"),
            wrapmode=WrapMode.CHAR,
            min_row_height=RECORD_ROW_HEIGHT,
        ) as table:
            for start in range(0, len(rows), 2):
                row = table.row()
                pair = rows[start : start + 2]
                for header, text in pair + [("", "")] * (2 - len(pair)):
                    row.cell(header)
                    row.cell(text)
        pdf.ln(2)


def _rows(located: Located, school_class: SchoolClass | None) -> list[tuple[str, str]]:
    student, school = located.student, located.school
    rows = [
        ("学籍号", student.registry_no),
        ("姓名", student.name),
        ("性别", Gender(student.gender).label),
        ("出生日期", student.birth_date.isoformat()),
        ("学校全称", school.name),
        ("学校标识码", school.code),
        ("班级", school_class.name if school_class else "未分班"),
        ("学籍状态", EnrollmentStatus(student.status).label),
    ]
    for number, guardian in enumerate(located.guardians, start=1):
        rows.append(
            (
                f"监护人{number}",
                f"{guardian.name}（{relation_label(guardian.relation)}）"
                f" {mask_phone(guardian.phone)}",
            )
        )
    return rows


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FONT, size=12)
    pdf.cell(LABEL_WIDTH, ROW_HEIGHT, label, border=1, align="C")
    pdf.cell(0, ROW_HEIGHT, " " + value, border=1, new_x="LMARGIN", new_y="NEXT")


def _activation(pdf: FPDF, code: str) -> None:
    """The code a guardian types into the student's account to consent to its activation;
    this sheet's only: printing a new one voids it."""
    pdf.set_font(FONT, size=12)
    pdf.cell(LABEL_WIDTH, ROW_HEIGHT, "激活码", border=1, align="C")
    pdf.set_font(FONT, size=16)
    spaced = f"{code[:4]} {code[4:]}"
    pdf.cell(0, ROW_HEIGHT, " " + spaced, border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(
        0,
        5,
        "监护人确认后，在学生账号中输入此激活码即可激活账号；只能使用一次，"
        "重新打印本表后旧的激活码作废。请妥善保管，不要交给他人。",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)


def _seal_box(pdf: FPDF) -> None:
    size = 45
    x = pdf.w - pdf.r_margin - size
    y = pdf.get_y() + 6
    pdf.rect(x, y, size, size)
    pdf.set_xy(x, y + size / 2 - 4)
    pdf.cell(size, 8, "学校公章", align="C")


def issue(
    session: Session, clock: Clock, principal: Principal, *, registry_no: str, font: Path
) -> tuple[str, bytes]:
    """Render the sheet for a student in scope; the issue is audited like a full reveal.
    Returns a file name (without the full number) and the PDF."""
    located = locate(session, clock, principal, registry_no)
    if principal.role not in scope.REVEALERS:
        raise Forbidden("当前账号无权打印学籍基本信息表")
    repository = RegistryRepository(session)
    school_class = (
        repository.school_class(located.student.class_id) if located.student.class_id else None
    )
    code = activation.issue(
        session, clock, student_id=located.student.id, issued_by=principal.account_id
    )
    record, sensitive = view.printable(session, principal, located)
    document = render(
        located,
        school_class,
        issued=china_today(clock),
        font=font,
        activation_code=code,
        record=record,
    )
    events.audit_student(
        session,
        clock,
        principal,
        student_id=located.student.id,
        school_code=located.student.school_code,
        action="student.info_sheet_issued",
        payload={
            "issued": china_today(clock).isoformat(),
            "activation_code": "issued",
            "sensitive_printed": sensitive,
        },
    )
    return f"info-sheet-{located.student.registry_no[-4:]}.pdf", document
