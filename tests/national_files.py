"""Files in the national layout (学生基本信息表), one student per code-set case."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from tests.registry_world import number
from xueji.domain.codesets import code_set
from xueji.registry.national.fields import NATIONAL_COLUMNS

HEADERS = list(NATIONAL_COLUMNS.values())
#: a division code retired since (杭州市下城区, merged in 2021): valid for older records
RETIRED_REGION = "330103"
#: (document type, document number, nationality, 港澳台侨外) of students without a
#: resident ID: each is given a J number
DOCUMENTS = [
    ("6", "H12345678", "HKG", "1"),
    ("7", "M1234567801", "MAC", "3"),
    ("8", "12345678", "TWN", "5"),
    ("9", "USA123456789012", "USA", "E"),
    ("A", "E12345678", "KOR", "D"),
    ("Z", "出生医学证明O440123", "CHN", "0"),
]


def student(sequence: int, **overrides: str) -> dict[str, str]:
    """A complete primary-school student (column → cell) with a resident ID whose
    sequence is ``sequence``; ``overrides`` by column."""
    registry_no = number(sequence=f"{sequence:03d}")
    values = {
        "registry_no": registry_no,
        "name": f"学生{_han(sequence)}",
        "gender": "1" if int(registry_no[17]) % 2 else "2",
        "birth_date": "2016-02-11",
        "birthplace": "440604",
        "native_place": "440604",
        "ethnicity": "01",
        "nationality": "CHN",
        "document_type": "1",
        "document_no": registry_no[1:],
        "overseas": "0",
        "political": "14",
        "health": "1",
        "name_pinyin": "Xue Sheng",
        "document_expiry": "2031-02-10",
        "hukou_region": "440604",
        "hukou_type": "2",
        "talent": "书法",
        "grade": "3",
        "class_name": "三年级(1)班",
        "class_no": str(sequence),
        "admission_month": "202309",
        "admission_mode": "1",
        "study_mode": "1",
        "student_source": "1",
        "address": "广东省佛山市禅城区祖庙路1号",
        "contact_phone": "0757-83000000",
        "postcode": "528000",
        "only_child": "0",
        "preschool": "1",
        "left_behind": "0",
        "migrant_child": "0",
        "orphan": "0",
        "martyr_child": "0",
        "inclusive": "0",
        "disability": "0",
        "needs_aid": "0",
        "one_subsidy": "0",
        "distance": "1.5",
        "commute": "4",
        "school_bus": "0",
        "m1_name": "陈大明",
        "m1_relation": "51",
        "m1_guardian": "1",
        "m1_phone": "13800138001",
        "m1_document_type": "1",
        "m1_document_no": number(birth="19800101", sequence="011")[1:],
        "m1_ethnicity": "01",
        "m1_workplace": "佛山市某公司",
        "m2_name": "林秀英",
        "m2_relation": "52",
        "m2_relation_note": "在外地工作",
        "m2_guardian": "0",
        "m2_phone": "13800138002",
    }
    return values | overrides


def _han(sequence: int) -> str:
    digits = "〇一二三四五六七八九"
    return "".join(digits[int(d)] for d in str(sequence)).replace("〇", "零")


def every_case() -> list[dict[str, str]]:
    """One student per 民族, per 港澳台侨外 and per document type, a birthplace whose
    division was retired, a guardian who is the second family member."""
    ethnicities = list(code_set("ethnicity").labels)
    overseas = list(code_set("overseas").labels)
    rows = [
        student(n, ethnicity=code, overseas=overseas[n % len(overseas)])
        for n, code in enumerate(ethnicities, start=1)
    ]
    rows[0] |= {"birthplace": RETIRED_REGION, "native_place": RETIRED_REGION}
    rows[1] |= {"m1_guardian": "0", "m2_guardian": "1"}
    rows[2] |= {"address": '祖庙路"1"号\\后座', "talent": "书法、钢琴"}
    for offset, (kind, document, nationality, overseas_code) in enumerate(DOCUMENTS):
        rows.append(
            student(
                100 + offset,
                registry_no="",
                document_type=kind,
                document_no=document,
                nationality=nationality,
                overseas=overseas_code,
                document_expiry="长期" if kind == "9" else "2030-06-30",
            )
        )
    return rows


def write_national(path: Path, rows: list[dict[str, str]], headers: list[str] = HEADERS) -> Path:
    """An xlsx with ``headers`` (the national layout's by default), every cell text."""
    by_header = {header: column for column, header in NATIONAL_COLUMNS.items()}
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(by_header.get(header, ""), "") or None for header in headers])
    workbook.save(path)
    return path


def read_cells(content: bytes | Path) -> list[list[object]]:
    """Every cell of the first sheet (None for an empty one)."""
    from io import BytesIO

    from openpyxl import load_workbook

    source = BytesIO(content if isinstance(content, bytes) else content.read_bytes())
    workbook = load_workbook(source, read_only=True)
    try:
        rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()
    width = max((len(row) for row in rows), default=0)
    return [row + [None] * (width - len(row)) for row in rows]
