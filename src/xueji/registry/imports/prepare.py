"""Preparing an import file for staging: reading, checking, indexing and encrypting it,
chunk by chunk.

That work is pure Python and CPU-bound (a million rows are about ten seconds of it),
while writing a chunk to the database is mostly the driver's and the database's. For a
large file it therefore runs in helper processes (``helpers``) that prepare the next
chunks while this one writes the previous. A small file stays in-process, where starting
an interpreter would cost more than it saves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from xueji.db.crypto import PHONE_PURPOSE, REGISTRY_NO_PURPOSE, keyring
from xueji.registry.imports import files as import_files
from xueji.registry.imports.files import GUARDIAN_SLOTS, absent_columns, read_chunks
from xueji.registry.imports.rules import check_chunk, message_for
from xueji.registry.national import checks, records

#: Rows per chunk that a helper prepares. A helper holds about 4.5 KB per row of its chunk
#: (the frame's intermediate columns, the staging tuples and their pickled copy) on top of
#: about 100 MiB of libraries: 25,000 rows keep it near 240 MiB, 50,000 near 330 MiB, and
#: were no faster.
CHUNK_ROWS = 25_000


@dataclass(frozen=True, slots=True)
class PreparedChunk:
    """One chunk ready to stage: how many rows it read, the rejected rows as (row, code,
    Chinese reason), the accepted rows column by column (a list per ``STAGE_COLUMNS``,
    none for a chunk without any: unpickled and handed to the writer in 22 ms a chunk,
    where a tuple per row took 55 ms), the columns the file does not have, and notes on
    accepted rows (``warnings``)."""

    height: int
    errors: list[tuple[int, str, str]]
    columns: list[list[Any]]
    absent: frozenset[str] = frozenset()
    #: accepted rows worth a second look, as (row, Chinese note)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    #: accepted rows of students without a number, to be given a J number
    #: (``national.jnumbers``): staging tuples without the number's index and ciphertext
    assign: list[tuple[object, ...]] = field(default_factory=list)


def prepare(chunk: pl.DataFrame, import_id: int, today: dt.date) -> PreparedChunk:
    """A blank row (every cell empty or spaces: a separator row, a line of commas) is
    skipped, neither imported nor rejected."""
    national = "document_type" in chunk.columns  # the national layout (``national``)
    if national:
        chunk = checks.to_template(chunk)
    checked = check_chunk(without_blank_rows(chunk), today=today)
    if national:
        checked = checks.with_record(checked, today=today)
    rejected = checked.filter(pl.col("code").is_not_null())
    errors = [
        (row, code, message_for(code, raw, today=today))
        for row, code, raw in rejected.select("row", "code", "registry_no").iter_rows()
    ]
    accepted = checked.filter(pl.col("code").is_null())
    warnings = notes(accepted)
    assign: list[tuple[object, ...]] = []
    if national:
        pending = stage_columns(import_id, accepted.filter(pl.col("needs_j")))
        assign = list(zip(*pending, strict=True))
        accepted = accepted.filter(~pl.col("needs_j"))
    columns = stage_columns(import_id, accepted)
    absent = absent_columns(chunk)
    return PreparedChunk(chunk.height, errors, columns, absent, warnings, assign)


def without_blank_rows(chunk: pl.DataFrame) -> pl.DataFrame:
    """The chunk without its blank rows. Only a row whose 姓名 is blank can be one, so
    the whole row's text (one pass over it rather than one per column: 94 in the
    national layout) is looked at for those rows alone."""
    cells = [column for column in chunk.columns if column not in ("row", "needs_j")]
    maybe = chunk.filter(_blank(pl.col("name"))) if "name" in chunk.columns else chunk
    if maybe.height == 0:
        return chunk
    blank = maybe.filter(_blank(pl.concat_str(cells, ignore_nulls=True)))["row"]
    return chunk.filter(~pl.col("row").is_in(blank.implode())) if blank.len() else chunk


def _blank(text: pl.Expr) -> pl.Expr:
    return text.fill_null("").str.strip_chars() == ""


#: a space between two Chinese characters: 马 沐阳 — almost always a typing slip, and a
#: registration typed as on the ID card (马沐阳) would never match it
SPACED_HAN = r"\p{Han} \p{Han}"


def notes(accepted: pl.DataFrame) -> list[tuple[int, str]]:
    """Accepted rows a clerk should look at again: a Chinese name with a space inside."""
    spaced = accepted.filter(pl.col("name_n").str.contains(SPACED_HAN))
    return [
        (
            row,
            f"姓名“{name}”的汉字之间有空格，已照原样导入：中文姓名中间一般没有空格，学生注册"
            "时须与学籍完全一致，请核对；有误的请在学生信息维护中更正",
        )
        for row, name in spaced.select("row", "name_n").iter_rows()
    ]


def stage_columns(import_id: int, good: pl.DataFrame) -> list[list[Any]]:
    """Encrypt and index the accepted rows of a chunk into staging columns."""
    if good.height == 0:
        return []
    ring = keyring()
    numbers = good["number"].to_list()
    phones1 = good["g1_phone_n"].to_list()
    others = [part for n in GUARDIAN_SLOTS[1:] for part in _optional_guardian(good, n)]
    assigned = numbers[0] is None  # a J number, given later (``PreparedChunk.assign``)
    empty = [None] * good.height
    columns = (
        good["row"].to_list(),
        empty if assigned else ring.lookup_index_many(numbers, purpose=REGISTRY_NO_PURPOSE),
        empty if assigned else ring.encrypt_many(numbers, purpose="student.registry_no"),
        good["name_n"].to_list(),
        good["gender_n"].to_list(),
        good["birth_n"].dt.to_string("%Y-%m-%d").to_list(),
        good["grade_n"].to_list(),
        good["class_n"].to_list(),
        good["g1_name_n"].to_list(),
        good["g1_relation_n"].to_list(),
        ring.encrypt_many(phones1, purpose="guardian.phone"),
        ring.lookup_index_many(phones1, purpose=PHONE_PURPOSE),
        *others,
        *records.ciphers(good),
    )
    return [[import_id] * good.height, *columns]


def _optional_guardian(good: pl.DataFrame, n: int) -> tuple[list[object], ...]:
    """Name, relation, encrypted phone and phone index of the optional guardian ``n``
    (None where absent); only the present phones are encrypted and indexed."""
    present = (good[f"g{n}_phone_n"].fill_null("") != "").to_list()
    where = [index for index, given in enumerate(present) if given]
    phones = [good[f"g{n}_phone_n"][index] for index in where]
    ring = keyring()
    ciphers = dict(zip(where, ring.encrypt_many(phones, purpose="guardian.phone"), strict=True))
    indexes = dict(zip(where, ring.lookup_index_many(phones, purpose=PHONE_PURPOSE), strict=True))
    names, relations = good[f"g{n}_name_n"].to_list(), good[f"g{n}_relation_n"].to_list()
    return (
        [names[i] if given else None for i, given in enumerate(present)],
        [relations[i] if given else None for i, given in enumerate(present)],
        [ciphers.get(i) for i in range(len(present))],
        [indexes.get(i) for i in range(len(present))],
    )


@contextmanager
def prepared_here(
    path: Path,
    import_id: int,
    today: dt.date,
    share: tuple[int, int] = (0, 1),
    chunk_rows: int | None = None,
    inspected: tuple[bool, bool] | None = None,
) -> Iterator[Iterator[PreparedChunk]]:
    """The file's chunks prepared in this process, one at a time; with ``share`` (part,
    parts) only every parts-th chunk from the part-th on (the others are only counted,
    ``read_chunks``)."""
    with read_chunks(path, chunk_rows or import_files.CHUNK_ROWS, share, inspected) as chunks:
        yield (prepare(chunk, import_id, today) for chunk in chunks)
