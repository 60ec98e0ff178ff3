"""Reading import files as people produce them, in bounded chunks.

* ``.csv`` in UTF-8 (with or without BOM) or GB18030 — never GB2312, whose codec turns the
  middle dot of minority names (bytes A1A4) into U+30FB. A file that is not valid UTF-8 is
  read as GB18030; both are streamed, never loaded whole. A UTF-8 file without quoted cells
  (what nearly every export is; see ``_inspect``) is split by polars' reader, several
  times faster than the csv module; any other file goes through the csv module, which
  reads quoted commas, doubled quotes and line breaks in a cell as Excel wrote them.
* ``.xlsx`` through python-calamine; date cells arrive as dates and become ISO text.

Every chunk is a frame of text columns with canonical names (see ``COLUMNS``) plus ``row``,
the spreadsheet row number (the header is row 1), so messages point at what people see.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import polars as pl
from python_calamine import CalamineWorkbook

from xueji.domain.errors import ValidationFailed
from xueji.registry.imports.csv_shape import inspect_csv
from xueji.registry.imports.limits import (
    MAX_COLUMNS,
    broken,
    check_xlsx,
    too_large,
)
from xueji.registry.national.fields import NATIONAL_COLUMNS
from xueji.registry.national.layout import NATIONAL_MARKERS, canonical_national, refuse_missing
from xueji.registry.validation import MAX_GUARDIANS

#: Canonical column → the headers accepted for it (the first is the template's).
COLUMNS: dict[str, tuple[str, ...]] = {
    "registry_no": ("学籍号", "全国学籍号"),
    "name": ("姓名", "学生姓名"),
    "gender": ("性别",),
    "birth_date": ("出生日期",),
    "grade": ("年级",),
    "class_name": ("班级",),
    "g1_name": ("监护人姓名", "监护人1姓名", "监护人一姓名"),
    "g1_relation": ("监护人关系", "监护人1关系", "监护人一关系"),
    "g1_phone": ("监护人电话", "监护人1电话", "监护人一电话", "监护人手机号"),
    **{
        f"g{n}_{part}": (f"监护人{n}{label}", f"监护人{word}{label}", f"第{word}监护人{label}")
        for n, word in ((2, "二"), (3, "三"), (4, "四"))
        for part, label in (("name", "姓名"), ("relation", "关系"), ("phone", "电话"))
    },
}
#: the guardians a file may give per student (as many as the registry keeps)
GUARDIAN_SLOTS = tuple(range(1, MAX_GUARDIANS + 1))
REQUIRED = ("registry_no", "name", "gender", "birth_date", "g1_name", "g1_relation", "g1_phone")
TEMPLATE_HEADERS = [names[0] for names in COLUMNS.values()]
CHUNK_ROWS = 50_000
SUFFIXES = (".csv", ".xlsx")


def _header_key(header: object) -> str:
    """A header as people type it: full-width letters and digits (监护人１姓名), spaces
    and line breaks (Alt+Enter in a cell) do not matter."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(header)))


def _canonical(headers: list[str]) -> dict[int, str]:
    """Column position → canonical name. A repeated set of 监护人姓名/关系/电话 headers
    is the next guardian (as many schools lay it out) unless the file also names that
    guardian's columns; any other repeated column is refused, since which one
    holds the data cannot be guessed. Refuses a file missing a required column, or with
    more columns than a roster has."""
    if len(headers) > MAX_COLUMNS:
        raise too_large(f"文件有 {len(headers):,} 列", columns=len(headers))
    keys = [_header_key(header) for header in headers]
    if set(keys) >= NATIONAL_MARKERS:
        return canonical_national(headers, keys)
    by_alias = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
    found = [(index, by_alias.get(key)) for index, key in enumerate(keys)]
    named = {key for _, key in found if key is not None}
    mapping: dict[int, str] = {}
    for index, key in found:
        if key is None:
            continue
        if key in mapping.values():
            following = _next_guardian(key, named, set(mapping.values()))
            if following is None:
                raise ValidationFailed(
                    f"文件中有重复的列：{headers[index]}（请删去多余的一列）",
                    code="IMPORT_HEADER_DUPLICATE",
                    column=str(headers[index]),
                )
            key = following
        mapping[index] = key
    refuse_missing([COLUMNS[key][0] for key in REQUIRED if key not in mapping.values()])
    return mapping


def _next_guardian(key: str, named: set[str], taken: set[str]) -> str | None:
    """Where a repeated 监护人姓名/关系/电话 column goes: the next guardian's, unless the
    file names that guardian's columns itself (or there is no next one)."""
    if not key.startswith("g1_"):
        return None
    for n in GUARDIAN_SLOTS[1:]:
        candidate = f"g{n}_{key[3:]}"
        if candidate not in named and candidate not in taken:
            return candidate
    return None


