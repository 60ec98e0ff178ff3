"""Where a file's national record differs from the registry's, field by field, for the
import's report of an existing student. Sensitive categories are named, never shown;
phones are masked."""

from __future__ import annotations

from xueji.domain import regions
from xueji.domain.codesets import code_set
from xueji.domain.masking import mask_phone
from xueji.registry.imports.schemas import FieldChange
from xueji.registry.national.fields import (
    NATIONAL_COLUMNS,
    RECORD_COLUMNS,
    SENSITIVE_COLUMNS,
    field_of,
)

HIDDEN = "（敏感信息，不显示）"


def differences(current: dict[str, str], file: dict[str, str]) -> list[FieldChange]:
    """One change per record column whose value differs."""
    return [
        FieldChange(column, NATIONAL_COLUMNS[column], *(_shown(column, v) for v in (before, after)))
        for column in RECORD_COLUMNS
        if (before := current.get(column, "")) != (after := file.get(column, ""))
    ]


def _shown(column: str, value: str) -> str:
    if not value:
        return "（空）"
    if column in SENSITIVE_COLUMNS:
        return HIDDEN
    if field_of(column).kind == "phone":  # as the report shows guardians' phones
        return mask_phone(value)
    return label(column, value)


def label(column: str, value: str) -> str:
    """A stored value as people read it: a code's label, a division's name."""
    field = field_of(column)
    if field.kind == "code" and field.codes:
        return code_set(field.codes).label(value)
    if field.kind == "region":
        return regions.region_name(value) or value
    return value
