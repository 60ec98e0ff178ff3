"""Writing import files the way schools produce them, for tests and benchmarks."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook

from xueji.registry.imports.files import TEMPLATE_HEADERS

#: the columns most rosters have: the template's up to the second guardian
TWO_GUARDIANS = TEMPLATE_HEADERS[:12]


def write_csv(
    path: Path,
    rows: Iterable[list[str]],
    *,
    encoding: str = "utf-8",
    headers: list[str] = TWO_GUARDIANS,
) -> Path:
    lines = [",".join(headers), *(",".join(row) for row in rows)]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def write_xlsx(path: Path, rows: Iterable[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(TWO_GUARDIANS)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def row(
    registry_no: str,
    name: str,
    gender: str = "男",
    birth: str = "2016-02-11",
    grade: str = "3",
    class_name: str = "三年级(1)班",
    guardian: str = "陈大明",
    relation: str = "父亲",
    phone: str = "13800138001",
    second: tuple[str, str, str] = ("", "", ""),
) -> list[str]:
    return [registry_no, name, gender, birth, grade, class_name, guardian, relation, phone, *second]
