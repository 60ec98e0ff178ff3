"""Official code lists used across the registry: gender (GB/T 2261.1)."""

from __future__ import annotations

from enum import StrEnum


class Gender(StrEnum):
    """GB/T 2261.1 codes; student records use only 1 and 2."""

    MALE = "1"
    FEMALE = "2"

    @property
    def label(self) -> str:
        return "男" if self is Gender.MALE else "女"
