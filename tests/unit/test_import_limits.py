"""Files shaped to exhaust a reader are refused from their own metadata, at once; an
ordinary file is read as text, whatever its first rows hold."""

from __future__ import annotations

import resource
import time
import zipfile
from pathlib import Path

import pytest

from tests.import_files_helper import row, write_xlsx
from xueji.domain.errors import ValidationFailed
from xueji.registry.imports import limits
from xueji.registry.imports.files import TEMPLATE_HEADERS, read_chunks


def far_cell_xlsx(path: Path, cell: str) -> Path:
    """The template's header row and one more cell far away: a file of a few KB."""
    write_xlsx(path, [])
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    far_row = "".join(ch for ch in cell if ch.isdigit())
    extra = f'<row r="{far_row}"><c r="{cell}" t="inlineStr"><is><t>x</t></is></c></row>'
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        "</sheetData>", extra + "</sheetData>"
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(name, content)
    return path


def read_all(path: Path) -> list[dict[str, object]]:
    with read_chunks(path) as chunks:
        return [r for chunk in chunks for r in chunk.to_dicts()]


def refusal(path: Path) -> tuple[ValidationFailed, float, int]:
    """The refusal, how long it took, and how much the process's peak memory grew (KiB)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(ValidationFailed) as refused:
        read_all(path)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return refused.value, time.perf_counter() - started, grown


def test_an_xlsx_with_a_cell_at_the_last_column_is_refused_at_once(tmp_path: Path) -> None:
    path = far_cell_xlsx(tmp_path / "far.xlsx", "XFD1048576")
    assert path.stat().st_size < 10_000
    error, seconds, grown_kib = refusal(path)
    assert error.code == "IMPORT_SHEET_TOO_LARGE"
    assert f"{limits.MAX_COLUMNS} 列" in error.message
    assert seconds < 1 and grown_kib < 50 * 1024


def test_an_xlsx_whose_cell_has_no_reference_is_placed_like_the_reader_places_it(
    tmp_path: Path,
) -> None:
    path = far_cell_xlsx(tmp_path / "wide.xlsx", "A2")
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    cells = '<c t="inlineStr"><is><t>x</t></is></c>' * (limits.MAX_COLUMNS + 1)
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        '<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>', f"<row>{cells}</row>"
    ).encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)
    assert refusal(path)[0].code == "IMPORT_SHEET_TOO_LARGE"


def test_a_zip_bomb_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    path = far_cell_xlsx(tmp_path / "bomb.xlsx", "A2")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as target:
        target.writestr("xl/media/padding.bin", b"\0" * (200 << 20))
    assert path.stat().st_size < 1 << 20
    error, seconds, _ = refusal(path)
    assert error.code == "IMPORT_SHEET_TOO_LARGE" and seconds < 1


def test_a_csv_with_a_million_columns_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes(("学籍号" + "," * 1_000_000 + "\n").encode())
    error, seconds, grown_kib = refusal(path)
    assert error.code == "IMPORT_SHEET_TOO_LARGE"
    assert seconds < 1 and grown_kib < 50 * 1024


@pytest.mark.parametrize("newline", ["\n", ""])
def test_a_csv_header_wider_than_a_roster_is_refused(tmp_path: Path, newline: str) -> None:
    path = tmp_path / "header.csv"
    extra = (f"备注{i}" for i in range(limits.MAX_COLUMNS))
    path.write_text(",".join([*TEMPLATE_HEADERS, *extra]) + newline)
    assert refusal(path)[0].code == "IMPORT_SHEET_TOO_LARGE"


def test_an_xlsx_whose_second_guardian_appears_late_is_read_as_text(tmp_path: Path) -> None:
    """Rows 2-121 without a second guardian, then rows with one: the reader must not
    decide the column's type from the first rows."""
    rows: list[list[object]] = [row(f"G{i}", "张三") for i in range(120)]
    rows += [row(f"G{i}", "李四", second=("李妈妈", "母亲", "13900139000")) for i in range(30)]
    read = read_all(write_xlsx(tmp_path / "late.xlsx", rows))
    assert len(read) == 150
    assert read[0]["g2_phone"] is None and read[-1]["g2_phone"] == "13900139000"


def test_a_broken_xlsx_says_so_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    error = refusal(path)[0]
    assert error.code == "IMPORT_FILE_BROKEN"
    assert "无法读取该 Excel 文件" in error.message
