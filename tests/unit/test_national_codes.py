"""The national form's code sets and fields: data that loads, codes or labels read,
every field documented and every reason worded."""

from __future__ import annotations

from pathlib import Path

import pytest

from xueji.domain.codesets import SOURCES, code_set
from xueji.registry.national.fields import (
    FIELDS,
    MEMBER_FIELDS,
    MEMBERS,
    NATIONAL_COLUMNS,
    SENSITIVE_COLUMNS,
    member_column,
)
from xueji.registry.national.messages import NATIONAL_MESSAGES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "registry.md"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_each_code_set_has_unique_codes_and_labels(name: str) -> None:
    codes = code_set(name)
    assert codes.labels
    assert len(set(codes.labels.values())) == len(codes.labels)
    for code, label in codes.labels.items():
        assert codes.parse(code) == code and codes.parse(label) == code


def test_the_sets_hold_what_their_standards_list() -> None:
    ethnicity = code_set("ethnicity")
    assert len(ethnicity.labels) == 58  # 56 nationalities, 其他, 外国血统中国籍人士
    assert (ethnicity.label("01"), ethnicity.label("56"), ethnicity.label("98")) == (
        "汉族",
        "基诺族",
        "外国血统中国籍人士",
    )
    nationality = code_set("nationality")
    assert len(nationality.labels) == 249
    assert (nationality.label("CHN"), nationality.label("HKG"), nationality.label("TWN")) == (
        "中国",
        "中国香港",
        "中国台湾",
    )
    assert list(code_set("document_type").labels) == ["1", "6", "7", "8", "9", "A", "Z"]


def test_codes_and_labels_are_read_as_people_type_them() -> None:
    assert code_set("ethnicity").parse("０１") == "01"
    assert code_set("ethnicity").parse(" 汉 族 ") == "01"
    assert code_set("nationality").parse("chn") == "CHN"
    assert code_set("document_type").parse("身份证") == "1"
    assert code_set("relation").parse("妈妈") == "52"
    assert code_set("ethnicity").parse("火星族") is None


def test_every_field_is_documented_with_who_sees_it() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for field in FIELDS:
        assert f"| {field.header} |" in text, field.header
    for field in MEMBER_FIELDS:
        assert f"| 成员1–4{field.header} |" in text, field.header
    for title, _standard in SOURCES.values():
        assert title in text


def test_every_reason_a_row_can_get_is_worded() -> None:
    for field in FIELDS:
        for kind in ("REQUIRED", "INVALID"):
            assert field.header in NATIONAL_MESSAGES[f"{field.error_code}_{kind}"]
    for n in range(1, MEMBERS + 1):
        for field in MEMBER_FIELDS:
            assert f"成员{n}" in NATIONAL_MESSAGES[f"MEMBER{n}_{field.error_code}_INVALID"]


def test_the_layout_and_its_sensitive_columns() -> None:
    headers = list(NATIONAL_COLUMNS.values())
    assert headers[:4] == ["全国学籍号", "姓名", "性别", "出生日期"]
    assert len(headers) == len(set(headers)) == 94
    assert headers.index("年级") < headers.index("班级") < headers.index("学籍辅号")
    assert member_column(4, "document_no") in SENSITIVE_COLUMNS
    assert {"health", "disability", "orphan", "needs_aid"} <= SENSITIVE_COLUMNS


def test_a_column_is_read_as_spelled_only_when_every_value_in_the_chunk_is() -> None:
    """The shortcut of ``column_shapes``: the same stored values either way."""
    import polars as pl

    from xueji.registry.national.checks import column_shapes, normalised
    from xueji.registry.national.fields import FIELDS

    fields = {field.key: field for field in FIELDS if field.key in ("ethnicity", "document_no")}
    clean = {"ethnicity_t": ["01", "汉族", ""], "document_no_t": ["H12345678", "", "E1"]}
    typed = {"ethnicity_t": ["01", "０１", "汉 族"], "document_no_t": ["h12345678", "", "E1"]}
    for values, expected in ((clean, {"ethnicity", "document_no"}), (typed, set())):
        frame = pl.DataFrame(values).with_columns(pl.col(f"{key}_t").alias(key) for key in fields)
        spelled = column_shapes(frame, fields)[1]
        assert spelled == expected
        for key, field in fields.items():
            fast = frame.select(normalised(field, key, spelled=key in spelled)).to_series()
            slow = frame.select(normalised(field, key)).to_series()
            assert fast.to_list() == slow.to_list()
    assert frame.select(normalised(fields["ethnicity"], "ethnicity")).to_series().to_list() == [
        "01",
        "01",
        "01",
    ]