def _shape(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    """A frame of the file's canonical columns → all of them, after ``row``: the file's
    as text, a column the file does not have as all-null of type ``Null`` (see
    ``absent_columns``)."""
    keys = list(COLUMNS)
    if "document_type" in frame.columns:  # the national layout (``national.layout``)
        keys += [key for key in NATIONAL_COLUMNS if key not in COLUMNS]
    return frame.select(
        pl.int_range(first_row, first_row + frame.height, dtype=pl.Int64).alias("row"),
        *[
            pl.col(key).cast(pl.String) if key in frame.columns else pl.lit(None).alias(key)
            for key in keys
        ],
    )


def absent_columns(chunk: pl.DataFrame) -> frozenset[str]:
    """The columns the chunk's file does not have (as opposed to having them empty): an
    import leaves what they would hold as it is. The third and fourth guardian's phone
    columns empty in every row count as absent too: the template has columns for four
    guardians, and a school filling two must not take away a third it has no data for
    (the import takes a column as absent only if it is so in every chunk)."""
    absent = {key for key in COLUMNS if chunk.schema[key] == pl.Null}
    for n in GUARDIAN_SLOTS[2:]:
        phone = f"g{n}_phone"
        if (
            phone not in absent
            and chunk.height
            and (chunk[phone].cast(pl.String).fill_null("").str.strip_chars() == "").all()
        ):
            absent.add(phone)
    return frozenset(absent)


@contextmanager
def read_chunks(
    path: Path,
    chunk_rows: int = CHUNK_ROWS,
    share: tuple[int, int] = (0, 1),
    inspected: tuple[bool, bool] | None = None,
) -> Iterator[Iterator[pl.DataFrame]]:
    """Chunks of the file's rows; the file type is taken from its name. Memory stays
    bounded by one chunk whatever the file's size. With ``share`` (part, parts): only
    every parts-th chunk from the part-th on (a helper's, ``helpers``); a plain CSV's
    other blocks are counted, not parsed. ``inspected``: what ``inspect_csv`` found,
    when the caller has read the file already."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        utf8, plain = inspected or inspect_csv(path)
        encoding = "utf-8-sig" if utf8 else "gb18030"
        with path.open(encoding=encoding, errors="strict", newline="") as handle:
            if utf8 and plain:
                yield _plain_csv_chunks(path, handle, chunk_rows, share)
            else:
                yield _shared(_csv_chunks(handle, chunk_rows), share)
    elif suffix == ".xlsx":
        check_xlsx(path)
        yield _shared(_xlsx_chunks(path, chunk_rows), share)
    else:
        raise ValidationFailed("只能导入 .xlsx 或 .csv 文件", code="IMPORT_FILE_TYPE")


def _shared(chunks: Iterator[pl.DataFrame], share: tuple[int, int]) -> Iterator[pl.DataFrame]:
    part, parts = share
    return (chunk for number, chunk in enumerate(chunks) if number % parts == part)


def _csv_chunks(handle: TextIO, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """Rows read one at a time, so a row the csv module cannot read (a stray quote that
    runs past its field size limit) is named exactly."""
    rows = csv.reader(handle)
    first_row, buffer = 2, []
    try:
        headers = [cell.strip() for cell in next(rows, [])]
        mapping = _canonical(headers)
        for cells in rows:
            buffer.append(cells)
            if len(buffer) == chunk_rows:
                _refuse_line_breaks(buffer, first_row)
                yield _columns_frame(buffer, len(headers), mapping, first_row)
                first_row, buffer = first_row + len(buffer), []
        if buffer:
            _refuse_line_breaks(buffer, first_row)
            yield _columns_frame(buffer, len(headers), mapping, first_row)
    except UnicodeDecodeError:
        raise ValidationFailed(
            "无法识别文件编码：请另存为 UTF-8 或 GB18030 编码的 CSV", code="IMPORT_ENCODING"
        ) from None
    except csv.Error:
        raise _malformed(first_row + len(buffer)) from None


def _refuse_line_breaks(buffer: list[list[str]], first_row: int) -> None:
    """No value of the template holds a line break. A cell that does almost always began
    with a stray quote (``"张三``) and swallowed the rows after it, which would then be
    neither imported nor reported: the file is refused instead, naming the row."""
    for offset, cells in enumerate(buffer):
        if any("\n" in cell or "\r" in cell for cell in cells):
            raise _malformed(first_row + offset)


def _malformed(row: int) -> ValidationFailed:
    return ValidationFailed(
        f'第 {row} 行（或其后不远处）有一个没有配对的英文引号 "，或单元格里有换行，'
        "其后的行无法正确读取；请改正后重新导入",
        code="IMPORT_CSV_MALFORMED",
        row=row,
    )


def _plain_csv_chunks(
    path: Path, handle: TextIO, chunk_rows: int, share: tuple[int, int] = (0, 1)
) -> Iterator[pl.DataFrame]:
    """Chunks of a plain UTF-8 file (see ``_inspect``) split by polars, shaped exactly as
    ``_csv_chunks`` shapes them: cells as text, missing cells empty, extra cells dropped.
    In a plain file every line is one row, so the file is cut into blocks of
    ``chunk_rows`` lines and each block parsed on its own: memory stays bounded by one
    block (polars' own streaming reader reads ahead as far as it likes). Blocks outside
    ``share`` are counted, not parsed."""
    headers = [cell.strip() for cell in next(csv.reader(handle), [])]
    mapping = _canonical(headers)
    positions = [f"c{index}" for index in range(len(headers))]
    first_row = 2
    part, parts = share
    with path.open("rb") as source:
        source.readline()  # the header, read above
        for number in itertools.count():
            lines = list(itertools.islice(source, chunk_rows))
            if not lines:
                return
            if number % parts != part:  # another helper's block: count its rows only
                first_row += len(lines)
                continue
            batch = _polars_block(b"".join(lines), positions)
            if batch is None or batch.height != len(lines):  # row numbers must stay right
                rows = list(csv.reader(line.decode("utf-8") for line in lines))
                yield _columns_frame(rows, len(headers), mapping, first_row)
            else:
                frame = batch.select(
                    pl.col(positions[index]).fill_null("").alias(key)
                    for index, key in mapping.items()
                )
                yield _shape(frame, first_row)
            first_row += len(lines)


def _polars_block(block: bytes, positions: list[str]) -> pl.DataFrame | None:
    """The block's cells as text, or None if polars refuses it (never seen with a plain
    file): the caller then reads that block with the csv module."""
    try:
        return pl.read_csv(
            block,
            has_header=False,
            new_columns=positions,
            schema=dict.fromkeys(positions, pl.String),
            truncate_ragged_lines=True,
            extra_columns="ignore",
            missing_columns="insert",
            empty_string_is_null=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return None


def _columns_frame(
    buffer: list[list[str]], width: int, mapping: dict[int, str], first_row: int
) -> pl.DataFrame:
    """Raw CSV rows to a frame, column by column (short rows give nulls)."""
    if any(len(row) != width for row in buffer):
        buffer = [row[:width] + [""] * (width - len(row)) for row in buffer]
    columns = list(zip(*buffer, strict=True)) if buffer else [()] * width
    frame = pl.DataFrame(
        {key: pl.Series(key, columns[index], dtype=pl.String) for index, key in mapping.items()}
    )
    return _shape(frame, first_row)


def _xlsx_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    except Exception as error:  # calamine raises its own error types for broken files
        raise broken(error) from None
    rows = sheet.iter_rows()
    headers = [str(cell).strip() for cell in next(rows, [])]
    mapping = _canonical(headers)
    first_row, buffer = 2, []
    widths = {index: NUMBER_WIDTHS.get(key) for index, key in mapping.items()}
    for cells in rows:
        buffer.append(
            [
                _cell_text(cells[index], widths[index]) if index < len(cells) else None
                for index in mapping
            ]
        )
        if len(buffer) >= chunk_rows:
            yield _frame(buffer, mapping, first_row)
            first_row, buffer = first_row + len(buffer), []
    if buffer:
        yield _frame(buffer, mapping, first_row)


def _frame(rows: list[list[str | None]], mapping: dict[int, str], first_row: int) -> pl.DataFrame:
    schema = dict.fromkeys(mapping.values(), pl.String)  # text, never a type guessed from rows
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return _shape(frame, first_row)


#: columns of digits whose leading zeros Excel drops from a cell it keeps as a number
#: (邮政编码 050000 becomes 50000): their width, to pad back to
NUMBER_WIDTHS = {"postcode": 6}


def _cell_text(cell: object, width: int | None = None) -> str | None:
    """Excel cells as a person sees them: dates as ISO, 13800138000.0 as 13800138000,
    a number in a column of ``width`` digits padded with its leading zeros."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, int) and width is not None and 0 <= cell < 10**width:
        return str(cell).zfill(width)
    return str(cell)
