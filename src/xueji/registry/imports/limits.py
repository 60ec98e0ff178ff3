"""The shape of an uploaded file, checked before any reader allocates for it.

A reader sizes its memory by what the file claims: an .xlsx of 1.7 KB whose one cell sits
at ``XFD1048576`` makes the spreadsheet reader allocate a grid of sixteen thousand columns
by a million rows (hundreds of gigabytes); a 4 MB CSV whose header has a million commas
makes a million columns of every row. So a file is refused, with a stable code and a
Chinese message, as soon as it is seen to exceed what a roster can be:

* at most ``MAX_COLUMNS`` columns and ``MAX_ROWS`` rows;
* an .xlsx whose parts expand more than ``MAX_EXPANSION`` times (a zip bomb), or whose
  first sheet uses a cell beyond those bounds (found by scanning the sheet's XML as it
  is decompressed, in bounded memory: the sheet's own ``dimension`` may lie);
* a CSV line longer than ``MAX_LINE_BYTES`` (no roster row comes near it).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from xueji.domain.errors import ValidationFailed

MAX_COLUMNS = 128  # the national layout has 94
MAX_ROWS = 2_000_000
MAX_EXPANSION = 100
MAX_LINE_BYTES = 64 * 1024
#: parts this small may expand as they like (an empty sheet compresses 30-fold)
SMALL_PART = 1 << 20
_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)\b([^>]*)>")
_REF = re.compile(rb'\br="([A-Z]*)([0-9]*)"')
_NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pkg": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def too_large(what: str, **details: object) -> ValidationFailed:
    return ValidationFailed(
        f"{what}：名单最多 {MAX_COLUMNS} 列、{MAX_ROWS:,} 行，请只保留导入模板中的列后重新导入",
        code="IMPORT_SHEET_TOO_LARGE",
        **details,
    )


def broken(error: object) -> ValidationFailed:
    return ValidationFailed(
        f"无法读取该 Excel 文件，请用 Excel 或 WPS 重新另存为 .xlsx 后再导入（{error}）",
        code="IMPORT_FILE_BROKEN",
    )


def check_xlsx(path: Path) -> None:
    """Refuse a workbook too large to read, before the reader opens it."""
    try:
        with zipfile.ZipFile(path) as archive:
            _check_expansion(archive, path.stat().st_size)
            _check_sheet(archive, _first_sheet(archive))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, EOFError) as error:
        raise broken(error) from None


def _check_expansion(archive: zipfile.ZipFile, size: int) -> None:
    total = 0
    for part in archive.infolist():
        total += part.file_size
        if part.file_size > SMALL_PART and part.file_size > MAX_EXPANSION * part.compress_size:
            raise too_large("文件解压后过大（疑似压缩炸弹）", part=part.filename)
    if total > SMALL_PART and total > MAX_EXPANSION * size:
        raise too_large("文件解压后过大（疑似压缩炸弹）")


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The part of the workbook's first sheet (the one the import reads)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheet = workbook.find("main:sheets/main:sheet", _NS)
    if sheet is None:
        raise broken("没有工作表")
    target_id = sheet.get(f"{{{_NS['rel']}}}id")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.findall("pkg:Relationship", _NS):
        if rel.get("Id") == target_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    raise broken("找不到第一个工作表")


def _check_sheet(archive: zipfile.ZipFile, part: str) -> None:
    """The highest row and column any cell of the sheet uses, read off its XML a block
    at a time. Cells without a reference (``r``) count from the previous one, as the
    readers place them."""
    position = [0, 0]  # the current row, the current column
    tail = b""
    with archive.open(part) as sheet:
        while block := sheet.read(1 << 20):
            text = tail + block
            cut = text.rfind(b"<")
            scan, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
            if len(tail) > MAX_LINE_BYTES:
                raise broken("工作表 XML 格式异常")
            _check_tags(scan, position)
    _check_tags(tail, position)


def _check_tags(xml: bytes, position: list[int]) -> None:
    for kind, attributes in _TAG.findall(xml):
        reference = _REF.search(attributes)
        if kind == b"row":
            given = reference.group(2) if reference else b""
            position[:] = [int(given) if given else position[0] + 1, 0]
            if position[0] > MAX_ROWS + 1:
                raise too_large(f"工作表有 {position[0]:,} 行", rows=position[0])
            continue
        letters = reference.group(1) if reference else b""
        position[1] = _column_number(letters) if letters else position[1] + 1
        if position[1] > MAX_COLUMNS:
            raise too_large(f"工作表用到了第 {position[1]:,} 列", columns=position[1])


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number
