"""Masking of sensitive values for screens and logs (PIPL art. 28: minors' data)."""

from __future__ import annotations


def mask(value: str | None, *, keep_start: int = 5, keep_end: int = 4) -> str:
    """``G445222202508211230`` → ``G4452**********1230``; short values are fully masked."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_phone(phone: str | None) -> str:
    """``13812345678`` → ``138****5678``."""
    return mask(phone, keep_start=3, keep_end=4)
