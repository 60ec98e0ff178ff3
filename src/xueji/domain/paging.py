"""Staff lists come a page at a time, continued from the last id shown: a list of
thousands (a large school's queue at the start of term) must neither be cut off silently
nor be read whole for one screen."""

from __future__ import annotations

from xueji.domain.errors import ValidationFailed

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


def page_size(limit: int | None) -> int:
    """The rows per page the caller asked for, or the default; refused outside 1–500."""
    if limit is None:
        return PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"每页条数应为 1–{MAX_PAGE_SIZE}", code="PAGE_SIZE_INVALID")
    return limit
