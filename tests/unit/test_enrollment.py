"""The enrollment state table, every cell."""

from __future__ import annotations

import itertools

import pytest

from xueji.domain.enrollment import ChangeKind, EnrollmentStatus, apply_change
from xueji.domain.errors import IllegalTransition

S, K = EnrollmentStatus, ChangeKind
ALLOWED = {
    (S.ENROLLED, K.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, K.RESUME): S.ENROLLED,
    (S.ENROLLED, K.TRANSFER): S.ENROLLED,
    (S.ENROLLED, K.GRADUATE): S.GRADUATED,
    (S.ENROLLED, K.WITHDRAW): S.WITHDRAWN,
    (S.SUSPENDED, K.WITHDRAW): S.WITHDRAWN,
    (S.GRADUATED, K.ADMIT): S.ENROLLED,
    (S.WITHDRAWN, K.ADMIT): S.ENROLLED,
    (S.WITHDRAWN, K.REENROLL): S.ENROLLED,
}


@pytest.mark.parametrize(("status", "change"), list(itertools.product(S, K)))
def test_every_status_and_change(status: EnrollmentStatus, change: ChangeKind) -> None:
    if (status, change) in ALLOWED:
        assert apply_change(status, change) is ALLOWED[(status, change)]
    else:
        with pytest.raises(IllegalTransition) as caught:
            apply_change(status, change)
        assert caught.value.code == "ILLEGAL_TRANSITION"
        assert status.label in caught.value.message


def test_resuming_an_enrolled_student_is_refused_in_chinese() -> None:
    with pytest.raises(IllegalTransition) as caught:
        apply_change(S.ENROLLED, K.RESUME)
    assert caught.value.message == "学籍状态为“在籍在校”的学生不能办理“复学”"
