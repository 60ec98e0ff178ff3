"""Recognising a file in the national layout (学生基本信息表) by its headers."""

from __future__ import annotations

from xueji.domain.errors import ValidationFailed
from xueji.registry.national.fields import (
    FIELDS,
    MEMBER_REQUIRED,
    NATIONAL_COLUMNS,
    member_column,
)

#: headers that make a file one in the national layout (学生基本信息表)
NATIONAL_MARKERS = frozenset({"身份证件类型", "身份证件号"})
#: the national layout's columns that a file must have: those the form requires
NATIONAL_REQUIRED = (
    "name",
    "gender",
    "birth_date",
    *(field.key for field in FIELDS if field.required),
    *(member_column(1, key) for key in (*MEMBER_REQUIRED, "phone")),
)


def refuse_missing(missing: list[str]) -> None:
    if missing:
        raise ValidationFailed(
            f"文件缺少必需的列：{'、'.join(missing)}（请使用全国学籍模板《学生基本信息表》）",
            code="IMPORT_HEADER_MISSING",
            missing=missing,
        )


def canonical_national(headers: list[str], keys: list[str]) -> dict[int, str]:
    """Column position → column of the national layout (``national.fields``): its
    headers exactly, any order; a repeated one is refused, and so is a file without a
    column the form requires."""
    by_header = {header: key for key, header in NATIONAL_COLUMNS.items()} | {
        "学籍号": "registry_no"
    }
    mapping: dict[int, str] = {}
    for index, key in enumerate(keys):
        column = by_header.get(key)
        if column is None:
            continue
        if column in mapping.values():
            raise ValidationFailed(
                f"文件中有重复的列：{headers[index]}（请删去多余的一列）",
                code="IMPORT_HEADER_DUPLICATE",
                column=str(headers[index]),
            )
        mapping[index] = column
    refuse_missing(
        [NATIONAL_COLUMNS[key] for key in NATIONAL_REQUIRED if key not in mapping.values()]
    )
    return mapping
