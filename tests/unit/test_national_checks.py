"""The national layout's checks take shortcuts on a chunk's shape; these show that a
chunk is judged and stored exactly as without them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from tests.national_files import every_case, student, write_national
from xueji.registry.imports.files import read_chunks
from xueji.registry.imports.rules import check_chunk
from xueji.registry.national import checks, records
from xueji.registry.national.fields import MEMBER_FIELDS, RECORD_COLUMNS, member_column

TODAY = dt.date(2026, 12, 6)
EMPTY_MEMBER_2 = {member_column(2, field.key): "" for field in MEMBER_FIELDS}

CHUNKS = {
    # members 3 and 4 and several optional fields empty throughout
    "every-case": every_case(),
    "required-field-empty-throughout": [student(1, health=""), student(2, health="")],
    "document-empty-throughout": [student(1, document_no="")],
    "member-empty-throughout": [student(1, **EMPTY_MEMBER_2)],
    "member-document-empty": [student(1, m1_document_no="", m1_document_type="")],
    "member-with-only-a-name": [student(1, m3_name="张三"), student(2)],
    "wrong-codes": [student(1, ethnicity="火星族"), student(2, m2_relation="邻居")],
    "wrong-member-id": [student(1, m1_document_no="440604198001010110")],
    "guardian-is-the-third-member": [
        student(
            1,
            m1_guardian="0",
            m2_guardian="0",
            m3_name="李四",
            m3_relation="51",
            m3_guardian="1",
            m3_phone="13800138003",
        )
    ],
}
#: the guardians as the template's checks see them (``checks.to_template``)
GUARDIAN_SLOTS = [f"g{slot}_{part}" for slot in (1, 2, 3) for part in ("name", "relation", "phone")]


def _judged(path: Path) -> pl.DataFrame:
    with read_chunks(path) as chunks:
        (chunk,) = list(chunks)
    return checks.with_record(check_chunk(checks.to_template(chunk), today=TODAY), today=TODAY)


@pytest.mark.parametrize("rows", CHUNKS.values(), ids=CHUNKS.keys())
def test_columns_empty_throughout_a_chunk_are_judged_as_any_other(
    rows: list[dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_national(tmp_path / "chunk.xlsx", rows)
    fast = _judged(path)
    shapes = checks.column_shapes
    monkeypatch.setattr(checks, "empty_columns", lambda frame, columns: set())
    monkeypatch.setattr(
        checks, "column_shapes", lambda frame, columns: (set(), shapes(frame, columns)[1])
    )
    full = _judged(path)
    reasons = [[c for c in judged.columns if c.startswith("reason_")] for judged in (fast, full)]
    assert len(reasons[0]) < len(reasons[1]), "no shortcut taken"
    assert fast["code"].to_list() == full["code"].to_list()
    assert fast.select(GUARDIAN_SLOTS).rows() == full.select(GUARDIAN_SLOTS).rows()
    for column in RECORD_COLUMNS:
        stored = [value or None for value in fast[f"{column}_n"].to_list()]
        assert stored == [value or None for value in full[f"{column}_n"].to_list()], column


def test_a_record_is_stored_under_short_keys_and_read_back_by_column() -> None:
    values = {"birthplace": "440604", "m2_phone": "13800138002", "document_no": "X1"}
    stored = records.dump(values)
    assert json.loads(stored) == {"a": "440604", "2e": "13800138002", "f": "X1"}
    assert records.load(stored) == values


def test_a_record_stored_with_full_names_reads_as_before() -> None:
    """Records written before the short keys name their fields in full."""
    old = '{"birthplace":"440604","m2_phone":"13800138002","talent":""}'
    assert records.load(old) == {"birthplace": "440604", "m2_phone": "13800138002"}


def test_every_field_has_its_own_short_key() -> None:
    assert set(records.KEY_OF) == set(RECORD_COLUMNS)
    keys = list(records.KEY_OF.values())
    assert len(set(keys)) == len(keys)
    assert not set(keys) & set(RECORD_COLUMNS)
    assert all(len(key) <= 2 for key in keys)


def test_the_guardian_is_the_first_member_marked_so(tmp_path: Path) -> None:
    rows = CHUNKS["guardian-is-the-third-member"]
    judged = _judged(write_national(tmp_path / "third.xlsx", rows))
    assert judged.select("g1_name", "g1_relation", "g2_name", "code").rows() == [
        ("李四", "51", None, None)
    ]
