"""Roles and the scope each role is bounded by."""

from __future__ import annotations

import re
from enum import StrEnum

from xueji.domain import regions
from xueji.domain.errors import ValidationFailed


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    REGION_ADMIN = "region_admin"
    SCHOOL_ADMIN = "school_admin"
    HEAD_TEACHER = "head_teacher"
    STUDENT = "student"
    PARENT = "parent"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Role.PLATFORM_ADMIN: "平台运维",
    Role.REGION_ADMIN: "区域管理员",
    Role.SCHOOL_ADMIN: "学校信息管理员",
    Role.HEAD_TEACHER: "班主任",
    Role.STUDENT: "学生",
    Role.PARENT: "家长",
}

STAFF_ROLES = frozenset(
    {Role.PLATFORM_ADMIN, Role.REGION_ADMIN, Role.SCHOOL_ADMIN, Role.HEAD_TEACHER}
)
SCHOOL_CODE = re.compile(r"^[0-9]{10}$")
REGION_PREFIX = re.compile(r"^(?:[0-9]{2}|[0-9]{4}|[0-9]{6})$")


def check_scope(role: Role, *, region_code: str | None, school_code: str | None) -> None:
    """A region admin needs a region (2, 4 or 6 digits of a known code); a school admin or
    head teacher needs a 10-digit school code; a platform admin needs neither."""
    if role is Role.REGION_ADMIN:
        if school_code or not region_code or not REGION_PREFIX.match(region_code):
            raise ValidationFailed(
                "区域管理员须指定 2、4 或 6 位行政区划代码（--region）", code="SCOPE_INVALID"
            )
        full = region_code.ljust(6, "0")
        if not regions.is_known(full):
            raise ValidationFailed(f"行政区划代码 {region_code} 不存在", code="SCOPE_INVALID")
    elif role in (Role.SCHOOL_ADMIN, Role.HEAD_TEACHER):
        if region_code or not school_code or not SCHOOL_CODE.match(school_code):
            raise ValidationFailed(
                "学校信息管理员和班主任须指定 10 位学校标识码（--school）", code="SCOPE_INVALID"
            )
    elif region_code or school_code:
        raise ValidationFailed(f"{role.label}不限定区域或学校", code="SCOPE_INVALID")
