"""The capability table of docs/capabilities.md, row by row."""

from __future__ import annotations

import pytest

from xueji.domain.capabilities import capabilities
from xueji.domain.enrollment import EnrollmentStatus as S

ALL = {
    "course.open",
    "course.replay_cached",
    "homework.submit",
    "live.join",
    "archive.view",
    "region_pool",
}

TABLE = [
    (False, None, {"course.open", "course.replay_cached"}),
    (False, S.ENROLLED, {"course.open", "course.replay_cached"}),
    (False, S.SUSPENDED, {"course.open", "course.replay_cached"}),
    (True, S.ENROLLED, ALL),
    (True, S.SUSPENDED, {"course.replay_cached"}),
    (True, S.GRADUATED, {"course.open", "course.replay_cached", "archive.view"}),
    (True, S.WITHDRAWN, {"archive.view"}),
]


@pytest.mark.parametrize(("linked", "status", "expected"), TABLE)
def test_capability_row(linked: bool, status: S | None, expected: set[str]) -> None:
    assert {str(c) for c in capabilities(linked=linked, status=status)} == expected


def test_suspension_keeps_only_replay_of_cached_courses() -> None:
    granted = capabilities(linked=True, status=S.SUSPENDED)
    assert "homework.submit" not in granted
    assert "live.join" not in granted
    assert "course.open" not in granted
