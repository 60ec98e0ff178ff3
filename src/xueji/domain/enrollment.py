"""Enrollment status (学籍状态) and the table of allowed enrollment changes (学籍异动)."""

from __future__ import annotations

from enum import StrEnum

from xueji.domain.errors import IllegalTransition


class EnrollmentStatus(StrEnum):
    ENROLLED = "enrolled"
    SUSPENDED = "suspended"
    GRADUATED = "graduated"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


class ChangeKind(StrEnum):
    SUSPEND = "suspend"
    RESUME = "resume"
    TRANSFER = "transfer"
    GRADUATE = "graduate"
    WITHDRAW = "withdraw"
    ADMIT = "admit"
    REENROLL = "reenroll"

    @property
    def label(self) -> str:
        return _CHANGE_LABELS[self]


_STATUS_LABELS = {
    EnrollmentStatus.ENROLLED: "在籍在校",
    EnrollmentStatus.SUSPENDED: "休学",
    EnrollmentStatus.GRADUATED: "毕业",
    EnrollmentStatus.WITHDRAWN: "退学",
}

_CHANGE_LABELS = {
    ChangeKind.SUSPEND: "休学",
    ChangeKind.RESUME: "复学",
    ChangeKind.TRANSFER: "转学",
    ChangeKind.GRADUATE: "毕业",
    ChangeKind.WITHDRAW: "退学",
    ChangeKind.ADMIT: "升学入学",
    ChangeKind.REENROLL: "重新入学",
}

#: (current status, change) → new status. Anything absent is refused. A transfer keeps
#: the student enrolled (at the receiving school); a suspended student resumes first. A
#: student who graduated or withdrew is admitted by the next school (升学, 入学): the
#: registry number is for life, so the same record moves on. A student who withdrew and
#: returns to the same school is re-enrolled there (重新入学, 中小学生学籍管理办法).
TRANSITIONS: dict[tuple[EnrollmentStatus, ChangeKind], EnrollmentStatus] = {
    (EnrollmentStatus.ENROLLED, ChangeKind.SUSPEND): EnrollmentStatus.SUSPENDED,
    (EnrollmentStatus.SUSPENDED, ChangeKind.RESUME): EnrollmentStatus.ENROLLED,
    (EnrollmentStatus.ENROLLED, ChangeKind.TRANSFER): EnrollmentStatus.ENROLLED,
    (EnrollmentStatus.ENROLLED, ChangeKind.GRADUATE): EnrollmentStatus.GRADUATED,
    (EnrollmentStatus.ENROLLED, ChangeKind.WITHDRAW): EnrollmentStatus.WITHDRAWN,
    (EnrollmentStatus.SUSPENDED, ChangeKind.WITHDRAW): EnrollmentStatus.WITHDRAWN,
    (EnrollmentStatus.GRADUATED, ChangeKind.ADMIT): EnrollmentStatus.ENROLLED,
    (EnrollmentStatus.WITHDRAWN, ChangeKind.ADMIT): EnrollmentStatus.ENROLLED,
    (EnrollmentStatus.WITHDRAWN, ChangeKind.REENROLL): EnrollmentStatus.ENROLLED,
}


#: The statuses of a student who left a school: only admission (by the next school), or
#: re-enrollment at the same one, moves them on.
LEFT = frozenset(status for status, change in TRANSITIONS if change is ChangeKind.ADMIT)


def allowed_changes(status: EnrollmentStatus) -> list[ChangeKind]:
    """The changes the table allows from ``status`` (what a page may offer)."""
    return [change for current, change in TRANSITIONS if current is status]


def apply_change(status: EnrollmentStatus, change: ChangeKind) -> EnrollmentStatus:
    """The status after ``change``, or ``IllegalTransition`` if the table forbids it."""
    try:
        return TRANSITIONS[(status, change)]
    except KeyError:
        raise IllegalTransition(
            f"学籍状态为“{status.label}”的学生不能办理“{change.label}”",
            status=str(status),
            change=str(change),
        ) from None
